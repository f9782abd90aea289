"""Admin pages: the approvals queue, where approvers confirm or reject pending reservations.

Confirming runs the whole rules engine again through ``update_reservation``, as
``PATCH /v1/reservations/:id`` does: what changed since the request (a facility closed, a
blackout added) can still refuse it, and then nothing changes.
"""

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from sqlalchemy import select

from ..auth.permissions import may_confirm_own
from ..booking import (
    RuleViolation,
    get_schedule,
    get_setting,
    has_started,
    school_now,
    update_reservation,
)
from ..errors import Forbidden, NotFound, ValidationError
from ..extensions import db, htmx
from ..models import Reservation
from . import current_actor
from .admin import requires
from .forms import ActionForm

bp = Blueprint("admin_approvals", __name__, url_prefix="/admin/approvals")

DONE = {
    "confirmed": "Confirmed: {name} has {facility} as requested.",
    "cancelled": "Rejected: the periods are free again for everyone.",
}


def pending_reservations(now):
    """Pending reservations that have not started yet, soonest first."""
    rows = db.session.scalars(
        select(Reservation)
        .where(Reservation.status == "pending", Reservation.date >= now.date())
        .order_by(Reservation.date, Reservation.start_slot, Reservation.created_at)
    ).all()
    return [r for r in rows if not has_started(r, now)]


@bp.get("")
@requires("reservations:approve")
def index():
    """List what waits for approval, soonest first, each with Confirm and Reject."""
    return _queue()


@bp.post("/<public_id>/confirm")
@requires("reservations:approve")
def confirm(public_id):
    """Confirm a pending reservation if the rules still allow it."""
    return _decide(public_id, "confirmed")


@bp.post("/<public_id>/reject")
@requires("reservations:approve")
def reject(public_id):
    """Reject (cancel) a pending reservation; its periods are freed."""
    return _decide(public_id, "cancelled")


def _decide(public_id, status):
    reservation = db.session.scalar(select(Reservation).where(Reservation.public_id == public_id))
    if reservation is None or not ActionForm().validate_on_submit():
        abort(404 if reservation is None else 400)
    error = None
    try:
        reservation = update_reservation(
            current_actor(), reservation, status=status, seen_status="pending"
        )
    except NotFound:
        abort(404)  # deleted meanwhile
    except RuleViolation as refusal:
        error = f"The rules now refuse it: {refusal.message} ({refusal.rule})"
    except ValidationError as exc:
        error = next(iter(exc.fields.values()))
    except Forbidden as exc:  # one's own request, where the school does not allow it
        error = exc.message
    notice = None if error else _done(reservation)
    if htmx:
        return render_template(
            "admin/partials/approval_item.html",
            reservation=reservation,
            error=error,
            notice=notice,
            form=ActionForm(formdata=None),
            may_confirm=_may_confirm(),
            schedule=get_schedule(),
            waiting=len(pending_reservations(school_now())),
        )
    if error and reservation.status == "pending":  # shown on its row, which is still there
        return _queue(errors={reservation.public_id: error}, status=422)
    what = f"{reservation.facility.name}, {reservation.date:%a %-d %b}"
    flash(f"{what}: {error or notice}", "error" if error else "info")
    return redirect(url_for("admin_approvals.index"), code=303)


def _done(reservation):
    return DONE[reservation.status].format(
        name=reservation.account.name, facility=reservation.facility.name
    )


def _may_confirm():
    """Whether the signed-in approver may confirm a reservation (not their own, by default)."""
    actor, own_allowed = current_actor(), get_setting("approvers_confirm_own")
    return lambda reservation: may_confirm_own(actor, reservation, own_allowed)


def _queue(errors=None, status=200):
    return render_template(
        "admin/approvals.html",
        pending=pending_reservations(school_now()),
        errors=errors or {},
        form=ActionForm(),
        may_confirm=_may_confirm(),
        schedule=get_schedule(),
    ), status
