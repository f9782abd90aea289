"""One person's day on the grid: which free-looking cells the rules would refuse them, and why.

A cell that looks free may still be refused to the person looking: they hold another room
in that period (R-10), their weekly quota is used up (R-06), the room admits only another
department (R-08)... The grid says so before they fill in a form, in the rules engine's own
words: each free cell is a one-period ``BookingRequest`` run through ``evaluate``, as
``POST /v1/reservations`` would run it.

The whole page is decided on ONE snapshot (one query for everyone's slots in those rooms
that day and the person's in that week), not a query per cell, and cells the rules cannot
tell apart are decided once. What the rules read of a one-period request on a free cell:
the room's status, restrictions and blackouts (R-02, R-07, R-08); the slots held in that
room in the period (R-03) and the person's own there around it (R-04: a run of periods);
the slots the person holds in that period and that week (R-10, R-06); whether the period
has begun (R-01). So a cell is decided alone when the period is held in its room (taken
since the states were read), the person holds that room at or beside the period, or the
period has begun; else it shares the answer of rooms alike in the rest, for its period
when the person holds a room in it, for any period otherwise. A shared
answer is a pass, or a refusal that names neither the room nor the period it was decided
for (your quota); one that does is decided again for each cell.
"""

from dataclasses import dataclass, replace
from types import SimpleNamespace

from sqlalchemy import inspect

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
    account_id = account.id  # read once: ``account`` may be the signed-in user's proxy
    snapshot = load_snapshot(account, [([f.id for f in facilities], day, day)])
    schedule, params, now = get_schedule(), RuleParams.from_settings(), now or school_now()
    # The rules read the person and the rooms from plain copies: the same values, read many
    # times over without the ORM's bookkeeping (the process's copy of the facilities, as
    # the search for alternatives reads them).
    columns = inspect(account).mapper.column_attrs
    person = SimpleNamespace(**{c.key: getattr(account, c.key) for c in columns})
    plain = {f.id: f for f in configured().facilities}
    request = BookingRequest(None, person, day, 1, 1, for_self=True)  # her own grid: "You…"
    base = RuleContext(request, schedule, params, now, snapshot)
    mine = snapshot.held_by(account_id)
    busy = {h.slot for h in mine if h.date == day}  # periods the person holds a room in
    begun = {s.number for s in schedule.slots if schedule.starts_at(day, s.number) <= now}
    blacked_out = {b.facility_id for b in snapshot.blackouts}
    decided = {}  # group key -> its answer: a RuleViolation, or None where the rules pass
    refusals = {}
    for facility in facilities:
        fid = facility.id
        alone = set()  # periods held in this room, or at or beside the person's
        for held in snapshot.held_at(fid, day):
            own = held.account_id == account_id
            alone.update((held.slot - 1, held.slot, held.slot + 1) if own else (held.slot,))
        alike = (
            facility.status,
            tuple(facility.allowed_departments or ()),
            tuple(facility.allowed_roles or ()),
            fid in blacked_out,
        )
        for state in states[fid]:
            if state.status != "free":
                continue
            slot = state.slot
            n = slot.number
            alone_here = n in alone or n in begun
            key = (fid, n) if alone_here else (alike, n if n in busy else None)
            if key in decided:
                refusal = decided[key]
            else:
                refusal = _refusal(base, plain.get(fid, facility), n)
                # A refusal that names its room (or, shared by every period, its period)
                # is not the others' answer: they are decided each for themselves.
                shared = refusal is None or not _names(refusal, facility, key[1] is None and slot)
                decided[key if shared else (fid, n)] = refusal
            if refusal is not None:
                refusals[fid, n] = refusal
    monday, sunday = week_of(day)
    return ViewerDay(
        refusals=refusals,
        held_rooms={h.slot: _name(plain.get(h.facility_id)) for h in mine if h.date == day},
        quota=params.weekly_quota_slots,
        used=sum(1 for h in mine if monday <= h.date <= sunday),
    )


def _name(facility):
    return facility.name if facility is not None else ""


def _names(refusal, facility, slot):
    """Whether ``refusal`` speaks of ``facility`` or (unless false) ``slot``."""
    return facility.name in refusal.message or bool(slot and slot.label in refusal.message)


def _refusal(base, facility, slot):
    request = replace(base.request, facility=facility, start_slot=slot, end_slot=slot)
    try:
        evaluate(replace(base, request=request))
    except RuleViolation as violation:
        return violation
    return None
