"""The settings page through the test client: rule parameters, bell schedule, blackout dates.

What an admin saves here is what the rules engine applies next: the tests book through
``POST /v1/reservations`` and read the grid afterwards, as a teacher's tools would.
"""

import re
from datetime import timedelta

import pytest
from sqlalchemy import select
from test_admin_pages import HTMX, count, school

from roomloop.booking.blackouts import create_blackout, delete_blackout
from roomloop.booking.settings import DEFAULTS, get_setting, validate_bell_schedule
from roomloop.errors import Forbidden, ValidationError
from roomloop.extensions import db
from roomloop.models import BlackoutDate, Setting

from conftest import book, school_day
from page_client import fresh, post_form, signed_in_as, site, text

__all__ = ["school", "site"]  # fixtures of test_admin_pages.py and page_client.py

RULES = {"max_consecutive_slots": "4", "booking_window_days": "60", "weekly_quota_slots": "20"}


def save_rules(client, headers=None, **fields):
    return post_form(
        client, "/admin/settings", "/admin/settings/rules", _h=headers or {}, **{**RULES, **fields}
    )


def save_periods(client, periods, headers=None):
    starts = [start for start, _ in periods]
    ends = [end for _, end in periods]
    return post_form(
        client, "/admin/settings", "/admin/settings/bell-schedule", _h=headers or {},
        start=starts, end=ends,
    )  # fmt: skip


def stored_settings():
    fresh()
    return {row.key: row.value for row in db.session.scalars(select(Setting))}


def assert_refused(response, field_id, message):
    """400, "Nothing was saved.", and ``message`` right under the field ``field_id``."""
    assert response.status_code == 400
    html = text(response)
    assert "Nothing was saved." in html
    assert f'<p class="field-error" id="{field_id}-error">{message}</p>' in html
    field = re.search(rf'<(?:input|select)[^>]*\bid="{field_id}"[^>]*>', html).group()
    assert re.search(rf'aria-describedby="[^"]*\b{field_id}-error"', field), field
    assert 'aria-invalid="true"' in field


# --- Rule parameters --------------------------------------------------------------------


def test_settings_page_shows_the_current_values(site, school):
    html = text(signed_in_as(site, school["admin"]).get("/admin/settings"))
    for name, value in RULES.items():
        assert re.search(rf'id="{name}"[^>]*value="{value}"', html), name
    assert 'value="09:00"' in html and 'value="16:50"' in html
    assert "No blackout dates ahead: every school day can be booked." in html


def test_admin_lowers_the_run_limit_and_the_grid_obeys_it(site, school, auth_headers):
    """max_consecutive_slots 2: a 3-period booking gets 422 R-04 from the API and the form."""
    teacher = auth_headers(school["teacher"])
    client = signed_in_as(site, school["admin"])

    response = save_rules(client, max_consecutive_slots="2")

    assert response.status_code == 303
    assert "Rule parameters saved" in text(client.get("/admin/settings"))
    fresh()
    assert get_setting("max_consecutive_slots") == 2
    day = school_day()
    refused = book(client, teacher, "f1", day, start_slot=2, end_slot=4)
    assert refused.status_code == 422
    assert refused.get_json()["error"]["rule"] == "R-04"
    assert "at most 2 periods in a row" in refused.get_json()["error"]["message"]
    booking = {"facility_id": "f1", "date": day.isoformat(), "start_slot": "2", "end_slot": "4",
               "purpose": "Lab"}  # fmt: skip
    on_page = post_form(signed_in_as(site, school["teacher"]), "/", "/book", **booking)
    assert on_page.status_code == 422
    assert "at most 2 periods in a row; this booking has 3." in text(on_page)
    assert '<small class="rule-code muted">Rule R-04</small>' in text(on_page)
    assert book(client, teacher, "f1", day, start_slot=2, end_slot=3).status_code == 201


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"max_consecutive_slots": "0"}, "Enter a whole number from 1 to 12."),
        ({"booking_window_days": "1000"}, "Enter a whole number from 1 to 365."),
        ({"weekly_quota_slots": "twenty"}, "Enter a whole number from 1 to 200."),
        ({"max_consecutive_slots": ""}, "Enter a whole number from 1 to 12."),
    ],
    ids=["zero", "thousand", "words", "empty"],
)
def test_invalid_rule_parameter_is_refused_and_nothing_saved(site, school, fields, message):
    """One bad value refuses the whole form: the good ones beside it are not stored either."""
    client = signed_in_as(site, school["admin"])

    response = save_rules(client, **{"weekly_quota_slots": "30", **fields})

    assert_refused(response, next(iter(fields)), message)
    assert stored_settings() == {}


