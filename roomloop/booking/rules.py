"""The rules engine: every booking decision, R-01 to R-11, made in one place.

Each rule is a small function of the booking request and what the database says. It
returns nothing when the request passes and raises ``RuleViolation`` (with its code and a
message written for the person booking) when it does not. ``evaluate`` runs them in order
and stops at the first failure. Nothing here knows about HTTP, forms or sessions.
"""

from bisect import bisect_left, bisect_right, insort
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import cache
from typing import NamedTuple

from sqlalchemy import and_, bindparam, or_, select, true

from ..configured import configured
from ..errors import DomainError
from ..extensions import db
from ..models import Account, Facility, HeldSlot, Reservation
from .schedule import Schedule, week_of
from .school_calendar import is_school_day
from .settings import get_setting

OVERRIDABLE = frozenset({"R-04", "R-05", "R-06"})


class RuleViolation(DomainError):
    """A rule refused the booking. ``suggestions`` is filled in by the caller that can find some."""

    def __init__(self, rule, message, **details):
        super().__init__(message)
        self.rule = rule
        self.details = details
        self.suggestions = []


class SlotConflict(RuleViolation):
    """R-03: another booking holds the slot. ``held`` lists the reservations holding it, by slot."""

    def __init__(self, held, message):
        super().__init__("R-03", message)
        self.held = held  # [(slot number, holder row: see HOLDERS_QUERY)]


@dataclass(frozen=True)
class RuleParams:
    max_consecutive_slots: int
    booking_window_days: int
    weekly_quota_slots: int

    @classmethod
    def from_settings(cls):
        return cls(
            max_consecutive_slots=get_setting("max_consecutive_slots"),
            booking_window_days=get_setting("booking_window_days"),
            weekly_quota_slots=get_setting("weekly_quota_slots"),
        )


@dataclass(frozen=True)
class BookingRequest:
    facility: object
    account: object
    date: date
    start_slot: int
    end_slot: int
    attendees: int | None = None
    overrides: frozenset = frozenset()
    reservation_id: int | None = None  # an existing reservation being re-checked (confirm)
    # A series may book beyond the booking window up to this day (its first date's term end).
    window_end: date | None = None
    # Whether the person booked for is the one reading the answer: refusals then say "you",
    # and name the person otherwise (an admin booking on a teacher's behalf, an approver).
    for_self: bool = False

    @property
    def slot_count(self):
        return self.end_slot - self.start_slot + 1

    @property
    def slot_numbers(self):
        return range(self.start_slot, self.end_slot + 1)


@dataclass(frozen=True)
class Snapshot:
    """What the rules read from the database, loaded at once rather than by each rule.

    ``held``: plain rows (reservation_id, facility_id, account_id, date, slot) ordered by date
    and slot, one query; ``blackouts``: plain rows of ``blackout_dates``, from the process's
    copy (``configured``). A snapshot may hold more than
    one request needs (the search for alternatives loads one for all its candidates): the
    rules filter. The rules read the held slots by facility and day, and by person, each
    group in date and slot order; ``plan`` adds to those groups, not to ``held``.
    """

    held: list
    blackouts: list
    # Held slots not written yet: the dates of a series (or the lines of a timetable) decided
    # before this one, by negative ids, with what a refusal says of them.
    planned: dict = field(default_factory=dict)
    # What refusals said of stored reservations, by id (``HOLDERS_QUERY`` rows), read once.
    holders: dict = field(default_factory=dict)
    by_facility_day: dict = field(init=False, repr=False)
    by_account: dict = field(init=False, repr=False)

    def __post_init__(self):
        object.__setattr__(self, "by_facility_day", _group(self.held, _facility_day))
        object.__setattr__(self, "by_account", _group(self.held, _account))

    def plan(self, facility_id, account_id, day, slots, holder):
        """Hold ``slots`` of ``day`` in this snapshot as well, as if that booking were
        written; ``holder`` is what a refusal it causes says of it (a ``HOLDERS_QUERY`` row).

        The snapshot changes in place, in time proportional to the slots added: it is the
        working copy of one decision (a series, a timetable's lines), which plans each date
        it books for the dates after it. (Building a new snapshot for each date sorted and
        grouped every held slot again: a timetable of 1,000 lines took minutes.)
        """
        planned_id = -1 - len(self.planned)
        self.planned[planned_id] = holder
        for n in slots:
            row = HeldRow(planned_id, facility_id, account_id, day, n)
            insort(self.by_facility_day.setdefault((facility_id, day), []), row, key=_in_order)
            insort(self.by_account.setdefault(account_id, []), row, key=_in_order)
        return self

    def read_holders(self, held):
        """Read who holds the stored ``held`` slots, in one query, for refusals to name."""
        ids = sorted({h.reservation_id for h in held} - self.planned.keys() - self.holders.keys())
        if ids:
            rows = db.session.execute(HOLDERS_QUERY, {"ids": ids})
            self.holders.update((row.id, row) for row in rows)

    def held_at(self, facility_id, day):
        return self.by_facility_day.get((facility_id, day), [])

    def held_by(self, account_id, first=None, last=None):
        """The person's held slots, in date and slot order; from ``first`` to ``last`` if
        given, found by bisection (a series asks for one date or week at a time of a list
        that spans its whole range)."""
        rows = self.by_account.get(account_id, [])
        if first is None:
            return rows
        return rows[bisect_left(rows, first, key=_date) : bisect_right(rows, last, key=_date)]


