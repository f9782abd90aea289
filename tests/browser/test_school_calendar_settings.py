"""The school calendar's sections of the Settings page in Chromium: a term refused beside its
row and then saved, and a two-week timetable that the grid then names."""

import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from roomloop.extensions import db
from roomloop.models import Setting

from .conftest import assert_same_origin_and_quiet, grid_path, settled, shoot, sign_in

pytestmark = pytest.mark.browser


@pytest.fixture
def admin(school, create_account):
    return create_account(role="admin", name="Dee Okafor")


def stored(key):
    db.session.rollback()  # read what the server committed
    row = db.session.get(Setting, key)
    return row and row.value


def test_admin_corrects_a_term_then_sets_a_two_week_timetable(page, server, school, admin):
    day = school["day"]
    sign_in(page, "Dee Okafor", "/admin/settings", role="admin")
    terms = page.locator("#terms")
    expect(terms.get_by_label("Term 1 name")).not_to_have_value("")
    shoot(page, "settings-calendar")

    terms.get_by_label("Term 4 name").fill("Extra week")
    for part in ("first day", "last day"):  # the same days as term 3: an overlap
        value = terms.get_by_label(f"Term 3 {part}").input_value()
        terms.get_by_label(f"Term 4 {part}").fill(value)
    terms.get_by_role("button", name="Save terms").click()

    error = terms.get_by_label("Term 4 first day")
    expect(error).to_have_attribute("aria-invalid", "true")
    expect(terms.locator("#t4-start-error")).to_contain_text("Overlaps")
    expect(terms.get_by_role("alert")).to_contain_text("Nothing was saved.")
    expect(terms.get_by_label("Term 4 name")).to_have_value("Extra week")  # as typed
    shoot(page, "settings-terms-refused")
    assert stored("terms") is None

    settled(page)
    terms.get_by_role("checkbox", name="Remove term 4 (Extra week)").check()
    terms.get_by_role("button", name="Save terms").click()
    expect(page.locator("#terms").get_by_role("status")).to_have_text("Terms saved.")
    assert len(stored("terms")) == 3

    monday = day - timedelta(days=day.weekday())
    cycle = page.locator("#cycle")
    settled(page)
    cycle.get_by_label("Weeks in the timetable").select_option("2")
    cycle.get_by_label("Monday that starts week A").fill(monday.isoformat())
    cycle.get_by_role("button", name="Save timetable cycle").click()
    expect(page.locator("#cycle").get_by_role("status")).to_contain_text(
        f"Timetable cycle saved: 2 weeks, week A from {monday:%a %-d %b %Y}."
    )
    assert stored("cycle") == {"weeks": 2, "start": monday.isoformat()}
    shoot(page, "settings-cycle-saved")

    page.goto(grid_path(day + timedelta(weeks=1)))
    expect(page.locator("#grid-title")).to_contain_text("· Week B")
    shoot(page, "grid-week-b")
    page.goto(f"/facilities/f1?week={(day + timedelta(weeks=1)).isoformat()}")
    expect(page.get_by_role("columnheader", name=re.compile("Week B"))).to_have_count(5)
    shoot(page, "facility-week-b")
    assert_same_origin_and_quiet(page, server)
