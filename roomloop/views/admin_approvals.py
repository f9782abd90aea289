"""Admin pages: the approvals queue, where approvers confirm or reject pending reservations.

Confirming runs the whole rules engine again through ``update_reservation``, as
``PATCH /v1/reservations/:id`` does: what changed since the request (a facility closed, a
blackout added) can still refuse it, and then nothing changes. A series waiting for approval
is one request: Confirm all and Reject all go through ``update_series`` (all its waiting
dates or none), and its dates open under it to be decided one by one. A reason typed next to
Reject goes with the cancellation, as ``cancel_reason`` does in the API.
"""

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from sqlalchemy import select

from ..auth.permissions import may_confirm_own
from ..booking import (
    RuleViolation,
    SeriesRequest,
    get_schedule,
    get_series,
    get_setting,
    pending_reservations,
    queue_of,
    school_now,
    update_reservation,
    update_series,
)
from ..errors import Forbidden, NotFound, ValidationError
from ..extensions import db, htmx
from ..models import Reservation
from . import current_actor
from .admin import requires
from .forms import ActionForm, CancelReasonForm

bp = Blueprint("admin_approvals", __name__, url_prefix="/admin/approvals")

DECISIONS = {"confirm": "confirmed", "reject": "cancelled"}
DONE = {
    "confirmed": "Confirmed: {name} has {facility} as requested.",
    "cancelled": "Rejected: the periods are free again for everyone.",
}


def waiting_count():
    return len(queue_of(pending_reservations(school_now())))


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
    form = CancelReasonForm()
    if reservation is None or not form.validate_on_submit():
        abort(404 if reservation is None else 400)

    def change():
        # The row is locked and read again into this same object: ``reservation`` is current.
        reason = _reason(form, status)
        update_reservation(
            current_actor(), reservation, status=status, seen_status="pending", cancel_reason=reason
        )

    error = _attempt(change, lambda refusal: f"The rules now refuse it: {refusal.message}")
    notice = None if error else _done(reservation)
    typed = {reservation.public_id: form.cancel_reason.data} if error else {}
    if htmx:
        return render_template(
            "admin/partials/approval_item.html",
            reservation=reservation,
            error=error,
            notice=notice,
            typed=typed,
            form=ActionForm(formdata=None),
            may_confirm=_may_confirm(),
            schedule=get_schedule(),
            waiting=waiting_count(),
        )
    if error and reservation.status == "pending":  # shown on its row, which is still there
        return _queue(errors={reservation.public_id: error}, typed=typed, status=422)
    what = f"{reservation.facility.name}, {reservation.date:%a %-d %b}"
    flash(f"{what}: {error or notice}", "error" if error else "info")
    return redirect(url_for("admin_approvals.index"), code=303)


@bp.post("/series/<public_id>/<any(confirm, reject):action>")
@requires("reservations:approve")
def decide_series(public_id, action):
    """Confirm every waiting date of a series if the rules still allow each, else none; or
    reject (cancel) every waiting date, leaving those already confirmed."""
    form = CancelReasonForm()
    if not form.validate_on_submit():
        abort(400)
    actor, status = current_actor(), DECISIONS[action]
    try:
        series = get_series(actor, public_id)
    except NotFound:
        abort(404)
    waiting = [r for r in pending_reservations(school_now()) if r.series_id == series.id]

    def change():
        reason = _reason(form, status)
        only_pending = status == "cancelled"
        update_series(actor, series, status=status, only_pending=only_pending, cancel_reason=reason)

    error = _attempt(
        change,
        lambda refusal: (
            f"The rules now refuse {refusal.date:%a %-d %b}: {refusal.message} "
            "Nothing was confirmed; decide the dates one by one below."
        ),
    )
    decided = sum(r.status == status for r in waiting)
    if not error and not decided:
        error = "Already decided; nothing changed."
    notice = None if error else _done_series(series, status, decided)
    typed = {series.public_id: form.cancel_reason.data} if error else {}
    if htmx:
        return render_template(
            "admin/partials/approval_series.html",
            item=SeriesRequest(series, waiting),
            error=error,
            notice=notice,
            errors={},
            typed=typed,
            form=ActionForm(formdata=None),
            may_confirm=_may_confirm(),
            schedule=get_schedule(),
            today=school_now().date(),
            waiting_count=waiting_count(),
        )
    if error and any(r.status == "pending" for r in waiting):
        return _queue(errors={series.public_id: error}, typed=typed, status=422)
    flash(f"{series.facility.name}, {series.account.name}: {error or notice}",
          "error" if error else "info")  # fmt: skip
    return redirect(url_for("admin_approvals.index"), code=303)


def _reason(form, status):
    """The reason typed next to Reject (``ValidationError`` when too long); none to confirm."""
    return form.reason() if status == "cancelled" else None


def _attempt(change, refused):
    """Make ``change``; return ``None``, or why it was refused in words (a rule's refusal as
    ``refused`` words it). What is no longer there is 404."""
    try:
        change()
    except NotFound:
        abort(404)
    except RuleViolation as refusal:
        return refused(refusal)
    except ValidationError as exc:
        return next(iter(exc.fields.values()))
    except Forbidden as exc:  # one's own request, where the school does not allow it
        return exc.message
    return None


def _done_series(series, status, decided):
    dates = f"{decided} date{'s' if decided != 1 else ''}"
    if status == "confirmed":
        return f"Confirmed {dates}: {series.account.name} has {series.facility.name} as requested."
    return f"Rejected {dates}: the periods are free again for everyone."


def _done(reservation):
    return DONE[reservation.status].format(
        name=reservation.account.name, facility=reservation.facility.name
    )


def _may_confirm():
    """Whether the signed-in approver may confirm a reservation (not their own, by default)."""
    actor, own_allowed = current_actor(), get_setting("approvers_confirm_own")
    return lambda reservation: may_confirm_own(actor, reservation, own_allowed)


def _queue(errors=None, typed=None, status=200):
    return render_template(
        "admin/approvals.html",
        pending=queue_of(pending_reservations(school_now())),
        today=school_now().date(),
        errors=errors or {},
        typed=typed or {},
        form=ActionForm(),
        may_confirm=_may_confirm(),
        schedule=get_schedule(),
    ), status
