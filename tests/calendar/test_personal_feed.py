"""A person's own calendar feed, ``GET /calendar/<token>.ics``, as calendar apps fetch it:
no sign-in, the address's token is the secret; what it holds, over which days; a new
address; a disabled account."""

import logging
from datetime import date, datetime, time, timedelta

import pytest
from itsdangerous import URLSafeSerializer

from roomloop.auth.feed_tokens import SIGNING_SALT

from feeds_support import (
    FRI_26_MAR,
    MON_29_MAR,
    book,
    calendar_of,
    cancel,
    events_of,
    feed_url,
    london,
    path_of,
)

__all__ = ["london"]  # a fixture of feeds_support.py


@pytest.fixture
def app_config():
    return {"TIMEZONE": "Europe/London"}


def test_my_bookings_are_at_their_bell_times_on_either_side_of_the_clock_change(client, london):
    """Period 2 (10:00–10:50) on Friday 26 March (GMT) and Monday 29 March (BST): 10:00 local
    both days, an hour apart in UTC, with London's VTIMEZONE."""
    friday = book(client, london["ada_key"], london["lab"], FRI_26_MAR)
    monday = book(client, london["ada_key"], london["lab"], MON_29_MAR, purpose="Year 11 PE")

    response = client.get(path_of(feed_url(client, london["ada_key"])))  # no sign-in

    calendar = calendar_of(response)
    assert str(calendar["X-WR-CALNAME"]) == "RoomLoop: Ada Park's bookings"
    (zone,) = calendar.walk("VTIMEZONE")
    assert str(zone["TZID"]) == "Europe/London"
    events = events_of(response)
    assert set(events) == {friday, monday}
    for uid, day in ((friday, FRI_26_MAR), (monday, MON_29_MAR)):
        start, end = events[uid]["DTSTART"], events[uid]["DTEND"]
        assert start.params["TZID"] == "Europe/London"
        assert start.dt.replace(tzinfo=None) == datetime.combine(day, time(10, 0))
        assert end.dt.replace(tzinfo=None) == datetime.combine(day, time(10, 50))
    assert events[friday]["DTSTART"].dt.utcoffset() == timedelta(0)
    assert events[monday]["DTSTART"].dt.utcoffset() == timedelta(hours=1)
    assert str(events[monday]["SUMMARY"]) == "STEM Lab Alpha: Year 11 PE"
    assert str(events[monday]["LOCATION"]) == "STEM Lab Alpha, Curie Science Building"
    assert events[monday]["STATUS"] == "CONFIRMED"
    description = str(events[monday]["DESCRIPTION"])
    assert "Period 2 (10:00–10:50)" in description and "Booked by Ada Park" in description
    monday_id = str(events[monday]["UID"]).split("@")[0]
    assert str(events[monday]["URL"]) == f"http://localhost/reservations/{monday_id}"


def test_the_answer_is_an_inline_calendar_that_apps_revalidate(client, london):
    response = client.get(path_of(feed_url(client, london["ada_key"])))

    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/calendar; charset=utf-8"
    assert response.headers["Content-Disposition"] == 'inline; filename="roomloop-my-bookings.ics"'
    assert set(response.headers["Cache-Control"].split(", ")) == {"private", "no-cache"}
    assert response.headers["ETag"].startswith('"')  # strong: the same bytes every time
    assert "Set-Cookie" not in response.headers  # nothing of a session to a calendar app


def test_a_cancelled_booking_stays_as_cancelled_with_a_higher_sequence(client, london):
    """Calendar apps remove an event only when the feed says so with a newer SEQUENCE."""
    booked = book(client, london["ada_key"], london["lab"], FRI_26_MAR)
    path = path_of(feed_url(client, london["ada_key"]))
    before = events_of(client.get(path))[booked]

    cancel(client, london["admin_key"], booked, reason="The lab is needed for exams")

    after = events_of(client.get(path))[booked]
    assert before["STATUS"] == "CONFIRMED"
    assert after["STATUS"] == "CANCELLED"
    assert after["SEQUENCE"] > before["SEQUENCE"]
    assert "Cancelled: The lab is needed for exams" in str(after["DESCRIPTION"])


def test_pending_bookings_are_tentative(client, london, create_facility):
    auditorium = create_facility(code="auditorium", name="Auditorium", requires_approval=True)
    pending = book(client, london["ada_key"], auditorium, FRI_26_MAR)

    event = events_of(client.get(path_of(feed_url(client, london["ada_key"]))))[pending]

    assert event["STATUS"] == "TENTATIVE"
    assert "Waiting for approval." in str(event["DESCRIPTION"])


