"""A teacher's journeys through the pages in Chromium: book, edit, cancel, get refused.

Each test signs in with dev login on a live server, acts as a person does (clicking what a
screen reader would name, typing, pressing keys) and asserts what the person sees.
"""

import pytest
import requests
from playwright.sync_api import expect

from .conftest import (
    assert_same_origin_and_quiet,
    cell_label,
    free_cell,
    grid_path,
    settled,
    shoot,
    sign_in,
    slot_label,
    weekday_from,
)

pytestmark = pytest.mark.browser


def test_book_a_free_slot_from_the_grid_in_place(page, server, school):
    """Clicking a free cell opens the form in place; booking confirms and marks it "Yours"."""
    day = school["day"]
    sign_in(page, "Ada Park", grid_path(day))
    expect(page.get_by_role("heading", level=2, name=f"{day:%A %-d %B %Y}")).to_be_visible()
    shoot(page, "grid")
    page.evaluate("window.stillTheSamePage = true")

    free_cell(page, "STEM Lab Alpha", 3).click()
    panel = page.locator("#booking-panel")
    expect(panel.get_by_role("heading", name="Book STEM Lab Alpha")).to_be_focused()
    expect(panel).to_contain_text(f"{day:%A %-d %B %Y} · from period 3 ({slot_label(3)})")
    panel.get_by_label("Purpose").fill("Year 9 titration")
    panel.get_by_role("button", name="Book").click()

    expect(panel.get_by_role("status")).to_have_text(
        f"Booked STEM Lab Alpha for {day:%a %-d %b}, {slot_label(3)}."
    )
    mine = page.get_by_role("cell", name=f"{cell_label('STEM Lab Alpha', 3)}, yours")
    expect(mine).to_have_text("★ Yours")
    expect(free_cell(page, "STEM Lab Alpha", 3)).to_have_count(0)
    assert page.evaluate("window.stillTheSamePage") is True  # no navigation, no reload
    assert page.url == server + grid_path(day)
    shoot(page, "grid-booked")

    page.get_by_role("link", name="See my reservations").click()
    item = page.get_by_role("listitem").filter(has_text="STEM Lab Alpha")
    expect(item).to_contain_text(f"{day:%a %-d %b %Y} · period 3 ({slot_label(3)})")
    expect(item).to_contain_text("Confirmed")
    expect(item.get_by_label("Purpose")).to_have_value("Year 9 titration")
    shoot(page, "my-reservations")
    assert_same_origin_and_quiet(page, server)


def test_edit_the_purpose_then_cancel_in_place(page, server, school, create_reservation):
    """My reservations saves a purpose and cancels (after confirming) without leaving the page."""
    day, lab = school["day"], school["lab"]
    create_reservation(lab, school["ada"], day, start_slot=3, purpose="Year 9 titration")
    sign_in(page, "Ada Park", "/my")
    page.evaluate("window.stillTheSamePage = true")
    item = page.get_by_role("listitem").filter(has_text="STEM Lab Alpha")

    expect(item.get_by_label("Purpose")).to_be_hidden()  # the editor opens when asked for
    item.locator("summary", has_text="Change").click()
    item.get_by_label("Purpose").fill("Year 9 titration, second group")
    item.get_by_role("button", name="Save").click()
    item = page.get_by_role("listitem").filter(has_text="STEM Lab Alpha")
    expect(item.get_by_role("status")).to_have_text("Purpose saved.")
    expect(item.get_by_label("Purpose")).to_have_value("Year 9 titration, second group")

    settled(page)
    item.get_by_role("link", name=f"Cancel STEM Lab Alpha on {day:%-d %b}").click()
    confirm = item.get_by_role("group", name="Confirm cancelling")
    expect(confirm).to_contain_text(
        f"Cancel STEM Lab Alpha on {day:%a %-d %b}? The slots go back to everyone."
    )
    shoot(page, "my-reservations-cancel-confirm")
    settled(page)
    confirm.get_by_role("button", name="Yes, cancel it").click()
    item = page.get_by_role("listitem").filter(has_text="STEM Lab Alpha")
    expect(item.get_by_role("status")).to_have_text(
        "Reservation cancelled; the slots are free again."
    )
    expect(item).to_contain_text("Cancelled")
    expect(item.get_by_role("button", name="Save")).to_have_count(0)
    assert page.evaluate("window.stillTheSamePage") is True
    assert page.url == server + "/my"

    page.goto(grid_path(day))
    expect(free_cell(page, "STEM Lab Alpha", 3)).to_be_visible()
    assert_same_origin_and_quiet(page, server)


