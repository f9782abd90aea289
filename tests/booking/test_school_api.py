"""``/v1/school``, the school's calendar as tools read and admins change it, and ``/v1/me``.

The clock stands on Monday 1 June 2026, 07:00 UTC: the school year that holds it runs from
autumn 2025 to summer 2026 until admins set their own terms.
"""

from datetime import date

import pytest

from roomloop.models import BlackoutDate

from conftest import store

DEFAULT_TERMS = [
    {"name": "Autumn 2025", "start": "2025-09-01", "end": "2025-12-31"},
    {"name": "Spring 2026", "start": "2026-01-01", "end": "2026-03-31"},
    {"name": "Summer 2026", "start": "2026-04-01", "end": "2026-08-31"},
]
TERMS = [
    {"name": "Autumn 2026", "start": "2026-09-01", "end": "2026-12-18"},
    {"name": "Spring 2027", "start": "2027-01-05", "end": "2027-03-31"},
]


@pytest.fixture
def headers(freeze, create_account, auth_headers):
    freeze(2026, 6, 1, 7, 0)
    return {
        "teacher": auth_headers(create_account(name="Ada Park")),
        "admin": auth_headers(create_account(role="admin")),
    }


def school(client, headers):
    response = client.get("/v1/school", headers=headers)
    assert response.status_code == 200
    return response.json


def change(client, headers, **body):
    return client.patch("/v1/school", json=body, headers=headers)


def test_everyone_reads_the_calendar_and_its_defaults(client, headers, create_facility):
    lab = create_facility(code="lab", name="STEM Lab Alpha")
    store(BlackoutDate(start_date=date(2026, 5, 29), end_date=date(2026, 6, 2), reason="Trip"))
    store(BlackoutDate(start_date=date(2026, 6, 9), end_date=date(2026, 6, 9), facility_id=lab.id))

    calendar = school(client, headers["teacher"])

    assert calendar["timezone"] == "UTC"
    assert calendar["school_days"] == ["mon", "tue", "wed", "thu", "fri"]
    assert len(calendar["periods"]) == 8
    assert calendar["periods"][1] == {
        "slot": 2,
        "label": "10:00–10:50",
        "start": "10:00",
        "end": "10:50",
    }
    assert calendar["terms"] == DEFAULT_TERMS
    assert calendar["cycle"] == {"weeks": 1, "start": None}
    # From today on, a day an entry.
    assert calendar["blackouts"] == [
        {"date": "2026-06-01", "facility_id": None, "reason": "Trip"},
        {"date": "2026-06-02", "facility_id": None, "reason": "Trip"},
        {"date": "2026-06-09", "facility_id": "lab", "reason": ""},
    ]


def test_an_admin_changes_the_parts_sent(client, headers):
    response = change(
        client,
        headers["admin"],
        terms=list(reversed(TERMS)),
        cycle={"weeks": 2, "start": "2026-08-31"},
        school_days=["sun", "mon", "tue", "wed", "thu"],
    )

    assert response.status_code == 200, response.json
    assert response.json["terms"] == TERMS  # by first day
    assert response.json["cycle"] == {"weeks": 2, "start": "2026-08-31"}
    assert response.json["school_days"] == ["mon", "tue", "wed", "thu", "sun"]
    assert len(response.json["periods"]) == 8  # not sent, not changed
    assert school(client, headers["teacher"]) == response.json


def test_one_bad_part_changes_nothing(client, headers):
    before = school(client, headers["admin"])
    response = change(client, headers["admin"], terms=TERMS, cycle={"weeks": 5})
    assert response.status_code == 400
    assert set(response.json["error"]["fields"]) == {"cycle.weeks"}
    assert school(client, headers["admin"]) == before


def test_only_admins_change_it(client, headers):
    response = change(client, headers["teacher"], school_days=["mon"])
    assert response.status_code == 403
    assert response.json["error"]["capability"] == "settings:manage"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "body"),
        ({"periods": None}, "body"),
        ({"periods": [{"start": "10:00", "end": "09:00"}]}, "1.end"),
        ({"periods": []}, "bell_schedule"),
        ({"terms": [TERMS[0], {**TERMS[1], "start": "2026-12-01"}]}, "terms.2.start"),
        ({"terms": [{**TERMS[0], "end": "2026-08-01"}]}, "terms.1.end"),
        ({"terms": [{**TERMS[0], "name": " "}]}, "terms.1.name"),
        ({"cycle": {"weeks": 2, "start": "2026-09-01"}}, "cycle.start"),  # a Tuesday
        ({"cycle": {"weeks": 2}}, "cycle.start"),
        ({"school_days": []}, "school_days"),
        ({"school_days": ["mon", "funday"]}, "school_days"),
    ],
)
def test_errors_name_the_part(client, headers, body, field):
    response = client.patch("/v1/school", json=body, headers=headers["admin"])
    assert response.status_code == 400
    assert field in response.json["error"]["fields"], response.json


def test_periods_that_bookings_hold_stay(
    client, headers, create_account, create_facility, create_reservation
):
    create_reservation(create_facility(), create_account(), date(2026, 6, 2), 3)
    response = change(client, headers["admin"], periods=[{"start": "09:00", "end": "09:50"}])
    assert response.status_code == 400
    assert "keep at least 3 periods" in response.json["error"]["fields"]["bell_schedule"]


def test_a_time_in_other_digits_is_refused(client, headers):
    """Regression: ``\\d`` took any script's digits, so "0٩:00" (an Arabic-Indic nine) was
    stored, and every request that read the bell schedule then failed with a 500."""
    response = change(client, headers["admin"], periods=[{"start": "0٩:00", "end": "09:50"}])

    assert response.status_code == 400
    assert set(response.json["error"]["fields"]) == {"1.start"}
    assert len(school(client, headers["teacher"])["periods"]) == 8


def test_a_term_name_with_control_characters_is_refused(client, headers):
    """Regression: the terms' names escaped the control-character check of every other text."""
    response = change(client, headers["admin"], terms=[{**TERMS[0], "name": "Autumn\x00"}])
    assert response.status_code == 400
    assert set(response.json["error"]["fields"]) == {"terms.1.name"}


def test_a_cycle_of_2_0_weeks_is_two_weeks(client, headers):
    """Regression: JSON has one number type, and 2.0 is 2 in every other body."""
    response = change(client, headers["admin"], cycle={"weeks": 2.0, "start": "2026-08-31"})
    assert response.status_code == 200, response.json
    assert response.json["cycle"] == {"weeks": 2, "start": "2026-08-31"}


def test_me_is_the_callers_account_with_their_calendar_address(client, headers):
    me = client.get("/v1/me", headers=headers["teacher"]).json
    admin = client.get("/v1/me", headers=headers["admin"]).json

    assert me["name"] == "Ada Park" and me["role"] == "teacher"
    assert set(me) == {*client.get("/v1/accounts", headers=headers["admin"]).json["data"][0],
                       "calendar_url"}  # fmt: skip
    assert me["calendar_url"].startswith("http://localhost/calendar/")
    assert me["calendar_url"].endswith(".ics")
    assert client.get("/v1/me", headers=headers["teacher"]).json == me  # the same address
    assert admin["calendar_url"] != me["calendar_url"]
