"""Booking a series: its dates decided and written in one transaction, or none of them;
and many series at once (a timetable), one bulk statement a table."""

from sqlalchemy import bindparam, insert, select
from sqlalchemy.exc import IntegrityError

from ..extensions import db
from ..models import HeldSlot, Reservation, Series, new_public_id, utcnow
from ..outbox import record_events, subscribed_endpoints
from ..resources import reservation_resource, series_resource
from ..sqlite import writing
from .operations import (
    lock_account,
)
from .rules import (
    ACCOUNT_WEEK_QUERY,
)
from .schedule import get_schedule, week_of
from .series import (
    InsertedRow,
    Repeat,
    SeriesBooked,
    SeriesRef,
    SeriesRefused,
    plan_series,
)

# The ``period``-th period (from 0) of each date of some series, as a held slot.
_DATES = Reservation.__table__
HOLD_PERIOD = insert(HeldSlot.__table__).from_select(
    ["reservation_id", "facility_id", "account_id", "date", "slot"],
    select(
        _DATES.c.id,
        _DATES.c.facility_id,
        _DATES.c.account_id,
        _DATES.c.date,
        _DATES.c.start_slot + bindparam("period"),
    ).where(
        _DATES.c.series_id.in_(bindparam("series_ids", expanding=True)),
        _DATES.c.start_slot + bindparam("period") <= _DATES.c.end_slot,
    ),
)

# A lost race for a slot (PostgreSQL: another booking committed it after this one read the
# held slots) makes the series decide again on what is there now.
DECIDE_ATTEMPTS = 5
EVENT_BATCH = 1_000


def create_series(actor, *args, on_conflict="fail", dry_run=False, now=None, **kwargs):
    """Book a series (see ``plan_series`` for the arguments), or with ``dry_run`` say what
    it would book. With ``on_conflict="fail"`` a refused date refuses the whole series;
    with ``"skip"`` the refused dates are left out and listed. Raises ``SeriesRefused``
    when nothing would be written; returns the plan, and the ``SeriesBooked`` unless a dry
    run.

    As for a single booking, the person's bookings are decided one after another: on
    PostgreSQL under a lock on their row; on SQLite the dates are decided before the write
    lock, so that other bookings write meanwhile, and decided again inside it if the
    person's own held slots in those weeks changed. Another person's booking of a slot is
    refused by the held slots' unique index; the series is then decided again on what is
    there now (that date is refused or skipped, never held twice).
    """
    if dry_run:
        plan, _ = plan_series(actor, *args, now=now, **kwargs)
        return plan, None
    account = kwargs.get("account") or actor.account
    locked = lock_account(account)
    plan, snapshot = plan_series(actor, *args, now=now, **kwargs)
    for attempt in range(DECIDE_ATTEMPTS):
        with writing():
            if attempt or (not locked and not _account_unchanged(account, plan, snapshot)):
                lock_account(account)  # PostgreSQL: the lock ended with the rollback
                plan, snapshot = plan_series(actor, *args, now=now, **kwargs)
            _refuse(plan, on_conflict)
            try:
                return plan, _write(plan)
            except IntegrityError:
                db.session.rollback()
                if attempt == DECIDE_ATTEMPTS - 1:
                    raise
    raise AssertionError("unreachable")


def _account_unchanged(account, plan, snapshot):
    """Whether the person's held slots in the series' weeks are those its dates were decided
    on (R-04, R-06 and R-10 count them)."""
    monday, sunday = week_of(plan.occurrences[0].date)[0], week_of(plan.occurrences[-1].date)[1]
    params = {"account_id": account.id, "monday": monday, "sunday": sunday}
    now_held = {tuple(h) for h in db.session.execute(ACCOUNT_WEEK_QUERY, params)}
    read = {tuple(h) for h in snapshot.held_by(account.id) if h.reservation_id > 0}  # not planned
    return now_held == read


def create_series_as_asked(actor, facility, asked, account=None):
    """``create_series`` for a request that ``schemas.SeriesCreate`` parsed (the API's body,
    or the booking form's fields): its pattern, periods, purpose and options as sent."""
    repeat = asked.repeat
    return create_series(
        actor,
        facility,
        asked.first_date,
        Repeat(tuple(repeat.weekdays), repeat.every_weeks, repeat.cycle_week),
        asked.start_slot,
        asked.end_slot,
        asked.purpose,
        until=asked.until,
        attendees=asked.attendees,
        account=account,
        overrides=asked.override,
        on_conflict=asked.on_conflict,
        dry_run=asked.dry_run,
    )


def _refuse(plan, on_conflict):
    """With ``fail`` a refused date refuses the series, answered as its first refusal; with
    ``skip`` only a series whose every date is refused is (a 422 of its own)."""
    refused = [o for o in plan.occurrences if o.refusal is not None]
    if on_conflict == "fail" and refused:
        raise SeriesRefused(plan.occurrences, every_date=False)
    if len(refused) == len(plan.occurrences):
        raise SeriesRefused(plan.occurrences, every_date=True)


