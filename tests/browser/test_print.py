"""Printing in Chromium: the grid, a room's week and My reservations print without the
site's navigation, filters, forms or buttons, every status still in words, and the demo
school's day grid fits on one landscape page."""

import re

import pytest
from playwright.sync_api import expect

from roomloop.demo import seed
from roomloop.sqlite import writing

from .conftest import cell_label, grid_path, sign_in

pytestmark = pytest.mark.browser


def printed(page):
    page.emulate_media(media="print")
    return page


def expect_no_controls(page):
    expect(page.get_by_role("navigation", name="Main")).to_be_hidden()
    expect(page.get_by_role("button", name="Sign out")).to_be_hidden()
    expect(page.get_by_role("link", name="API docs")).to_be_hidden()
    visible_buttons = page.locator("button, .button, input, select").filter(visible=True)
    expect(visible_buttons).to_have_count(0)


def pdf_pages(page):
    pdf = page.pdf(prefer_css_page_size=True, print_background=True)
    return len(re.findall(rb"/Type\s*/Page(?![s\w])", pdf))


def test_the_grid_prints_the_day_without_nav_filters_or_buttons(page, server, school):
    day = school["day"]
    sign_in(page, "Ada Park", grid_path(day))
    expect(page.locator("#filters")).to_be_visible()

    printed(page)

    expect_no_controls(page)
    expect(page.locator("#filters")).to_be_hidden()
    expect(page.get_by_role("link", name="Day ›")).to_be_hidden()
    expect(page.locator("#grid-title")).to_have_text(re.compile(f"^{day:%A %-d %B %Y}"))
    expect(page.locator("table.grid")).to_be_visible()
    booked = page.get_by_role("cell", name=f"{cell_label('STEM Lab Alpha', 2)}, booked by Ben Ito")
    expect(booked).to_be_visible()
    expect(booked).to_contain_text("Booked")  # the status in words, not colour alone
    # Free cells keep their word too, printed as text rather than as a link.
    expect(page.locator("td.cell-free").first).to_contain_text("Free")


def test_the_demo_schools_day_grid_prints_on_one_page(page, server, school, create_account):
    with writing():
        seed()  # the demo school's rooms and bookings, beside this test's
    create_account(name="Quinn Print")  # the demo has an Ada Park of its own
    sign_in(page, "Quinn Print", grid_path(school["day"]))
    rows = page.locator("table.grid tbody tr")
    assert rows.count() >= 25

    assert pdf_pages(printed(page)) == 1


def test_a_rooms_week_prints_without_its_controls(page, server, school):
    sign_in(page, "Ada Park", f"/facilities/f1?week={school['day'].isoformat()}")

    printed(page)

    expect_no_controls(page)
    expect(page.get_by_role("link", name="Next week »")).to_be_hidden()
    expect(page.locator("#week-title")).to_be_visible()
    expect(page.locator("table.grid.week")).to_be_visible()
    assert pdf_pages(page) == 1


def test_my_reservations_prints_the_days_without_editors(page, server, school, create_reservation):
    day = school["day"]
    create_reservation(school["lab"], school["ada"], day, start_slot=3, purpose="Titration")
    sign_in(page, "Ada Park", "/my")

    printed(page)

    expect_no_controls(page)
    expect(page.get_by_role("heading", name=re.compile(f"^{day:%A %-d %B}"))).to_be_visible()
    item = page.get_by_role("listitem").filter(has_text="STEM Lab Alpha")
    expect(item).to_contain_text("Titration")
    expect(item).to_contain_text("Confirmed")
    expect(item.get_by_text("Change")).to_be_hidden()
    expect(item.get_by_role("link", name=re.compile("^Cancel"))).to_be_hidden()
    expect(page.get_by_role("heading", name="Subscribe to your calendar")).to_be_hidden()
