"""The account page in Chromium: from the header to "Sign out everywhere", by keyboard."""

import re

import pytest
from playwright.sync_api import expect

from .conftest import assert_same_origin_and_quiet, shoot, sign_in

pytestmark = pytest.mark.browser


def test_sign_out_everywhere_from_the_account_page(page, server, school):
    """The name in the header opens the account page; its button signs out and says so."""
    sign_in(page, "Ada Park", "/my")
    page.get_by_role("link", name="Ada Park", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your account")
    expect(page.get_by_role("definition")).to_have_text(
        ["Ada Park", "ada.park@school.example", "Teacher", "Science"]
    )
    shoot(page, "account")

    page.get_by_role("button", name="Sign out everywhere").press("Enter")

    expect(page).to_have_url(server + "/login")
    expect(page.locator("p.flash")).to_contain_text("You are signed out everywhere")
    page.goto("/my")
    expect(page).to_have_url(re.compile(r"/login\?next=%2Fmy$"))
    assert_same_origin_and_quiet(page, server)
