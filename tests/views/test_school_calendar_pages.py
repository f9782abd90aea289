"""The school calendar on the pages, through the test client: terms, the timetable cycle and
the school days on the Settings page, each saved whole through ``update_school_calendar`` or
not at all; and the week of the cycle named on the grid, a facility's week and the booking
form.

The clock stands on Monday 1 June 2026, 07:00 UTC: this school year's default terms are
autumn 2025, spring 2026 and summer 2026 (1 April to 31 August).
"""

import re
from datetime import date

import pytest
from test_admin_pages import HTMX, fresh, post_form, signed_in_as, site, text
from test_admin_settings_pages import assert_refused, stored_settings

from roomloop.booking.settings import set_setting
from roomloop.extensions import db
from roomloop.sqlite import writing

from conftest import book

__all__ = ["site"]  # the fixture, shared with test_admin_pages

DEFAULT_TERMS = [
    ("Autumn 2025", "2025-09-01", "2025-12-31"),
    ("Spring 2026", "2026-01-01", "2026-03-31"),
    ("Summer 2026", "2026-04-01", "2026-08-31"),
]


@pytest.fixture
def school(freeze, create_account, create_facility, auth_headers):
    freeze(2026, 6, 1, 7, 0)
    teacher = create_account(name="Ada Park")
    return {
        "lab": create_facility(code="f1", name="STEM Lab Alpha"),
        "teacher": teacher,
        "teacher_key": auth_headers(teacher),
        "admin": create_account(role="admin", name="Cy Diaz"),
    }


def save_terms(client, rows, remove=(), headers=None):
    """Post the terms table: ``rows`` of (name, first day, last day), as typed."""
    fields = {
        "term_name": [r[0] for r in rows],
        "term_start": [r[1] for r in rows],
        "term_end": [r[2] for r in rows],
        "remove": [str(i) for i in remove],
    }
    return post_form(client, "/admin/settings", "/admin/settings/terms", _h=headers or {},
                     **fields)  # fmt: skip


def term_inputs(html):
    """The terms table's rows as shown: (name, first day, last day) values."""
    rows = []
    for n in range(1, 20):
        values = [re.search(rf'id="t{n}-{part}"[^>]*value="([^"]*)"', html) for part in
                  ("name", "start", "end")]  # fmt: skip
        if values[0] is None:
            break
        rows.append(tuple(v.group(1) for v in values))
    return rows


# --- Terms -----------------------------------------------------------------------------------


def test_the_terms_section_shows_this_school_years_terms_and_spare_rows(site, school):
    html = text(signed_in_as(site, school["admin"]).get("/admin/settings"))

    assert term_inputs(html) == [*DEFAULT_TERMS, ("", "", ""), ("", "", "")]
    assert "Until terms are saved here, every year has three" in html
    assert html.count('name="remove"') == 3 + 8  # the terms' ticks and the bell schedule's


def test_saved_terms_set_where_a_series_ends_by_default(site, school):
    """A summer term to 17 July: the booking form's Repeat runs to it, and the API says it."""
    client = signed_in_as(site, school["admin"])
    rows = [("Spring term", "2026-01-05", "2026-03-27"), ("Summer term", "2026-04-20",
            "2026-07-17"), ("", "", "")]  # fmt: skip

    response = save_terms(client, rows)

    assert response.status_code == 303
    assert stored_settings()["terms"] == [
        {"name": "Spring term", "start": "2026-01-05", "end": "2026-03-27"},
        {"name": "Summer term", "start": "2026-04-20", "end": "2026-07-17"},
    ]
    page = text(client.get("/admin/settings"))
    assert "Terms saved." in page and "Until terms are saved here" not in page
    form = text(client.get("/book?facility_id=f1&date=2026-06-02&start_slot=2&end_slot=2"))
    assert re.search(r'id="until"[^>]*value="2026-07-17"', form)
    assert "Summer term ends on Fri 17 Jul 2026." in form
    school_terms = client.get("/v1/school", headers=school["teacher_key"]).json["terms"]
    assert [t["name"] for t in school_terms] == ["Spring term", "Summer term"]


def test_a_removed_term_goes_and_a_filled_empty_row_is_added(site, school):
    client = signed_in_as(site, school["admin"])
    rows = [*DEFAULT_TERMS, ("Autumn 2026", "2026-09-01", "2026-12-18"), ("", "", "")]

    assert save_terms(client, rows, remove=[0]).status_code == 303

    names = [t["name"] for t in stored_settings()["terms"]]
    assert names == ["Spring 2026", "Summer 2026", "Autumn 2026"]


