"""The grid decided for the teacher looking at it, in Chromium: reasons, keyboard, phones.

Ada Park holds Room 101 in period 3 of the school's day: the other rooms' period 3 say
"You're in Room 101", with the rule's message on focus, as ``POST /v1/reservations``
answers it; with her quota used up every free cell says "Quota used".
"""

import re

import pytest
import requests
from playwright.sync_api import expect
from sqlalchemy import select

from roomloop.extensions import db
from roomloop.models import Facility, Setting

from .accessibility import assert_accessible
from .conftest import (
    DESKTOP,
    PHONE,
    assert_same_origin_and_quiet,
    cell_label,
    free_cell,
    grid_path,
    settled,
    shoot,
    sign_in,
)
from conftest import store

pytestmark = pytest.mark.browser


@pytest.fixture
def ada_in_room_101(school, create_reservation):
    """Ada holds Room 101 in period 3, and periods 5–7 of STEM Lab Beta."""
    rooms = {f.code: f for f in db.session.scalars(select(Facility))}
    create_reservation(rooms["m101"], school["ada"], school["day"], start_slot=3)
    create_reservation(rooms["lab-beta"], school["ada"], school["day"], start_slot=5, end_slot=7)
    return school


def api_answer(server, school, headers, facility, period):
    """What ``POST /v1/reservations`` answers Ada for one period: its error code and message."""
    body = {
        "facility_id": facility,
        "date": school["day"].isoformat(),
        "start_slot": period,
        "end_slot": period,
        "purpose": "Class",
    }
    answer = requests.post(f"{server}/v1/reservations", json=body, headers=headers, timeout=10)
    assert answer.status_code == 422, answer.text
    error = answer.json()["error"]
    return error["rule"], error["message"]


def reason_shown(page, facility, period):
    """Focus a refused cell and read what it shows: its two words, then the rule's message
    and code (shown on focus), and its accessible name."""
    cell = page.get_by_role("cell", name=re.compile("^" + re.escape(cell_label(facility, period))))
    cell.focus()
    reason = cell.locator(".cell-reason")
    expect(reason).to_be_visible()
    return cell.locator(".cell-text").inner_text(), reason.inner_text(), cell


def both_sizes_accessible(page):
    for size in (DESKTOP, PHONE):
        page.set_viewport_size(size)
        assert_accessible(page)
    page.set_viewport_size(DESKTOP)


def test_reasons_match_what_the_api_answers(page, server, ada_in_room_101, auth_headers):
    """R-10 then R-06: the grid's words, message and code are the API's for the same request."""
    school = ada_in_room_101
    headers = auth_headers(school["ada"])
    sign_in(page, "Ada Park", grid_path(school["day"]))
    expect(page.locator("#quota")).to_contain_text("You have 16 of 20 periods left")

    words, reason, cell = reason_shown(page, "STEM Lab Alpha", 3)
    rule, message = api_answer(server, school, headers, "f1", 3)
    assert (rule, words) == ("R-10", "You're in Room 101")
    assert reason == f"{message} {rule}"
    expect(cell).to_have_accessible_name(f"{cell_label('STEM Lab Alpha', 3)}, {words}: {message}")
    both_sizes_accessible(page)
    cell.focus()
    shoot(page, "grid-reason-r10")

    store(Setting(key="weekly_quota_slots", value=4))  # she holds 4 periods this week
    page.reload()
    expect(page.locator("#quota")).to_contain_text("You have 0 of 4 periods left")
    words, reason, cell = reason_shown(page, "Main Auditorium", 8)
    rule, message = api_answer(server, school, headers, "auditorium", 8)
    assert (rule, words) == ("R-06", "Quota used")
    assert reason == f"{message} {rule}"
    expect(cell).to_have_accessible_name(f"{cell_label('Main Auditorium', 8)}, {words}: {message}")
    expect(page.get_by_role("link", name=re.compile(r"free\. Book it$"))).to_have_count(0)
    both_sizes_accessible(page)
    cell.focus()
    shoot(page, "grid-reason-r06")
    assert_same_origin_and_quiet(page, server)


def test_a_booking_of_several_periods_is_one_block(page, server, ada_in_room_101):
    """Her periods 5–7 of STEM Lab Beta are one cell three columns wide, named periods 5–7."""
    sign_in(page, "Ada Park", grid_path(ada_in_room_101["day"]))
    block = page.get_by_role("cell", name="STEM Lab Beta, periods 5–7, 13:00–15:50, yours")
    expect(block).to_have_text("★ Yours")
    assert block.get_attribute("colspan") == "3"
    beside = page.get_by_role("cell", name=re.compile(r"^STEM Lab Beta, period 4,"))
    block_box, beside_box = block.bounding_box(), beside.bounding_box()
    assert block_box["width"] > 2.5 * beside_box["width"]
    # Every row is as tall as the others; the period header and the room column stay put.
    heights = page.eval_on_selector_all(
        "table[data-grid] tbody tr", "rows => rows.map(r => r.getBoundingClientRect().height)"
    )
    assert len(set(heights)) == 1, heights
    sticky = page.eval_on_selector_all(
        "table[data-grid] thead th, table[data-grid] tbody th",
        "cells => cells.map(c => getComputedStyle(c).position)",
    )
    assert set(sticky) == {"sticky"}


def keys_pressed(page, keys):
    for key in keys:
        page.keyboard.press(key)
    return len(keys)


def active_name(page):
    return page.evaluate("() => document.activeElement.getAttribute('aria-label')")


