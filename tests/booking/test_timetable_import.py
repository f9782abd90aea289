"""Timetable import over ``POST /v1/series/bulk``: a CSV of series, decided line by line on
one snapshot, written all together or not at all.

The clock stands on Monday 1 June 2026, 07:00 UTC. Until admins set terms, the summer term
runs from 1 April to 31 August: a line without ``until`` runs to 31 August.
"""

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from roomloop.booking.settings import set_setting
from roomloop.booking.timetable import MAX_LINES
from roomloop.extensions import db
from roomloop.models import BlackoutDate, Event, Series
from roomloop.sqlite import writing

from conftest import post_csv, stored

HEADER = "facility_id,user_email,weekdays,cycle_week,start_slot,end_slot,first_date,until,purpose\n"
TUESDAYS = [date(2026, 6, 2) + timedelta(weeks=n) for n in range(13)]  # to 25 August
THURSDAYS = [day + timedelta(days=2) for day in TUESDAYS]
NOTHING = (0, 0, 0)  # reservations, held slots, events


@pytest.fixture
def school(freeze, create_account, create_facility, auth_headers):
    freeze(2026, 6, 1, 7, 0)
    admin = create_account(role="admin", name="Root Admin")
    return {
        "ada": create_account(name="Ada Park", email="ada@school.example"),
        "ben": create_account(name="Ben Ito", email="ben@school.example"),
        "gone": create_account(name="Cy Old", email="cy@school.example", status="disabled"),
        "lab": create_facility(code="lab", name="STEM Lab Alpha"),
        "hall": create_facility(code="hall", name="Main Hall", requires_approval=True),
        "headers": auth_headers(admin),
        "teacher": auth_headers(create_account(name="Teacher")),
        "approver": auth_headers(create_account(role="approver")),
    }


def upload(client, headers, content, dry_run=False):
    return post_csv(client, "/v1/series/bulk", headers, content, dry_run, "timetable.csv")


def refusal(response):
    assert response.status_code == 400, response.get_data(as_text=True)
    error = response.json["error"]
    assert error["code"] == "validation_error"
    return error


def settings(**values):
    with writing():
        for key, value in values.items():
            set_setting(key, value)
        db.session.commit()


def close(day, facility=None, reason="Sports day"):
    with writing():
        db.session.add(
            BlackoutDate(start_date=day, end_date=day, facility_id=facility, reason=reason)
        )
        db.session.commit()


def event_types():
    db.session.rollback()
    return [e.type for e in db.session.scalars(select(Event).order_by(Event.id))]


def series_count():
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(Series))


GOOD = (
    HEADER + "lab,ada@school.example,tue,,2,3,2026-06-02,,Grade 10 Chemistry\n"
    "lab,ben@school.example,tue;thu,,4,4,2026-06-02,2026-06-30,Grade 8 Physics\n"
)


# --- A good file --------------------------------------------------------------------------


def test_a_good_file_writes_every_series_with_its_events(client, school):
    response = upload(client, school["headers"], GOOD)

    assert response.status_code == 200, response.json
    body = response.json
    assert {k: body[k] for k in body if k != "lines"} == {
        "series": 2,
        "dates_booked": 13 + 9,
        "dates_pending": 0,
        "dates_skipped": 0,
        "dry_run": False,
    }
    first, second = body["lines"]
    assert (first["line"], first["until"], first["dates_booked"]) == (2, "2026-08-31", 13)
    assert (second["line"], second["facility_id"], second["user_email"]) == (
        3,
        "lab",
        "ben@school.example",
    )
    assert stored()[:2] == (22, 13 * 2 + 9)
    assert series_count() == 2
    assert event_types() == (
        ["series.created"] + ["reservation.created"] * 13
        + ["series.created"] + ["reservation.created"] * 9
    )  # fmt: skip
    shown = client.get(f"/v1/series/{first['series_id']}", headers=school["headers"]).json
    assert shown["user"]["name"] == "Ada Park" and shown["purpose"] == "Grade 10 Chemistry"
    assert [r["date"] for r in shown["reservations"]] == [d.isoformat() for d in TUESDAYS]


def test_dry_run_counts_and_writes_nothing(client, school):
    response = upload(client, school["headers"], GOOD, dry_run=True)

    assert response.status_code == 200
    body = response.json
    assert (body["series"], body["dates_booked"], body["dry_run"]) == (2, 22, True)
    assert [line["series_id"] for line in body["lines"]] == [None, None]
    assert stored() == NOTHING and series_count() == 0


