"""Blackout dates: holidays and exam weeks when a facility, or the whole school, takes no bookings.

Rule R-07 and the availability grid read them; admins add and remove them here. Adding one
does not cancel the bookings already made for those days: the admin is told how many there
are, and decides (``blackout_bookings`` lists them and cancels them together). Each person
holding one is emailed which of theirs.
"""

from datetime import date

from sqlalchemy import func, select

from ..errors import NotFound, ValidationError
from ..extensions import db
from ..models import BlackoutDate, HeldSlot, Reservation
from ..outbox import queue_blackout_emails
from ..resources import reservation_resource
from ..schemas import CONTROL_CHARACTERS, DATE_RANGE_MESSAGE, in_date_range
from .schedule import get_schedule, school_now

MAX_REASON_LENGTH = 200
MAX_DAYS = 366


def list_blackouts(today):
    """Blackouts that end on ``today`` or later, soonest first, and how many ended before."""
    upcoming = db.session.scalars(
        select(BlackoutDate)
        .where(BlackoutDate.end_date >= today)
        .order_by(BlackoutDate.start_date, BlackoutDate.end_date, BlackoutDate.id)
    ).all()
    ended = db.session.scalar(
        select(func.count()).select_from(BlackoutDate).where(BlackoutDate.end_date < today)
    )
    return upcoming, ended


def create_blackout(actor, start_date, end_date, reason="", facility=None):
    """Close ``facility`` (or the school, when ``None``) from ``start_date`` to ``end_date``
    (the same day when ``None``), both included."""
    actor.require("settings:manage")
    reason = (reason or "").strip()
    end_date = start_date if end_date is None else end_date
    errors = {}
    if not isinstance(start_date, date):
        errors["start_date"] = "Enter the first day, as a date."
    elif not isinstance(end_date, date):
        errors["end_date"] = "Enter the last day, as a date."
    elif not in_date_range(start_date):
        errors["start_date"] = DATE_RANGE_MESSAGE
    elif not in_date_range(end_date):
        errors["end_date"] = DATE_RANGE_MESSAGE
    elif end_date < start_date:
        errors["end_date"] = "Must be on or after the first day."
    elif (end_date - start_date).days >= MAX_DAYS:
        errors["end_date"] = f"A blackout lasts at most {MAX_DAYS} days; add another for more."
    if len(reason) > MAX_REASON_LENGTH:
        errors["reason"] = f"At most {MAX_REASON_LENGTH} characters."
    elif CONTROL_CHARACTERS.search(reason):
        errors["reason"] = "Must not contain control characters."
    if errors:
        raise ValidationError(errors)
    blackout = BlackoutDate(
        start_date=start_date, end_date=end_date, reason=reason, facility=facility
    )
    db.session.add(blackout)
    db.session.flush()
    _tell_holders(actor, blackout)
    db.session.commit()
    return blackout


def _tell_holders(actor, blackout):
    """Queue an email to each person with bookings to come that the new blackout covers."""
    covered = db.session.scalars(
        select(Reservation)
        .where(Reservation.id.in_(held_during(blackout)), Reservation.date >= school_now().date())
        .order_by(Reservation.date, Reservation.start_slot, Reservation.id)
    ).all()
    if covered:
        schedule = get_schedule()
        told = {
            "facility": blackout.facility.name if blackout.facility else None,
            "start_date": blackout.start_date.isoformat(),
            "end_date": blackout.end_date.isoformat(),
            "reason": blackout.reason,
        }
        resources = [reservation_resource(r, schedule) for r in covered]
        queue_blackout_emails(told, resources, by=actor.account)


def delete_blackout(actor, blackout_id):
    """Remove a blackout: its days can be booked again. Return what it was."""
    actor.require("settings:manage")
    blackout = db.session.get(BlackoutDate, blackout_id)
    if blackout is None:
        raise NotFound("blackout", str(blackout_id))
    db.session.delete(blackout)
    db.session.commit()
    return blackout


def bookings_during(blackout):
    """How many pending or confirmed reservations hold slots on the blackout's days."""
    held = held_during(blackout).subquery()
    return db.session.scalar(select(func.count()).select_from(held))


def held_during(blackout):
    """The ids of the pending or confirmed reservations holding slots on its days."""
    query = select(HeldSlot.reservation_id).where(
        HeldSlot.date.between(blackout.start_date, blackout.end_date)
    )
    if blackout.facility_id is not None:
        query = query.where(HeldSlot.facility_id == blackout.facility_id)
    return query.distinct()


def describe(blackout):
    """One line an admin reads: where, when, why."""
    where = blackout.facility.name if blackout.facility else "Whole school"
    if blackout.start_date == blackout.end_date:
        when = f"{blackout.start_date:%a %-d %b %Y}"
    else:
        when = f"{blackout.start_date:%a %-d %b} – {blackout.end_date:%a %-d %b %Y}"
    return f"{where}, {when}" + (f" ({blackout.reason})" if blackout.reason else "")
