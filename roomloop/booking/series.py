"""Recurring series: one booking made on a repeating pattern.

Every date of a series is decided by the rules engine on its own, as a single booking is,
with two differences the school asked for: a date may lie beyond the booking window up to
the end of the term that holds the first date (R-05, setting ``series_to_term_end``), and
the dates decided before count towards the person's weekly quota (R-06). All dates are
written in one transaction. Each date is then an ordinary reservation that points to its
series: it is cancelled or changed like any other, and the series keeps the rest.
"""

from dataclasses import dataclass, replace
from datetime import date, timedelta
from itertools import chain

from ..errors import DomainError, ValidationError
from ..resources import refusal_error, series_resource
from .operations import (
    check_slot_range,
    rule_context,
)
from .rules import (
    BookingRequest,
    Holder,
    RuleContext,
    RuleViolation,
    evaluate,
    load_snapshot,
)
from .schedule import get_schedule, week_of
from .school_calendar import WEEKDAYS, get_cycle, series_window_end, term_of

MAX_OCCURRENCES = 200
MAX_EVERY_WEEKS = 4


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
        would_be = InsertedRow(
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
        for_self=account.id == actor.account.id,
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
        area = ([request.facility.id], dates[0], dates[-1])
        snapshot = load_snapshot(request.account, [area], days=dates)
    if holder_name is None:
        holder = Holder(0, None, "", request.account.name, request.facility.name)
    else:
        holder = Holder(0, None, "", holder_name, f"{request.facility.name} ({holder_name})")
    # Whoever is in the way of any date, read at once for the refusals.
    slots, days = set(request.slot_numbers), set(dates)
    in_room = (h for day in dates for h in snapshot.held_at(request.facility.id, day))
    elsewhere = (h for h in snapshot.held_by(request.account.id) if h.date in days)
    snapshot.read_holders(h for h in chain(in_room, elsewhere) if h.slot in slots)
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


class InsertedRow(dict):
    """A row just inserted, read by attribute as the resource builders read models."""

    __getattr__ = dict.__getitem__


@dataclass(frozen=True)
class SeriesRef:
    public_id: str