def _write(plan):
    """Insert the series, its reservations, their held slots and the events; commit."""
    (booked,) = write_series([plan])
    db.session.commit()
    return booked


def write_series(plans, events=True):
    """Insert the series of ``plans`` with their booked dates, held slots and events
    (``series.created``, then ``reservation.created`` for each date; none with ``events``
    false, for the demo's fixture data) in the caller's transaction, which commits. One
    bulk statement a table, however many series: a timetable writes a thousand at once.
    Returns a ``SeriesBooked`` per plan, in order."""
    now = utcnow()
    connection = db.session.connection()
    series_rows = [_series_row(plan, now) for plan in plans]
    table = Series.__table__
    series_ids = connection.execute(
        insert(table).returning(table.c.id, sort_by_parameter_order=True), series_rows
    ).scalars()
    rows = []  # (plan, its reservations' rows)
    for plan, series, series_id in zip(plans, series_rows, series_ids, strict=True):
        series["id"] = series_id
        rows.append((plan, [_reservation_row(plan, o, series_id, now) for o in plan.booked]))
    # The dates' ids are never read back: their held periods are copied from the rows
    # just written, one statement per period of the longest date. (RETURNING them cost
    # PostgreSQL half of a 1,000-line timetable's import: psycopg turns a many-row INSERT
    # ... RETURNING into one statement and parses its placeholders in Python.)
    connection.execute(
        insert(Reservation.__table__), [row for _, plan_rows in rows for row in plan_rows]
    )
    series_ids = [series["id"] for series in series_rows]
    for period in range(max(plan.end_slot - plan.start_slot + 1 for plan in plans)):
        connection.execute(HOLD_PERIOD, {"series_ids": series_ids, "period": period})
    schedule = get_schedule()
    booked, written = [], []
    for (plan, plan_rows), series in zip(rows, series_rows, strict=True):
        ref = SeriesRef(series["public_id"])
        resources = [
            reservation_resource(
                InsertedRow(**row, facility=plan.facility, account=plan.account, series=ref),
                schedule,
            )
            for row in plan_rows
        ]
        resource = series_resource(
            InsertedRow(**series, facility=plan.facility, account=plan.account),
            schedule,
            plan.counts(),
        )
        written += [("series.created", resource), *(("reservation.created", r) for r in resources)]
        dates = [{"id": r["id"], "date": r["date"], "status": r["status"]} for r in resources]
        booked.append(SeriesBooked(series["id"], resource | {"reservations": dates}))
    if events:
        record_series_events(written)
    return booked


def _series_row(plan, now):
    return {
        "public_id": new_public_id("ser_"),
        "facility_id": plan.facility.id,
        "account_id": plan.account.id,
        "start_slot": plan.start_slot,
        "end_slot": plan.end_slot,
        "purpose": plan.purpose,
        "attendees": plan.attendees,
        "weekdays": plan.repeat.as_json()["weekdays"],
        "every_weeks": plan.repeat.every_weeks,
        "cycle_week": plan.repeat.cycle_week,
        "first_date": plan.first_date,
        "until": plan.until,
        "status": "active",
        "skipped": plan.skipped,
        "rules": {"overridden": sorted(plan.overrides)},
        "created_at": now,
        "updated_at": now,
    }


def _reservation_row(plan, occurrence, series_id, now):
    return {
        "public_id": new_public_id("res_"),
        "facility_id": plan.facility.id,
        "account_id": plan.account.id,
        "date": occurrence.date,
        "start_slot": plan.start_slot,
        "end_slot": plan.end_slot,
        "purpose": plan.purpose,
        "attendees": plan.attendees,
        "status": occurrence.status,
        "rules": {
            "outcome": occurrence.status,
            "checked": list(occurrence.checked),
            "overridden": sorted(plan.overrides),
        },
        "series_id": series_id,
        "cancel_reason": None,
        "cancelled_by_id": None,
        "checked_in_at": None,
        "created_at": now,
        "updated_at": now,
    }


def record_series_events(events, by=None):
    """Record events of several types at once (a series writes one per date), a batch of
    ``EVENT_BATCH`` at a time, so that the statements stay within the databases' limits;
    ``by`` made the change."""
    now = utcnow()
    endpoints = {t: subscribed_endpoints(t) for t in {event_type for event_type, _ in events}}
    for start in range(0, len(events), EVENT_BATCH):
        record_events(
            [
                {"public_id": new_public_id("evt_"), "type": t, "data": d, "created_at": now}
                for t, d in events[start : start + EVENT_BATCH]
            ],
            endpoints,
            by,
        )
