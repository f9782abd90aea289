"""What is free when: slot-by-slot availability, and alternatives to offer after a refusal."""

from dataclasses import dataclass, replace
from datetime import date, timedelta

from sqlalchemy import or_, select
from sqlalchemy.orm import joinedload

from .extensions import db
from .models import BlackoutDate, Facility, HeldSlot, Reservation
from .resources import facility_ref
from .rules import RuleViolation, evaluate
from .schedule import Slot, get_schedule, is_weekend, school_now

SUGGESTIONS_PER_KIND = 3
CANDIDATES_CHECKED_PER_KIND = 12
DAYS_SEARCHED_AHEAD = 7


@dataclass(frozen=True)
class SlotState:
    slot: Slot
    status: str  # free | booked | pending | closed | past | blackout
    reservation: Reservation | None


def day_availability(facilities, day, now=None):
    """Map each facility's id to the state of every slot of ``day``, in two queries."""
    schedule = get_schedule()
    now = now or school_now()
    ids = [f.id for f in facilities]
    held = {
        (h.facility_id, h.slot): h.reservation
        for h in db.session.scalars(
            select(HeldSlot)
            .where(HeldSlot.facility_id.in_(ids), HeldSlot.date == day)
            .options(joinedload(HeldSlot.reservation))  # with its account, in one query
        )
    }
    blackouts = db.session.scalars(
        select(BlackoutDate).where(
            BlackoutDate.start_date <= day,
            BlackoutDate.end_date >= day,
            or_(BlackoutDate.facility_id.is_(None), BlackoutDate.facility_id.in_(ids)),
        )
    ).all()
    school_closed = is_weekend(day) or any(b.facility_id is None for b in blackouts)
    closed_facilities = {b.facility_id for b in blackouts}
    started = {s.number for s in schedule.slots if schedule.starts_at(day, s.number) <= now}

    result = {}
    for facility in facilities:
        states = []
        for slot in schedule.slots:
            reservation = held.get((facility.id, slot.number))
            if reservation is not None:
                status = "pending" if reservation.status == "pending" else "booked"
            elif facility.status != "active":
                status = "closed"
            elif school_closed or facility.id in closed_facilities:
                status = "blackout"
            elif slot.number in started:
                status = "past"
            else:
                status = "free"
            states.append(SlotState(slot, status, reservation))
        result[facility.id] = states
    return result


def suggest_alternatives(ctx):
    """Bookable alternatives to a refused request: first the same facility at the nearest
    free times, then similar facilities free at the asked time.

    Every suggestion has passed the whole rules engine for the same person, so following
    one succeeds unless somebody else books it first.
    """
    req = ctx.request
    limit = req.facility.max_slots_per_booking or ctx.params.max_consecutive_slots
    length = req.slot_count if "R-04" in req.overrides else min(req.slot_count, limit)
    schedule = ctx.schedule

    def passes(candidate):
        try:
            evaluate(replace(ctx, request=candidate))
        except RuleViolation:
            return False
        return True

    same_place = []
    days = [
        req.date + timedelta(days=k)
        for k in range(DAYS_SEARCHED_AHEAD + 1)
        if req.date <= date.max - timedelta(days=k)  # a request for 9999-12-31 still answers
    ]
    taken = _taken_slots([req.facility.id], days[0], days[-1])
    starts = range(schedule.first, schedule.last - length + 2)
    for day in (d for d in days if not is_weekend(d)):
        for start in sorted(starts, key=lambda s: abs(s - req.start_slot)):
            candidate = replace(req, date=day, start_slot=start, end_slot=start + length - 1)
            if (
                candidate == req
                or schedule.starts_at(day, start) <= ctx.now
                or _overlaps(taken, req.facility.id, candidate)
            ):
                continue
            same_place.append(candidate)
    found = _first_passing(same_place, passes)

    similar = db.session.scalars(
        select(Facility).where(
            Facility.type == req.facility.type,
            Facility.id != req.facility.id,
            Facility.status == "active",
        )
    ).all()
    similar.sort(
        key=lambda f: (
            f.building != req.facility.building,
            abs(f.capacity - req.facility.capacity),
            f.name,
        )
    )
    taken = _taken_slots([f.id for f in similar], req.date, req.date)
    elsewhere = [
        candidate
        for candidate in (replace(req, facility=f) for f in similar)
        if not _overlaps(taken, candidate.facility.id, candidate)
    ]
    found += _first_passing(elsewhere, passes)
    return [_suggestion(c, schedule) for c in found]


def _taken_slots(facility_ids, first_day, last_day):
    rows = db.session.execute(
        select(HeldSlot.facility_id, HeldSlot.date, HeldSlot.slot).where(
            HeldSlot.facility_id.in_(facility_ids), HeldSlot.date.between(first_day, last_day)
        )
    )
    return {tuple(row) for row in rows}


def _overlaps(taken, facility_id, request):
    return any((facility_id, request.date, n) in taken for n in request.slot_numbers)


def _first_passing(candidates, passes):
    found = []
    for candidate in candidates[:CANDIDATES_CHECKED_PER_KIND]:
        if passes(candidate):
            found.append(candidate)
            if len(found) == SUGGESTIONS_PER_KIND:
                break
    return found


def _suggestion(request, schedule):
    return {
        "facility": facility_ref(request.facility),
        "date": request.date.isoformat(),
        "start_slot": request.start_slot,
        "end_slot": request.end_slot,
        "slots": schedule.labels(request.start_slot, request.end_slot),
    }
