"""Recurring series: one booking made on a repeating pattern.

Every date of a series is decided by the rules engine on its own, as a single booking is,
with two differences the school asked for: a date may lie beyond the booking window up to
the end of the term that holds the first date (R-05, setting ``series_to_term_end``), and
the dates decided before count towards the person's weekly quota (R-06). All dates are
written in one transaction. Each date is then an ordinary reservation that points to its
series: it is cancelled or changed like any other, and the series keeps the rest.
"""

import re
from dataclasses import dataclass, replace
from datetime import date, timedelta

from sqlalchemy import bindparam, insert, select
from sqlalchemy.exc import IntegrityError

from ..auth.permissions import (
    can_view_reservation,
    require_cancel_reservation,
    require_confirm_reservation,
    require_edit_reservation,
)
from ..errors import DomainError, NotFound, ValidationError
from ..extensions import db
from ..models import HeldSlot, Reservation, Series, new_public_id, utcnow
from ..outbox import record_events, subscribed_endpoints
from ..resources import refusal_error, reservation_resource, series_resource
from ..schemas import SERIES_ID
from ..sqlite import commit_keeping_loaded, writing
from .operations import (
    check_slot_range,
    free_slots,
    has_started,
    lock_account,
    request_for,
    rule_context,
    rules_record,
    series_counts,
)
from .rules import (
    ACCOUNT_WEEK_QUERY,
    BookingRequest,
    Holder,
    RuleContext,
    RuleViolation,
    evaluate,
    load_snapshot,
)
from .schedule import get_schedule, school_now, week_of
from .school_calendar import WEEKDAYS, get_cycle, series_window_end, term_of
from .settings import get_setting

MAX_OCCURRENCES = 200
MAX_EVERY_WEEKS = 4
# A lost race for a slot (PostgreSQL: another booking committed it after this one read the
# held slots) makes the series decide again on what is there now.
DECIDE_ATTEMPTS = 5
EVENT_BATCH = 1_000


@dataclass(frozen=True)
class Repeat:
    """Which days of the range a series books: these weekdays, every ``every_weeks`` weeks
    counted from the first date's week, or only in timetable week ``cycle_week``."""

    weekdays: tuple
    every_weeks: int = 1
    cycle_week: int | None = None

    def check(self, cycle):
        """Refuse a pattern that cannot be: unknown days, or a timetable week the school's
        cycle does not have. Errors are keyed ``repeat.<field>``."""
        errors = {}
        unknown = [d for d in self.weekdays if d not in WEEKDAYS]
        if not self.weekdays or unknown:
            errors["repeat.weekdays"] = f"Choose one or more of {', '.join(WEEKDAYS)}."
        if not 1 <= self.every_weeks <= MAX_EVERY_WEEKS:
            errors["repeat.every_weeks"] = f"Repeat every 1 to {MAX_EVERY_WEEKS} weeks."
        if self.cycle_week is not None:
            if cycle.weeks == 1:
                errors["repeat.cycle_week"] = (
                    "The school has no timetable cycle (week A, week B); leave cycle_week out."
                )
            elif not 1 <= self.cycle_week <= cycle.weeks:
                errors["repeat.cycle_week"] = f"The timetable has weeks 1 to {cycle.weeks}."
            elif self.every_weeks != 1:
                errors["repeat.every_weeks"] = "With cycle_week, every_weeks is 1."
        if errors:
            raise ValidationError(errors)

    def dates(self, first, until, cycle, limit=MAX_OCCURRENCES):
        """The dates from ``first`` to ``until`` the pattern books, at most ``limit`` + 1."""
        days = {WEEKDAYS.index(d) for d in self.weekdays}
        first_monday = week_of(first)[0]
        found, day = [], first
        while day <= until and len(found) <= limit:
            weeks = (day - first_monday).days // 7
            if (
                day.weekday() in days
                and weeks % self.every_weeks == 0
                and (self.cycle_week is None or cycle.week_of(day) == self.cycle_week)
            ):
                found.append(day)
            day += timedelta(days=1)
        return found

    def as_json(self):
        return {
            "weekdays": [d for d in WEEKDAYS if d in self.weekdays],
            "every_weeks": self.every_weeks,
            "cycle_week": self.cycle_week,
        }


@dataclass(frozen=True)
class Occurrence:
    """One date of a series and what the rules said: an outcome, or a refusal."""

    date: date
    status: str | None = None  # confirmed | pending, when booked
    refusal: RuleViolation | None = None
    checked: tuple = ()  # the rules that passed it, when booked

    def as_json(self):
        if self.refusal is not None:
            return {
                "date": self.date.isoformat(),
                "outcome": "refused",
                "error": refusal_error(self.refusal),
            }
        return {"date": self.date.isoformat(), "outcome": self.status}