def test_the_cancel_page_opened_on_its_own_cancels(page, server, school, create_reservation):
    """ "Cancel…" opened in a tab of its own shows the confirmation as a page, and its button
    cancels there too, back on My reservations with the notice."""
    day = school["day"]
    reservation = create_reservation(school["lab"], school["ada"], day, start_slot=3)
    sign_in(page, "Ada Park", f"/my/{reservation.public_id}/cancel")
    expect(page.get_by_role("heading", name="Cancel a reservation")).to_be_visible()
    shoot(page, "cancel-page")

    page.get_by_role("button", name="Yes, cancel it").click()
    expect(page).to_have_url(server + "/my")
    expect(page.get_by_text("Reservation cancelled; the slots are free again.")).to_be_visible()
    page.get_by_text("Show 1 cancelled booking").click()  # cancelled ones are kept apart
    item = page.get_by_role("listitem").filter(has_text="STEM Lab Alpha")
    expect(item).to_contain_text("Cancelled")
    assert_same_origin_and_quiet(page, server)


def test_a_slot_taken_meanwhile_is_refused_with_suggestions(page, server, school):
    """Ben takes the slot while the form is open: "Already taken" names him; a suggestion books."""
    day = school["day"]
    sign_in(page, "Ada Park", grid_path(day))
    held = page.get_by_role("cell", name=f"{cell_label('STEM Lab Alpha', 2)}, booked by Ben Ito")
    expect(held).to_have_text("Booked · Ben Ito")
    expect(held.get_by_role("link")).to_have_count(0)  # a held slot is not offered

    free_cell(page, "STEM Lab Alpha", 4).click()
    panel = page.locator("#booking-panel")
    panel.get_by_label("Purpose").fill("Year 9 titration")
    body = {"facility_id": "f1", "date": day.isoformat(), "start_slot": 4, "end_slot": 4,
            "purpose": "Year 10 mock practical"}  # fmt: skip
    taken = requests.post(
        f"{server}/v1/reservations", json=body, headers=school["ben_headers"], timeout=10
    )
    assert taken.status_code == 201, taken.text
    panel.get_by_role("button", name="Book").click()

    refusal = panel.get_by_role("alert")
    expect(refusal).to_contain_text("Already taken.")
    expect(refusal).to_contain_text(
        f"STEM Lab Alpha is already booked by Ben Ito in period 4 ({slot_label(4)})."
    )
    expect(refusal).to_contain_text(f"Period 4 ({slot_label(4)}): booked by Ben Ito")
    suggestions = refusal.get_by_role("list").last.get_by_role("link")
    expect(suggestions.first).to_have_text(f"STEM Lab Alpha, {day:%a %-d %b} · {slot_label(3)}")
    expect(suggestions.filter(has_text="STEM Lab Beta")).to_have_count(1)
    shoot(page, "booking-refusal")

    suggestions.first.click()
    expect(panel.get_by_role("heading", name="Book STEM Lab Alpha")).to_be_focused()
    expect(panel).to_contain_text(f"from period 3 ({slot_label(3)})")
    expect(panel.get_by_label("Purpose")).to_have_value("Year 9 titration")
    panel.get_by_role("button", name="Book").click()
    expect(panel.get_by_role("status")).to_have_text(
        f"Booked STEM Lab Alpha for {day:%a %-d %b}, {slot_label(3)}."
    )
    expect(
        page.get_by_role("cell", name=f"{cell_label('STEM Lab Alpha', 3)}, yours")
    ).to_be_visible()
    expect(
        page.get_by_role("cell", name=f"{cell_label('STEM Lab Alpha', 4)}, booked by Ben Ito")
    ).to_be_visible()
    assert_same_origin_and_quiet(page, server)


def outline_style(page):
    """The computed outline style of whatever has keyboard focus."""
    return page.evaluate("getComputedStyle(document.activeElement).outlineStyle")


def tab_to(page, predicate, limit=120):
    """Press Tab until the focused element satisfies a JavaScript ``predicate`` of ``el``."""
    settled(page)
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate(f"(el => {predicate})(document.activeElement)"):
            return
    raise AssertionError(f"Tab never reached an element where {predicate}")


