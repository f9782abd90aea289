"""Subscribing to one's bookings from My reservations, in Chromium: copy the address, open
it as a calendar, get a new one; and the same section without JavaScript."""

import re

import pytest
import requests
from playwright.sync_api import expect

from .conftest import assert_same_origin_and_quiet, shoot, sign_in

pytestmark = pytest.mark.browser

FEED_ADDRESS = re.compile(r"^http://127\.0\.0\.1:\d+/calendar/[\w.-]+\.ics$")


def test_copy_the_address_then_get_a_new_one(page, server, school, create_reservation):
    create_reservation(school["lab"], school["ada"], school["day"], start_slot=3, purpose="Y9")
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    sign_in(page, "Ada Park", "/my")

    page.get_by_role("link", name="Subscribe in your calendar app").click()
    section = page.get_by_role("region", name="Subscribe to your calendar")
    expect(section).to_be_in_viewport()
    field = section.get_by_label("Your calendar address")
    expect(field).to_have_attribute("readonly", "")
    old = field.input_value()
    assert FEED_ADDRESS.match(old), old
    webcal = section.get_by_role("link", name="Open in your calendar app")
    expect(webcal).to_have_attribute("href", "webcal://" + old.removeprefix("http://"))
    feed = requests.get(old, timeout=10)  # what a calendar app fetches: no cookie
    assert feed.headers["Content-Type"] == "text/calendar; charset=utf-8"
    assert "SUMMARY:STEM Lab Alpha: Y9" in feed.text

    section.get_by_role("button", name="Copy").click()
    expect(section.get_by_role("status")).to_have_text("Copied. Paste it into your calendar app.")
    assert page.evaluate("navigator.clipboard.readText()") == old
    shoot(page, "calendar-subscribe")

    page.evaluate("window.stillTheSamePage = true")
    section.get_by_role("button", name="Get a new address").click()

    section = page.get_by_role("region", name="Subscribe to your calendar")
    expect(section.get_by_role("status").first).to_have_text(
        "Your calendar has a new address. The old one no longer works: subscribe again with "
        "this one wherever you used it."
    )
    field = section.get_by_label("Your calendar address")
    expect(field).to_be_focused()
    expect(field).not_to_have_value(old)
    new = field.input_value()
    assert FEED_ADDRESS.match(new)
    assert page.evaluate("window.stillTheSamePage") is True  # in place, no reload
    assert requests.get(old, timeout=10).status_code == 404
    assert requests.get(new, timeout=10).status_code == 200
    shoot(page, "calendar-subscribe-new-address")
    section.get_by_role("button", name="Copy").click()  # the new section's button works too
    expect(section.get_by_text("Copied. Paste it into your calendar app.")).to_be_visible()
    assert page.evaluate("navigator.clipboard.readText()") == new
    assert_same_origin_and_quiet(page, server)


def test_without_javascript_the_address_is_there_to_select(open_page, server, school):
    page = open_page(javascript=False)
    sign_in(page, "Ada Park", "/my")

    section = page.get_by_role("region", name="Subscribe to your calendar")
    field = section.get_by_label("Your calendar address")
    old = field.input_value()

    expect(field).to_be_visible()
    assert FEED_ADDRESS.match(old)
    expect(section.get_by_role("button", name="Copy")).to_be_hidden()
    shoot(page, "calendar-subscribe-no-js")

    section.get_by_role("button", name="Get a new address").click()

    expect(page).to_have_url(server + "/my")
    expect(page.locator("p.flash")).to_contain_text("Your calendar has a new address.")
    assert page.get_by_label("Your calendar address").input_value() != old
    assert requests.get(old, timeout=10).status_code == 404