def test_the_import_overrides_r04_r05_and_r06(client, school):
    """Six periods in a row (R-04: 4), to the term's end and past the window (R-05: 60 days),
    thirty periods a week (R-06: 20): an admin's timetable may."""
    settings(series_to_term_end=False)
    content = HEADER + "lab,ada@school.example,mon;tue;wed;thu;fri,,1,6,2026-06-01,,Year 7\n"

    response = upload(client, school["headers"], content)

    assert response.status_code == 200, response.json
    assert response.json["dates_booked"] == 66  # 13 weeks and Monday 31 August


def test_a_facility_that_needs_approval_books_its_dates_pending(client, school):
    content = HEADER + "hall,ada@school.example,tue,,5,5,2026-06-02,2026-06-30,Assembly\n"
    body = upload(client, school["headers"], content).json
    assert (body["dates_booked"], body["dates_pending"]) == (5, 5)


def test_bom_semicolons_and_loose_headers_are_read(client, school):
    """Excel's "CSV UTF-8" in a semicolon country: a BOM, ``;`` between cells, the header in
    another order and case; days with spaces, or quoted with ``;``; week letters."""
    settings(cycle={"weeks": 2, "start": "2026-06-01"})
    content = (
        "\ufeff Purpose ;FACILITY_ID;User_Email;Weekdays;cycle_week;start_slot;end_slot;"
        "first_date;until\r\n"
        "Chemistry;lab;ADA@school.example;Tuesday Thursday;;2;2;2026-06-02;2026-06-30\r\n"
        'Physics;lab;ben@school.example;"tue;thu";Week B;3;3;2026-06-02;2026-06-30\r\n'
    )

    response = upload(client, school["headers"], content.encode("utf-8"))

    assert response.status_code == 200, response.json
    ada, ben = response.json["lines"]
    assert ada["dates_booked"] == 9  # every Tuesday and Thursday of June
    assert ben["dates_booked"] == 4  # weeks B: 8-12 and 22-26 June


# --- Bad lines ------------------------------------------------------------------------------


def test_bad_lines_write_nothing_and_are_each_listed(client, school):
    content = (
        HEADER + "lab,ada@school.example,tue,,2,3,2026-06-02,,Good line\n"
        "nowhere,nobody@school.example,tue,,2,3,2026-06-02,,Unknown room and person\n"
        "lab,cy@school.example,funday,,2,3,2026-06-02,,Disabled and no such day\n"
        "lab,ada@school.example,wed,3,0,9,2026-06-31,2026-05-01,Bad week slot and dates\n"
        "lab,ada@school.example,thu,,4,2,2026-06-04,2026-06-01,\n"
        "lab,ada@school.example,fri,,2,2,2026-06-05,,Too,many,cells\n"
        f"lab,ada@school.example,fri,,2,2,2026-06-05,,{'x' * 201}\n"
    )

    error = refusal(upload(client, school["headers"], content))

    assert error["rows"] == [
        {
            "line": 3,
            "field": "facility_id",
            "message": "No facility has the id 'nowhere'; the Facilities page lists them.",
        },
        {
            "line": 3,
            "field": "user_email",
            "message": "No account has the email nobody@school.example; add the account first.",
        },
        {
            "line": 4,
            "field": "user_email",
            "message": "Cy Old's account (cy@school.example) is disabled.",
        },
        {
            "line": 4,
            "field": "weekdays",
            "message": "Unknown day 'funday'; write days as mon, tue, wed, thu, fri, sat, sun, "
            "separated by ';' or spaces (mon;wed).",
        },
        {
            "line": 5,
            "field": "first_date",
            "message": "'2026-06-31' is not a date in the form YYYY-MM-DD (a spreadsheet may "
            "have rewritten it: format the column as text).",
        },
        {"line": 5, "field": "start_slot", "message": "Slot 0 is not in the bell schedule (1–8)."},
        {"line": 5, "field": "end_slot", "message": "Slot 9 is not in the bell schedule (1–8)."},
        {"line": 6, "field": "purpose", "message": "Say what the room is booked for."},
        {"line": 6, "field": "end_slot", "message": "end_slot must not be before start_slot."},
        {"line": 6, "field": "until", "message": "until must not be before first_date."},
        {
            "line": 7,
            "field": None,
            "message": "This row has 11 cells but the header has 9; put values that contain "
            "the delimiter in quotes.",
        },
        {"line": 8, "field": "purpose", "message": "At most 200 characters."},
    ]
    assert error["message"].startswith("6 rows have errors; nothing was imported.")
    assert error["fields"]["file"] == error["message"]
    assert stored() == NOTHING and series_count() == 0