def key_to_cell(page, predicate, limit=80):
    """Tab to the grid (one stop in the Tab order), then move with the arrow keys, row by
    row, until the focused cell satisfies a JavaScript ``predicate`` of ``el``."""
    tab_to(page, "el.closest('table[data-grid]') !== null")
    for _ in range(limit):
        if page.evaluate(f"(el => {predicate})(document.activeElement)"):
            return
        before = page.evaluate("document.activeElement.getAttribute('aria-label')")
        page.keyboard.press("ArrowRight")
        if page.evaluate("document.activeElement.getAttribute('aria-label')") == before:
            page.keyboard.press("ArrowDown")  # the row's end: on to the next row's start
            page.keyboard.press("Home")
    raise AssertionError(f"the arrow keys never reached a cell where {predicate}")


def test_keyboard_only_booking(page, server, school):
    """From the sign-in page to a booking with Tab, arrows and Enter, with a visible focus."""
    day = school["day"]
    target = f"{cell_label('STEM Lab Alpha', 5)}, free. Book it"
    page.goto(grid_path(day))  # signed out: sent to sign in, coming back here afterwards

    tab_to(page, "el.textContent.includes('Ada Park')")
    assert outline_style(page) != "none"
    page.keyboard.press("Enter")
    expect(page.get_by_text("Ada Park (teacher)")).to_be_visible()

    # The grid is one stop in the Tab order; the arrow keys move from cell to cell.
    key_to_cell(page, f"el.getAttribute('aria-label') === {target!r}")
    expect(page.get_by_role("link", name=target)).to_be_focused()
    assert outline_style(page) != "none"
    page.keyboard.press("Enter")
    panel = page.locator("#booking-panel")
    expect(panel.get_by_role("heading", name="Book STEM Lab Alpha")).to_be_focused()
    assert outline_style(page) != "none"

    tab_to(page, "el.name === 'purpose'", limit=5)
    assert outline_style(page) != "none"
    page.keyboard.type("Robotics club")
    shoot(page, "keyboard-booking-form")
    page.keyboard.press("Enter")
    expect(panel.get_by_role("status")).to_have_text(
        f"Booked STEM Lab Alpha for {day:%a %-d %b}, {slot_label(5)}."
    )
    expect(panel.get_by_role("heading", name="Booked")).to_be_focused()
    expect(
        page.get_by_role("cell", name=f"{cell_label('STEM Lab Alpha', 5)}, yours")
    ).to_be_visible()
    assert_same_origin_and_quiet(page, server)


def focus_inside(page, selector):
    """Whether keyboard focus is on or inside the element ``selector`` names."""
    return page.evaluate("s => document.activeElement.closest(s) !== null", selector)


def test_keyboard_focus_stays_where_the_change_happened(page, server, school, create_reservation):
    """After an in-place change, focus is on what changed, not thrown back to the page's top."""
    day = school["day"]
    reservation = create_reservation(school["lab"], school["ada"], day, start_slot=3)
    item = f"#res-{reservation.public_id}"
    sign_in(page, "Ada Park", "/my")
    focus = {}

    tab_to(page, "el.textContent === 'Change'")
    page.keyboard.press("Enter")  # opens the editor
    tab_to(page, "el.textContent === 'Save'")
    page.keyboard.press("Enter")
    expect(page.get_by_text("Purpose saved.")).to_be_visible()
    focus["after Save"] = focus_inside(page, item)
    tab_to(page, "el.textContent === 'Cancel…'")
    page.keyboard.press("Enter")
    expect(page.get_by_role("button", name="Yes, cancel it")).to_be_visible()
    focus["after Cancel…"] = focus_inside(page, ".confirm")
    tab_to(page, "el.textContent === 'Yes, cancel it'")
    page.keyboard.press("Enter")
    expect(page.get_by_text("Reservation cancelled; the slots are free again.")).to_be_visible()
    focus["after Yes, cancel it"] = focus_inside(page, item)

    page.goto(grid_path(day))
    tab_to(page, "el.textContent === 'Day ›'")
    page.keyboard.press("Enter")
    expect(page.locator("#grid-title")).to_have_text(f"{weekday_from(day):%A %-d %B %Y}")
    focus["after Day ›"] = focus_inside(page, ".day-nav")

    assert focus == dict.fromkeys(focus, True), "focus fell back to the page's top (body)"
