"""Finding a room: the rooms one person may book for some periods of a day, or of that
weekday every week to the end of its term; and a week of rooms for a band of periods.

Every room is judged by the rules engine for that person, as booking it would be, on one
snapshot of the database loaded for all of them: a search reads the held slots once,
however many rooms and weeks it covers.
"""

from dataclasses import dataclass, replace
from datetime import date

from ..configured import configured
from ..errors import ValidationError
from .availability import day_availability
from .operations import check_slot_range, rule_context
from .rules import (
    BookingRequest,
    RuleViolation,
    check_no_double_booking,
    evaluate,
    load_snapshot,
)
from .schedule import get_schedule
from .school_calendar import WEEKDAYS, get_cycle, is_school_day, series_window_end, term_of
from .series import MAX_OCCURRENCES, Repeat


@dataclass(frozen=True)
class RoomWanted:
    """What a person asks for: periods ``start_slot``..``end_slot`` of ``day`` (and, when
    ``weekly``, of that weekday every week to the end of its term), in a room with at least
    ``seats`` seats, every one of ``amenities``, in ``building`` (any when ``None``)."""

    day: date
    start_slot: int
    end_slot: int
    weekly: bool = False
    seats: int | None = None
    amenities: tuple = ()
    building: str | None = None

    def matches(self, facility):
        return (
            (self.seats is None or facility.capacity >= self.seats)
            and all(a in facility.amenities for a in self.amenities)
            and (self.building is None or facility.building == self.building)
        )


@dataclass(frozen=True)
class Unbookable:
    """A room that matches the filters but that the person cannot book: on which date, why."""

    facility: object
    day: date
    reason: str


@dataclass(frozen=True)
class RoomsFound:
    dates: list  # every date asked for: one, or the weekly series' dates
    until: date | None  # the series' last day (its term's end); None for one day
    free: list  # facility rows the person can book on every date, smallest first
    unbookable: list  # ``Unbookable`` rooms, in the same order
    # Why no room at all can be booked, when the reason is the person's or the day's rather
    # than any room's (a booking of theirs elsewhere then, the weekly quota, a holiday).
    everywhere: str | None = None

    @property
    def matching(self):
        return len(self.free) + len(self.unbookable)


def search_dates(wanted):
    """The dates a search covers, and the series' last day (``None`` for a single day).

    A weekly search is the series the booking form makes from the same answers (``POST
    /v1/series`` without ``until``): that weekday, every week, to the end of the day's term.
    """
    if not wanted.weekly:
        return [wanted.day], None
    term = term_of(wanted.day)
    if term is None:
        raise ValidationError(
            {"weekly": f"{wanted.day:%a %-d %b %Y} is in no term: search that day alone."}
        )
    repeat = Repeat((WEEKDAYS[wanted.day.weekday()],))
    dates = repeat.dates(wanted.day, term.end, get_cycle())
    if len(dates) > MAX_OCCURRENCES:
        raise ValidationError({"weekly": f"A series has at most {MAX_OCCURRENCES} dates."})
    return dates, term.end


def find_rooms(account, wanted, now=None):
    """The rooms matching ``wanted`` that ``account`` can book on each of its dates, and
    those it cannot, with the first refusal of each. Raises ``ValidationError`` for periods
    the bell schedule does not have, or a weekly search from a day in no term.

    A slot somebody holds (R-03) is seen in the snapshot and skips the engine: its refusal
    would read the holder's name, a query for each room. The person's own booking in the
    asked periods (R-10) refuses every room alike: it is asked once, for all of them.
    """
    check_slot_range(get_schedule(), wanted.start_slot, wanted.end_slot)
    dates, until = search_dates(wanted)
    rooms = sorted(
        (f for f in configured().facilities if wanted.matches(f)),
        key=lambda f: (f.capacity, f.building, f.name),
    )
    if not rooms:
        return RoomsFound(dates, until, [], [])
    snapshot = load_snapshot(account, [([f.id for f in rooms], dates[0], dates[-1])])
    request = BookingRequest(
        rooms[0],
        account,
        dates[0],
        wanted.start_slot,
        wanted.end_slot,
        attendees=wanted.seats,
        window_end=series_window_end(wanted.day) if wanted.weekly else None,
        for_self=True,  # the person searching is the one who would book
    )
    ctx = replace(rule_context(request, now), snapshot=snapshot)
    own = _own_booking_refusal(ctx, dates)
    if own is not None:
        day, refusal = own
        words = refusal.message if len(dates) == 1 else f"On {day:%a %-d %b}: {refusal.message}"
        return RoomsFound(dates, until, [], [], everywhere=words)
    # A weekly series books one weekday a week: its dates cannot count against each other
    # (R-04 and R-10 are of one day, R-06 of one week), so each is judged on the snapshot
    # alone, as ``series.decide_dates`` would judge it.
    free, unbookable = [], []
    for facility in rooms:
        refused = _first_refusal(ctx, facility, dates)
        if refused is None:
            free.append(facility)
        else:
            unbookable.append(refused)
    reasons = {u.reason for u in unbookable}
    if not free and len(unbookable) > 1 and len(reasons) == 1:
        # The same words for every room (the past, the quota, a holiday) are about the
        # person or the day: say them once.
        return RoomsFound(dates, until, [], unbookable, everywhere=reasons.pop())
    return RoomsFound(dates, until, free, unbookable)


