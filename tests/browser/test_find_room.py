"""Find a free room and the week view in Chromium: search, book a result in one click, read
the week, use the form by keyboard alone; axe-core on every state at desktop and phone size.

The school (``conftest.school``): STEM Lab Alpha (fume hood, projector) and STEM Lab Beta in
the Curie Science Building, Room 101 and the Main Auditorium (350 seats, needs approval) in
the Main Building; Ben Ito holds period 2 of STEM Lab Alpha on ``school["day"]``.
"""

import re

import pytest
from playwright.sync_api import expect

from .accessibility import assert_accessible
from .conftest import assert_same_origin_and_quiet, settled, shoot, sign_in, slot_label

pytestmark = pytest.mark.browser

SIZES = ({"width": 1280, "height": 800}, {"width": 390, "height": 844})


def assert_fits_and_accessible(page):
    """axe-core finds nothing serious at desktop and at phone size; at 390 px nothing is
    wider than the screen (the week's table scrolls inside its own region)."""
    for size in SIZES:
        page.set_viewport_size(size)
        assert_accessible(page)
        if size["width"] == 390:
            assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.set_viewport_size(SIZES[0])


def find_path(day, **query):
    fields = {"date": day.isoformat(), "start_slot": 3, "end_slot": 3} | query
    return "/find?" + "&".join(f"{name}={value}" for name, value in fields.items())


def results(page):
    return page.locator("#find-results")


def test_find_a_room_and_book_it_in_one_click(page, server, school):
    """Period 3 with a projector: STEM Lab Alpha is the one room; its Book button opens the
    form prefilled, and booking it makes no room free for Ada in period 3 any more."""
    day = school["day"]
    sign_in(page, "Ada Park", "/find")
    page.get_by_label("Date").fill(day.isoformat())
    page.get_by_label("From period").select_option("3")
    page.get_by_label("To period").select_option("3")
    page.get_by_label("projector").check()
    page.get_by_role("button", name="Find rooms").click()
    settled(page)

    heading = f"1 room free on {day:%a %-d %b %Y}, period 3 ({slot_label(3)})"
    expect(results(page).get_by_role("heading", level=2)).to_have_text(heading)
    expect(results(page).get_by_role("heading", level=3)).to_have_text(["STEM Lab Alpha"])
    expect(page).to_have_url(re.compile(r"/find\?.*amenity=projector"))  # htmx pushed it
    assert_fits_and_accessible(page)
    shoot(page, "find-room")

    results(page).get_by_role("link", name="Book STEM Lab Alpha").click()
    form = page.locator("#booking-panel")
    expect(form.get_by_role("heading", name="Book STEM Lab Alpha")).to_be_visible()
    expect(form).to_contain_text(f"{day:%A %-d %B %Y} · from period 3 ({slot_label(3)})")
    form.get_by_label("Purpose").fill("Year 11 presentations")
    form.get_by_role("button", name="Book").click()
    expect(form.get_by_role("status")).to_have_text(
        f"Booked STEM Lab Alpha for {day:%a %-d %b}, {slot_label(3)}."
    )

    page.goto(find_path(day))
    expect(results(page)).to_contain_text("No room is free")
    expect(results(page)).to_contain_text("You cannot book any room then.")
    expect(results(page)).to_contain_text("STEM Lab Alpha")  # where Ada already is
    assert_fits_and_accessible(page)
    assert_same_origin_and_quiet(page, server)


def test_no_room_and_wrong_values_are_said(page, server, school):
    """Nothing with a fume hood seats 400: the empty state says what to try. Periods in the
    wrong order are named in the error summary, whose link leads to the field."""
    day = school["day"]
    sign_in(page, "Ada Park", find_path(day, seats=400, amenity="fume%20hood"))
    expect(results(page)).to_contain_text("No room has all of that. Try fewer amenities")
    assert_fits_and_accessible(page)
    shoot(page, "find-room-empty")

    page.get_by_label("From period").select_option("4")
    page.get_by_label("To period").select_option("2")
    page.get_by_role("button", name="Find rooms").click()
    summary = page.get_by_role("alert")
    expect(summary).to_contain_text("The last period is before the first")
    expect(page.get_by_label("From period")).to_have_value("4")  # kept as chosen
    expect(page.get_by_label("Seats at least")).to_have_value("400")
    expect(page.get_by_label("To period")).to_have_attribute("aria-invalid", "true")
    assert_fits_and_accessible(page)
    shoot(page, "find-room-errors")
    summary.get_by_role("link", name="To period").click()
    expect(page.get_by_label("To period")).to_be_focused()
    assert_same_origin_and_quiet(page, server)


def test_back_to_a_refused_search_htmx_no_longer_holds(page, server, school):
    """Back to a refused search that htmx's history cache no longer holds (its cache is
    full, or was cleared): htmx asks the server for the page and shows it, messages and
    all."""
    sign_in(page, "Ada Park", find_path(school["day"]))
    page.get_by_label("From period").select_option("4")
    page.get_by_label("To period").select_option("2")
    page.get_by_role("button", name="Find rooms").click()
    expect(page.get_by_role("alert")).to_contain_text("The last period is before the first")
    expect(page).to_have_url(re.compile(r"start_slot=4&end_slot=2"))  # htmx pushed it
    settled(page)

    page.get_by_label("To period").select_option("4")
    page.get_by_role("button", name="Find rooms").click()
    expect(results(page).get_by_role("heading", level=2)).to_contain_text("period 4")
    settled(page)
    page.evaluate("sessionStorage.removeItem('htmx-history-cache')")
    page.go_back()  # htmx, not the browser, goes back: it asks the server for the page

    expect(page).to_have_url(re.compile(r"start_slot=4&end_slot=2"))
    expect(page.get_by_role("alert")).to_contain_text("The last period is before the first")
    expect(results(page)).to_have_count(0)
    expect(page.get_by_label("To period")).to_have_attribute("aria-invalid", "true")
    assert_same_origin_and_quiet(page, server)