class HeldRow(NamedTuple):
    """A held slot as the snapshot's query reads it."""

    reservation_id: int
    facility_id: int
    account_id: int
    date: date
    slot: int


class Holder(NamedTuple):
    """What a refusal says of the reservation in the way, as ``HOLDERS_QUERY`` reads it."""

    id: int
    public_id: str | None
    status: str
    account_name: str
    facility_name: str


def _in_order(held_slot):
    return held_slot.date, held_slot.slot


def _date(held_slot):
    return held_slot.date


def _facility_day(held_slot):
    return held_slot.facility_id, held_slot.date


def _account(held_slot):
    return held_slot.account_id


def _group(rows, key):
    groups = {}
    for row in rows:
        groups.setdefault(key(row), []).append(row)
    return groups


def load_snapshot(account, areas, account_ids=None, days=None):
    """The held slots and blackouts for bookings by ``account`` in ``areas``.

    ``areas`` are ``(facility ids, first day, last day)``: those facilities' held slots and
    blackouts on those days, and the account's held slots in those days' weeks (R-06, R-10).
    ``account_ids`` reads several people's instead (``account`` is then ``None``): a
    timetable decides everyone's lines on one snapshot. ``days`` reads the facilities' held
    slots on those days alone (a series' dates, a fifth of its weeks' days or fewer).
    """
    first = min(first_day for _, first_day, _ in areas)
    last = max(last_day for _, _, last_day in areas)
    monday, sunday = week_of(first)[0], week_of(last)[1]
    params = {"monday": monday, "sunday": sunday}
    if account_ids is None:
        params["account_id"] = account.id
    else:
        params["account_ids"] = sorted(account_ids)
    for n, (ids, first_day, last_day) in enumerate(areas):
        params |= {f"ids_{n}": list(ids), f"first_{n}": first_day, f"last_{n}": last_day}
    if days is not None:
        params["days"] = list(days)
    query = _snapshot_query(len(areas), account_ids is not None, days is not None)
    held = db.session.execute(query, params).all()
    facility_ids = {i for ids, _, _ in areas for i in ids}
    return Snapshot(held, configured().blackouts_between(first, last, facility_ids))


# The queries of every booking are built once, with bound parameters: building a statement
# takes SQLAlchemy several times longer than SQLite takes to run it. They select the
# tables' columns, not the models': SQLAlchemy runs a select of model attributes through
# the ORM, which took twice as long for the same rows.
HELD = HeldSlot.__table__


def _held_rows():
    return select(
        HELD.c.reservation_id, HELD.c.facility_id, HELD.c.account_id, HELD.c.date, HELD.c.slot
    )


