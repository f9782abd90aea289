"""Usage reports: how much of the bookable time was booked, per facility, department,
weekday and slot.

Everything is counted by the database (GROUP BY over the range, each count answered by an
index alone), never by loading reservations; only the calendar of bookable days, and
weekdays from the per-day counts, are worked out here.

Definitions, in the README too:
- ``reservations``: pending or confirmed reservations in the range; ``cancellations``: the
  cancelled ones; ``no_shows``: those of them released because nobody checked in
  (``cancel_reason`` ``no_show``); ``slots_booked``: the slots the pending and confirmed
  ones hold (a released booking holds none: its periods count as free).
- ``bookable_slots``: for each facility that is not closed, each school day of the range
  (Monday to Friday unless the school says otherwise) that is not a school-wide or facility
  blackout, every slot of the bell schedule.
- ``utilization``: booked slots that fall on bookable slots, divided by the bookable slots
  (so at most 1); ``null`` when nothing was bookable.
"""

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import case, func, or_, select

from ..booking import NO_SHOW, get_schedule, school_days, term_of, terms_from
from ..errors import ValidationError
from ..extensions import db
from ..models import Account, BlackoutDate, Facility, HeldSlot, Reservation

WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
MAX_REPORT_DAYS = 731  # two school years side by side


def school_term(day):
    """The first and last day of the school term that holds ``day`` (the school calendar's),
    or of the next one when ``day`` falls between terms; ``None`` when there is none."""
    term = term_of(day) or next((t for t in terms_from(day) if t.start > day), None)
    return (term.start, term.end) if term else None


@dataclass(frozen=True)
class ReportScope:
    """What a report or an export covers: a date range, and optionally one facility, one
    account or one department."""

    start: date
    end: date
    facility: Facility | None = None
    account: Account | None = None
    department: str | None = None
    # The ids are read once, here: a streamed export filters by them after the request's
    # session has ended and its objects can no longer be read.
    facility_id: int | None = field(init=False)
    account_id: int | None = field(init=False)

    def __post_init__(self):
        object.__setattr__(self, "facility_id", self.facility.id if self.facility else None)
        object.__setattr__(self, "account_id", self.account.id if self.account else None)

    def filter(self, stmt, date_column, facility_column, account_column):
        """``stmt`` narrowed to this scope, given the columns that carry each dimension."""
        stmt = stmt.where(date_column.between(self.start, self.end))
        if self.facility_id is not None:
            stmt = stmt.where(facility_column == self.facility_id)
        if self.account_id is not None:
            stmt = stmt.where(account_column == self.account_id)
        if self.department is not None:
            in_department = select(Account.id).where(Account.department == self.department)
            stmt = stmt.where(account_column.in_(in_department))
        return stmt

    def describe(self):
        return {
            "from": self.start.isoformat(),
            "to": self.end.isoformat(),
            "facility_id": self.facility.code if self.facility else None,
            "user_id": self.account.public_id if self.account else None,
            "department": self.department,
        }


def report_scope(query):
    """The scope a validated ``ReportQuery`` asks for; unknown facility or user ids are refused."""
    facility_id, user_id = query.facility_id, query.user_id
    errors = {}
    facility = account = None
    if facility_id:
        facility = db.session.scalar(select(Facility).where(Facility.code == facility_id))
        if facility is None:
            errors["facility_id"] = f"No facility with id {facility_id!r}."
    if user_id:
        account = db.session.scalar(select(Account).where(Account.public_id == user_id))
        if account is None:
            errors["user_id"] = f"No account with id {user_id!r}."
    if errors:
        raise ValidationError(errors)
    return ReportScope(query.from_, query.to, facility, account, query.department)


@dataclass
class Measures:
    """What a report counts for one facility, weekday, slot or the whole scope."""

    reservations: int = 0
    cancellations: int = 0
    no_shows: int = 0
    slots_booked: int = 0
    slots_on_bookable: int = 0  # booked slots that were bookable: utilization's numerator

    def as_dict(self, bookable_slots, with_reservations=True):
        counts = {"reservations": self.reservations} if with_reservations else {}
        counts["slots_booked"] = self.slots_booked
        if with_reservations:
            counts["cancellations"] = self.cancellations
            counts["no_shows"] = self.no_shows
        return {
            **counts,
            "bookable_slots": bookable_slots,
            "utilization": _ratio(self.slots_on_bookable, bookable_slots),
        }


