"""The school calendar over ``/v1/school`` and ``/v1/me``: terms, school days, the timetable
cycle and the bell schedule, read by everyone and changed by admins all or nothing."""

from datetime import date

import pytest

from roomloop.extensions import db
from roomloop.models import BlackoutDate
from roomloop.sqlite import writing

from conftest import book, stored


@pytest.fixture
def people(freeze, create_account, create_facility, auth_headers):
    freeze(2026, 6, 1, 7, 0)  # Monday
    create_facility(code="lab", name="STEM Lab Alpha")
    return {
        "teacher": auth_headers(create_account(name="Ada Park")),
        "admin": auth_headers(create_account(role="admin")),
    }


def school(client, headers):
    response = client.get("/v1/school", headers=headers)
    assert response.status_code == 200
    return response.json


def patch(client, headers, body):
    return client.patch("/v1/school", json=body, headers=headers)


def test_everyone_reads_the_calendar(client, people):
    """The default school: UTC, Monday to Friday, eight periods, the school year's terms,
    no cycle, and the blackouts from today on, one entry a day."""
    with writing():
        db.session.add(BlackoutDate(start_date=date(2026, 5, 28), end_date=date(2026, 6, 2),
                                    reason="Half term"))  # fmt: skip
        db.session.commit()

    body = school(client, people["teacher"])

    assert body["timezone"] == "UTC"
    assert body["school_days"] == ["mon", "tue", "wed", "thu", "fri"]
    assert body["periods"][1] == {
        "slot": 2,
        "label": "10:00–10:50",
        "start": "10:00",
        "end": "10:50",
    }
    assert len(body["periods"]) == 8
    assert body["terms"] == [
        {"name": "Autumn 2025", "start": "2025-09-01", "end": "2025-12-31"},
        {"name": "Spring 2026", "start": "2026-01-01", "end": "2026-03-31"},
        {"name": "Summer 2026", "start": "2026-04-01", "end": "2026-08-31"},
    ]
    assert body["cycle"] == {"weeks": 1, "start": None}
    assert body["blackouts"] == [
        {"date": "2026-06-01", "facility_id": None, "reason": "Half term"},
        {"date": "2026-06-02", "facility_id": None, "reason": "Half term"},
    ]


def test_admins_change_terms_cycle_and_school_days_together(client, people):
    body = {
        "terms": [
            {"name": "Spring", "start": "2027-01-05", "end": "2027-03-26"},
            {"name": "Autumn", "start": "2026-09-07", "end": "2026-12-18"},
        ],
        "cycle": {"weeks": 2, "start": "2026-09-07"},
        "school_days": ["sun", "mon", "tue", "wed", "thu"],
    }
    response = patch(client, people["admin"], body)

    assert response.status_code == 200, response.json
    assert [t["name"] for t in response.json["terms"]] == ["Autumn", "Spring"]  # by first day
    assert response.json["cycle"] == {"weeks": 2, "start": "2026-09-07"}
    assert response.json["school_days"] == ["mon", "tue", "wed", "thu", "sun"]
    assert school(client, people["teacher"]) == response.json


def test_school_days_decide_r07(client, people):
    """A Sunday-to-Thursday school: Friday is refused by R-07, Sunday books."""
    patch(client, people["admin"], {"school_days": ["sun", "mon", "tue", "wed", "thu"]})

    friday = book(client, people["teacher"], "lab", date(2026, 6, 5))
    sunday = book(client, people["teacher"], "lab", date(2026, 6, 7))

    assert friday.status_code == 422
    assert friday.json["error"]["rule"] == "R-07"
    assert "not a school day" in friday.json["error"]["message"]
    assert sunday.status_code == 201