@pytest.mark.parametrize(
    ("changed", "field_id", "message"),
    [
        ({2: ("Summer 2026", "2026-03-30", "2026-08-31")}, "t3-start",
         "Overlaps Spring 2026 (1 Jan 2026 to 31 Mar 2026)."),
        ({1: ("Spring 2026", "2026-01-01", "2025-12-01")}, "t2-end",
         "Must not be before the first day."),
        ({2: ("", "2026-04-01", "2026-08-31")}, "t3-name",
         "Give the term a name of 1 to 60 characters."),
        ({3: ("Autumn 2026", "1 Sept", "2026-12-18")}, "t4-start",
         "Use a real date in the form YYYY-MM-DD."),
        ({3: ("Autumn 2026", "2026-09-01", "")}, "t4-end",
         "Use a real date in the form YYYY-MM-DD."),
    ],
    ids=["overlap", "end-before-start", "no-name", "start-not-a-date", "no-end"],
)  # fmt: skip
def test_bad_terms_are_refused_under_their_row_and_nothing_saved(
    site, school, changed, field_id, message
):
    client = signed_in_as(site, school["admin"])
    rows = [*DEFAULT_TERMS, ("", "", ""), ("", "", "")]
    for i, row in changed.items():
        rows[i] = row

    response = save_terms(client, rows)

    assert_refused(response, field_id, message)
    assert "Correct the terms marked below." in text(response)
    assert term_inputs(text(response))[: len(rows)] == rows  # as typed
    assert stored_settings() == {}


def test_an_error_finds_its_row_past_a_removed_one(site, school):
    """Row 1 ticked Remove: the domain's second term is the page's third row."""
    client = signed_in_as(site, school["admin"])
    rows = [*DEFAULT_TERMS, ("Autumn 2026", "2026-09-01", "2026-08-01")]

    response = save_terms(client, rows, remove=[0])

    assert_refused(response, "t4-end", "Must not be before the first day.")
    assert re.search(r'name="remove" value="0" checked', text(response))
    assert stored_settings() == {}


def test_terms_with_htmx_answer_their_section_only(site, school):
    client = signed_in_as(site, school["admin"])
    rows = [("Whole year", "2025-09-01", "2026-08-31")]

    saved = text(save_terms(client, rows, headers=HTMX)).strip()
    refused = save_terms(client, [("Whole year", "2026-09-01", "2026-08-31")], headers=HTMX)

    assert saved.startswith('<section id="terms"') and "<html" not in saved
    assert "Terms saved." in saved and term_inputs(saved)[0] == rows[0]
    assert refused.status_code == 200 and "Must not be before the first day." in text(refused)
    assert [t["name"] for t in stored_settings()["terms"]] == ["Whole year"]


# --- Timetable cycle -------------------------------------------------------------------------

FORM_9_JUNE = "/book?facility_id=f1&date=2026-06-09&start_slot=2&end_slot=2"


def assert_weeks_named(client):
    """With week A from 1 June: 9 June is in week B on the grid and the booking form, and
    the week of 15 June is week A, each of its days."""
    grid = text(client.get("/?date=2026-06-09"))
    assert '<span class="week-label">· Week B</span>' in grid
    week = text(client.get("/facilities/f1?week=2026-06-15"))
    assert week.count('<span class="slot-time">Week A</span>') == 5
    assert "Tuesday 9 June 2026\n    · Week B" in text(client.get(FORM_9_JUNE))


def save_cycle(client, headers=None, **fields):
    return post_form(client, "/admin/settings", "/admin/settings/cycle", _h=headers or {},
                     **fields)  # fmt: skip


def test_an_admin_sets_a_two_week_cycle_and_the_pages_follow(site, school):
    client = signed_in_as(site, school["admin"])

    response = save_cycle(client, weeks="2", start="2026-06-01")

    assert response.status_code == 303
    assert stored_settings()["cycle"] == {"weeks": 2, "start": "2026-06-01"}
    settings_page = text(client.get("/admin/settings"))
    assert "Timetable cycle saved: 2 weeks, week A from Mon 1 Jun 2026. This week is week A." in (
        settings_page
    )
    assert re.search(r'<option selected value="2">2: week A, week B', settings_page)
    assert_weeks_named(client)
    form = text(client.get(FORM_9_JUNE))
    assert ">Week A only</option>" in form and ">Week B only</option>" in form