def usage_report(scope):
    """Totals and breakdowns for ``scope``, as the JSON body of ``GET /v1/reports/usage``."""
    if (scope.end - scope.start).days >= MAX_REPORT_DAYS:
        raise ValidationError(
            {"to": f"A usage report covers at most {MAX_REPORT_DAYS} days; shorten the range."}
        )
    schedule = get_schedule()
    slots_per_day = len(schedule.slots)
    facilities = _facilities(scope)
    school_weekdays = _school_weekdays()
    school_wide, own = _blackout_days(scope)
    bookable_days = _bookable_days(scope, facilities, school_wide, own, school_weekdays)
    days_per_weekday = sum(bookable_days.values(), Counter())
    total_days = sum(days_per_weekday.values())

    total = Measures()
    by_facility, by_weekday = defaultdict(Measures), defaultdict(Measures)
    by_slot, by_cell = defaultdict(Measures), defaultdict(Measures)
    # Held slots, counted twice: by day and period (for weekdays and periods) and by
    # facility. Both start as bookable; the few that are not are then taken off each.
    held_on = {}
    for day, slot, held in _held_by_day_and_slot(scope):
        weekday = day.isoweekday()
        held_on[day, slot] = held
        for measures in (total, by_weekday[weekday], by_slot[slot], by_cell[weekday, slot]):
            measures.slots_booked += held
            measures.slots_on_bookable += held
    for facility_id, held in _counted_by(scope, HeldSlot, HeldSlot.facility_id, Facility):
        by_facility[facility_id].slots_booked += held
        by_facility[facility_id].slots_on_bookable += held
    closed = {f.id for f in facilities if f.status == "closed"}
    blacked_out = school_wide.union(*own.values())  # for every facility, or for some
    unbookable = _unbookable_held_slots(
        scope,
        days={
            day
            for day, _ in held_on
            if day in blacked_out or day.isoweekday() not in school_weekdays
        },
        slots={slot for _, slot in held_on if slot not in schedule},
        facilities={f for f in closed if by_facility[f].slots_booked},
    )
    for facility_id, day, slot in unbookable:
        if (
            facility_id in closed
            or slot not in schedule
            or day.isoweekday() not in school_weekdays
            or day in school_wide
            or day in own.get(facility_id, ())
        ):
            weekday = day.isoweekday()
            for measures in (
                total,
                by_facility[facility_id],
                by_weekday[weekday],
                by_slot[slot],
                by_cell[weekday, slot],
            ):
                measures.slots_on_bookable -= 1

    # Reservations: every status counted by day and by facility, then the cancelled ones
    # (few) read one by one and moved from reservations to cancellations.
    for day, number in _reservations_by_day(scope):
        total.reservations += number
        by_weekday[day.isoweekday()].reservations += number
    for facility_id, number in _counted_by(scope, Reservation, Reservation.facility_id, Facility):
        by_facility[facility_id].reservations += number
    cancelled = _cancelled(scope)
    for facility_id, day, _, no_show in cancelled:
        for measures in (total, by_facility[facility_id], by_weekday[day.isoweekday()]):
            measures.reservations -= 1
            measures.cancellations += 1
            measures.no_shows += no_show

    return {
        **scope.describe(),
        "totals": total.as_dict(total_days * slots_per_day),
        "by_facility": [
            {
                "facility": {"id": f.code, "name": f.name},
                "building": f.building,
                "status": f.status,
                **by_facility[f.id].as_dict(sum(bookable_days[f.id].values()) * slots_per_day),
            }
            for f in facilities
        ],
        "by_department": _by_department(scope, cancelled),
        "by_weekday": [
            {
                "weekday": weekday,
                "name": WEEKDAYS[weekday - 1],
                **by_weekday[weekday].as_dict(days_per_weekday[weekday] * slots_per_day),
            }
            for weekday in range(1, 8)
        ],
        "by_slot": [
            {
                "slot": slot.number,
                "label": slot.label,
                **by_slot[slot.number].as_dict(total_days, with_reservations=False),
            }
            for slot in schedule.slots
        ],
        "by_weekday_slot": [
            {
                "weekday": weekday,
                "slot": slot.number,
                **by_cell[weekday, slot.number].as_dict(
                    days_per_weekday[weekday], with_reservations=False
                ),
            }
            for weekday in school_weekdays
            for slot in schedule.slots
        ],
    }


def _ratio(part, whole):
    return round(part / whole, 4) if whole else None


def _facilities(scope):
    if scope.facility is not None:
        return [scope.facility]
    return db.session.scalars(select(Facility).order_by(Facility.code)).all()


def _blackout_days(scope):
    """The range's blackout days: school-wide, and per facility id."""
    school_wide, own = set(), defaultdict(set)
    blackouts = db.session.scalars(
        select(BlackoutDate).where(
            BlackoutDate.start_date <= scope.end, BlackoutDate.end_date >= scope.start
        )
    )
    for blackout in blackouts:
        days = _days(max(blackout.start_date, scope.start), min(blackout.end_date, scope.end))
        (own[blackout.facility_id] if blackout.facility_id else school_wide).update(days)
    return school_wide, own


