"""Polling a feed: its ETag says whether anything changed, so an app that already has the
feed gets 304 and no body, at the cost of one aggregate query; any change gives a new ETag."""

import pytest
from sqlalchemy import event

from roomloop.extensions import db

from feeds_support import FRI_26_MAR, MON_29_MAR, book, cancel, feed_url, london, path_of

__all__ = ["london"]  # a fixture of feeds_support.py


@pytest.fixture
def app_config():
    return {"TIMEZONE": "Europe/London"}


@pytest.fixture
def feed(client, london):
    """Ada's feed with one booking: return a function that fetches it (with ``etag`` as
    If-None-Match) and returns the response."""
    book(client, london["ada_key"], london["lab"], FRI_26_MAR)
    path = path_of(feed_url(client, london["ada_key"]))

    def fetch(etag=None):
        return client.get(path, headers={"If-None-Match": etag} if etag else {})

    return fetch


def statements_during(call):
    """Run ``call`` and return its result and the SQL statements it ran."""
    statements = []

    def record(_conn, _cursor, statement, *_args):
        statements.append(" ".join(statement.split()))

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        return call(), statements
    finally:
        event.remove(db.engine, "before_cursor_execute", record)


def test_an_unchanged_feed_answers_304_without_a_body(feed):
    first = feed()
    etag = first.headers["ETag"]

    again = feed(etag)

    assert again.status_code == 304
    assert again.get_data() == b""
    assert again.headers["ETag"] == etag
    assert set(again.headers["Cache-Control"].split(", ")) == {"private", "no-cache"}
    assert feed().get_data() == first.get_data()  # and the same bytes without it


def test_a_304_reads_no_booking_and_a_200_reads_them_once(feed):
    """The validator is one aggregate over the range; the rows are read only to send them."""
    etag = feed().headers["ETag"]

    unchanged, polled = statements_during(lambda: feed(etag))
    changed, fetched = statements_during(lambda: feed('"something-else"'))

    assert unchanged.status_code == 304 and changed.status_code == 200
    assert not [s for s in polled if "reservations.purpose" in s]
    assert len([s for s in polled if "FROM reservations" in s]) == 1  # count, sums, maxima
    assert len([s for s in fetched if "reservations.purpose" in s]) == 1
    assert len(polled) <= 4  # the account, the settings' stamp, the aggregate (+ BEGIN)


def test_a_new_booking_changes_the_etag(client, london, feed):
    etag = feed().headers["ETag"]

    book(client, london["ada_key"], london["lab"], MON_29_MAR)

    response = feed(etag)
    assert response.status_code == 200
    assert response.headers["ETag"] != etag


def test_a_cancellation_and_a_new_purpose_change_the_etag(client, london, feed):
    (booked,) = client.get("/v1/reservations", headers=london["ada_key"]).json["data"]
    first = feed().headers["ETag"]
    cancel(client, london["ada_key"], booked["id"])
    second = feed(first)
    assert second.status_code == 200

    other = book(client, london["ada_key"], london["hall"], MON_29_MAR)
    third = feed().headers["ETag"]
    response = client.patch(
        f"/v1/reservations/{other}", json={"purpose": "Assembly"}, headers=london["ada_key"]
    )
    assert response.status_code == 200

    assert len({first, second.headers["ETag"], third, feed(third).headers["ETag"]}) == 4


def test_a_new_bell_schedule_changes_the_etag(client, london, feed):
    """The events' times come from the bell schedule, which is no booking's own change."""
    etag = feed().headers["ETag"]
    periods = [{"start": f"{8 + n:02d}:15", "end": f"{9 + n:02d}:05"} for n in range(8)]

    response = client.patch("/v1/school", json={"periods": periods}, headers=london["admin_key"])
    assert response.status_code == 200, response.json

    after = feed(etag)
    assert after.status_code == 200
    assert b"DTSTART;TZID=Europe/London:20270326T091500" in after.get_data()


def test_a_renamed_facility_changes_the_etag(client, london, feed):
    etag = feed().headers["ETag"]

    response = client.patch(
        "/v1/facilities/lab", json={"name": "Chemistry Lab"}, headers=london["admin_key"]
    )
    assert response.status_code == 200, response.json

    after = feed(etag)
    assert after.status_code == 200
    assert b"SUMMARY:Chemistry Lab: Year 9 titration" in after.get_data()


def test_a_browser_asking_for_compression_still_gets_the_feed_and_its_304(client, london):
    """Feeds are sent as they are: their ETag stays the one the app keeps and sends back."""
    book(client, london["ada_key"], london["lab"], FRI_26_MAR)
    path = path_of(feed_url(client, london["ada_key"]))
    compressing = {"Accept-Encoding": "br, gzip"}

    first = client.get(path, headers=compressing)
    again = client.get(path, headers=compressing | {"If-None-Match": first.headers["ETag"]})

    assert first.status_code == 200
    assert "Content-Encoding" not in first.headers
    assert first.get_data().startswith(b"BEGIN:VCALENDAR")
    assert again.status_code == 304
    assert again.headers["ETag"] == first.headers["ETag"]