def test_one_week_means_no_cycle_and_no_week_names(site, school):
    client = signed_in_as(site, school["admin"])
    save_cycle(client, weeks="2", start="2026-06-01")

    response = save_cycle(client, HTMX, weeks="1", start="2026-06-01")

    assert "Timetable cycle saved: every week is the same." in text(response)
    assert stored_settings()["cycle"] == {"weeks": 1, "start": None}
    assert "week-label" not in text(client.get("/?date=2026-06-09"))


@pytest.mark.parametrize(
    ("fields", "field_id", "message"),
    [
        ({"weeks": "2", "start": "2026-06-02"}, "start",
         "Week A starts on a Monday; Tue 2 Jun 2026 is a Tuesday."),
        ({"weeks": "2", "start": ""}, "start", "Give the Monday that starts week A."),
        ({"weeks": "2", "start": "June"}, "start", "Use a real date in the form YYYY-MM-DD."),
        ({"weeks": "6", "start": "2026-06-01"}, "weeks", "A timetable cycle has 1 to 4 weeks."),
    ],
    ids=["not-a-monday", "no-start", "not-a-date", "six-weeks"],
)  # fmt: skip
def test_a_bad_cycle_is_refused_under_its_field_and_nothing_saved(
    site, school, fields, field_id, message
):
    response = save_cycle(signed_in_as(site, school["admin"]), **fields)

    assert_refused(response, field_id, message)
    assert (
        re.search(rf'id="start"[^>]*value="{fields["start"]}"', text(response))
        or not (fields["start"])
    )
    assert stored_settings() == {}


def test_a_two_week_cycle_is_named_on_the_grid_the_week_and_the_form(site, school):
    with writing():
        set_setting("cycle", {"weeks": 2, "start": "2026-06-01"})
        db.session.commit()
    assert_weeks_named(signed_in_as(site, school["teacher"]))


def test_without_a_cycle_no_week_is_named(site, school):
    client = signed_in_as(site, school["teacher"])
    assert "week-label" not in text(client.get("/?date=2026-06-09"))
    assert "Week A" not in text(client.get("/facilities/f1?week=2026-06-15"))


# --- School days -----------------------------------------------------------------------------


def save_days(client, days, headers=None):
    return post_form(client, "/admin/settings", "/admin/settings/school-days",
                     _h=headers or {}, school_days=days)  # fmt: skip


def test_sunday_to_thursday_moves_what_r07_refuses(site, school):
    client = signed_in_as(site, school["admin"])

    response = save_days(client, ["sun", "mon", "tue", "wed", "thu"])

    assert response.status_code == 303
    assert stored_settings()["school_days"] == ["mon", "tue", "wed", "thu", "sun"]
    page = text(client.get("/admin/settings"))
    assert "School days saved; bookings follow them from now on." in page
    ticked = re.findall(r'<input checked id="school_days-\d" name="school_days" type="checkbox" '
                        r'value="(\w+)"', page)  # fmt: skip
    assert ticked == ["mon", "tue", "wed", "thu", "sun"]
    friday = book(client, school["teacher_key"], "f1", date(2026, 6, 5))
    assert friday.status_code == 422 and friday.json["error"]["rule"] == "R-07"
    assert book(client, school["teacher_key"], "f1", date(2026, 6, 7)).status_code == 201


def test_no_school_day_is_refused(site, school):
    client = signed_in_as(site, school["admin"])
    for headers, status in ((None, 400), (HTMX, 200)):
        response = save_days(client, [], headers)
        assert response.status_code == status
        html = text(response)
        error = "Choose at least one school day."
        assert f'<p class="field-error" id="school_days-error">{error}</p>' in html
        assert '<fieldset aria-describedby="school_days-error">' in html
    assert stored_settings() == {}


def test_only_admins_change_the_school_calendar(site, school):
    client = signed_in_as(site, school["teacher"])
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', text(client.get("/"))).group(1)
    posts = {
        "/admin/settings/terms": {"term_name": "T", "term_start": "2026-01-01",
                                  "term_end": "2026-02-01"},
        "/admin/settings/cycle": {"weeks": "2", "start": "2026-06-01"},
        "/admin/settings/school-days": {"school_days": ["mon"]},
    }  # fmt: skip
    for path, fields in posts.items():
        assert client.post(path, data={"csrf_token": token, **fields}).status_code == 403, path
    admin = signed_in_as(site, school["admin"])
    assert admin.post("/admin/settings/cycle", data={"weeks": "2"}).status_code == 400  # no token
    fresh()
    assert stored_settings() == {}
