"""What the booking benchmark asks for: bookings that the rules engine should accept, and
about one in ten that it must refuse with 409 because the slot is taken.

The plan is made from what the database holds (facilities, blackouts, held slots in the
booking window) and keeps every rule the engine applies, so that each request has one
predicted answer:

- fresh bookings (201): an active facility, a future school day in the window, one or two
  free periods, and a teacher who holds nothing then (R-10), has nothing else in that room
  that day (R-04) and stays within the weekly quota (R-06);
- conflicts with the seeded history (409): a period a seeded reservation holds;
- races (one 201 and one 409 per pair): a second teacher asking for the first period of a
  fresh booking, sent right after it, so that two clients ask for one slot at once.

Everything is drawn from a seeded random generator: the same database gives the same plan.
"""

import random
from collections import Counter
from dataclasses import dataclass, field, replace
from datetime import timedelta

from sqlalchemy import select

from roomloop.booking.settings import DEFAULTS
from roomloop.models import BlackoutDate, Facility, HeldSlot

from .load import Call

SLOTS = range(1, len(DEFAULTS["bell_schedule"]) + 1)
WEEKLY_QUOTA = DEFAULTS["weekly_quota_slots"]
CONFLICT_SHARE = 0.10


@dataclass(frozen=True)
class Booking:
    code: str  # the facility's public id
    facility_id: int
    account_id: int
    day: object
    start_slot: int
    end_slot: int
    expect: int  # 201 or 409
    accept: tuple = ()  # the other answer a race may give

    @property
    def slots(self):
        return range(self.start_slot, self.end_slot + 1)


@dataclass
class School:
    """The state of the booking window as the rules engine will see it."""

    codes: dict  # facility id -> code
    active: list  # ids of active facilities
    days: list  # bookable days: future school days in the window
    closed: set  # (facility id, day) under a facility's own blackout
    taken: set = field(default_factory=set)  # (facility id, day, slot)
    seeded: list = field(default_factory=list)  # taken cells when the plan began
    busy: set = field(default_factory=set)  # (account id, day, slot)
    week_used: Counter = field(default_factory=Counter)  # (account id, monday) -> slots
    own_day: set = field(default_factory=set)  # (account id, facility id, day)


def monday(day):
    return day - timedelta(days=day.weekday())


def read_school(engine, first_day, last_day):
    """What the database says about ``first_day`` .. ``last_day`` (the booking window)."""
    with engine.connect() as conn:
        facilities = conn.execute(select(Facility.id, Facility.code, Facility.status)).all()
        blackouts = conn.execute(
            select(BlackoutDate.start_date, BlackoutDate.end_date, BlackoutDate.facility_id)
            .where(BlackoutDate.end_date >= first_day, BlackoutDate.start_date <= last_day)
        ).all()  # fmt: skip
        held = conn.execute(
            select(HeldSlot.facility_id, HeldSlot.account_id, HeldSlot.date, HeldSlot.slot).where(
                HeldSlot.date.between(monday(first_day), last_day + timedelta(days=6))
            )
        ).all()
    school_closed, closed = set(), set()
    for start, end, facility_id in blackouts:
        for n in range((end - start).days + 1):
            day = start + timedelta(days=n)
            if facility_id is None:
                school_closed.add(day)
            else:
                closed.add((facility_id, day))
    window = (first_day + timedelta(days=n) for n in range((last_day - first_day).days + 1))
    days = [day for day in window if day.weekday() < 5 and day not in school_closed]
    school = School(
        codes={f.id: f.code for f in facilities},
        active=sorted(f.id for f in facilities if f.status == "active"),
        days=days,
        closed=closed,
    )
    for facility_id, account_id, day, slot in held:
        school.taken.add((facility_id, day, slot))
        school.busy.add((account_id, day, slot))
        school.week_used[account_id, monday(day)] += 1
        school.own_day.add((account_id, facility_id, day))
    bookable, active = set(days), set(school.active)
    school.seeded = sorted((f, d, s) for f, d, s in school.taken if d in bookable and f in active)
    return school


