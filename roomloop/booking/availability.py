"""What is free when: slot-by-slot availability, and alternatives to offer after a refusal."""

from dataclasses import dataclass, replace
from datetime import timedelta
from itertools import islice

from sqlalchemy import bindparam, select

from ..configured import configured
from ..extensions import db
from ..resources import facility_ref
from .rules import ACCOUNTS, HELD, RESERVATIONS, RuleViolation, evaluate, load_snapshot
from .schedule import Slot, get_schedule, school_now
from .school_calendar import is_school_day

SUGGESTIONS_PER_KIND = 3
CANDIDATES_CHECKED_PER_KIND = 12
DAYS_SEARCHED_AHEAD = 7


@dataclass(frozen=True)
class Holder:
    """Who holds a slot: what the grid and the availability API show of the reservation."""

    reservation_id: str  # public id
    status: str  # pending | confirmed
    account_id: int
    account_name: str
    start_slot: int


@dataclass(frozen=True)
class SlotState:
    slot: Slot
    status: str  # free | booked | pending | closed | past | blackout
    holder: Holder | None
    # The holder's first period has started: it can no longer be cancelled.
    begun: bool = False
    note: str | None = None  # a blackout's reason ("Sports day"), when it gives one


# Built once, with bound parameters: every availability answer and grid page runs them, and
# building a statement takes longer than running it. Of the tables' columns, not the
# models', as the rules' queries are (``rules.HELD``).
DAY_HELD_QUERY = (
    select(
        HELD.c.facility_id,
        HELD.c.slot,
        RESERVATIONS.c.public_id,
        RESERVATIONS.c.status,
        RESERVATIONS.c.account_id,
        ACCOUNTS.c.name,
        RESERVATIONS.c.start_slot,
    )
    .join(RESERVATIONS, HELD.c.reservation_id == RESERVATIONS.c.id)
    .join(ACCOUNTS, RESERVATIONS.c.account_id == ACCOUNTS.c.id)
    .where(
        HELD.c.facility_id.in_(bindparam("ids", expanding=True)),
        HELD.c.date == bindparam("day"),
    )
)


def day_availability(facilities, day, now=None):
    """Map each facility's id to the state of every slot of ``day``, in two queries.

    Plain rows rather than loaded reservations: a grid of 50 rooms has hundreds of cells.
    """
    schedule = get_schedule()
    now = now or school_now()
    params = {"ids": [f.id for f in facilities], "day": day}
    held = {
        (facility_id, slot): Holder(*holder)
        for facility_id, slot, *holder in db.session.execute(DAY_HELD_QUERY, params)
    }
    blackouts = configured().blackouts_between(day, day, set(params["ids"]))
    closed_facilities = {b.facility_id for b in blackouts}
    school_closed = not is_school_day(day) or None in closed_facilities
    # What a blackout cell says: the room's own blackout's reason, else the school's.
    reasons = {b.facility_id: b.reason for b in sorted(blackouts, key=lambda b: bool(b.reason))}
    started = {s.number for s in schedule.slots if schedule.starts_at(day, s.number) <= now}

    result = {}
    for facility in facilities:
        facility_id, active = facility.id, facility.status == "active"
        blacked_out = school_closed or facility_id in closed_facilities
        note = reasons.get(facility_id) or reasons.get(None) if blacked_out else None
        states = []
        for slot in schedule.slots:
            holder = held.get((facility_id, slot.number))
            if holder is not None:
                status = "pending" if holder.status == "pending" else "booked"
            elif not active:
                status = "closed"
            elif blacked_out:
                status = "blackout"
            elif slot.number in started:
                status = "past"
            else:
                status = "free"
            begun = holder is not None and holder.start_slot in started
            states.append(SlotState(slot, status, holder, begun, note))
        result[facility_id] = states
    return result


def suggest_alternatives(ctx):
    """Bookable alternatives to a refused request: first the same facility at the nearest
    free times, then similar facilities free at the asked time.

    Every suggestion has passed the whole rules engine for the same person, so following
    one succeeds unless somebody else books it first. The candidates are judged on one
    snapshot of the database, loaded once for all of them; those the snapshot already
    rules out (a slot somebody holds there, or one the person holds anywhere: R-03, R-10)
    are passed over without running the engine, the bulk of a refusal's work.
    """
    req = ctx.request
    limit = req.facility.max_slots_per_booking or ctx.params.max_consecutive_slots
    length = req.slot_count if "R-04" in req.overrides else min(req.slot_count, limit)
    schedule = ctx.schedule
    days = [req.date + timedelta(days=k) for k in range(DAYS_SEARCHED_AHEAD + 1)]
    similar = [
        f
        for f in configured().facilities
        if f.type == req.facility.type and f.id != req.facility.id and f.status == "active"
    ]
    snapshot = load_snapshot(
        req.account,
        [([req.facility.id], days[0], days[-1]), ([f.id for f in similar], req.date, req.date)],
    )
    busy = {
        (h.date, h.slot)
        for h in snapshot.held_by(req.account.id)
        if h.reservation_id != req.reservation_id
    }

    def free(facility_id, day, slots):
        taken = {h.slot for h in snapshot.held_at(facility_id, day)}
        return not any(n in taken or (day, n) in busy for n in slots)

    def passes(candidate):
        try:
            evaluate(replace(ctx, request=candidate, snapshot=snapshot))
        except RuleViolation:
            return False
        return True

    starts = sorted(
        range(schedule.first, schedule.last - length + 2), key=lambda s: abs(s - req.start_slot)
    )

    def same_place():
        for day in (d for d in days if is_school_day(d)):
            for start in starts:
                end = start + length - 1
                if (
                    (day, start, end) == (req.date, req.start_slot, req.end_slot)
                    or not free(req.facility.id, day, range(start, end + 1))
                    or schedule.starts_at(day, start) <= ctx.now
                ):
                    continue
                yield replace(req, date=day, start_slot=start, end_slot=end)

    similar.sort(
        key=lambda f: (
            f.building != req.facility.building,
            abs(f.capacity - req.facility.capacity),
            f.name,
        )
    )
    elsewhere = (
        replace(req, facility=f) for f in similar if free(f.id, req.date, req.slot_numbers)
    )
    found = _first_passing(same_place(), passes) + _first_passing(elsewhere, passes)
    return [_suggestion(c, schedule) for c in found]


def _first_passing(candidates, passes):
    found = []
    for candidate in islice(candidates, CANDIDATES_CHECKED_PER_KIND):
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
