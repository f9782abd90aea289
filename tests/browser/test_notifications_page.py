"""The Notifications page in Chromium: from the account page, turn a kind of email off, save,
and find it still off after a reload; checked with axe-core, which finds nothing at all to fault."""

import pytest
from playwright.sync_api import expect

from .accessibility import axe_violations
from .conftest import assert_same_origin_and_quiet, shoot, sign_in

pytestmark = pytest.mark.browser

CANCELLED = "Someone else cancelled your booking, saying who and why."


def test_a_teacher_turns_a_kind_of_email_off_and_it_stays_off(page, server, school):
    sign_in(page, "Ada Park", "/account")
    page.get_by_role("link", name="Choose which emails you get").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Notifications")
    boxes = page.get_by_role("group", name="Email me when…").get_by_role("checkbox")
    expect(boxes).to_have_count(7)
    for box in boxes.all():
        expect(box).to_be_checked()
    assert [(v["id"], v["help"]) for v in axe_violations(page)] == []  # none at all

    page.get_by_label(CANCELLED).uncheck()
    page.get_by_role("button", name="Save").click()

    expect(page.locator("p.flash")).to_have_text("Your email choices are saved.")
    page.reload()
    expect(page.get_by_label(CANCELLED)).not_to_be_checked()
    expect(
        page.get_by_label("Your booking is confirmed, with a calendar invite attached.")
    ).to_be_checked()
    shoot(page, "notifications")
    page.goto("/account")
    expect(page.get_by_text("1 of 7 kinds are off")).to_be_visible()
    assert_same_origin_and_quiet(page, server)


def test_an_approver_chooses_a_daily_digest_by_keyboard(page, server, school, create_account):
    create_account(role="approver", name="Val Ortiz", email="val@school.example")
    sign_in(page, "Val Ortiz", "/account/notifications", role="approver")
    hour = page.get_by_label("Requests to decide")
    expect(hour).to_have_value("")

    hour.select_option(label="One email a day, at 07:00")
    page.get_by_role("button", name="Save").press("Enter")

    expect(page.locator("p.flash")).to_have_text("Your email choices are saved.")
    expect(page.get_by_label("Requests to decide")).to_have_value("7")
    assert [(v["id"], v["help"]) for v in axe_violations(page)] == []  # none at all
    shoot(page, "notifications-approver")
    assert_same_origin_and_quiet(page, server)
