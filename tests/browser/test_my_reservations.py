"""My reservations in Chromium: bookings under their day, each editor closed until asked
for, the cancelled kept apart and collapsed; accessible in every state, desktop and phone."""

from datetime import timedelta

import pytest
from playwright.sync_api import expect

from .accessibility import assert_accessible
from .conftest import shoot, sign_in

pytestmark = pytest.mark.browser

DESKTOP_800 = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}


@pytest.fixture
def bookings(school, create_reservation):
    """Ada's two bookings on the test's day, one the next school day, and one cancelled."""
    day, lab = school["day"], school["lab"]
    later = next_school_day(day)
    create_reservation(lab, school["ada"], day, start_slot=3, purpose="Year 9 titration")
    create_reservation(lab, school["ada"], day, start_slot=6, purpose="Science club")
    create_reservation(lab, school["ada"], later, start_slot=4, purpose="Year 11 revision")
    create_reservation(
        lab, school["ada"], later, start_slot=7, status="cancelled", purpose="Parents' evening"
    )
    return {"day": day, "later": later}


def next_school_day(day):
    day += timedelta(days=1)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day


def assert_accessible_at_both_sizes(page):
    for size in (DESKTOP_800, PHONE):
        page.set_viewport_size(size)
        assert_accessible(page)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= size["width"], f"{width} px wide at {size['width']}"
    page.set_viewport_size(DESKTOP_800)


def test_bookings_are_grouped_by_day_with_editors_closed_until_asked(page, server, bookings):
    day, later = bookings["day"], bookings["later"]
    sign_in(page, "Ada Park", "/my")
    upcoming = page.get_by_role("region", name="Upcoming")

    days = upcoming.get_by_role("heading", level=3)
    expect(days).to_have_count(2)
    expect(days.first).to_have_text(f"{day:%A %-d %B}", use_inner_text=True)
    first_day = upcoming.get_by_role("region", name=f"{day:%A %-d %B}")
    expect(first_day.get_by_role("listitem")).to_have_count(2)
    expect(upcoming).not_to_contain_text("Parents' evening")
    # Nothing to edit shows until asked for.
    expect(upcoming.get_by_label("Purpose", exact=True)).to_have_count(3)
    for field in upcoming.get_by_label("Purpose", exact=True).all():
        expect(field).to_be_hidden()
    expect(upcoming.get_by_role("button", name="Save")).to_have_count(0)
    assert_accessible_at_both_sizes(page)
    shoot(page, "my-reservations")

    titration = first_day.get_by_role("listitem").filter(has_text="Year 9 titration")
    titration.locator("summary", has_text="Change").click()
    expect(titration.get_by_label("Purpose", exact=True)).to_be_visible()
    expect(titration.get_by_role("button", name="Save")).to_be_visible()
    revision = upcoming.get_by_role("listitem").filter(has_text="Year 11 revision")
    revision.get_by_role("link", name=f"Cancel STEM Lab Alpha on {later:%-d %b}").click()
    expect(revision.get_by_role("group", name="Confirm cancelling")).to_be_visible()
    # The others stay closed.
    club = first_day.get_by_role("listitem").filter(has_text="Science club")
    expect(club.get_by_label("Purpose", exact=True)).to_be_hidden()
    assert_accessible_at_both_sizes(page)
    shoot(page, "my-reservations-editing")


def test_cancelled_bookings_are_apart_and_collapsed(page, server, bookings):
    sign_in(page, "Ada Park", "/my")
    cancelled = page.get_by_role("region", name="Cancelled")
    evening = cancelled.get_by_role("listitem").filter(has_text="Parents' evening")
    expect(evening).to_be_hidden()

    cancelled.get_by_text("Show 1 cancelled booking").click()

    expect(evening).to_be_visible()
    expect(evening).to_contain_text("Cancelled")
    expect(evening.get_by_role("link", name=r"Cancel")).to_have_count(0)
    assert_accessible_at_both_sizes(page)
    shoot(page, "my-reservations-cancelled")


def test_an_empty_list_says_so(page, server, school):
    sign_in(page, "Ben Ito", "/my")

    expect(page.get_by_role("region", name="Cancelled")).to_contain_text(
        "No cancelled bookings ahead."
    )
    expect(page.get_by_role("region", name="Past")).to_contain_text("No past reservations.")
    assert_accessible_at_both_sizes(page)