def _own_booking_refusal(ctx, dates):
    """The first date on which the person already holds one of the asked periods, and
    R-10's refusal of it; ``None`` when there is none."""
    slots = set(ctx.request.slot_numbers)
    asked = set(dates)
    for held in ctx.snapshot.held_by(ctx.request.account.id):
        if held.date in asked and held.slot in slots:
            try:
                check_no_double_booking(replace(ctx, request=replace(ctx.request, date=held.date)))
            except RuleViolation as refusal:
                return held.date, refusal
    return None


def _first_refusal(ctx, facility, dates):
    """``Unbookable`` for the first date of ``dates`` the rules refuse ``facility``, or ``None``."""
    slots = ctx.request.slot_numbers
    for day in dates:
        taken = sorted(h.slot for h in ctx.snapshot.held_at(facility.id, day) if h.slot in slots)
        if taken:
            return Unbookable(facility, day, f"Already booked in period {taken[0]}.")
        try:
            evaluate(replace(ctx, request=replace(ctx.request, facility=facility, date=day)))
        except RuleViolation as refusal:
            return Unbookable(facility, day, refusal.message)
    return None


# --- A week of rooms ------------------------------------------------------------------------


@dataclass(frozen=True)
class BandCell:
    """What a room shows for a band of periods on one day."""

    kind: str  # free | mine | booked | pending | closed | blackout | past (its CSS class)
    text: str  # the state in words, as well as colour
    who: str | None = None  # who holds it, when somebody else does


def week_of_rooms(facilities, days, start_slot, end_slot, viewer_id, now=None):
    """Map each facility's id to a ``BandCell`` for each of ``days``, for periods
    ``start_slot``..``end_slot``: one ``day_availability`` a day, for every room at once."""
    check_slot_range(get_schedule(), start_slot, end_slot)
    cells = {f.id: [] for f in facilities}
    for day in days:
        states = day_availability(facilities, day, now)
        school_day = is_school_day(day)
        for facility in facilities:
            band = states[facility.id][start_slot - 1 : end_slot]
            cells[facility.id].append(_band_cell(band, viewer_id, facility.status, school_day))
    return cells


def _band_cell(band, viewer_id, facility_status, school_day):
    """One cell from the band's slot states: somebody else's booking first, then the
    viewer's, then why nothing can be booked; free only when every period is."""
    others = [s for s in band if s.holder is not None and s.holder.account_id != viewer_id]
    if others:
        holder = others[0].holder
        kind = "pending" if holder.status == "pending" else "booked"
        return BandCell(kind, "Pending" if kind == "pending" else "Booked", holder.account_name)
    if any(s.holder is not None for s in band):
        return BandCell("mine", "Yours")
    statuses = {s.status for s in band}
    if "closed" in statuses:
        return BandCell("closed", "Maintenance" if facility_status == "maintenance" else "Closed")
    if "blackout" in statuses:
        # The blackout's reason, as the grid reads it (``SlotState.note``).
        reason = (band[0].note or "no bookings") if school_day else "no school"
        return BandCell("blackout", f"Blackout ({reason})")
    if band[0].status == "past":  # the band's first period has begun
        return BandCell("past", "Past")
    return BandCell("free", "Free")