def test_rule_parameters_with_htmx_answer_their_section_only(site, school):
    client = signed_in_as(site, school["admin"])
    saved = text(save_rules(client, HTMX, weekly_quota_slots="25")).strip()
    assert saved.startswith('<section id="rules"') and "<html" not in saved
    assert "Rule parameters saved" in saved
    refused = save_rules(client, HTMX, weekly_quota_slots="0")
    assert refused.status_code == 200 and "Enter a whole number from 1 to 200." in text(refused)
    assert stored_settings()["weekly_quota_slots"] == 25


# --- Bell schedule ----------------------------------------------------------------------


def test_admin_saves_a_shorter_day_and_the_grid_follows(site, school):
    """Six periods of 55 minutes: the grid's columns and labels follow; blank rows are ignored."""
    periods = [(f"{8 + i:02d}:30", f"{9 + i:02d}:25") for i in range(6)] + [("", "")]
    client = signed_in_as(site, school["admin"])

    response = save_periods(client, periods)

    assert response.status_code == 303
    fresh()
    assert len(get_setting("bell_schedule")) == 6
    grid = text(client.get(f"/?date={school_day().isoformat()}"))
    assert "P6" in grid and "P7" not in grid
    assert "08:30–09:25" in grid


@pytest.mark.parametrize(
    ("periods", "field_id", "message"),
    [
        ([("09:00", "08:50")], "p1-end", "Must be after the start (09:00)."),
        (
            [("09:00", "09:50"), ("09:40", "10:30")],
            "p2-start",
            "Must not be before period 1 ends (09:50).",
        ),
        ([("9am", "09:50")], "p1-start", "Use the 24-hour form HH:MM, e.g. 09:00 or 13:45."),
        ([("09:00", "")], "p1-end", "Enter an end time."),
    ],
    ids=["end-before-start", "overlapping", "not-a-time", "missing-end"],
)
def test_invalid_bell_schedule_is_refused_and_nothing_saved(
    site, school, periods, field_id, message
):
    client = signed_in_as(site, school["admin"])

    response = save_periods(client, [("08:00", "08:45"), *periods])

    renumbered = re.sub(r"\d+", lambda m: str(int(m.group()) + 1), field_id)
    message = re.sub(r"period (\d)", lambda m: f"period {int(m.group(1)) + 1}", message)
    assert_refused(response, renumbered, message)
    assert stored_settings() == {}


def test_bell_schedule_needs_one_to_sixteen_periods(site, school):
    client = signed_in_as(site, school["admin"])
    periods = [(f"{7 + i // 2:02d}:{30 * (i % 2):02d}", f"{7 + i // 2:02d}:{30 * (i % 2) + 25}")
               for i in range(17)]  # fmt: skip
    for rows in (periods, [("", "")]):
        response = save_periods(client, rows)
        assert response.status_code == 400
        assert "A day has 1 to 16 periods." in text(response)
    assert stored_settings() == {}


def test_periods_that_upcoming_bookings_hold_cannot_be_removed(site, school, create_reservation):
    create_reservation(school["lab"], school["teacher"], school_day(), start_slot=8)
    client = signed_in_as(site, school["admin"])

    response = save_periods(client, [(f"{8 + i:02d}:00", f"{8 + i:02d}:50") for i in range(1, 7)])

    assert response.status_code == 400
    assert "1 upcoming booking use periods after 6; keep at least 8 periods" in text(response)
    assert stored_settings() == {}


def test_validate_bell_schedule_accepts_back_to_back_periods():
    periods = [{"start": "09:00", "end": "09:50"}, {"start": "09:50", "end": "10:40"}]
    assert validate_bell_schedule(periods) == periods
    assert DEFAULTS["bell_schedule"][0] == {"start": "09:00", "end": "09:50"}


# --- Blackout dates ---------------------------------------------------------------------


def add_blackout(client, headers=None, **fields):
    return post_form(client, "/admin/settings", "/admin/settings/blackouts", _h=headers or {},
                     **fields)  # fmt: skip