def _school_weekdays():
    """The ISO weekdays (Monday 1) the school teaches on, in week order."""
    return [day + 1 for day in sorted(school_days())]


def _bookable_days(scope, facilities, school_wide, own, school_weekdays):
    """Per facility id, how many bookable days the range has on each ISO weekday."""
    open_days = [
        day
        for day in _days(scope.start, scope.end)
        if day.isoweekday() in school_weekdays and day not in school_wide
    ]
    per_weekday = Counter(day.isoweekday() for day in open_days)
    result = {}
    for facility in facilities:
        if facility.status == "closed":
            result[facility.id] = Counter()
            continue
        days = per_weekday.copy()
        days.subtract(
            day.isoweekday()
            for day in own[facility.id] - school_wide
            if day.isoweekday() in school_weekdays
        )
        result[facility.id] = days
    return result


def _days(first, last):
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


# Each query below is answered by an index alone, in its order, without sorting the range's
# rows: a year of a large school is hundreds of thousands of them.


def _held_by_day_and_slot(scope):
    """Rows of (date, slot, slots held), by the index over (date, slot, facility)."""
    stmt = select(HeldSlot.date, HeldSlot.slot, func.count()).group_by(HeldSlot.date, HeldSlot.slot)
    return db.session.execute(
        scope.filter(stmt, HeldSlot.date, HeldSlot.facility_id, HeldSlot.account_id)
    ).all()


def _counted_by(scope, model, column, parent):
    """Rows of (id, rows of ``model`` in the scope) for ``column``, a reference to ``parent``.

    ``column IN (every parent)`` makes the database walk the index that starts with
    ``column`` one parent at a time, already grouped, instead of sorting the whole range.
    """
    stmt = (
        select(column, func.count())
        .where(column.in_(select(parent.id).scalar_subquery()))
        .group_by(column)
    )
    return db.session.execute(
        scope.filter(stmt, model.date, model.facility_id, model.account_id)
    ).all()


def _unbookable_held_slots(scope, days, slots, facilities):
    """(facility id, date, slot) of the held slots that might not be bookable: on ``days``,
    in ``slots`` the bell schedule no longer has, or of closed ``facilities``. Usually none."""
    conditions = [
        column.in_(values)
        for column, values in (
            (HeldSlot.date, days),
            (HeldSlot.slot, slots),
            (HeldSlot.facility_id, facilities),
        )
        if values
    ]
    if not conditions:
        return []
    stmt = select(HeldSlot.facility_id, HeldSlot.date, HeldSlot.slot).where(or_(*conditions))
    return db.session.execute(
        scope.filter(stmt, HeldSlot.date, HeldSlot.facility_id, HeldSlot.account_id)
    ).all()


def _reservations_by_day(scope):
    """Rows of (date, reservations of any status)."""
    stmt = select(Reservation.date, func.count()).group_by(Reservation.date)
    return db.session.execute(
        scope.filter(stmt, Reservation.date, Reservation.facility_id, Reservation.account_id)
    ).all()


def _cancelled(scope):
    """Rows of (facility id, date, account id, 1 if a no-show else 0), one per cancellation."""
    stmt = select(
        Reservation.facility_id, Reservation.date, Reservation.account_id, NO_SHOWN
    ).where(Reservation.status == "cancelled")
    return db.session.execute(
        scope.filter(stmt, Reservation.date, Reservation.facility_id, Reservation.account_id)
    ).all()


# 1 for a booking released because nobody checked in.
NO_SHOWN = case((Reservation.cancel_reason == NO_SHOW, 1), else_=0)


def _by_department(scope, cancelled):
    """Departments by slots booked, most first: reservations, slots booked, cancellations
    and no-shows. Counted per account, then added up by each account's department."""
    department_of = dict(db.session.execute(select(Account.id, Account.department)).all())
    rows = {}

    def row(account_id):
        department = department_of[account_id]
        if department not in rows:
            rows[department] = dict.fromkeys(
                ("reservations", "slots_booked", "cancellations", "no_shows"), 0
            )
        return rows[department]

    for account_id, number in _counted_by(scope, Reservation, Reservation.account_id, Account):
        row(account_id)["reservations"] += number
    for account_id, held in _counted_by(scope, HeldSlot, HeldSlot.account_id, Account):
        row(account_id)["slots_booked"] += held
    for _, _, account_id, no_show in cancelled:
        counts = row(account_id)
        counts["reservations"] -= 1
        counts["cancellations"] += 1
        counts["no_shows"] += no_show
    return sorted(
        ({"department": department, **counts} for department, counts in rows.items()),
        key=lambda row: (-row["slots_booked"], row["department"]),
    )
