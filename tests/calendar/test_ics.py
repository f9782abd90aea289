"""iCalendar writing (``roomloop/calendar/ics.py``): what a calendar app reads back is what
was booked, however long the text, whatever its characters, on either side of a clock
change."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar

from roomloop.calendar import CalendarEntry, calendar_ics, invite_ics

LONDON = ZoneInfo("Europe/London")


def entry(**fields):
    values = {
        "uid": "res_8f3e21a90c@roomloop",
        "starts": datetime(2027, 3, 26, 10, 0, tzinfo=LONDON),
        "ends": datetime(2027, 3, 26, 10, 50, tzinfo=LONDON),
        "status": "confirmed",
        "summary": "STEM Lab Alpha: Year 9 titration",
        "location": "STEM Lab Alpha, Curie Science Building",
        "description": "Year 9 titration\nPeriod 2 (10:00–10:50)\nBooked by Ada Park",
        "url": "https://rooms.school.example/my",
        "sequence": 0,
        "last_modified": datetime(2027, 3, 1, 9, 14),
        **fields,
    }
    return CalendarEntry(**values)


def parsed(body):
    return Calendar.from_ical(body)


def events(body):
    return parsed(body).walk("VEVENT")


def test_every_line_is_at_most_75_octets_and_ends_in_crlf():
    long_purpose = "Grade 10 Chemistry — titration lab, with the fume hoods; bring goggles " * 4
    body = calendar_ics([entry(summary=long_purpose, description=long_purpose)], "Feed", "UTC")

    assert body.endswith(b"\r\n")
    lines = body.split(b"\r\n")[:-1]
    assert max(len(line) for line in lines) <= 75
    assert all(b"\n" not in line for line in lines)
    assert any(line.startswith(b" ") for line in lines)  # it did fold


def test_folding_never_splits_a_character():
    """Multi-byte characters (accents, CJK, emoji) at every position around the fold."""
    for shift in range(6):
        summary = "x" * shift + "Ünïcødé 中文 😀 " * 12
        body = calendar_ics([entry(summary=summary)], "Feed", "UTC")

        body.decode("utf-8")  # no character was cut in two
        assert max(len(line) for line in body.split(b"\r\n")) <= 75
        assert str(events(body)[0]["SUMMARY"]) == summary


def test_commas_semicolons_backslashes_and_newlines_come_back_as_written():
    """Including a typed backslash and N, which icalendar's own writer took for a newline."""
    purpose = 'Debate: "Yes, no; maybe" \\ round 2\nBring notes, pens; water \\N.B. CRLF\r\n'
    body = calendar_ics(
        [entry(summary=purpose, location="Hall; East, wing", description=purpose)],
        "Ms O'Neil, Science; bookings",
        "UTC",
    )

    unfolded = body.replace(b"\r\n ", b"")
    escaped = rb'SUMMARY:Debate: "Yes\, no\; maybe" \\ round 2\nBring notes\, pens\; water'
    escaped += rb" \\N.B. CRLF\n"
    assert escaped in unfolded
    (event,) = events(body)
    as_read = purpose.replace("\r\n", "\n")  # a line break is a line break
    assert str(event["SUMMARY"]) == str(event["DESCRIPTION"]) == as_read
    assert str(event["LOCATION"]) == "Hall; East, wing"
    assert str(parsed(body)["X-WR-CALNAME"]) == "Ms O'Neil, Science; bookings"


def test_times_are_local_with_their_zone_on_either_side_of_the_clock_change():
    """Fri 26 Mar 2027 is GMT, Mon 29 Mar is BST: the same period is 10:00 local on both,
    an hour apart in UTC, and the calendar carries the zone's rules."""
    friday = entry()
    monday = entry(
        uid="res_2@roomloop",
        starts=datetime(2027, 3, 29, 10, 0, tzinfo=LONDON),
        ends=datetime(2027, 3, 29, 10, 50, tzinfo=LONDON),
    )
    body = calendar_ics([friday, monday], "Feed", "Europe/London")

    first, second = events(body)
    assert first["DTSTART"].params["TZID"] == "Europe/London"
    assert first["DTSTART"].dt.replace(tzinfo=None) == datetime(2027, 3, 26, 10, 0)
    assert second["DTSTART"].dt.replace(tzinfo=None) == datetime(2027, 3, 29, 10, 0)
    assert first["DTSTART"].dt.utcoffset() == timedelta(0)
    assert second["DTSTART"].dt.utcoffset() == timedelta(hours=1)
    (zone,) = parsed(body).walk("VTIMEZONE")
    assert str(zone["TZID"]) == "Europe/London"
    assert {str(part["TZNAME"]) for part in zone.subcomponents} >= {"GMT", "BST"}


@pytest.mark.parametrize(
    ("status", "written", "transparency"),
    [
        ("confirmed", "CONFIRMED", "OPAQUE"),
        ("pending", "TENTATIVE", "OPAQUE"),
        ("cancelled", "CANCELLED", "TRANSPARENT"),
    ],
)
def test_a_booking_status_is_the_events(status, written, transparency):
    (event,) = events(calendar_ics([entry(status=status, sequence=3)], "Feed", "UTC"))

    assert event["STATUS"] == written
    assert event["TRANSP"] == transparency
    assert event["SEQUENCE"] == 3
    assert str(event["UID"]) == "res_8f3e21a90c@roomloop"
    assert event["LAST-MODIFIED"].dt == datetime(2027, 3, 1, 9, 14, tzinfo=ZoneInfo("UTC"))


def test_an_empty_feed_is_a_valid_calendar_without_events():
    calendar = parsed(calendar_ics([], "RoomLoop: Ada Park's bookings", "Europe/London"))

    assert calendar.walk("VEVENT") == []
    assert str(calendar["X-WR-CALNAME"]) == "RoomLoop: Ada Park's bookings"


def test_an_invite_is_one_event_named_after_it():
    calendar = parsed(invite_ics(entry(), "Europe/London"))

    assert [str(e["SUMMARY"]) for e in calendar.walk("VEVENT")] == [
        "STEM Lab Alpha: Year 9 titration"
    ]
    assert str(calendar["X-WR-CALNAME"]) == "STEM Lab Alpha: Year 9 titration"
