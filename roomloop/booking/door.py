"""What a room's door display shows: free or in use now and until when, the rest of the day;
and which booking a person checks in at that door (``booking_at_door``).

``door_state`` reads the day's bookings of one facility in one query; the facility, the
settings and the blackouts come from this process's copy (``configured``). A tablet on
every door polls it twice a minute, so it stays that small.

A booking holds the room from its first period to its last; consecutive held periods make
one run ("In use until 11:50"), even across bookings and the breaks between periods. A
booking released because nobody checked in shows as free. Holders' names show only where
the school allows it (setting ``door_display_names``): the door faces the corridor.
"""

from dataclasses import dataclass
from datetime import UTC, datetime, time

from sqlalchemy import or_, select

from ..configured import configured
from ..extensions import db
from ..models import Reservation
from ..models.reservation import HOLDING_STATUSES
from .check_in import NO_SHOW, can_check_in_now, check_in_window
from .schedule import Slot, get_schedule
from .school_calendar import is_school_day, week_label
from .settings import get_setting

# What the door shows of a day: the bookings that hold the room, and those released
# because nobody checked in (their periods show as free, and why).
ON_THE_DOOR = or_(Reservation.status.in_(HOLDING_STATUSES), Reservation.cancel_reason == NO_SHOW)
CLOSED_WORDS = {"maintenance": "Under maintenance", "closed": "Closed"}


@dataclass(frozen=True)
class DoorBooking:
    """A booking as the door shows it: when, what for, and by whom where names show."""

    start: time
    end: time
    purpose: str
    holder: str | None
    pending: bool  # waiting for an approver
    check_in: str | None = None  # for the booking holding the room now, at a check-in room


@dataclass(frozen=True)
class DoorPeriod:
    """One period of the day: ``state`` is free, booked, pending (waiting for approval),
    released (nobody checked in: free again) or closed (the room or the school is)."""

    slot: Slot
    state: str
    purpose: str | None
    holder: str | None
    is_now: bool
    is_past: bool


@dataclass(frozen=True)
class DoorState:
    facility: object
    now: datetime  # the school's time
    week: str  # "Week B", or "" without a timetable cycle
    status: str  # free | in_use | closed
    words: str  # the big word: "Free", "In use", "Under maintenance", "Closed today"
    until: str  # "until 11:50", "for the rest of the day", or why it is closed
    current: DoorBooking | None  # the booking holding the room now
    next: DoorBooking | None  # the next booking later today
    periods: tuple  # ``DoorPeriod``s, the whole day

    @property
    def headline(self):
        """The state in one line: "Free until 10:00", "Closed today: Exams"."""
        if not self.until:
            return self.words
        return f"{self.words}{': ' if self.status == 'closed' else ' '}{self.until}"


def door_state(facility, now):
    """What the door of ``facility`` shows at ``now`` (an aware time in the school's zone)."""
    schedule = get_schedule()
    day, clock = now.date(), now.time().replace(tzinfo=None)
    show_names = get_setting("door_display_names")
    held, released = _day_bookings(facility, day)
    shut = _closed_words(facility, day)
    periods = tuple(
        _period(slot, held.get(slot.number), slot.number in released, clock, shut, show_names)
        for slot in schedule.slots
    )
    run = _current_run(schedule, held, clock)
    if facility.status != "active":
        status, words, until, current = "closed", CLOSED_WORDS[facility.status], "", None
        after = clock
    elif run:
        first, last = run
        reservation = held[first.number]
        status, words, until = "in_use", "In use", f"until {last.end:%H:%M}"
        current = _booking(reservation, schedule, show_names, now)
        after = last.end
    else:
        coming = _next_held(schedule, held, clock)
        status, words, current, after = "free", "Free", None, clock
        until = f"until {coming.start:%H:%M}" if coming else "for the rest of the day"
        if shut is not None and coming is None:
            status, words, until = "closed", "Closed today", shut
    coming = _next_held(schedule, held, after)
    return DoorState(
        facility=facility,
        now=now,
        week=week_label(day),
        status=status,
        words=words,
        until=until,
        current=current,
        next=_booking(held[coming.number], schedule, show_names) if coming else None,
        periods=periods,
    )