def _account_week(several=False):
    account = (
        HELD.c.account_id.in_(bindparam("account_ids", expanding=True))
        if several
        else HELD.c.account_id == bindparam("account_id")
    )
    return and_(account, HELD.c.date.between(bindparam("monday"), bindparam("sunday")))


@cache
def _snapshot_query(areas, several_accounts=False, on_days=False):
    """The snapshot's held slots: the account's (or ``several_accounts``') in the weeks, and
    those of ``areas`` areas (``on_days``: on the listed days of them alone)."""
    days = HELD.c.date.in_(bindparam("days", expanding=True)) if on_days else true()
    return (
        _held_rows()
        .where(
            or_(
                _account_week(several_accounts),
                *(
                    and_(
                        HELD.c.facility_id.in_(bindparam(f"ids_{n}", expanding=True)),
                        HELD.c.date.between(bindparam(f"first_{n}"), bindparam(f"last_{n}")),
                        days,
                    )
                    for n in range(areas)
                ),
            )
        )
        .order_by(HELD.c.date, HELD.c.slot)
    )


ACCOUNT_WEEK_QUERY = _held_rows().where(_account_week())
RESERVATIONS, ACCOUNTS = Reservation.__table__, Account.__table__
HOLDERS_QUERY = (
    select(
        RESERVATIONS.c.id,
        RESERVATIONS.c.public_id,
        RESERVATIONS.c.status,
        ACCOUNTS.c.name.label("account_name"),
        Facility.__table__.c.name.label("facility_name"),
    )
    .join(ACCOUNTS, RESERVATIONS.c.account_id == ACCOUNTS.c.id)
    .join(Facility.__table__, RESERVATIONS.c.facility_id == Facility.__table__.c.id)
    .where(RESERVATIONS.c.id.in_(bindparam("ids", expanding=True)))
)


def account_unchanged(ctx):
    """Whether the person's held slots in the request's week are still those the decision
    read (R-04, R-06 and R-10 count them).

    On SQLite booking decides before it takes the write lock, and asks this inside it
    (on PostgreSQL it decides under a lock on the person's row instead): what else a
    decision reads either belongs to another person's booking, which the held slots' unique
    index guards (R-03), or changes only by an admin's hand (facility, blackouts, settings),
    where deciding a moment earlier is as good as booking a moment earlier.
    """
    req = ctx.request
    monday, sunday = week_of(req.date)
    params = {"account_id": req.account.id, "monday": monday, "sunday": sunday}
    now_held = db.session.execute(ACCOUNT_WEEK_QUERY, params).all()
    return set(now_held) == set(ctx.facts.held_by(req.account.id))


@dataclass(frozen=True)
class RuleContext:
    request: BookingRequest
    schedule: Schedule
    params: RuleParams
    now: datetime  # aware, school time zone
    # Loaded for the request alone when not given. A context copied with replace() for
    # another request must be given a snapshot that covers it.
    snapshot: Snapshot | None = None

    @property
    def facts(self):
        # Loaded on first use, not when the context is made: booking makes the context,
        # then takes the write lock, then decides. (Not functools.cached_property: before
        # Python 3.12 it holds one lock for every instance, so threads would queue on it.)
        if self.snapshot is None:
            req = self.request
            snapshot = load_snapshot(req.account, [([req.facility.id], req.date, req.date)])
            object.__setattr__(self, "snapshot", snapshot)
        return self.snapshot


@dataclass(frozen=True)
class Outcome:
    status: str  # confirmed | pending
    checked: list = field(default_factory=list)
    overridden: list = field(default_factory=list)


RULES = []


def rule(code):
    def register(check):
        check.code = code
        RULES.append(check)
        return check

    return register


def _held_slots(ctx, facility=None, account=None, slots=None, days=None):
    """Held slots of ``facility`` on the request's date, or of ``account`` on ``days``
    (first, last; the request's date if ``None``), or of both; in ``slots`` (any if
    ``None``); other than the request's own reservation; by date and slot."""
    req = ctx.request
    if facility is not None:
        rows = ctx.facts.held_at(facility.id, req.date)
    else:
        rows = ctx.facts.held_by(account.id, *(days or (req.date, req.date)))
    return [
        h
        for h in rows
        if h.reservation_id != req.reservation_id
        and (slots is None or h.slot in slots)
        and (account is None or h.account_id == account.id)
    ]


