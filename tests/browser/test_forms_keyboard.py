"""Forms by keyboard in Chromium: Escape and Close shut the booking form and give focus back
to the cell that opened it, Keep it answers a question in place, and a refused form puts
its reasons in focus and in view. None of it loads the page again."""

from datetime import timedelta

import pytest
import requests
from playwright.sync_api import expect

from roomloop.extensions import db
from roomloop.models import Facility

from .accessibility import assert_accessible
from .conftest import cell_label, free_cell, grid_path, settled, shoot, sign_in

pytestmark = pytest.mark.browser


def mark_page(page):
    """A marker that only survives if the page is never loaded again."""
    page.evaluate("window.__marker = 'still here'")


def same_page(page):
    return page.evaluate("window.__marker") == "still here"


def open_form_by_keyboard(page, facility, period):
    cell = free_cell(page, facility, period)
    cell.focus()
    page.keyboard.press("Enter")
    panel = page.locator("#booking-panel")
    expect(panel.get_by_role("heading", name=f"Book {facility}")).to_be_focused()
    settled(page)
    return cell, panel


def test_escape_closes_the_booking_form_and_returns_to_its_cell(page, server, school):
    sign_in(page, "Ada Park", grid_path(school["day"]))
    mark_page(page)
    cell, panel = open_form_by_keyboard(page, "STEM Lab Alpha", 5)
    purpose = panel.get_by_label("Purpose")
    expect(purpose).to_have_attribute("required", "")
    expect(purpose).to_have_attribute("aria-required", "true")
    purpose.focus()
    page.keyboard.type("Robotics")

    page.keyboard.press("Escape")

    expect(panel).to_be_empty()
    expect(cell).to_be_focused()
    assert same_page(page)
    # And it opens again from there, as before.
    page.keyboard.press("Enter")
    expect(panel.get_by_role("heading", name="Book STEM Lab Alpha")).to_be_focused()


def test_close_empties_the_panel_in_place_and_returns_to_the_cell(page, server, school):
    sign_in(page, "Ada Park", grid_path(school["day"]))
    mark_page(page)
    cell, panel = open_form_by_keyboard(page, "STEM Lab Beta", 3)

    panel.get_by_role("link", name="Close").click()

    expect(panel).to_be_empty()
    expect(cell).to_be_focused()
    assert same_page(page)
    assert page.url == server + grid_path(school["day"])


def test_keep_it_puts_the_cancel_button_back_without_a_reload(
    page, server, school, create_reservation
):
    day = school["day"]
    create_reservation(school["lab"], school["ada"], day, start_slot=3, purpose="Titration")
    sign_in(page, "Ada Park", "/my")
    mark_page(page)
    item = page.get_by_role("listitem").filter(has_text="STEM Lab Alpha")
    cancel = item.get_by_role("link", name=f"Cancel STEM Lab Alpha on {day:%-d %b}")

    cancel.click()
    confirm = item.get_by_role("group", name="Confirm cancelling")
    expect(confirm).to_be_visible()
    settled(page)
    confirm.get_by_role("link", name="Keep it").click()

    expect(confirm).to_have_count(0)
    expect(cancel).to_be_focused()
    assert same_page(page)
    assert page.url == server + "/my"
    # The restored button still asks, in place.
    cancel.click()
    expect(item.get_by_role("group", name="Confirm cancelling")).to_be_visible()
    assert same_page(page)


def test_a_refused_booking_puts_the_reason_in_focus_and_in_view(page, server, school):
    """The slot is taken while the form is open: the refusal, in the second person's plain
    words with its rule in small print, takes focus and is scrolled into view."""
    day = school["day"]
    sign_in(page, "Ada Park", grid_path(day))
    mark_page(page)
    _cell, panel = open_form_by_keyboard(page, "STEM Lab Alpha", 4)
    panel.get_by_label("Purpose").fill("Year 9 titration")
    body = {"facility_id": "f1", "date": day.isoformat(), "start_slot": 4, "end_slot": 4}
    body["purpose"] = "Mock exam"
    taken = requests.post(f"{server}/v1/reservations", json=body, headers=school["ben_headers"])
    assert taken.status_code == 201

    panel.get_by_role("button", name="Book").click()

    refusal = panel.locator(".refusal")
    expect(refusal).to_be_focused()
    expect(refusal).to_be_in_viewport()
    expect(refusal).to_contain_text("STEM Lab Alpha is already booked by Ben Ito in period 4")
    expect(refusal.locator(".rule-code")).to_have_text("Rule R-03")
    assert "(R-03)" not in refusal.inner_text()
    assert same_page(page)
    assert_accessible(page)


def test_a_refused_quota_speaks_to_the_teacher(page, server, school, create_reservation):
    """R-06 in her words: how many periods she has that week and what the limit is. (The
    grid says "Quota used" once her quota is used; here it is used up, by bookings made
    elsewhere, while her form is open.)"""
    day = school["day"]
    monday = day - timedelta(days=day.weekday())
    sign_in(page, "Ada Park", grid_path(day))
    _cell, panel = open_form_by_keyboard(page, "STEM Lab Beta", 2)
    room = db.session.scalar(db.select(Facility).where(Facility.code == "m101"))
    for n in range(5):  # periods 5-8 in Room 101 every weekday: 20, the default limit
        create_reservation(room, school["ada"], monday + timedelta(days=n), 5, 8)

    panel.get_by_label("Purpose").fill("Year 9 titration")
    panel.get_by_role("button", name="Book").click()

    refusal = panel.locator(".refusal")
    expect(refusal).to_be_focused()
    expect(refusal).to_contain_text(
        f"You already have 20 periods booked in the week of {monday:%-d %b}; the limit is 20."
    )
    expect(refusal.locator(".rule-code")).to_have_text("Rule R-06")
    shoot(page, "booking-refused-quota")


def test_an_admin_form_with_errors_puts_its_summary_in_focus(page, server, school, create_account):
    """The facility form has a field named "id", which once hid the form's own id."""
    create_account(role="admin", name="Dee Okafor")
    sign_in(page, "Dee Okafor", "/admin/facilities/new", role="admin")
    page.set_viewport_size({"width": 390, "height": 844})
    page.get_by_label("Id", exact=True).fill("Drama Studio")
    page.get_by_label("Name", exact=True).fill("Drama Studio")
    page.get_by_label("Type", exact=True).fill("studio")
    page.get_by_label("Seats", exact=True).fill("-3")
    page.get_by_role("button", name="Add facility").click()

    summary = page.locator(".error-summary")
    expect(summary).to_contain_text("Nothing was saved.")
    expect(summary).to_be_focused()
    expect(summary).to_be_in_viewport()
    assert page.evaluate("document.activeElement !== document.body")


def test_an_admins_keep_it_in_the_grid_closes_the_panel_in_place(
    page, server, school, create_account
):
    """The cancel form a booked cell opens for an admin: Keep it closes it, focus back on
    the cell, and the booking stays."""
    create_account(role="admin", name="Dee Okafor")
    sign_in(page, "Dee Okafor", grid_path(school["day"]), role="admin")
    mark_page(page)
    booked = page.get_by_role(
        "link", name=f"Booked · Ben Ito, {cell_label('STEM Lab Alpha', 2)}. Cancel it"
    )
    booked.click()
    panel = page.locator("#booking-panel")
    expect(panel.get_by_role("heading", name="Cancel Ben Ito’s booking")).to_be_focused()
    settled(page)

    panel.get_by_role("link", name="Keep it").click()

    expect(panel).to_be_empty()
    expect(booked).to_be_focused()
    assert same_page(page)