def booking_at_door(account, facility, now):
    """The booking of ``facility`` that ``account`` checks in at its door at ``now``: the
    one open for check-in, else the first today that has not ended (checked in, not open
    yet, waiting for approval or released); ``None`` when there is none."""
    schedule = get_schedule()
    clock = now.time().replace(tzinfo=None)
    today = db.session.scalars(
        select(Reservation)
        .where(
            Reservation.account_id == account.id,
            Reservation.facility_id == facility.id,
            Reservation.date == now.date(),
            ON_THE_DOOR,
        )
        .order_by(Reservation.start_slot, Reservation.id)
    ).all()
    open_now = [r for r in today if can_check_in_now(r, now)]
    not_ended = [r for r in today if r.end_slot not in schedule or schedule[r.end_slot].end > clock]
    return (open_now or not_ended or [None])[0]


def _day_bookings(facility, day):
    """The reservations holding each period of ``day``, and the periods released because
    nobody checked in (and not booked again since), in one query."""
    rows = db.session.scalars(
        select(Reservation)
        .where(
            Reservation.facility_id == facility.id,
            Reservation.date == day,
            ON_THE_DOOR,
        )
        .order_by(Reservation.start_slot, Reservation.id)
    ).all()
    held, released = {}, set()
    for reservation in rows:
        for number in reservation.slot_numbers:
            if reservation.status in HOLDING_STATUSES:
                held[number] = reservation
            else:
                released.add(number)
    return held, released - set(held)


def _closed_words(facility, day):
    """Why the school, or this room, has no lessons on ``day``; ``None`` on a school day."""
    if not is_school_day(day):
        return "No lessons today"
    for blackout in configured().blackouts_between(day, day, {facility.id}):
        return blackout.reason or "No lessons today"
    return None


def _period(slot, reservation, released, clock, shut, show_names):
    is_now, is_past = slot.start <= clock < slot.end, slot.end <= clock
    if reservation is None:
        state = "closed" if shut is not None else ("released" if released else "free")
        return DoorPeriod(slot, state, None, None, is_now, is_past)
    state = "pending" if reservation.status == "pending" else "booked"
    holder = reservation.account.name if show_names else None
    return DoorPeriod(slot, state, reservation.purpose, holder, is_now, is_past)


def _current_run(schedule, held, clock):
    """The first and last period of the run of held periods the room is in now: the one
    under way, or, in a break, the one about to start when the one just ended was held."""
    slots = schedule.slots
    now_slot = next((s for s in slots if s.start <= clock < s.end), None)
    if now_slot is None:
        ended = [s for s in slots if s.end <= clock]
        coming = next((s for s in slots if s.start > clock), None)
        if ended and coming and ended[-1].number in held and coming.number in held:
            now_slot = coming
    if now_slot is None or now_slot.number not in held:
        return None
    last = now_slot
    while last.number + 1 in held and last.number + 1 in schedule:
        last = schedule[last.number + 1]
    return now_slot, last


def _next_held(schedule, held, after):
    """The first held period that starts at ``after`` or later."""
    return next((s for s in schedule.slots if s.start >= after and s.number in held), None)


def _booking(reservation, schedule, show_names, now=None):
    """``reservation`` as the door shows it; with ``now``, with its check-in words."""
    first, last = (schedule[n] for n in (reservation.start_slot, reservation.end_slot))
    return DoorBooking(
        start=first.start,
        end=last.end,
        purpose=reservation.purpose,
        holder=reservation.account.name if show_names else None,
        pending=reservation.status == "pending",
        check_in=_check_in_words(reservation, now) if now else None,
    )


def _check_in_words(reservation, now):
    if not reservation.facility.check_in_required or reservation.status != "confirmed":
        return None
    if reservation.checked_in_at is not None:
        at = reservation.checked_in_at.replace(tzinfo=UTC).astimezone(now.tzinfo)
        return f"Checked in at {at:%H:%M}"
    release = check_in_window(reservation)[1]
    if release <= now:
        return "Nobody checked in: being released"
    return f"Check in by {release:%H:%M} or the room is released"
