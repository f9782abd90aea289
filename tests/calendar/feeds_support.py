"""What the calendar feed tests share: a school in Europe/London in March 2027, around the
clock change of Sunday 28 March (``london``), and reading a feed as a calendar app does."""

from datetime import date
from urllib.parse import urlsplit

import pytest
from icalendar import Calendar

FRI_26_MAR, MON_29_MAR = date(2027, 3, 26), date(2027, 3, 29)  # GMT, then BST


@pytest.fixture
def london(freeze, create_account, create_facility, auth_headers):
    """Monday 1 March 2027 in a London school: a lab, Ada Park (a teacher), Ben Ito (another
    teacher) and an admin, each with an API key."""
    freeze(2027, 3, 1, 8, 0)
    lab = create_facility(code="lab", name="STEM Lab Alpha", building="Curie Science Building")
    hall = create_facility(code="hall", name="Main Hall", building="Main Building")
    ada = create_account(name="Ada Park")
    ben = create_account(name="Ben Ito")
    admin = create_account(role="admin", name="Cy Diaz")
    return {
        "lab": lab,
        "hall": hall,
        "ada": ada,
        "ben": ben,
        "ada_key": auth_headers(ada),
        "ben_key": auth_headers(ben),
        "admin_key": auth_headers(admin),
    }


def book(client, headers, facility, day, slot=2, purpose="Year 9 titration"):
    """Book through the API, as a person does; return the reservation's id."""
    body = {
        "facility_id": facility.code,
        "date": day.isoformat(),
        "start_slot": slot,
        "end_slot": slot,
        "purpose": purpose,
    }
    response = client.post("/v1/reservations", json=body, headers=headers)
    assert response.status_code == 201, response.json
    return response.json["id"]


def cancel(client, headers, reservation_id, reason=None):
    body = {"status": "cancelled"} | ({"cancel_reason": reason} if reason else {})
    response = client.patch(f"/v1/reservations/{reservation_id}", json=body, headers=headers)
    assert response.status_code == 200, response.json


def feed_url(client, headers):
    """The person's feed address, as ``GET /v1/me`` gives it."""
    response = client.get("/v1/me", headers=headers)
    assert response.status_code == 200, response.json
    return response.json["calendar_url"]


def path_of(url):
    return urlsplit(url).path


def calendar_of(response):
    """The answer read as a calendar app reads it."""
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    assert response.headers["Content-Type"] == "text/calendar; charset=utf-8"
    return Calendar.from_ical(response.get_data())


def events_of(response):
    """The feed's events by reservation id (their UID without ``@roomloop``)."""
    return {
        str(event["UID"]).removesuffix("@roomloop"): event
        for event in calendar_of(response).walk("VEVENT")
    }
