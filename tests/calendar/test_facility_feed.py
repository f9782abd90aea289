"""A facility's feed: everyone's bookings of one room, for API callers
(``GET /v1/facilities/:id/calendar.ics``) and signed-in people (the facility page's link);
and the feed's address in ``GET /v1/me``."""

import pytest

from roomloop.extensions import db

from conftest import assert_error
from feeds_support import FRI_26_MAR, MON_29_MAR, book, calendar_of, cancel, events_of, london
from page_client import signed_in_as, site, text

__all__ = ["london", "site"]  # fixtures of feeds_support.py and page_client.py


@pytest.fixture
def app_config():
    return {"TIMEZONE": "Europe/London"}


def test_the_facility_feed_holds_everyones_bookings_of_that_room(client, london):
    adas = book(client, london["ada_key"], london["lab"], FRI_26_MAR)
    bens = book(client, london["ben_key"], london["lab"], MON_29_MAR, purpose="Year 7 science")
    book(client, london["ben_key"], london["hall"], FRI_26_MAR, slot=3)  # another room

    response = client.get("/v1/facilities/lab/calendar.ics", headers=london["ada_key"])

    assert str(calendar_of(response)["X-WR-CALNAME"]) == "RoomLoop: STEM Lab Alpha"
    assert response.headers["Content-Disposition"] == 'inline; filename="roomloop-lab.ics"'
    events = events_of(response)
    assert set(events) == {adas, bens}
    assert "Booked by Ben Ito" in str(events[bens]["DESCRIPTION"])
    assert str(events[bens]["SUMMARY"]) == "STEM Lab Alpha: Year 7 science"


def test_why_someone_else_cancelled_is_for_the_holder_only(client, london):
    """The room's feed shows the cancellation; only the holder's own feed says why."""
    booked = book(client, london["ben_key"], london["lab"], FRI_26_MAR)
    cancel(client, london["admin_key"], booked, reason="Ben is on a course that day")

    room = events_of(client.get("/v1/facilities/lab/calendar.ics", headers=london["ada_key"]))
    own_url = client.get("/v1/me", headers=london["ben_key"]).json["calendar_url"]
    own = events_of(client.get(own_url))

    assert room[booked]["STATUS"] == own[booked]["STATUS"] == "CANCELLED"
    assert "Ben is on a course" not in str(room[booked]["DESCRIPTION"])
    assert "Cancelled: Ben is on a course that day" in str(own[booked]["DESCRIPTION"])


def test_the_facility_feed_needs_a_token_and_facilities_read(client, london, auth_headers):
    assert_error(client.get("/v1/facilities/lab/calendar.ics"), 401, "unauthorized")
    narrow = auth_headers(london["ada"], scopes=["reservations:book"])

    error = assert_error(
        client.get("/v1/facilities/lab/calendar.ics", headers=narrow), 403, "forbidden"
    )

    assert error["capability"] == "facilities:read"


def test_an_unknown_facility_is_404_as_everywhere_else(client, london):
    response = client.get("/v1/facilities/nope/calendar.ics", headers=london["ada_key"])

    assert_error(response, 404, "not_found")


def test_the_facility_feed_answers_304_to_a_current_copy(client, london):
    book(client, london["ada_key"], london["lab"], FRI_26_MAR)
    path = "/v1/facilities/lab/calendar.ics"
    etag = client.get(path, headers=london["ben_key"]).headers["ETag"]

    unchanged = client.get(path, headers={**london["ben_key"], "If-None-Match": etag})
    book(client, london["ben_key"], london["lab"], MON_29_MAR)
    changed = client.get(path, headers={**london["ben_key"], "If-None-Match": etag})

    assert unchanged.status_code == 304 and unchanged.get_data() == b""
    assert unchanged.headers["RateLimit-Limit"]  # a /v1 call like any other
    assert changed.status_code == 200 and changed.headers["ETag"] != etag


def test_signed_in_people_download_it_from_the_facility_page(client, london, site):
    book(client, london["ben_key"], london["lab"], FRI_26_MAR)
    signed_out = site()
    browser = signed_in_as(site, london["ada"])

    page = text(browser.get("/facilities/lab"))
    download = browser.get("/facilities/lab/calendar.ics")

    assert "This room's bookings as a calendar file (.ics)" in page
    assert 'href="/facilities/lab/calendar.ics"' in page
    assert len(events_of(download)) == 1
    assert signed_out.get("/facilities/lab/calendar.ics").status_code == 302  # to sign in
    assert browser.get("/facilities/nope/calendar.ics").status_code == 404


def test_me_gives_the_feed_address_unless_the_key_may_not_read_bookings(
    client, london, auth_headers
):
    """A key narrowed to other capabilities neither sees nor replaces the address."""
    narrow = auth_headers(london["ada"], scopes=["facilities:read"])

    full = client.get("/v1/me", headers=london["ada_key"]).json
    limited = client.get("/v1/me", headers=narrow).json
    refused = client.post("/v1/me/calendar/reset", headers=narrow)

    assert full["name"] == "Ada Park"
    assert full["calendar_url"].startswith("http://localhost/calendar/")
    assert limited["calendar_url"] is None
    assert assert_error(refused, 403, "forbidden")["capability"] == "reservations:book"
    db.session.rollback()
    assert london["ada"].calendar_salt is None  # nothing was reset


def test_the_address_is_built_on_the_server_name(site, london, auth_headers):
    """Not on whatever host the call came to (a proxy's, or one a client made up)."""
    client = site(SERVER_NAME="rooms.school.example", PREFERRED_URL_SCHEME="https")
    headers = auth_headers(london["ada"])

    shown = client.get("/v1/me", headers=headers, base_url="https://10.0.0.5")
    reset = client.post("/v1/me/calendar/reset", headers=headers, base_url="https://10.0.0.5")

    assert shown.json["calendar_url"].startswith("https://rooms.school.example/calendar/")
    assert reset.json["calendar_url"].startswith("https://rooms.school.example/calendar/")