def test_the_feed_covers_30_days_back_to_the_end_of_the_window_or_the_latest_series(
    client, london, create_reservation
):
    """Today is 1 March; the booking window is 60 days (to 30 April); Ada's series runs
    Mondays from 26 April to 31 May. Only her own bookings are in her feed."""
    ada, lab = london["ada"], london["lab"]
    days = {
        "31 days ago": date(2027, 1, 29),
        "30 days ago": date(2027, 1, 30),
        "inside the series' weeks": date(2027, 5, 5),
        "after the series": date(2027, 6, 7),
    }
    made = {name: create_reservation(lab, ada, day).public_id for name, day in days.items()}
    create_reservation(london["hall"], london["ben"], date(2027, 3, 2))
    series = {
        "facility_id": "lab",
        "first_date": "2027-04-26",
        "until": "2027-05-31",
        "repeat": {"weekdays": ["mon"]},
        "start_slot": 5,
        "end_slot": 5,
        "purpose": "Year 10 chemistry",
    }
    response = client.post("/v1/series", json=series, headers=london["ada_key"])
    assert response.status_code == 201, response.json

    events = events_of(client.get(path_of(feed_url(client, london["ada_key"]))))

    series_dates = {r["id"] for r in response.json["reservations"]}
    assert set(events) == {made["30 days ago"], made["inside the series' weeks"], *series_dates}
    assert max(e["DTSTART"].dt.date() for e in events.values()) == date(2027, 5, 31)


def test_a_new_address_replaces_the_old_one(client, london):
    book(client, london["ada_key"], london["lab"], FRI_26_MAR)
    old = feed_url(client, london["ada_key"])
    assert client.get(path_of(old)).status_code == 200

    response = client.post("/v1/me/calendar/reset", headers=london["ada_key"])

    assert response.status_code == 200
    new = response.json["calendar_url"]
    assert new != old and new.startswith("http://localhost/calendar/") and new.endswith(".ics")
    assert client.get(path_of(old)).status_code == 404
    assert len(events_of(client.get(path_of(new)))) == 1
    assert feed_url(client, london["ada_key"]) == new  # shown again, the same


def test_the_address_stays_the_same_until_it_is_reset(client, london):
    first = feed_url(client, london["ada_key"])

    assert feed_url(client, london["ada_key"]) == first
    assert feed_url(client, london["ben_key"]) != first


def test_a_disabled_account_has_no_feed(client, london):
    path = path_of(feed_url(client, london["ada_key"]))
    disable = {"status": "disabled"}
    response = client.patch(
        f"/v1/accounts/{london['ada'].public_id}", json=disable, headers=london["admin_key"]
    )
    assert response.status_code == 200, response.json

    assert client.get(path).status_code == 404


def test_any_other_token_gets_the_same_plain_404(client, london):
    """Garbled, forged with another key, signed for someone who does not exist, tampered
    with: no answer says which."""
    good = path_of(feed_url(client, london["ada_key"])).removeprefix("/calendar/")
    good = good.removesuffix(".ics")
    others = [
        "nonsense",
        URLSafeSerializer("another-key", salt=SIGNING_SALT).dumps([london["ada"].public_id, ""]),
        URLSafeSerializer("test-secret", salt=SIGNING_SALT).dumps(["usr_0000000000", ""]),
        URLSafeSerializer("test-secret", salt="another-salt").dumps([london["ada"].public_id, ""]),
        good[:-2] + ("AA" if not good.endswith("AA") else "BB"),
        "x" * 5000,
    ]

    answers = [client.get(f"/calendar/{token}.ics") for token in others]

    assert [a.status_code for a in answers] == [404] * len(others)
    assert len({a.get_data() for a in answers}) == 1
    assert client.get(f"/calendar/{good}.ics").status_code == 200


def test_no_log_line_holds_the_token(client, london, caplog):
    caplog.set_level(logging.DEBUG)
    url = feed_url(client, london["ada_key"])
    token = path_of(url).removeprefix("/calendar/").removesuffix(".ics")
    client.get(path_of(url))
    client.get(f"/calendar/{token[:-3]}xyz.ics")

    lines = [r.getMessage() for r in caplog.records if r.name == "roomloop.request"]
    assert "GET /calendar/[token].ics 200" in lines
    assert "GET /calendar/[token].ics 404" in lines
    assert token[:20] not in caplog.text
    assert all(token[:20] not in str(getattr(r, "path", "")) for r in caplog.records)


def test_fetching_the_feed_is_rate_limited_per_address(app, client, london):
    path = path_of(feed_url(client, london["ada_key"]))
    app.config["CALENDAR_RATE_LIMIT"] = "2/minute"

    statuses = [client.get(path).status_code for _ in range(3)]

    assert statuses == [200, 200, 429]
    other = client.get(path, environ_base={"REMOTE_ADDR": "192.0.2.7"})
    assert other.status_code == 200
