"""Calendar feeds: a person's bookings, or a facility's, as one iCalendar file.

A feed covers 30 days back to the end of the booking window, or to the last day of the
latest series in it if that is later (SPEC 11), cancelled reservations included, so that
calendar apps remove them. Apps poll a feed every few hours: ``feed_etag`` answers whether
it changed with one aggregate query, without reading or rendering the rows.
"""

import hashlib
from dataclasses import dataclass
from datetime import date, timedelta
from types import SimpleNamespace

from flask import current_app
from sqlalchemy import and_, func, or_, select

from ..calendar import calendar_ics, entry_for
from ..configured import configured
from ..extensions import db
from ..models import Account, Reservation, Series
from .schedule import get_schedule, school_now, school_timezone
from .settings import get_setting

DAYS_BACK = 30
# Part of every ETag: raise it when what a feed writes changes, so apps fetch it again.
FORMAT = "1"


@dataclass(frozen=True)
class Feed:
    """Whose reservations a feed holds, over which days, and what the app calls it."""

    name: str
    filename: str
    scope: object  # the SQL condition on reservations
    series_scope: object  # the same on series, for the range's end
    first: date
    last: date  # the booking window's end; a later series stretches it
    show_reasons: bool  # why a booking was cancelled is for its holder, not everyone


def personal_feed(account):
    """The feed of ``account``'s own bookings."""
    return Feed(
        f"RoomLoop: {account.name}'s bookings",
        "roomloop-my-bookings.ics",
        Reservation.account_id == account.id,
        Series.account_id == account.id,
        *_window(),
        show_reasons=True,
    )


def facility_feed(facility):
    """The feed of everyone's bookings of ``facility`` (an object or a ``configured`` row)."""
    return Feed(
        f"RoomLoop: {facility.name}",
        f"roomloop-{facility.code}.ics",
        Reservation.facility_id == facility.id,
        Series.facility_id == facility.id,
        *_window(),
        show_reasons=False,
    )


def _window():
    today = school_now().date()
    return today - timedelta(days=DAYS_BACK), today + timedelta(
        days=get_setting("booking_window_days")
    )


def _in_range(feed):
    latest_series = select(func.max(Series.until)).where(feed.series_scope).scalar_subquery()
    return and_(
        feed.scope,
        Reservation.date >= feed.first,
        or_(Reservation.date <= feed.last, Reservation.date <= latest_series),
    )


def feed_etag(feed, variant=""):
    """A strong validator of ``feed``: it changes whenever the body would, and is one
    aggregate query. ``variant``: whatever else the body depends on (the links' host)."""
    aggregate = db.session.execute(
        select(
            func.count(),
            func.sum(Reservation.id),  # which rows: one swapped for another changes it
            func.sum(Reservation.revision),  # every change raises one
            func.max(Reservation.updated_at),
            func.max(Account.updated_at),  # a booker's name
        )
        .join(Account, Reservation.account_id == Account.id)
        .where(_in_range(feed))
    ).one()
    parts = (
        FORMAT,
        variant,
        feed.name,
        feed.first,
        feed.last,
        configured().stamp,  # the bell schedule, facilities' names and buildings
        current_app.config["TIMEZONE"],
        *aggregate,
    )
    return hashlib.sha256("\x1f".join(map(str, parts)).encode()).hexdigest()[:32]


def feed_ics(feed, link_for):
    """The iCalendar file of ``feed``, as bytes; ``link_for(booking)`` is the address each
    event links back to (``booking`` has the reservation's ``public_id``)."""
    facilities = {f.id: f for f in configured().facilities}
    people = {}
    bookings = []
    for row in db.session.execute(_ROWS.where(_in_range(feed))):
        values = row._asdict()
        name = values.pop("account_name")
        if name not in people:
            people[name] = SimpleNamespace(name=name)
        values["facility"] = facilities[row.facility_id]
        values["account"] = people[name]
        if not feed.show_reasons:
            values["cancel_reason"] = None
        bookings.append(SimpleNamespace(**values))
    schedule = get_schedule()
    zone = school_timezone()
    entries = [entry_for(b, schedule, zone, link_for(b)) for b in bookings]
    return calendar_ics(
        [e for e in entries if e is not None], feed.name, current_app.config["TIMEZONE"]
    )


# What ``entry_for`` reads of a reservation, as plain rows: loading 2,000 model objects
# with their facility and account took longer than writing the whole feed. The facilities
# come from this process's copy of them (``configured``).
_ROWS = (
    select(
        Reservation.public_id,
        Reservation.facility_id,
        Reservation.date,
        Reservation.start_slot,
        Reservation.end_slot,
        Reservation.purpose,
        Reservation.status,
        Reservation.cancel_reason,
        Reservation.revision,
        Reservation.updated_at,
        Account.name.label("account_name"),
    )
    .join(Account, Reservation.account_id == Account.id)
    .order_by(Reservation.date, Reservation.start_slot, Reservation.id)
)