def test_control_characters_are_refused_before_any_lookup(client, school):
    """PostgreSQL cannot even compare text with a NUL in it: the cell is refused first."""
    content = HEADER + "la\x00b,ada\x00@school.example,tue,,2,2,2026-06-02,,Class\x07\n"
    rows = refusal(upload(client, school["headers"], content))["rows"]
    assert {(r["field"], r["message"]) for r in rows} == {
        (name, "Must not contain control characters.")
        for name in ("facility_id", "user_email", "purpose")
    }


def test_a_cycle_week_needs_a_cycle_and_one_the_cycle_has(client, school):
    content = HEADER + "lab,ada@school.example,tue,B,2,2,2026-06-02,,Week B only\n"
    assert refusal(upload(client, school["headers"], content))["rows"] == [
        {
            "line": 2,
            "field": "cycle_week",
            "message": "The school has no timetable cycle (week A, week B); leave cycle_week out.",
        }
    ]
    settings(cycle={"weeks": 2, "start": "2026-06-01"})
    rows = refusal(upload(client, school["headers"], content.replace(",B,", ",3,")))["rows"]
    assert rows == [
        {"line": 2, "field": "cycle_week", "message": "The timetable has weeks 1 to 2."}
    ]
    rows = refusal(upload(client, school["headers"], content.replace(",B,", ",E,")))["rows"]
    assert rows[0]["message"] == "Use the timetable week 1 to 4 (or A to D), or leave it blank."


def test_lines_are_numbered_as_a_spreadsheet_shows_them(client, school):
    """Blank rows count, the header is line 1, a quoted cell over two lines is one row."""
    content = (
        HEADER + "\n"
        'lab,ada@school.example,tue,,2,2,2026-06-02,,"Two-line\npurpose"\n'
        ",,,,,,,,\n"
        "lab,ada@school.example,tue,,2,2,2026-06-02,2026-13-01,Bad until\n"
    )
    rows = refusal(upload(client, school["headers"], content))["rows"]
    assert [(r["line"], r["field"]) for r in rows] == [(5, "until")]


def test_a_clash_between_lines_is_refused_naming_the_other_line(client, school):
    """Line 4 wants the room line 2 holds (R-03); line 5 puts Ada in two rooms (R-10)."""
    content = (
        HEADER + "lab,ada@school.example,tue,,2,3,2026-06-02,2026-06-30,Chemistry\n"
        "lab,ben@school.example,thu,,2,3,2026-06-04,2026-06-30,Physics\n"
        "lab,ben@school.example,tue,,3,3,2026-06-09,2026-06-30,Biology\n"
        "hall,ada@school.example,tue,,3,4,2026-06-16,2026-06-23,Assembly\n"
    )

    rows = refusal(upload(client, school["headers"], content))["rows"]

    assert rows == [
        {
            "line": 4,
            "field": None,
            "message": "Tue 9 Jun 2026, Tue 16 Jun 2026, Tue 23 Jun 2026 and 1 more date: "
            "STEM Lab Alpha is already booked by line 2 of this file in period 3 "
            "(11:00–11:50). (R-03)",
        },
        {
            "line": 5,
            "field": None,
            "message": "Tue 16 Jun 2026, Tue 23 Jun 2026: Ada Park already has STEM Lab Alpha "
            "(line 2 of this file) booked in period 3 (11:00–11:50). (R-10)",
        },
    ]
    assert stored() == NOTHING


def test_a_clash_with_a_stored_booking_names_its_holder(client, school, create_reservation):
    create_reservation(school["lab"], school["ben"], TUESDAYS[5], 3)
    rows = refusal(upload(client, school["headers"], GOOD))["rows"]
    assert rows == [
        {
            "line": 2,
            "field": None,
            "message": "Tue 7 Jul 2026: STEM Lab Alpha is already booked by Ben Ito in period 3 "
            "(11:00–11:50). (R-03)",
        }
    ]
    assert stored()[0] == 1  # Ben's booking alone


