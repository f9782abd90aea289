"""More of the teacher's pages in Chromium: without JavaScript, approval, filters, origins.

Split from ``test_teacher_pages.py`` to keep each file short; same fixtures, same style.
"""

import re
from datetime import timedelta

import pytest
import requests
from playwright.sync_api import expect

from .conftest import (
    assert_same_origin_and_quiet,
    cell_label,
    free_cell,
    grid_path,
    shoot,
    sign_in,
    slot_label,
    weekday_from,
)

pytestmark = pytest.mark.browser


def test_the_whole_journey_works_without_javascript(open_page, server, school):
    """Without JavaScript: full pages for booking, a refusal, a purpose edit and a cancel."""
    day = school["day"]
    page = open_page(javascript=False)
    sign_in(page, "Ada Park", grid_path(day))

    free_cell(page, "STEM Lab Alpha", 3).click()
    expect(page).to_have_url(re.compile(r"/book\?facility_id=f1&"))
    expect(page.get_by_role("heading", level=1)).to_have_count(0)  # the form is the page
    expect(page.get_by_role("heading", name="Book STEM Lab Alpha")).to_be_visible()
    page.get_by_label("Purpose").fill("Year 9 titration")
    page.get_by_role("button", name="Book").click()
    expect(page).to_have_url(server + grid_path(day))
    expect(page.locator("p.flash")).to_have_text(
        f"Booked STEM Lab Alpha for {day:%a %-d %b}, {slot_label(3)}."
    )
    expect(
        page.get_by_role("cell", name=f"{cell_label('STEM Lab Alpha', 3)}, yours")
    ).to_be_visible()

    free_cell(page, "STEM Lab Alpha", 6).click()
    page.get_by_label("Purpose").fill("Year 11 revision")
    body = {"facility_id": "f1", "date": day.isoformat(), "start_slot": 6, "end_slot": 6,
            "purpose": "Chemistry club"}  # fmt: skip
    taken = requests.post(
        f"{server}/v1/reservations", json=body, headers=school["ben_headers"], timeout=10
    )
    assert taken.status_code == 201, taken.text
    page.get_by_role("button", name="Book").click()
    refusal = page.get_by_role("alert")
    expect(refusal).to_contain_text("Already taken.")
    expect(refusal).to_contain_text("STEM Lab Alpha is already booked by Ben Ito in period 6")
    shoot(page, "nojs-booking-refusal")
    refusal.get_by_role("link", name=re.compile(r"^STEM Lab Beta")).click()
    expect(page).to_have_url(re.compile(r"/book\?facility_id=lab-beta&"))
    expect(page.get_by_label("Purpose")).to_have_value("Year 11 revision")
    page.get_by_role("button", name="Book").click()
    expect(page.locator("p.flash")).to_have_text(
        f"Booked STEM Lab Beta for {day:%a %-d %b}, {slot_label(6)}."
    )

    page.get_by_role("link", name="My reservations", exact=True).click()
    item = page.get_by_role("listitem").filter(has_text="STEM Lab Alpha")
    item.locator("summary", has_text="Change").click()  # <details> opens without scripts
    item.get_by_label("Purpose").fill("Year 9 titration, group B")
    item.get_by_role("button", name="Save").click()
    expect(page).to_have_url(server + "/my")
    expect(page.locator("p.flash")).to_have_text("Purpose saved.")
    expect(page.locator("p.flash")).to_have_attribute("role", "status")
    expect(item.get_by_label("Purpose")).to_have_value("Year 9 titration, group B")

    item.get_by_role("link", name=f"Cancel STEM Lab Alpha on {day:%-d %b}").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Cancel a reservation")
    expect(page.get_by_role("group", name="Confirm cancelling")).to_contain_text(
        f"Cancel STEM Lab Alpha on {day:%a %-d %b}?"
    )
    shoot(page, "nojs-cancel-confirm")
    page.get_by_role("button", name="Yes, cancel it").click()
    expect(page).to_have_url(server + "/my")
    expect(page.locator("p.flash")).to_have_text("Reservation cancelled; the slots are free again.")
    page.get_by_text("Show 1 cancelled booking").click()  # kept apart, opened without scripts
    expect(item).to_contain_text("Cancelled")
    shoot(page, "nojs-my-reservations")

    page.goto(grid_path(day))
    expect(free_cell(page, "STEM Lab Alpha", 3)).to_be_visible()
    assert [url for url in page.log.requests if not url.startswith(server + "/")] == []
    # The refusal page answers 409 on purpose (as the API does); Chromium logs that status.
    conflict = "Failed to load resource: the server responded with a status of 409 (CONFLICT)"
    assert page.log.console_errors == [conflict]


def test_a_facility_needing_approval_is_requested_and_pending(page, server, school):
    """Booking the auditorium says "Requested … pending"; My reservations shows it pending."""
    day = school["day"]
    sign_in(page, "Ada Park", grid_path(day))

    free_cell(page, "Main Auditorium", 5).click()
    panel = page.locator("#booking-panel")
    expect(panel).to_contain_text("350 seats · needs approval")
    panel.get_by_label("Purpose").fill("Year 7 assembly")
    panel.get_by_label("Attendees (optional)").fill("180")
    panel.get_by_role("button", name="Book").click()

    expect(panel.get_by_role("heading", name="Requested")).to_be_focused()
    expect(panel.get_by_role("status")).to_have_text(
        f"Requested Main Auditorium for {day:%a %-d %b}, {slot_label(5)}. It needs approval "
        "and shows as pending until then."
    )
    cell = page.get_by_role(
        "cell", name=f"{cell_label('Main Auditorium', 5)}, yours (pending approval)"
    )
    expect(cell).to_have_text("★ Yours · pending")
    shoot(page, "grid-pending")

    page.get_by_role("link", name="My reservations", exact=True).click()
    item = page.get_by_role("listitem").filter(has_text="Main Auditorium")
    expect(item).to_contain_text("Pending approval")
    expect(item).to_contain_text(f"{day:%a %-d %b %Y} · period 5")
    assert_same_origin_and_quiet(page, server)