def _holders(ctx, held):
    """The reservations holding ``held`` slots, by id: what a refusal says of them."""
    facts = ctx.facts
    facts.read_holders(held)
    return facts.holders | facts.planned


def _plural(count, word):
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def _has(req):
    """The subject of a refusal about the person booked for, with its verb."""
    return "You already have" if req.for_self else f"{req.account.name} already has"


def _periods(schedule, req):
    if req.start_slot == req.end_slot:
        return f"period {req.start_slot} ({schedule[req.start_slot].label})"
    return (
        f"periods {req.start_slot}–{req.end_slot} "
        f"({schedule[req.start_slot].start:%H:%M}–{schedule[req.end_slot].end:%H:%M})"
    )


@rule("R-01")
def check_starts_in_future(ctx):
    """Refuse a booking whose first slot has already begun: the past cannot be booked."""
    req = ctx.request
    if ctx.schedule.starts_at(req.date, req.start_slot) <= ctx.now:
        raise RuleViolation(
            "R-01",
            f"{_periods(ctx.schedule, req).capitalize()} on {req.date:%a %-d %b %Y} has already "
            "started; choose a later period.",
        )


@rule("R-02")
def check_facility_active(ctx):
    """Refuse a facility that is closed or under maintenance."""
    facility = ctx.request.facility
    if facility.status != "active":
        state = "under maintenance" if facility.status == "maintenance" else facility.status
        raise RuleViolation("R-02", f"{facility.name} is {state} and cannot be booked.")


@rule("R-03")
def check_slots_free(ctx):
    """Refuse a slot another pending or confirmed booking holds (the database enforces it too)."""
    req = ctx.request
    held = _held_slots(ctx, facility=req.facility, slots=req.slot_numbers)
    if held:
        holders = _holders(ctx, held)
        raise slot_conflict(
            ctx.schedule, req.facility, [(h.slot, holders[h.reservation_id]) for h in held]
        )


def slot_conflict(schedule, facility, held):
    first_slot, holder = held[0]
    who = holder.account_name
    state = "requested" if holder.status == "pending" else "booked"
    return SlotConflict(
        held,
        f"{facility.name} is already {state} by {who} in period {first_slot} "
        f"({schedule[first_slot].label}).",
    )


@rule("R-04")
def check_consecutive_slots(ctx):
    """Refuse more consecutive slots than allowed, so one person cannot take a room all day.

    The person's own bookings of the same room right before or after count too: booking
    periods 1-4 and then 5-8 is one run of eight.
    """
    req = ctx.request
    limit = req.facility.max_slots_per_booking or ctx.params.max_consecutive_slots
    own = {h.slot for h in _held_slots(ctx, facility=req.facility, account=req.account)}
    first, last = req.start_slot, req.end_slot
    while first - 1 in own:
        first -= 1
    while last + 1 in own:
        last += 1
    run = last - first + 1
    if run > limit:
        whose = "your" if req.for_self else f"{req.account.name}'s"
        detail = (
            f"this booking has {req.slot_count}"
            if run == req.slot_count
            else f"with {whose} bookings next to it, it would make {run} in a row"
        )
        raise RuleViolation(
            "R-04",
            f"{req.facility.name} can be booked for at most {limit} periods in a row; {detail}.",
            limit=limit,
        )


@rule("R-05")
def check_booking_window(ctx):
    """Refuse dates beyond the booking window, so rooms are not claimed months ahead."""
    req = ctx.request
    last_day = ctx.now.date() + timedelta(days=ctx.params.booking_window_days)
    if req.window_end is not None and req.window_end > last_day:
        last_day = req.window_end  # a series' first date's term end
    if req.date > last_day:
        raise RuleViolation(
            "R-05",
            f"Rooms can be booked up to {ctx.params.booking_window_days} days ahead; the last "
            f"day open for booking is {last_day:%a %-d %b %Y}.",
            last_bookable_date=last_day.isoformat(),
        )


