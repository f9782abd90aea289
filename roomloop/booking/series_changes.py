"""Reading a series and changing it as a whole: every date not yet begun, each changed as
its reservation would be, all or none of them."""

import re

from sqlalchemy import bindparam, select

from ..auth.permissions import (
    can_view_reservation,
    require_cancel_reservation,
    require_confirm_reservation,
    require_edit_reservation,
)
from ..errors import NotFound
from ..extensions import db
from ..models import Reservation, Series
from ..resources import reservation_resource, series_resource
from ..schemas import SERIES_ID
from ..sqlite import commit_keeping_loaded, writing
from .operations import (
    cancel,
    has_started,
    request_for,
    rule_context,
    rules_record,
    series_counts,
)
from .rules import (
    RuleViolation,
    evaluate,
)
from .schedule import get_schedule, school_now
from .series_booking import record_series_events
from .settings import get_setting

# --- Reading --------------------------------------------------------------------------------


def get_series(actor, public_id):
    """The series, if the actor may see it (its owner, or whoever reads every reservation);
    someone else's is "not found", as an unknown id."""
    series = re.fullmatch(SERIES_ID, public_id) and db.session.scalar(
        select(Series).where(Series.public_id == public_id)
    )
    if not series or not can_view_reservation(actor, series):
        raise NotFound("series", public_id)
    return series


def series_of(actor, series, schedule=None, with_reservations=False):
    """The series' resource, with its counts (and its dates, when asked)."""
    schedule = schedule or get_schedule()
    resource = series_resource(series, schedule, series_counts(series))
    if with_reservations:
        rows = db.session.execute(
            select(Reservation.public_id, Reservation.date, Reservation.status)
            .where(Reservation.series_id == series.id)
            .order_by(Reservation.date)
        )
        resource["reservations"] = [
            {"id": r.public_id, "date": r.date.isoformat(), "status": r.status} for r in rows
        ]
    return resource


# --- Changing -------------------------------------------------------------------------------

SERIES_LOCK = (
    select(Series).where(Series.id == bindparam("id")).with_for_update(of=Series.__table__)
)
OCCURRENCES_LOCK = (
    select(Reservation)
    .where(Reservation.series_id == bindparam("series_id"))
    .order_by(Reservation.date)
    .with_for_update(of=Reservation.__table__)
)


def update_series(
    actor,
    series,
    purpose=None,
    status=None,
    from_date=None,
    now=None,
    only_pending=False,
    cancel_reason=None,
):
    """Change the purpose of every date not yet begun, confirm the pending dates (approvers),
        or cancel every date not yet begun, or those on or after ``from_date``, or with
        ``only_pending`` only the dates still waiting for approval (an approver rejecting the
        request leaves the dates already confirmed alone). Each date is changed as its
        reservation would be, with the same checks; all or none of them: a refusal leaves the
        session as it was before the call. A date the rules refuse to confirm is named by the
        refusal's ``date``. The series is cancelled once none of its dates is left. Each date
    cancelled carries ``cancel_reason``."""
    now = now or school_now()
    with writing():
        try:
            series = _change(
                actor, series, purpose, status, from_date, now, only_pending, cancel_reason
            )
        except Exception:
            # Dates changed before the refusal must not show as changed to whoever renders
            # the page next in this request (PostgreSQL keeps the transaction open).
            db.session.rollback()
            raise
        commit_keeping_loaded()
    return series


def _change(actor, series, purpose, status, from_date, now, only_pending, cancel_reason):
    series = _lock(series)
    occurrences = db.session.scalars(
        OCCURRENCES_LOCK,
        {"series_id": series.id},
        execution_options={"populate_existing": True},
    ).all()
    upcoming = [r for r in occurrences if r.status != "cancelled" and not has_started(r, now)]
    events, changed, was_cancelled = [], False, series.status == "cancelled"
    if purpose is not None and purpose != series.purpose:
        # The series' own purpose is its owner's to change, even with no date left to
        # change: an approver may read it, not rename it.
        require_edit_reservation(actor, series)
        for reservation in upcoming:
            require_edit_reservation(actor, reservation)
            if reservation.purpose != purpose:
                reservation.purpose = purpose
                events.append(("reservation.updated", reservation))
        series.purpose, changed = purpose, True
    if status == "cancelled":
        for reservation in upcoming:
            if from_date is not None and reservation.date < from_date:
                continue
            if only_pending and reservation.status != "pending":
                continue
            require_cancel_reservation(actor, reservation)
            cancel(reservation, actor.account, cancel_reason)
            events.append(("reservation.cancelled", reservation))
    elif status == "confirmed":
        own_allowed = get_setting("approvers_confirm_own")
        for reservation in (r for r in upcoming if r.status == "pending"):
            require_confirm_reservation(actor, reservation, own_allowed=own_allowed)
            try:
                outcome = evaluate(rule_context(request_for(reservation), now), confirming=True)
            except RuleViolation as refusal:
                refusal.date = reservation.date
                raise
            reservation.status = "confirmed"
            reservation.rules = rules_record(outcome)
            events.append(("reservation.confirmed", reservation))
    if events or changed:
        if all(r.status == "cancelled" for r in occurrences):
            series.status = "cancelled"
        db.session.flush()
        schedule = get_schedule()
        # Cancelled by this change; renaming a series already cancelled is an update.
        ended = series.status == "cancelled" and not was_cancelled
        kind = "series.cancelled" if ended else "series.updated"
        record_series_events(
            [
                (kind, series_of(actor, series, schedule)),
                *((t, reservation_resource(r, schedule)) for t, r in events),
            ],
            by=actor.account,
        )
    return series


def _lock(series):
    (key,) = db.inspect(series).identity
    current = db.session.execute(
        SERIES_LOCK, {"id": key}, execution_options={"populate_existing": True}
    ).scalar()
    if current is None:
        raise NotFound("series", series.public_id)
    return current