def grid_rows(page):
    """The facility names of the grid's rows, top to bottom."""
    return page.locator("#grid-region tbody th[scope=row] a")


def test_filters_day_navigation_and_the_facility_week(page, server, school):
    """Filters narrow the rows (or say none match), day links move the date, a facility shows."""
    day = school["day"]
    sign_in(page, "Ada Park", grid_path(day))
    all_rooms = ["STEM Lab Alpha", "STEM Lab Beta", "Main Auditorium", "Room 101"]
    expect(grid_rows(page)).to_have_text(all_rooms)

    page.get_by_label("Type").select_option("lab")
    expect(grid_rows(page)).to_have_text(["STEM Lab Alpha", "STEM Lab Beta"])
    page.get_by_label("Type").select_option("")
    expect(grid_rows(page)).to_have_text(all_rooms)  # one request at a time: htmx drops the next
    page.get_by_label("Building").select_option("Main Building")
    expect(grid_rows(page)).to_have_text(["Main Auditorium", "Room 101"])
    page.get_by_label("Seats at least").fill("100")
    page.get_by_label("Seats at least").press("Enter")
    expect(grid_rows(page)).to_have_text(["Main Auditorium"])
    expect(page).to_have_url(re.compile(r"capacity=100"))
    page.get_by_label("Seats at least").fill("1000")
    page.get_by_label("Seats at least").press("Enter")
    expect(page.get_by_text("No rooms match these filters.")).to_be_visible()
    expect(grid_rows(page)).to_have_count(0)
    shoot(page, "grid-no-match")
    page.get_by_role("link", name="Clear the filters").click()
    expect(grid_rows(page)).to_have_text(all_rooms)

    title = page.locator("#grid-title")
    nav = page.get_by_role("navigation", name="Choose the day")
    nav.get_by_role("link", name="Day ›").click()
    expect(title).to_have_text(f"{weekday_from(day):%A %-d %B %Y}")
    nav.get_by_role("link", name="‹ Day").click()
    expect(title).to_have_text(f"{day:%A %-d %B %Y}")
    nav.get_by_role("link", name="‹ Day").click()
    expect(title).to_have_text(f"{weekday_from(day, -1):%A %-d %B %Y}")
    nav.get_by_role("link", name="Week »").click()
    expect(title).to_have_text(f"{weekday_from(day, -1) + timedelta(days=7):%A %-d %B %Y}")

    page.goto(grid_path(day))
    page.get_by_role("link", name="STEM Lab Alpha", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("STEM Lab Alpha")
    facts = page.locator("dl.facts")
    expect(facts).to_contain_text("Capacity30 seats")
    expect(facts).to_contain_text("BuildingCurie Science Building")
    expect(facts).to_contain_text("StatusOpen for booking")
    expect(facts).to_contain_text("Amenitiesfume hood, projector")
    monday = day - timedelta(days=day.weekday())
    expect(page.get_by_role("heading", level=2)).to_have_text(f"Week of {monday:%-d %B %Y}")
    expect(
        page.get_by_role("cell", name=f"{cell_label('STEM Lab Alpha', 2)}, booked by Ben Ito")
    ).to_have_count(1)
    expect(
        page.get_by_role("link", name=re.compile(r"^STEM Lab Alpha, period 1, .*free"))
    ).to_have_count(5)
    shoot(page, "facility-week")
    assert_same_origin_and_quiet(page, server)


def test_a_filter_after_moving_a_day_keeps_that_day(page, server, school):
    """After "Day ›" the date field shows the new day, and choosing a filter stays on it."""
    next_day = weekday_from(school["day"])
    sign_in(page, "Ada Park", grid_path(school["day"]))

    page.get_by_role("link", name="Day ›").click()
    expect(page.locator("#grid-title")).to_have_text(f"{next_day:%A %-d %B %Y}")
    page.get_by_label("Type").select_option("lab")

    expect(grid_rows(page)).to_have_text(["STEM Lab Alpha", "STEM Lab Beta"])
    expect(page.get_by_label("Date")).to_have_value(next_day.isoformat())
    expect(page.locator("#grid-title")).to_have_text(f"{next_day:%A %-d %B %Y}")


def test_pages_load_nothing_from_elsewhere_and_log_no_errors(
    page, server, school, create_reservation
):
    """Every page and fragment a teacher opens loads only from RoomLoop and logs no error."""
    day = school["day"]
    reservation = create_reservation(school["lab"], school["ada"], day, start_slot=7)
    page.goto("/login")
    shoot(page, "login")
    sign_in(page, "Ada Park", grid_path(day))
    free_cell(page, "Room 101", 1).click()
    expect(page.get_by_role("heading", name="Book Room 101")).to_be_visible()
    for path in ("/my", f"/my/{reservation.public_id}/cancel", "/facilities/auditorium", "/"):
        response = page.goto(path)
        assert response.status == 200, path
    page.goto("/my")
    page.get_by_role("link", name=re.compile("^Cancel STEM Lab Alpha")).click()
    expect(page.get_by_role("button", name="Yes, cancel it")).to_be_visible()

    origins = {re.match(r"https?://[^/]+", url).group() for url in page.log.requests}
    assert origins == {server}
    assert any("/static/vendor/htmx-2.0.11/htmx.min.js" in url for url in page.log.requests)
    assert_same_origin_and_quiet(page, server)