class Planner:
    def __init__(self, school, teachers, rng):
        self.school, self.teachers, self.rng = school, teachers, rng

    def free_teacher(self, facility_id, day, slots):
        """A teacher whom R-04, R-06 and R-10 allow to book ``slots``, or ``None``."""
        s, week = self.school, monday(day)
        offset = self.rng.randrange(len(self.teachers))
        for n in range(len(self.teachers)):
            teacher = self.teachers[(offset + n) % len(self.teachers)]
            if (
                (teacher, facility_id, day) not in s.own_day
                and s.week_used[teacher, week] + len(slots) <= WEEKLY_QUOTA
                and not any((teacher, day, slot) in s.busy for slot in slots)
            ):
                return teacher
        return None

    def hold(self, booking):
        s = self.school
        for slot in booking.slots:
            s.taken.add((booking.facility_id, booking.day, slot))
            s.busy.add((booking.account_id, booking.day, slot))
        s.week_used[booking.account_id, monday(booking.day)] += len(booking.slots)
        s.own_day.add((booking.account_id, booking.facility_id, booking.day))

    def fresh(self, candidates):
        """The next candidate (facility, day, start, length) that can be booked, as a Booking."""
        s = self.school
        for facility_id, day, start, length in candidates:
            slots = range(start, start + length)
            if (facility_id, day) in s.closed or any(
                (facility_id, day, slot) in s.taken for slot in slots
            ):
                continue
            teacher = self.free_teacher(facility_id, day, slots)
            if teacher is None:
                continue
            booking = Booking(
                s.codes[facility_id], facility_id, teacher, day, start, slots[-1], 201
            )
            self.hold(booking)
            return booking
        raise RuntimeError("the booking window has no free period left for the plan")

    def race_partner(self, booking):
        """A second, valid request for the first period of ``booking``; one of them loses."""
        slots = range(booking.start_slot, booking.start_slot + 1)
        teacher = self.free_teacher(booking.facility_id, booking.day, slots)
        if teacher is None:
            return None
        partner = Booking(
            booking.code, booking.facility_id, teacher, booking.day, slots[0], slots[0], 409
        )
        self.hold(partner)  # as if it won: the plan then stays valid either way
        return partner

    def seeded_conflict(self):
        if not self.school.seeded:
            raise RuntimeError("no seeded reservation in the booking window: seed more rows")
        facility_id, day, slot = self.rng.choice(self.school.seeded)
        end = min(slot + self.rng.randrange(2), SLOTS[-1])
        teacher = self.rng.choice(self.teachers)
        return Booking(self.school.codes[facility_id], facility_id, teacher, day, slot, end, 409)


def make_plan(school, teachers, count, warmup, seed=20261128):
    """``warmup`` bookings to send first, then ``count`` to measure; about ``CONFLICT_SHARE``
    of each are conflicts, half with the seeded history and half races."""
    rng = random.Random(seed)
    planner = Planner(school, teachers, rng)
    candidates = [
        (facility_id, day, start, length)
        for facility_id in school.active
        for day in school.days
        for start in SLOTS
        for length in (1, 2)
        if start + length - 1 <= SLOTS[-1]
    ]
    rng.shuffle(candidates)
    candidates = iter(candidates)
    return [_plan_part(planner, candidates, n, rng) for n in (warmup, count)]


def _plan_part(planner, candidates, count, rng):
    conflicts = round(count * CONFLICT_SHARE)
    races, seeded = conflicts // 2, conflicts - conflicts // 2
    units = [[planner.seeded_conflict()] for _ in range(seeded)]
    while len(units) < count - races:
        units.append([planner.fresh(candidates)])
    for unit in rng.sample(units[seeded:], races):
        partner = planner.race_partner(unit[0])
        if partner is None:  # no teacher is free then: a conflict with the history instead
            partner = planner.seeded_conflict()
        else:
            unit[0] = replace(unit[0], accept=(409,))
            partner = replace(partner, accept=(201,))
        unit.append(partner)
    rng.shuffle(units)
    return [booking for unit in units for booking in unit]


def booking_calls(plan, keys, path="/v1/reservations"):
    return [
        Call(
            "POST",
            path,
            json={
                "facility_id": b.code,
                "date": b.day.isoformat(),
                "start_slot": b.start_slot,
                "end_slot": b.end_slot,
                "purpose": f"Booking bench {n}",
                **({"attendees": 12} if n % 3 == 0 else {}),
            },
            headers={"Authorization": f"Bearer {keys[b.account_id]}"},
            expect=b.expect,
            accept=b.accept,
        )
        for n, b in enumerate(plan)
    ]