def test_blackout_closes_the_day_and_delete_opens_it(site, school, auth_headers):
    """A school-wide blackout: the grid says Blackout, bookings get R-07; deleting undoes both."""
    day = school_day()
    client = signed_in_as(site, school["admin"])
    teacher = auth_headers(school["teacher"])

    response = add_blackout(client, start_date=day.isoformat(), reason="Exam week")

    assert response.status_code == 303
    settings_page = text(client.get("/admin/settings"))
    assert f"Added the blackout Whole school, {day:%a %-d %b %Y} (Exam week)." in settings_page
    grid = text(client.get(f"/?date={day.isoformat()}"))
    # Each cell says the blackout's reason.
    assert '"cell-text">Exam week</span></td>' in grid and ">Free</span>" not in grid
    refused = book(client, teacher, "f1", day)
    assert refused.status_code == 422 and refused.get_json()["error"]["rule"] == "R-07"
    assert "(Exam week)" in refused.get_json()["error"]["message"]

    blackout_id = db.session.scalar(select(BlackoutDate.id))
    action = f"/admin/settings/blackouts/{blackout_id}/delete"
    deleted = post_form(client, "/admin/settings", action, _h=HTMX)

    assert "those days can be booked again" in text(deleted)
    assert "No blackout dates ahead" in text(deleted)
    assert count(BlackoutDate) == 0
    assert "Exam week" not in text(client.get(f"/?date={day.isoformat()}"))
    assert book(client, teacher, "f1", day).status_code == 201


def test_facility_blackout_closes_that_facility_only(site, school, create_facility, auth_headers):
    day = school_day()
    create_facility(code="f2", name="STEM Lab Beta")
    teacher = auth_headers(school["teacher"])
    client = signed_in_as(site, school["admin"])

    add_blackout(client, start_date=day.isoformat(), end_date=(day + timedelta(days=1)).isoformat(),
                 facility="f1", reason="Refit")  # fmt: skip

    assert book(client, teacher, "f1", day).get_json()["error"]["rule"] == "R-07"
    assert book(client, teacher, "f2", day).status_code == 201
    assert "STEM Lab Alpha" in text(client.get("/admin/settings"))


def test_blackout_over_existing_bookings_says_they_stay(site, school, create_reservation):
    day = school_day()
    create_reservation(school["lab"], school["teacher"], day)
    client = signed_in_as(site, school["admin"])
    response = add_blackout(client, HTMX, start_date=day.isoformat())
    assert "1 booking already made for those days stays booked." in text(response)


@pytest.mark.parametrize(
    ("fields", "field_id", "message"),
    [
        ({"start_date": ""}, "start_date", "Enter the first day, as a date."),
        ({"end_date": "2020-01-01"}, "end_date", "Must be on or after the first day."),
        ({"end_date": "next friday"}, "end_date", "Enter the last day, as a date."),
        ({"reason": "x" * 201}, "reason", "At most 200 characters."),
        ({"facility": "nowhere"}, "facility", "Choose a facility from the list."),
        ({"start_date": "9999-12-31"}, "start_date", "Use a date from 2000-01-01 to 2100-12-31."),
        ({"end_date": "2101-01-01"}, "end_date", "Use a date from 2000-01-01 to 2100-12-31."),
    ],
    ids=[
        "no-start",
        "end-before-start",
        "end-not-a-date",
        "long-reason",
        "unknown-facility",
        "start-after-2100",
        "end-after-2100",
    ],
)
def test_invalid_blackout_is_refused_and_nothing_saved(site, school, fields, field_id, message):
    client = signed_in_as(site, school["admin"])
    response = add_blackout(client, **{"start_date": school_day().isoformat(), **fields})
    assert_refused(response, field_id, message)
    assert count(BlackoutDate) == 0


def test_blackout_functions_check_the_capability(app, school):
    from roomloop.auth.permissions import Actor

    approver, admin = Actor.for_account(school["approver"]), Actor.for_account(school["admin"])
    with pytest.raises(Forbidden):
        create_blackout(approver, school_day(), None)
    blackout = create_blackout(admin, school_day(), None, " Inset day ")
    assert (blackout.end_date, blackout.reason) == (school_day(), "Inset day")
    with pytest.raises(Forbidden):
        delete_blackout(approver, blackout.id)
    with pytest.raises(ValidationError):
        create_blackout(admin, school_day(), school_day() + timedelta(days=400))