def test_periods_change_through_the_calendar_too(client, people):
    periods = [{"start": "08:30", "end": "09:20"}, {"start": "09:25", "end": "10:15"}]
    response = patch(client, people["admin"], {"periods": periods})
    assert [p["label"] for p in response.json["periods"]] == ["08:30–09:20", "09:25–10:15"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"terms": [{"name": "A", "start": "2026-09-01", "end": "2026-08-01"}]}, "terms.1.end"),
        (
            {
                "terms": [
                    {"name": "A", "start": "2026-09-01", "end": "2026-12-18"},
                    {"name": "B", "start": "2026-12-01", "end": "2027-03-01"},
                ]
            },
            "terms.2.start",
        ),
        ({"terms": [{"name": "", "start": "2026-09-01", "end": "2026-12-18"}]}, "terms.1.name"),
        ({"terms": [{"name": "A", "start": "soon", "end": "2026-12-18"}]}, "terms.1.start"),
        ({"cycle": {"weeks": 2, "start": "2026-09-08"}}, "cycle.start"),  # a Tuesday
        ({"cycle": {"weeks": 2}}, "cycle.start"),
        ({"cycle": {"weeks": 5, "start": "2026-09-07"}}, "cycle.weeks"),
        ({"school_days": []}, "school_days"),
        ({"school_days": ["funday"]}, "school_days"),
        ({"periods": [{"start": "10:00", "end": "09:00"}]}, "1.end"),
        ({}, "body"),
        ({"weather": "fine"}, "weather"),
    ],
)
def test_a_bad_part_changes_nothing(client, people, body, field):
    """One bad value refuses the whole change, naming it; nothing else is stored."""
    before = school(client, people["teacher"])
    response = patch(client, people["admin"], body)
    assert response.status_code == 400, response.json
    assert field in response.json["error"]["fields"], response.json
    assert school(client, people["teacher"]) == before


def test_a_good_part_beside_a_bad_one_is_not_stored(client, people):
    before = school(client, people["teacher"])
    response = patch(client, people["admin"], {"school_days": ["mon"], "cycle": {"weeks": 9}})
    assert response.status_code == 400
    assert school(client, people["teacher"]) == before


def test_only_admins_change_the_calendar(client, people):
    response = patch(client, people["teacher"], {"school_days": ["mon"]})
    assert response.status_code == 403
    assert response.json["error"]["capability"] == "settings:manage"


def test_me_answers_the_account_and_its_calendar_address(client, people):
    response = client.get("/v1/me", headers=people["teacher"])
    assert response.status_code == 200
    assert response.json["name"] == "Ada Park"
    assert response.json["calendar_url"].startswith("http://localhost/calendar/")
    assert response.json["calendar_url"].endswith(".ics")
    again = client.get("/v1/me", headers=people["teacher"]).json["calendar_url"]
    assert again == response.json["calendar_url"]
    assert stored()[0] == 0


def test_periods_that_bookings_hold_stay(client, people, create_account, create_facility,
                                         create_reservation):  # fmt: skip
    create_reservation(create_facility(), create_account(), date(2026, 6, 2), 3)
    response = patch(client, people["admin"], {"periods": [{"start": "09:00", "end": "09:50"}]})
    assert response.status_code == 400
    assert "keep at least 3 periods" in response.json["error"]["fields"]["bell_schedule"]


def test_a_time_in_other_digits_is_refused(client, people):
    """Regression: ``\\d`` took any script's digits, so "0٩:00" (an Arabic-Indic nine) was
    stored, and every request that read the bell schedule then failed with a 500."""
    response = patch(client, people["admin"], {"periods": [{"start": "0٩:00", "end": "09:50"}]})

    assert response.status_code == 400
    assert set(response.json["error"]["fields"]) == {"1.start"}
    assert len(school(client, people["teacher"])["periods"]) == 8


def test_a_term_name_with_control_characters_is_refused(client, people):
    """Regression: the terms' names escaped the control-character check of every other text."""
    term = {"name": "Autumn\x00", "start": "2026-09-01", "end": "2026-12-18"}
    response = patch(client, people["admin"], {"terms": [term]})
    assert response.status_code == 400
    assert set(response.json["error"]["fields"]) == {"terms.1.name"}


def test_a_cycle_of_2_0_weeks_is_two_weeks(client, people):
    """Regression: JSON has one number type, and 2.0 is 2 in every other body."""
    response = patch(client, people["admin"], {"cycle": {"weeks": 2.0, "start": "2026-08-31"}})
    assert response.status_code == 200, response.json
    assert response.json["cycle"] == {"weeks": 2, "start": "2026-08-31"}
