"""A reservation's page: what it is, who holds it, and whether and by whom and why it was
cancelled; Cancel (with a reason) for whoever may, Confirm for approvers.

Its holder, approvers and admins see it; anyone else gets 404, as from ``GET
/v1/reservations/:id``. Cancel and Confirm go through ``update_reservation``, as ``PATCH
/v1/reservations/:id`` does. From the grid, an approver's or admin's click on someone
else's booking opens the cancel form in the grid's panel (htmx); the answer updates the
grid's row in place.
"""

import re

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_login import login_required
from sqlalchemy import select

from ..auth.permissions import can_cancel_reservation, can_view_reservation, may_confirm_own
from ..booking import (
    NO_SHOW,
    RuleViolation,
    day_availability,
    get_schedule,
    get_setting,
    has_started,
    school_now,
    update_reservation,
)
from ..errors import Forbidden, NotFound, ValidationError
from ..extensions import db, htmx
from ..models import Reservation
from ..schemas import RESERVATION_ID
from . import current_actor
from .forms import ActionForm, CancelReasonForm

bp = Blueprint("reservations", __name__, url_prefix="/reservations")


@bp.get("/<public_id>")
@login_required
def show(public_id):
    """Show a reservation, with Cancel and Confirm where the viewer may use them."""
    return _page(_visible(public_id))


@bp.get("/<public_id>/cancel")
@login_required
def cancel_form(public_id):
    """Open the cancel form in the grid's panel (htmx); without it, the reservation's page."""
    reservation = _visible(public_id)
    if not htmx:
        return _page(reservation)
    return _panel(reservation, CancelReasonForm(formdata=None))


@bp.post("/<public_id>/cancel")
@login_required
def cancel(public_id):
    """Cancel the reservation, with the reason given: its periods are free again."""
    reservation = _visible(public_id)
    form = CancelReasonForm()
    if not form.validate_on_submit():  # the CSRF token; the reason is checked below
        abort(400)
    holder = reservation.account.name
    error = None
    try:
        if reservation.status == "cancelled":
            raise ValidationError({"status": "Already cancelled; nothing changed."})
        reason = form.reason()
        update_reservation(current_actor(), reservation, status="cancelled", cancel_reason=reason)
    except NotFound:
        abort(404)  # deleted meanwhile
    except ValidationError as exc:
        if "cancel_reason" in exc.fields:
            form.cancel_reason.errors = [exc.fields["cancel_reason"]]
        error = next(iter(exc.fields.values()))
    except Forbidden as exc:
        error = exc.message
    if error:
        if htmx:  # htmx swaps only 2xx answers: the refusal shows in the panel
            return _panel(reservation, form, error=error)
        return _page(reservation, form, error=error, status=422)
    done = f"Cancelled {_what(reservation, holder)}. Its periods are free again."
    if htmx:
        return _panel(reservation, form, done=done)
    flash(done, "info")
    return redirect(url_for("reservations.show", public_id=public_id), code=303)


@bp.post("/<public_id>/confirm")
@login_required
def confirm(public_id):
    """Confirm a pending reservation if every rule still allows it (approvers)."""
    reservation = _visible(public_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    error = None
    try:
        update_reservation(current_actor(), reservation, status="confirmed", seen_status="pending")
    except NotFound:
        abort(404)
    except RuleViolation as refusal:
        error = f"The rules now refuse it: {refusal.message}"
    except ValidationError as exc:
        error = next(iter(exc.fields.values()))
    except Forbidden as exc:
        error = exc.message
    if error:
        return _page(reservation, error=error, status=422)
    flash(f"Confirmed {_what(reservation, reservation.account.name)}.", "info")
    return redirect(url_for("reservations.show", public_id=public_id), code=303)


def cancelled_words(reservation, on_list=False):
    """Who cancelled ``reservation`` and why, in the words every page uses; ``None`` while
    it stands, and on its holder's list (``on_list``) when the holder cancelled it."""
    if reservation.status != "cancelled":
        return None
    by = reservation.cancelled_by_id
    if by is None and reservation.cancel_reason == NO_SHOW:
        return "Released: nobody checked in in time."
    if on_list and by in (None, reservation.account_id):
        return None
    who = f" by {reservation.cancelled_by.name}" if by is not None else ""
    why = f": {reservation.cancel_reason}" if reservation.cancel_reason else "."
    return f"Cancelled{who}{why}"


def _visible(public_id):
    """The reservation, if the signed-in person may see it; anyone else's is 404, as from
    the API: a 403 would say that the id exists."""
    reservation = re.fullmatch(RESERVATION_ID, public_id) and db.session.scalar(
        select(Reservation).where(Reservation.public_id == public_id)
    )
    if not reservation or not can_view_reservation(current_actor(), reservation):
        abort(404)
    return reservation


def _what(reservation, holder):
    mine = reservation.account_id == current_actor().account.id
    whose = "your booking" if mine else f"{holder}’s booking"
    return f"{whose} of {reservation.facility.name} on {reservation.date:%a %-d %b}"


def _choices(reservation):
    """What the viewer may do with the reservation now: cancel it, confirm it."""
    actor, now = current_actor(), school_now()
    open_ = reservation.status != "cancelled" and not has_started(reservation, now)
    confirmable = (
        reservation.status == "pending"
        and actor.can("reservations:approve")
        and may_confirm_own(actor, reservation, get_setting("approvers_confirm_own"))
    )
    return {
        "may_cancel": open_ and can_cancel_reservation(actor, reservation),
        "may_confirm": open_ and confirmable,
        "started": has_started(reservation, now),
    }


def _page(reservation, form=None, error=None, status=200):
    return render_template(
        "teacher/reservation.html",
        reservation=reservation,
        form=form or CancelReasonForm(formdata=None),
        action_form=ActionForm(),
        error=error,
        schedule=get_schedule(),
        today=school_now().date(),
        **_choices(reservation),
    ), status


def _panel(reservation, form, error=None, done=None):
    """The cancel form in the grid's panel; once cancelled, what happened, and the grid's
    row of that facility and day again (out of band)."""
    facility = reservation.facility
    states = day_availability([facility], reservation.date)[facility.id] if done else None
    return render_template(
        "partials/cancel_panel.html",
        reservation=reservation,
        form=form,
        error=error,
        done=done,
        facility=facility,
        states=states,
        day=reservation.date,
        schedule=get_schedule(),
        **_choices(reservation),
    )