class SeriesRefused(DomainError):
    """The series was not written: with ``on_conflict: fail`` a date was refused, or (with
    ``skip``, ``every_date``) every date was. ``first`` is the first refusal;
    ``occurrences`` say what each date got."""

    def __init__(self, occurrences, every_date):
        self.first = next(o.refusal for o in occurrences if o.refusal is not None)
        self.occurrences = occurrences
        self.every_date = every_date
        super().__init__(
            "No date of this series can be booked; nothing was written."
            if every_date
            else f"{self.first.message} Nothing was booked: the whole series is refused "
            "(on_conflict: fail)."
        )


@dataclass(frozen=True)
class SeriesPlan:
    """What a series would be: what it asked for, and each date's outcome."""

    facility: object
    account: object
    repeat: Repeat
    first_date: date
    until: date
    start_slot: int
    end_slot: int
    purpose: str
    attendees: int | None
    overrides: frozenset
    occurrences: list

    @property
    def booked(self):
        return [o for o in self.occurrences if o.refusal is None]

    @property
    def skipped(self):
        return [
            {"date": o.date.isoformat(), "error": refusal_error(o.refusal)}
            for o in self.occurrences
            if o.refusal is not None
        ]

    def resource(self):
        """The series as it would be (no id yet), and every date's outcome: a dry run."""
        would_be = _Row(
            public_id=None,
            status="active",
            facility=self.facility,
            account=self.account,
            start_slot=self.start_slot,
            end_slot=self.end_slot,
            purpose=self.purpose,
            attendees=self.attendees,
            weekdays=self.repeat.as_json()["weekdays"],
            every_weeks=self.repeat.every_weeks,
            cycle_week=self.repeat.cycle_week,
            first_date=self.first_date,
            until=self.until,
            skipped=self.skipped,
            created_at=None,
            updated_at=None,
        )
        resource = series_resource(would_be, get_schedule(), self.counts())
        return resource | {"occurrences": [o.as_json() for o in self.occurrences]}

    def counts(self):
        booked = [o.status for o in self.booked]
        return {
            "confirmed": booked.count("confirmed"),
            "pending": booked.count("pending"),
            "cancelled": 0,
            "skipped": len(self.skipped),
        }


@dataclass(frozen=True)
class SeriesBooked:
    """A series just written, as the API answers it and its event carries it."""

    series_id: int
    resource: dict


# --- Deciding -------------------------------------------------------------------------------


def plan_series(
    actor,
    facility,
    first_date,
    repeat,
    start_slot,
    end_slot,
    purpose,
    until=None,
    attendees=None,
    account=None,
    overrides=(),
    now=None,
    snapshot=None,
    holder_name=None,
):
    """Check a series request and decide every date; write nothing. Returns a ``SeriesPlan``
    and the snapshot, the booked dates now planned in it (a timetable's next line reads it).
    """
    account = account or actor.account
    actor.require("reservations:book")
    if account.id != actor.account.id:
        actor.require("reservations:manage")
    if overrides:
        actor.require("rules:override")
    if account.status != "active":
        raise ValidationError({"user_id": f"{account.name}'s account is disabled."})
    check_slot_range(get_schedule(), start_slot, end_slot)
    cycle = get_cycle()
    repeat.check(cycle)
    term = term_of(first_date)
    if until is None:
        if term is None:
            raise ValidationError(
                {"until": f"{first_date:%a %-d %b %Y} is in no term; say until when to repeat."}
            )
        until = term.end
    if until < first_date:
        raise ValidationError({"until": "until must not be before first_date."})
    dates = repeat.dates(first_date, until, cycle)
    if not dates:
        raise ValidationError(
            {"repeat": f"No date from {first_date} to {until} matches this pattern."}
        )
    if len(dates) > MAX_OCCURRENCES:
        raise ValidationError(
            {"until": f"A series has at most {MAX_OCCURRENCES} dates; this one would have more."}
        )
    window_end = series_window_end(first_date)
    request = BookingRequest(
        facility,
        account,
        first_date,
        start_slot,
        end_slot,
        attendees,
        frozenset(overrides),
        window_end=window_end,
    )
    occurrences, snapshot = decide_dates(request, dates, now, snapshot, holder_name)
    plan = SeriesPlan(
        facility,
        account,
        repeat,
        first_date,
        until,
        start_slot,
        end_slot,
        purpose,
        attendees,
        frozenset(overrides),
        occurrences,
    )
    return plan, snapshot


