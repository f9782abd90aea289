"""The grid's pager in Chromium: 50 rooms a page, the next rooms in place, Back to the first.

The school's four rooms plus 56 in the Annex make 60: the Annex comes first (rooms are
ordered by building, then name), so page 2 shows Annex rooms 51–56 and the school's rooms.
"""

import re

import pytest
from playwright.sync_api import expect

from .conftest import assert_same_origin_and_quiet, grid_path, shoot, sign_in, weekday_from
from .test_teacher_pages_more import grid_rows

pytestmark = pytest.mark.browser

ANNEX = [f"Annex Room {n:02d}" for n in range(1, 57)]
SCHOOL = ["STEM Lab Alpha", "STEM Lab Beta", "Main Auditorium", "Room 101"]


@pytest.fixture
def annex(create_facility):
    """Store the Annex's 56 classrooms, last first, so that storing order cannot help."""
    for n, name in reversed(list(enumerate(ANNEX, start=1))):
        create_facility(code=f"annex-{n}", name=name, type="classroom", building="Annex")


def test_next_rooms_by_keyboard_in_place_and_back(page, server, school, annex):
    """Enter on "Next rooms ›" shows rooms 51–60 in place with page=2; Back shows 1–50 again."""
    day = school["day"]
    sign_in(page, "Ada Park", grid_path(day))
    pager = page.get_by_role("navigation", name="More rooms")
    expect(pager).to_contain_text("Rooms 1–50 of 60")
    expect(grid_rows(page)).to_have_text(ANNEX[:50])
    expect(pager.get_by_role("link", name="‹ Previous rooms")).to_have_count(0)
    page.evaluate("window.stillTheSamePage = true")

    next_rooms = pager.get_by_role("link", name="Next rooms ›")
    next_rooms.focus()
    with page.expect_request(re.compile(r"[?&]page=2\b")) as asked:
        page.keyboard.press("Enter")

    expect(grid_rows(page)).to_have_text(ANNEX[50:] + SCHOOL)
    expect(pager).to_contain_text("Rooms 51–60 of 60")
    expect(pager.get_by_role("link", name="Next rooms ›")).to_have_count(0)
    expect(pager.get_by_role("link", name="‹ Previous rooms")).to_be_visible()
    expect(page).to_have_url(re.compile(rf"\?date={day.isoformat()}&page=2$"))
    assert asked.value.headers.get("hx-request") == "true"  # htmx asked, not a navigation
    assert page.evaluate("window.stillTheSamePage") is True
    # "Next" is gone on the last page: focus stays in the pager, on "Previous".
    expect(pager.get_by_role("link", name="‹ Previous rooms")).to_be_focused()
    shoot(page, "grid-rooms-51-60")

    page.go_back()
    expect(page).to_have_url(server + grid_path(day))
    expect(grid_rows(page)).to_have_text(ANNEX[:50])
    expect(pager).to_contain_text("Rooms 1–50 of 60")
    assert_same_origin_and_quiet(page, server)


def test_a_filter_then_next_rooms_then_the_next_day(page, server, school, annex):
    """With a building chosen the pager counts its rooms; Next and then Day › keep it and page 2."""
    day = school["day"]
    sign_in(page, "Ada Park", grid_path(day))
    page.get_by_label("Building").select_option("Annex")
    pager = page.get_by_role("navigation", name="More rooms")
    expect(pager).to_contain_text("Rooms 1–50 of 56")

    pager.get_by_role("link", name="Next rooms ›").click()
    expect(grid_rows(page)).to_have_text(ANNEX[50:])
    expect(pager).to_contain_text("Rooms 51–56 of 56")
    expect(page).to_have_url(re.compile(r"building=Annex"))
    expect(page).to_have_url(re.compile(r"page=2"))

    page.get_by_role("navigation", name="Choose the day").get_by_role("link", name="Day ›").click()
    expect(page.locator("#grid-title")).to_have_text(f"{weekday_from(day):%A %-d %B %Y}")
    expect(grid_rows(page)).to_have_text(ANNEX[50:])
    expect(page.get_by_label("Building")).to_have_value("Annex")
    expect(page.get_by_label("Date")).to_have_value(weekday_from(day).isoformat())

    page.get_by_label("Type").select_option("classroom")  # a new filter starts at page 1
    expect(pager).to_contain_text("Rooms 1–50 of 56")
    expect(grid_rows(page)).to_have_text(ANNEX[:50])
    assert_same_origin_and_quiet(page, server)