def test_the_find_form_by_keyboard_alone(page, server, school):
    """Tab to the periods, choose 3 with the arrow keys, type the seats, tick an amenity with
    Space, submit with Enter; Tab reaches the result's Book link, Enter opens its form."""
    day = school["day"]
    sign_in(page, "Ada Park", find_path(day, start_slot=1, end_slot=1))
    for _ in range(40):
        if page.evaluate("document.activeElement.id") == "find-start":
            break
        page.keyboard.press("Tab")
    expect(page.get_by_label("From period")).to_be_focused()
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Tab")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Tab")
    page.keyboard.type("25")
    page.keyboard.press("Tab")  # building: any
    page.keyboard.press("Tab")  # every week: no
    page.keyboard.press("Tab")
    expect(page.get_by_label("fume hood")).to_be_focused()
    page.keyboard.press("Space")
    page.keyboard.press("Tab")  # projector
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Find rooms")).to_be_focused()
    page.keyboard.press("Enter")
    settled(page)

    expect(results(page).get_by_role("heading", level=3)).to_have_text(["STEM Lab Alpha"])
    expect(page.get_by_role("button", name="Find rooms")).to_be_focused()  # kept in place
    page.keyboard.press("Tab")
    expect(results(page).get_by_role("link", name="Book STEM Lab Alpha")).to_be_focused()
    page.keyboard.press("Enter")
    form = page.locator("#booking-panel")
    expect(form.get_by_role("heading", name="Book STEM Lab Alpha")).to_be_visible()
    expect(form).to_contain_text(f"{day:%A %-d %B %Y} · from period 3 ({slot_label(3)})")
    expect(form.get_by_label("Until the end of period")).to_have_value("3")
    expect(form.get_by_label("Attendees (optional)")).to_have_value("25")
    assert_same_origin_and_quiet(page, server)


def test_the_week_view_shows_a_booking_and_opens_a_free_cell(page, server, school):
    """Period 2 across the week: Ben's booking says so in words; a free cell of STEM Lab
    Beta opens its booking form for that day and period; next week keeps the band."""
    day = school["day"]
    sign_in(page, "Ada Park", f"/week?week={day.isoformat()}&start_slot=2&end_slot=2")
    table = page.get_by_role("region", name=re.compile("Rooms by weekday, period 2"))
    expect(table).to_be_visible()
    alpha = table.get_by_role("row").filter(has_text="STEM Lab Alpha")
    column = day.weekday() + 2  # the room's header first
    expect(alpha.locator(f"td:nth-child({column})")).to_have_text("Booked · Ben Ito")
    expect(table.get_by_role("columnheader", name=f"{day:%a %-d %b}")).to_be_visible()
    assert_fits_and_accessible(page)
    shoot(page, "week-view")

    page.get_by_role("link", name="Next week ›").click()
    settled(page)
    expect(page.get_by_role("heading", level=2)).to_contain_text("period 2 (")
    expect(alpha.locator(f"td:nth-child({column})")).to_have_text(re.compile(r"^Free\s*to book"))
    page.get_by_role("link", name="Previous week").click()
    settled(page)

    table.get_by_role("link", name=f"Free to book STEM Lab Beta on {day:%A %-d %B}").click()
    form = page.locator("#booking-panel")
    expect(form.get_by_role("heading", name="Book STEM Lab Beta")).to_be_visible()
    expect(form).to_contain_text(f"{day:%A %-d %B %Y} · from period 2 ({slot_label(2)})")
    assert_same_origin_and_quiet(page, server)


def test_find_and_book_without_javascript(open_page, server, school):
    """Without JavaScript the form is a plain GET: the results come as a page, and Book
    opens the booking page, prefilled."""
    day = school["day"]
    page = open_page(javascript=False)
    sign_in(page, "Ada Park", "/find")
    page.get_by_label("Date").fill(day.isoformat())
    page.get_by_label("From period").select_option("2")
    page.get_by_label("To period").select_option("2")
    page.get_by_label("Building").select_option("Curie Science Building")
    page.get_by_role("button", name="Find rooms").click()

    expect(page).to_have_url(re.compile(r"/find\?date=.*building=Curie"))
    expect(results(page).get_by_role("heading", level=3)).to_have_text(["STEM Lab Beta"])
    expect(results(page)).to_contain_text("STEM Lab Alpha (30 seats): Already booked in period 2.")
    results(page).get_by_role("link", name="Book STEM Lab Beta").click()
    expect(page.get_by_role("heading", name="Book STEM Lab Beta")).to_be_visible()
    expect(page.get_by_text(f"{day:%A %-d %B %Y} · from period 2")).to_be_visible()