def decide_dates(request, dates, now=None, snapshot=None, holder_name=None):
    """Run every rule for ``request`` on each of ``dates``, in order. A date that passes is
    held in the snapshot for the dates after it, so R-06 counts the series' own periods.
    ``holder_name`` is what a later refusal says holds it (the person, by default); R-10
    says it after the room ("Main Hall (line 5 of this file)")."""
    ctx = rule_context(request, now)
    if snapshot is None:
        snapshot = load_snapshot(request.account, [([request.facility.id], dates[0], dates[-1])])
    if holder_name is None:
        holder = Holder(0, None, "", request.account.name, request.facility.name)
    else:
        holder = Holder(0, None, "", holder_name, f"{request.facility.name} ({holder_name})")
    occurrences = []
    for day in dates:
        dated = RuleContext(replace(request, date=day), ctx.schedule, ctx.params, ctx.now, snapshot)
        try:
            outcome = evaluate(dated)
        except RuleViolation as refusal:
            occurrences.append(Occurrence(day, refusal=refusal))
            continue
        occurrences.append(Occurrence(day, outcome.status, checked=tuple(outcome.checked)))
        snapshot.plan(
            request.facility.id,
            request.account.id,
            day,
            request.slot_numbers,
            holder._replace(status=outcome.status),
        )
    return occurrences, snapshot


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
    # The dates' ids are read back by their series rather than RETURNed: psycopg turns a
    # many-row INSERT ... RETURNING into one statement and parses its placeholders in Python,
    # which took PostgreSQL half of a 1,000-line timetable's import; a plain executemany
    # and one SELECT take a tenth of that.
    table = Reservation.__table__
    flat = [row for _, plan_rows in rows for row in plan_rows]
    connection.execute(insert(table), flat)
    ids = dict(
        connection.execute(
            select(table.c.public_id, table.c.id).where(
                table.c.series_id.in_([series["id"] for series in series_rows])
            )
        ).all()
    )
    for row in flat:
        row["id"] = ids[row["public_id"]]
    held = [
        {
            "reservation_id": row["id"],
            "facility_id": plan.facility.id,
            "account_id": plan.account.id,
            "date": row["date"],
            "slot": n,
        }
        for plan, plan_rows in rows
        for row in plan_rows
        for n in range(plan.start_slot, plan.end_slot + 1)
    ]
    connection.execute(insert(HeldSlot.__table__), held)
    schedule = get_schedule()
    booked, written = [], []
    for (plan, plan_rows), series in zip(rows, series_rows, strict=True):
        ref = _SeriesRef(series["public_id"])
        resources = [
            reservation_resource(
                _Row(**row, facility=plan.facility, account=plan.account, series=ref), schedule
            )
            for row in plan_rows
        ]
        resource = series_resource(
            _Row(**series, facility=plan.facility, account=plan.account), schedule, plan.counts()
        )
        written += [("series.created", resource), *(("reservation.created", r) for r in resources)]
        dates = [{"id": r["id"], "date": r["date"], "status": r["status"]} for r in resources]
        booked.append(SeriesBooked(series["id"], resource | {"reservations": dates}))
    if events:
        _record(written)
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
        "created_at": now,
        "updated_at": now,
    }


def _record(events):
    """Record events of several types at once (a series writes one per date), a batch of
    ``EVENT_BATCH`` at a time, so that the statements stay within the databases' limits."""
    now = utcnow()
    endpoints = {t: subscribed_endpoints(t) for t in {event_type for event_type, _ in events}}
    for start in range(0, len(events), EVENT_BATCH):
        record_events(
            [
                {"public_id": new_public_id("evt_"), "type": t, "data": d, "created_at": now}
                for t, d in events[start : start + EVENT_BATCH]
            ],
            endpoints,
        )


class _Row(dict):
    """A row just inserted, read by attribute as the resource builders read models."""

    __getattr__ = dict.__getitem__


@dataclass(frozen=True)
class _SeriesRef:
    public_id: str


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
    actor, series, purpose=None, status=None, from_date=None, now=None, only_pending=False
):
    """Change the purpose of every date not yet begun, confirm the pending dates (approvers),
    or cancel every date not yet begun, or those on or after ``from_date``, or with
    ``only_pending`` only the dates still waiting for approval (an approver rejecting the
    request leaves the dates already confirmed alone). Each date is changed as its
    reservation would be, with the same checks; all or none of them: a refusal leaves the
    session as it was before the call. A date the rules refuse to confirm is named by the
    refusal's ``date``. The series is cancelled once none of its dates is left."""
    now = now or school_now()
    with writing():
        try:
            series = _change(actor, series, purpose, status, from_date, now, only_pending)
        except Exception:
            # Dates changed before the refusal must not show as changed to whoever renders
            # the page next in this request (PostgreSQL keeps the transaction open).
            db.session.rollback()
            raise
        commit_keeping_loaded()
    return series


def _change(actor, series, purpose, status, from_date, now, only_pending):
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
            reservation.status = "cancelled"
            free_slots(reservation)
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
        _record(
            [
                (kind, series_of(actor, series, schedule)),
                *((t, reservation_resource(r, schedule)) for t, r in events),
            ]
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
