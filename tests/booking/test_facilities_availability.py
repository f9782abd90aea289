"""``/v1/facilities/<id>/availability``: the date it needs, an unknown facility, and one
entry per slot of the day with its label, times, status and reservation.

Everything goes through the real test client, as an API client would. How reservations,
blackouts and the clock fill the slots is in ``test_reservations_availability.py``.
"""

import pytest

from conftest import assert_error, school_day
from facilities_support import assert_field_error, campus, teacher, teacher_headers

__all__ = ["campus", "teacher", "teacher_headers"]  # fixtures of facilities_support.py


# --- Availability ------------------------------------------------------------------------


def test_availability_requires_date(client, teacher_headers, campus):
    """Without ``?date`` availability is a 400 naming ``date``."""
    response = client.get("/v1/facilities/f1/availability", headers=teacher_headers)
    assert_field_error(response, "date")


@pytest.mark.parametrize("value", ["2026-02-30", "tomorrow", "10/06/2026", "", "2026-13-01"])
def test_availability_refuses_bad_date(client, teacher_headers, campus, value):
    """A ``?date`` that is not a real ``YYYY-MM-DD`` day is a 400 naming ``date``."""
    response = client.get(
        "/v1/facilities/f1/availability", query_string={"date": value}, headers=teacher_headers
    )
    assert_field_error(response, "date")


def test_availability_of_unknown_facility_is_404(client, teacher_headers, campus):
    """Availability for an unknown facility is a 404 not_found."""
    response = client.get(
        f"/v1/facilities/nope/availability?date={school_day()}", headers=teacher_headers
    )
    assert_error(response, 404, "not_found")


def test_availability_lists_every_slot(
    client, teacher, teacher_headers, campus, create_reservation
):
    """One entry per slot of the default day (8), with labels, times, status and reservation."""
    day = school_day()
    booked = create_reservation(campus[0], teacher, day, start_slot=3, end_slot=4)
    response = client.get(f"/v1/facilities/f1/availability?date={day}", headers=teacher_headers)
    assert response.status_code == 200
    body = response.json
    assert body["facility"] == {"id": "f1", "name": "STEM Lab Alpha"}
    assert body["date"] == day.isoformat()
    slots = body["slots"]
    assert [s["slot"] for s in slots] == list(range(1, 9))
    for entry in slots:
        assert set(entry) == {"slot", "label", "start", "end", "status", "reservation"}
    assert slots[0]["label"] == "09:00–09:50"  # en dash, as in the reference
    assert (slots[0]["start"], slots[0]["end"]) == ("09:00", "09:50")
    assert slots[7]["label"] == "16:00–16:50"
    assert [s["status"] for s in slots] == ["free"] * 2 + ["booked"] * 2 + ["free"] * 4
    assert slots[0]["reservation"] is None
    assert slots[2]["reservation"] == {
        "id": booked.public_id,
        "user": {"name": "Ada Park"},
        "status": "confirmed",
    }


def test_availability_shows_pending_and_closed(
    client, teacher, teacher_headers, campus, create_reservation
):
    """A pending hold shows as ``pending``; a facility under maintenance shows ``closed``."""
    day = school_day()
    create_reservation(campus[1], teacher, day, start_slot=1, status="pending")
    lab = client.get(f"/v1/facilities/f2/availability?date={day}", headers=teacher_headers).json
    assert lab["slots"][0]["status"] == "pending"
    assert lab["slots"][0]["reservation"]["status"] == "pending"
    aud = client.get(f"/v1/facilities/aud/availability?date={day}", headers=teacher_headers).json
    assert {s["status"] for s in aud["slots"]} == {"closed"}
