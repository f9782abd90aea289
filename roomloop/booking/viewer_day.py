"""One person's day on the grid: which free-looking cells the rules would refuse them, and why.

A cell that looks free may still be refused to the person looking: they hold another room
in that period (R-10), their weekly quota is used up (R-06), the room admits only another
department (R-08)... The grid says so before they fill in a form, in the rules engine's own
words: each free cell is a one-period ``BookingRequest`` run through ``evaluate``, as
``POST /v1/reservations`` would run it.

The whole page is decided on ONE snapshot (one query for everyone's slots in those rooms
that day and the person's in that week), not a query per cell. Rooms alike in all that the
rules read of a room, for the same period, get the same answer, so each such group is
decided once: a pass holds for all of them, and so does a refusal that does not name the
room it was decided for (your quota, your other room). A refusal that names its room is
decided again for each room of the group.
"""

from dataclasses import dataclass, replace

from ..configured import configured
from .rules import BookingRequest, RuleContext, RuleParams, RuleViolation, evaluate, load_snapshot
from .schedule import get_schedule, school_now, week_of


@dataclass(frozen=True)
class ViewerDay:
    """What ``decide_day`` found for one person on one day."""

    refusals: dict  # (facility id, slot) -> the RuleViolation refusing that free cell
    held_rooms: dict  # slot -> name of the room the person holds in that period that day
    quota: int  # weekly quota of periods
    used: int  # periods the person holds in the day's week

    @property
    def left(self):
        return max(0, self.quota - self.used)


def decide_day(account, facilities, day, states, now=None):
    """Decide every free cell of ``states`` (``day_availability``'s answer for
    ``facilities`` on ``day``) for ``account`` booking it for itself, on one snapshot."""
    ids = [f.id for f in facilities]
    snapshot = load_snapshot(account, [(ids, day, day)])
    params = RuleParams.from_settings()
    base = RuleContext(
        BookingRequest(None, account, day, 1, 1), get_schedule(), params, now or school_now()
    )
    base = replace(base, snapshot=snapshot)
    blacked_out = {b.facility_id for b in snapshot.blackouts}
    decided = {}  # group key -> (facility it was decided for, violation or None)
    refusals = {}
    for facility in facilities:
        at_day = snapshot.held_at(facility.id, day)
        own = tuple(h.slot for h in at_day if h.account_id == account.id)
        taken = {h.slot for h in at_day}
        alike = _what_rules_read(facility, own, facility.id in blacked_out)
        for state in states[facility.id]:
            if state.status != "free":
                continue
            n = state.slot.number
            # A slot the snapshot finds taken (booked since the states were read) is this
            # room's alone: R-03 names it.
            key = (alike, n) if n not in taken else (facility.id, n)
            first = decided.get(key)
            if first is not None and (first[1] is None or first[0].name not in first[1].message):
                refusal = first[1]
            else:
                refusal = _refusal(base, facility, n)
                decided.setdefault(key, (facility, refusal))
            if refusal is not None:
                refusals[facility.id, n] = refusal
    monday, sunday = week_of(day)
    mine = snapshot.held_by(account.id)
    names = {f.id: f.name for f in configured().facilities}
    return ViewerDay(
        refusals=refusals,
        held_rooms={h.slot: names.get(h.facility_id, "") for h in mine if h.date == day},
        quota=params.weekly_quota_slots,
        used=sum(1 for h in mine if monday <= h.date <= sunday),
    )


def _what_rules_read(facility, own_slots, blacked_out):
    """What the rules read of a room for a one-period request (R-02, R-04, R-07, R-08,
    R-11): rooms equal in all of it are decided alike (but for their names)."""
    return (
        facility.status,
        facility.max_slots_per_booking,
        tuple(facility.allowed_departments or ()),
        tuple(facility.allowed_roles or ()),
        facility.requires_approval,
        blacked_out,
        own_slots,
    )


def _refusal(base, facility, slot):
    request = replace(base.request, facility=facility, start_slot=slot, end_slot=slot)
    try:
        evaluate(replace(base, request=request))
    except RuleViolation as violation:
        return violation
    return None