@rule("R-06")
def check_weekly_quota(ctx):
    """Refuse a booking that takes the teacher past their weekly quota of booked slots."""
    req = ctx.request
    monday, sunday = week_of(req.date)
    used = len(_held_slots(ctx, account=req.account, days=(monday, sunday)))
    quota = ctx.params.weekly_quota_slots
    if used + req.slot_count > quota:
        if used == 0:
            words = (
                f"This booking needs {_plural(req.slot_count, 'period')}; the limit is {quota} "
                f"a week."
            )
        else:
            words = (
                f"{_has(req)} {_plural(used, 'period')} booked in the week of {monday:%-d %b}; "
                f"the limit is {quota}"
            )
            words += "." if used >= quota else f", and this booking needs {req.slot_count} more."
        raise RuleViolation(
            "R-06",
            words,
            quota=quota,
            used=used,
        )


@rule("R-07")
def check_school_day(ctx):
    """Refuse days the school does not teach (weekends, by default) and blackout dates
    (holidays, exam weeks), school-wide or per facility."""
    req = ctx.request
    if not is_school_day(req.date):
        kind = "a weekend" if req.date.weekday() >= 5 else "not a school day"
        raise RuleViolation("R-07", f"{req.date:%A %-d %b %Y} is {kind}; choose a school day.")
    blackout = next(
        (
            b
            for b in ctx.facts.blackouts
            if b.start_date <= req.date <= b.end_date and b.facility_id in (None, req.facility.id)
        ),
        None,
    )
    if blackout is not None:
        reason = f" ({blackout.reason})" if blackout.reason else ""
        where = req.facility.name if blackout.facility_id else "The school"
        raise RuleViolation(
            "R-07", f"{where} is closed for bookings on {req.date:%a %-d %b %Y}{reason}."
        )


@rule("R-08")
def check_restrictions(ctx):
    """Refuse a person whose department or role the facility does not admit."""
    facility, account = ctx.request.facility, ctx.request.account
    if facility.allowed_departments and account.department not in facility.allowed_departments:
        raise RuleViolation(
            "R-08",
            f"{facility.name} is only for {', '.join(facility.allowed_departments)}.",
        )
    if facility.allowed_roles and account.role not in facility.allowed_roles:
        raise RuleViolation(
            "R-08",
            f"{facility.name} can be booked only by {', '.join(facility.allowed_roles)} accounts.",
        )


@rule("R-09")
def check_capacity(ctx):
    """Refuse a group larger than the room holds."""
    req = ctx.request
    if req.attendees is not None and req.attendees > req.facility.capacity:
        raise RuleViolation(
            "R-09",
            f"{req.facility.name} holds {req.facility.capacity} people; {req.attendees} will "
            "not fit.",
            capacity=req.facility.capacity,
        )


@rule("R-10")
def check_no_double_booking(ctx):
    """Refuse a teacher who already holds another room at the same time."""
    req = ctx.request
    held = _held_slots(ctx, account=req.account, slots=req.slot_numbers)
    if held:
        other = _holders(ctx, held[:1])[held[0].reservation_id]
        raise RuleViolation(
            "R-10",
            f"{_has(req)} {other.facility_name} booked in period {held[0].slot} "
            f"({ctx.schedule[held[0].slot].label}).",
            reservation_id=other.public_id,
        )


@rule("R-11")
def check_approval(ctx):
    """Never refuses: a facility that requires approval makes the outcome ``pending``."""


def evaluate(ctx, confirming=False):
    """Run every rule in order; raise the first ``RuleViolation``, else return the ``Outcome``.

    ``confirming`` is an approver's answer to R-11, so the outcome is then ``confirmed``.
    """
    checked, overridden = [], []
    for check in RULES:
        if check.code in OVERRIDABLE and check.code in ctx.request.overrides:
            overridden.append(check.code)
            continue
        check(ctx)
        checked.append(check.code)
    pending = ctx.request.facility.requires_approval and not confirming
    return Outcome("pending" if pending else "confirmed", checked, overridden)
