"""Reservations as iCalendar events, for feeds and email invites alike.

Every event has a stable ``UID`` from the reservation's id and a ``SEQUENCE`` from its
revision, so that a calendar app replaces it when it changes (``STATUS:CANCELLED`` when
cancelled) instead of adding a copy. Times are the bell-schedule periods in the school's
time zone, given with a ``TZID`` and that zone's ``VTIMEZONE``: calendar apps in any zone
then show them at the right moment, on either side of a daylight-saving change.
"""

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from icalendar import Calendar, Timezone

PRODID = "-//RoomLoop//Room bookings//EN"
STATUSES = {"confirmed": "CONFIRMED", "pending": "TENTATIVE", "cancelled": "CANCELLED"}


@dataclass(frozen=True)
class CalendarEntry:
    """What one VEVENT says about one reservation."""

    uid: str
    starts: datetime  # aware, in the school's zone
    ends: datetime
    status: str  # the reservation's: confirmed, pending or cancelled
    summary: str
    location: str
    description: str
    url: str
    sequence: int
    last_modified: datetime  # naive UTC, as stored


def entry_for(reservation, schedule, zone, link):
    """The entry of ``reservation`` (a model row) at its periods in ``schedule``; ``link`` is
    the address of its page. None when the bell schedule no longer has its periods."""
    if reservation.start_slot not in schedule or reservation.end_slot not in schedule:
        return None
    facility = reservation.facility
    day = reservation.date
    periods = schedule.labels(reservation.start_slot, reservation.end_slot)
    first = (
        f"Period {reservation.start_slot}"
        if reservation.start_slot == reservation.end_slot
        else f"Periods {reservation.start_slot}–{reservation.end_slot}"
    )
    lines = [
        reservation.purpose,
        f"{first} ({periods[0].split('–')[0]}–{periods[-1].split('–')[1]})",
        f"Booked by {reservation.account.name}",
    ]
    if reservation.status == "pending":
        lines.append("Waiting for approval.")
    if reservation.status == "cancelled" and reservation.cancel_reason == "no_show":
        lines.append("Released: nobody checked in in time.")
    elif reservation.status == "cancelled" and reservation.cancel_reason:
        lines.append(f"Cancelled: {reservation.cancel_reason}")
    lines.append(link)
    return CalendarEntry(
        uid=f"{reservation.public_id}@roomloop",
        starts=datetime.combine(day, schedule[reservation.start_slot].start, tzinfo=zone),
        ends=datetime.combine(day, schedule[reservation.end_slot].end, tzinfo=zone),
        status=reservation.status,
        summary=f"{facility.name}: {reservation.purpose}",
        location=", ".join(part for part in (facility.name, facility.building) if part),
        description="\n".join(lines),
        url=link,
        sequence=reservation.revision or 0,
        last_modified=reservation.updated_at,
    )


def calendar_ics(entries, name, zone_name):
    """A feed: a VCALENDAR of ``entries`` named ``name``, as bytes."""
    return _calendar(entries, name, zone_name)


def invite_ics(entry, zone_name):
    """The attachment of a confirmation email: one event, as bytes."""
    return _calendar([entry], entry.summary, zone_name)


def _calendar(entries, name, zone_name):
    """The calendar's head and VTIMEZONE from icalendar's own objects, then the events.

    The events are written line by line, with icalendar's text escaping: building and
    serialising an ``Event`` object per reservation took 0.4 ms each, and a feed has
    thousands.
    """
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", name)
    calendar.add("x-wr-timezone", zone_name)
    if entries:
        first = min(e.starts for e in entries).date()
        last = max(e.ends for e in entries).date()
        calendar.add_component(vtimezone(zone_name, first.year, last.year))
    head = calendar.to_ical().decode().removesuffix(END)
    events = "".join(_event(entry, zone_name) for entry in entries)
    return (head + events + END).encode()


END = "END:VCALENDAR\r\n"


def _event(entry, zone_name):
    tzid = f";TZID={zone_name}:"
    stamp = f"{entry.last_modified:%Y%m%dT%H%M%SZ}"
    lines = (
        "BEGIN:VEVENT",
        f"UID:{_text(entry.uid)}",
        f"DTSTAMP:{stamp}",
        f"LAST-MODIFIED:{stamp}",
        f"DTSTART{tzid}{entry.starts:%Y%m%dT%H%M%S}",
        f"DTEND{tzid}{entry.ends:%Y%m%dT%H%M%S}",
        f"SUMMARY:{_text(entry.summary)}",
        f"LOCATION:{_text(entry.location)}",
        f"DESCRIPTION:{_text(entry.description)}",
        f"URL:{entry.url}",
        f"STATUS:{STATUSES[entry.status]}",
        f"SEQUENCE:{entry.sequence}",
        # A room booking makes its holder busy, unless it no longer holds the room.
        f"TRANSP:{'TRANSPARENT' if entry.status == 'cancelled' else 'OPAQUE'}",
        "END:VEVENT",
    )
    return "".join(_fold(line) + "\r\n" for line in lines)


def _text(value):
    """RFC 5545 3.3.11 TEXT: each special character escaped once, the backslash first.

    icalendar's ``vText`` builds an object per value (a third of a feed's time), and reads
    a typed ``\\N`` as a line break; here it stays as typed."""
    return (
        value.replace("\\", "\\\\")
        .replace(";", "\\;")
        .replace(",", "\\,")
        .replace("\r\n", "\\n")
        .replace("\n", "\\n")
        .replace("\r", "\\n")
    )


def _fold(line):
    """RFC 5545 3.1: lines of at most 75 octets, continued after CRLF and a space, never
    splitting a character."""
    raw = line.encode()
    if len(raw) <= 75:
        return line
    # Cut the bytes, not the characters: every description is long and has an en dash,
    # and going character by character took half of a 2,000-event feed's time.
    parts, start, room = [], 0, 75
    while len(raw) - start > room:
        end = start + room
        while raw[end] & 0xC0 == 0x80:  # a UTF-8 continuation byte: inside a character
            end -= 1
        parts.append(raw[start:end])
        start, room = end, 74  # the continuation's leading space takes one octet
    parts.append(raw[start:])
    return b"\r\n ".join(parts).decode()


@lru_cache(maxsize=16)  # building a zone's transitions takes milliseconds; zones rarely change
def vtimezone(zone_name, first_year, last_year):
    """The VTIMEZONE of ``zone_name`` with every transition from ``first_year`` to
    ``last_year`` (one year either side)."""
    ZoneInfo(zone_name)  # refuses an unknown zone plainly
    return Timezone.from_tzid(
        zone_name,
        first_date=date(first_year - 1, 1, 1),
        last_date=date(last_year + 1, 12, 31) + timedelta(days=1),
    )
