"""Check-in and no-show release.

A facility may require check-in. A booking of it can be checked in from ``OPENS_BEFORE``
before its first period starts until its release time, ``release_after_minutes`` after
that start; a confirmed booking nobody checked in by then is released: cancelled with the
reason ``no_show``, which frees its periods (the later ones too) at once.

Both decide on the reservation's row locked (``lock_reservation``), so a check-in racing
the release, or two processes releasing at once, change it one after the other: the
second sees what the first did, and exactly one of them wins.
"""

from datetime import datetime, timedelta

from sqlalchemy import select

from ..auth.permissions import require_check_in
from ..errors import CheckInRefused, NotFound
from ..extensions import db
from ..models import Facility, Reservation, utcnow
from ..outbox import record_event
from ..resources import reservation_resource
from ..sqlite import commit_keeping_loaded, writing
from .operations import cancel, end_series_if_empty, lock_reservation
from .schedule import get_schedule, school_now, school_timezone

OPENS_BEFORE = timedelta(minutes=10)
NO_SHOW = "no_show"


def check_in_window(reservation, schedule=None):
    """When checking in opens and when the booking is released: aware school times."""
    schedule = schedule or get_schedule()
    starts = datetime.combine(
        reservation.date, schedule[reservation.start_slot].start, tzinfo=school_timezone()
    )
    release_after = timedelta(minutes=reservation.facility.release_after_minutes)
    return starts - OPENS_BEFORE, starts + release_after


def can_check_in_now(reservation, now=None):
    """Whether a Check in button belongs on the booking now: only where the room asks for
    check-in (elsewhere the API accepts one, but a button would be noise)."""
    if not reservation.facility.check_in_required or reservation.checked_in_at is not None:
        return False
    if reservation.start_slot not in get_schedule():
        return False
    return check_in_refusal(reservation, now) is None


def check_in(actor, reservation, now=None):
    """Record that the room is in use. Checking in twice changes nothing; a booking already
    released, cancelled, pending or outside its window is refused (``CheckInRefused``)."""
    now = now or school_now()
    with writing():
        reservation = lock_reservation(reservation)
        require_check_in(actor, reservation)
        if reservation.checked_in_at is not None:
            return reservation
        _require_check_in_open(reservation, now)
        reservation.checked_in_at = utcnow()
        db.session.flush()
        record_event("reservation.updated", reservation_resource(reservation, get_schedule()))
        commit_keeping_loaded()
    return reservation


def check_in_refusal(reservation, now=None):
    """Why ``reservation`` could not be checked in at ``now`` (a ``CheckInRefused``, to
    say so before anyone tries), or ``None``."""
    try:
        _require_check_in_open(reservation, now or school_now())
    except CheckInRefused as refusal:
        return refusal
    return None


def _require_check_in_open(reservation, now):
    if reservation.status == "cancelled":
        if reservation.cancel_reason == NO_SHOW:
            raise CheckInRefused(
                "released", "Released: nobody checked in in time. Book it again if it is free."
            )
        raise CheckInRefused("cancelled", "This booking is cancelled.")
    if reservation.status != "confirmed":
        raise CheckInRefused("pending", "This booking is still waiting for approval.")
    opens, release = check_in_window(reservation)
    if now < opens:
        raise CheckInRefused("not_open", f"Check-in opens at {opens:%H:%M} on {opens:%-d %b}.")
    if now >= release:
        raise CheckInRefused("closed", f"Check-in closed at {release:%H:%M}.")


def release_no_shows(now=None):
    """Release today's confirmed bookings of check-in facilities that nobody checked in by
    their release time; return how many. Safe to run in several processes at once."""
    now = now or school_now()
    schedule = get_schedule()
    candidates = db.session.scalars(
        select(Reservation)
        .join(Facility, Facility.id == Reservation.facility_id)
        .where(
            Facility.check_in_required.is_(True),
            Reservation.date == now.date(),
            Reservation.status == "confirmed",
            Reservation.checked_in_at.is_(None),
        )
        .order_by(Reservation.start_slot, Reservation.id)
    ).all()
    due = [
        r for r in candidates if r.start_slot in schedule and check_in_window(r, schedule)[1] <= now
    ]
    db.session.commit()  # ends the read before each release takes its lock
    return sum(_release(reservation) for reservation in due)


def _release(reservation):
    with writing():
        try:
            reservation = lock_reservation(reservation)
        except NotFound:  # deleted meanwhile
            db.session.rollback()
            return 0
        if reservation.status != "confirmed" or reservation.checked_in_at is not None:
            db.session.commit()
            return 0  # checked in, cancelled or released meanwhile
        cancel(reservation, None, NO_SHOW)
        db.session.flush()
        record_event("reservation.cancelled", reservation_resource(reservation, get_schedule()))
        if reservation.series_id is not None:
            end_series_if_empty(reservation.series)
        db.session.commit()
    return 1