def test_closed_dates_are_skipped_and_reported(client, school):
    """A school-wide blackout and one of the lab's are left out (R-07), as is Saturday."""
    close(TUESDAYS[2])
    close(THURSDAYS[0], facility=school["lab"].id, reason="Deep clean")
    content = HEADER + "lab,ben@school.example,tue;thu;sat,,4,4,2026-06-02,2026-06-30,Physics\n"

    response = upload(client, school["headers"], content)

    assert response.status_code == 200, response.json
    body = response.json
    assert (body["dates_booked"], body["dates_skipped"]) == (9 - 2, 2 + 4)
    skipped = {s["date"]: s["error"] for s in body["lines"][0]["skipped"]}
    assert {e["rule"] for e in skipped.values()} == {"R-07"}
    assert "Sports day" in skipped[TUESDAYS[2].isoformat()]["message"]
    assert "STEM Lab Alpha is closed" in skipped[THURSDAYS[0].isoformat()]["message"]
    assert "is a weekend" in skipped["2026-06-06"]["message"]
    shown = client.get(f"/v1/series/{body['lines'][0]['series_id']}", headers=school["headers"])
    assert shown.json["counts"]["skipped"] == 6


def test_a_line_with_every_date_closed_is_bad(client, school):
    content = HEADER + "lab,ada@school.example,sat;sun,,2,2,2026-06-06,2026-06-14,Weekend club\n"
    rows = refusal(upload(client, school["headers"], content))["rows"]
    assert rows[0]["field"] is None
    assert rows[0]["message"].startswith("No date of this line can be booked: every one is closed")


def test_other_refusals_make_the_line_bad_naming_the_date_and_the_rule(
    client, school, create_facility
):
    create_facility(code="shut", name="Old Lab", status="maintenance")
    content = (
        HEADER + "shut,ada@school.example,tue,,2,2,2026-06-02,2026-06-09,Closed room\n"
        "lab,ada@school.example,mon,,1,1,2026-05-25,2026-06-08,Started already\n"
    )
    rows = refusal(upload(client, school["headers"], content))["rows"]
    assert rows == [
        {
            "line": 2,
            "field": "facility_id",
            "message": "Tue 2 Jun 2026, Tue 9 Jun 2026: Old Lab is under maintenance and cannot "
            "be booked. (R-02)",
        },
        {
            "line": 3,
            "field": "first_date",
            "message": "Mon 25 May 2026: Period 1 (09:00–09:50) on Mon 25 May 2026 has already "
            "started; choose a later period. (R-01)",
        },
    ]
    # 1 June's period 1 begins at 09:00, after the clock's 07:00: only 25 May has begun.


def test_at_most_1000_errors_are_listed(client, school):
    content = HEADER + "nowhere,ada@school.example,tue,,2,2,2026-06-02,,x\n" * 1_200
    error = refusal(upload(client, school["headers"], content))
    assert len(error["rows"]) == 1_000 and error["rows"][-1]["line"] == 1_001
    assert "1,200 rows have errors" in error["message"]
    assert "The first 1,000 of 1,200 errors are listed." in error["message"]


@pytest.mark.parametrize(
    ("content", "words"),
    [
        (b"", "The file is empty."),
        (HEADER.encode(), "a header but no lines under it"),
        (b"facility_id,user_email\nlab,ada@school.example\n", "lacks the columns weekdays"),
        ("facility_id,Ünïcode\n".encode("latin-1"), "not UTF-8"),
        ((HEADER + "lab,a,tue,,2,2,2026-06-02,,x\n" * (MAX_LINES + 1)).encode(), "more than 2,000"),
    ],
)
def test_a_file_that_cannot_be_read_is_refused_whole(client, school, content, words):
    error = refusal(upload(client, school["headers"], content))
    assert words in error["fields"]["file"] and error["rows"] == []


# --- Access and limits ------------------------------------------------------------------------


def test_teachers_and_approvers_get_403_before_the_file_is_read(client, school):
    for who in ("teacher", "approver"):
        response = upload(client, school[who], GOOD)
        assert response.status_code == 403
        assert response.json["error"]["capability"] == "reservations:manage"
        empty = client.post("/v1/series/bulk", headers=school[who])
        assert empty.status_code == 403
    assert stored() == NOTHING


def test_no_file_is_a_400_naming_the_field(client, school):
    response = client.post("/v1/series/bulk", data={"other": "x"}, headers=school["headers"])
    assert "file" in refusal(response)["fields"]


@pytest.mark.parametrize("app_config", [{"TIMETABLE_IMPORT_MAX_BYTES": 200}])
def test_a_file_over_the_size_limit_is_413(client, school):
    response = upload(client, school["headers"], GOOD + GOOD[len(HEADER) :])
    assert response.status_code == 413
    error = response.json["error"]
    assert (error["code"], error["max_bytes"]) == ("payload_too_large", 200)
    assert stored() == NOTHING