def test_keyboard_to_the_first_free_cells_form_and_around_the_grid(
    page, server, school, create_facility
):
    """From the home page: Skip to the grid, Enter: the form in at most 15 presses; arrows
    move cell by cell, one cell is in the Tab order, Ctrl+End reaches the last room."""
    for n in range(1, 21):  # a longer grid, as a school has
        create_facility(code=f"annex-{n}", name=f"Annex {n:02d}", building="Annex")
    sign_in(page, "Ada Park")
    page.goto("/")
    presses = keys_pressed(page, ["Tab", "Tab"])
    expect(page.locator(":focus")).to_have_text("Skip to the grid")
    presses += keys_pressed(page, ["Enter"])
    first_free = page.locator("table[data-grid] .cell-free a").first
    expect(first_free).to_be_focused()
    presses += keys_pressed(page, ["Enter"])
    panel = page.locator("#booking-panel")
    expect(panel.get_by_role("heading", name=re.compile("^Book "))).to_be_focused()
    assert presses <= 15, presses
    # The form opened right under the cell's row.
    row_of_cell = first_free.evaluate("a => a.closest('tr').id")
    assert (
        page.evaluate("() => document.getElementById('booking-row').previousElementSibling.id")
        == row_of_cell
    )
    both_sizes_accessible(page)
    shoot(page, "grid-form-open")
    # Whatever closes the form gives focus back to the cell it was opened from.
    page.evaluate("() => RoomLoop.closeBookingPanel()")
    expect(first_free).to_be_focused()

    in_tab_order = page.eval_on_selector_all(
        "table[data-grid] a, table[data-grid] td, table[data-grid] th",
        "els => els.filter(e => e.tabIndex >= 0).length",
    )
    assert in_tab_order == 1
    start = active_name(page)
    page.keyboard.press("ArrowRight")
    right = active_name(page)
    assert right != start and ", period " in right
    page.keyboard.press("ArrowLeft")
    assert active_name(page) == start
    page.keyboard.press("ArrowDown")
    below = active_name(page)
    assert below.split(", ")[1:3] == start.split(", ")[1:3]  # same period, next room
    page.keyboard.press("End")
    assert ", period 8," in active_name(page) or ", periods " in active_name(page)
    page.keyboard.press("Home")  # the row's header: the room's name, a link to its week
    expect(page.locator(":focus")).to_have_text(below.split(", ")[0])
    page.keyboard.press("ArrowRight")
    assert ", period 1," in active_name(page) or ", periods 1" in active_name(page)
    page.keyboard.press("Control+End")
    assert active_name(page).startswith("Room 101, period 8")  # the last room, in 1 press
    page.keyboard.press("Shift+Tab")  # out of the grid in one press, back in in one
    page.keyboard.press("Tab")
    assert active_name(page).startswith("Room 101, period 8")
    assert_same_origin_and_quiet(page, server)


def test_the_booking_form_opens_under_the_tapped_cell_and_books(page, server, school):
    """Clicking a cell opens the form right under its row; booking marks the cell "Yours"."""
    day = school["day"]
    sign_in(page, "Ada Park", grid_path(day))
    expect(page.locator("#quota")).to_contain_text("You have 20 of 20 periods left")
    free_cell(page, "Room 101", 4).click()
    panel = page.locator("#booking-panel")
    expect(panel.get_by_role("heading", name="Book Room 101")).to_be_focused()
    assert (
        page.evaluate("() => document.getElementById('booking-row').previousElementSibling.id")
        == "row-m101"
    )
    panel.get_by_label("Purpose").fill("Year 8 maths")
    panel.get_by_role("button", name="Book").click()
    expect(panel.get_by_role("status")).to_contain_text("Booked Room 101")
    settled(page)
    expect(page.locator("#quota")).to_contain_text("You have 19 of 20 periods left")
    expect(page.get_by_role("cell", name=f"{cell_label('Room 101', 4)}, yours")).to_be_visible()
    page.evaluate("() => RoomLoop.closeBookingPanel()")
    expect(page.get_by_role("cell", name=f"{cell_label('Room 101', 4)}, yours")).to_be_focused()
    assert_same_origin_and_quiet(page, server)


def test_an_agenda_per_room_on_a_phone(page, server, ada_in_room_101):
    """At 390×844 each room is a list of its periods, and nothing is wider than the screen."""
    page.set_viewport_size(PHONE)
    sign_in(page, "Ada Park", grid_path(ada_in_room_101["day"]))
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 390
    when = page.eval_on_selector(
        "#row-f1 td.cell", "td => getComputedStyle(td, '::before').content"
    )
    assert when == '"P1 · 09:00"'  # each period's line starts with its number and time
    cells = page.locator("#row-f1 td.cell")
    first, second, third = (cells.nth(i).bounding_box() for i in range(3))
    assert third["y"] > first["y"]  # periods run down the page, two by two
    assert max(b["x"] + b["width"] for b in (first, second, third)) <= 390
    assert_accessible(page)
    for period in (3, 6):  # a reason in the left column and in the right one
        words, _, _ = reason_shown(page, "STEM Lab Alpha", period)
        assert words == "You're in Room 101" if period == 3 else "You're in STEM Lab Beta"
        assert page.evaluate("() => document.documentElement.scrollWidth") <= 390
    assert_accessible(page)
    free_cell(page, "STEM Lab Alpha", 4).click()
    expect(page.get_by_role("heading", name="Book STEM Lab Alpha")).to_be_focused()
    heading = page.get_by_role("heading", name="Book STEM Lab Alpha").bounding_box()
    assert 0 <= heading["y"] <= PHONE["height"]  # the form opened where the tap was
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 390
    assert_accessible(page)
    page.set_viewport_size(DESKTOP)
    shoot(page, "grid-agenda")
    assert_same_origin_and_quiet(page, server)
