"""When a click's request does not go through, in Chromium: signed out in another tab, the
page goes to sign in and back; a booking deleted meanwhile, or a connection that drops,
is said in the page's alert with a way to reload, where before nothing happened at all."""

import re

import pytest
import requests
from playwright.sync_api import expect

from .accessibility import assert_accessible
from .conftest import free_cell, grid_path, shoot, sign_in

pytestmark = pytest.mark.browser


@pytest.fixture
def titration(school, create_reservation):
    """Ada's booking of the lab, period 3 of the test's day."""
    return create_reservation(
        school["lab"], school["ada"], school["day"], start_slot=3, purpose="Year 9 titration"
    )


def cancel_link(page, day):
    return page.get_by_role("link", name=f"Cancel STEM Lab Alpha on {day:%-d %b}")


def test_signed_out_in_another_tab_a_click_goes_to_sign_in_and_back(page, server, school):
    day = school["day"]
    sign_in(page, "Ada Park", grid_path(day))
    other = page.context.new_page()  # a second tab: the same cookie
    other.goto("/my")
    other.get_by_role("button", name="Sign out").click()
    expect(other).to_have_url(re.compile(r"/login$"))
    other.close()

    free_cell(page, "STEM Lab Beta", 3).click()

    # The sign-in page itself, not swapped into the booking panel under the cell.
    expect(page).to_have_url(re.compile(r"/login\?next="))
    expect(page.locator("p.flash")).to_have_text("Sign in to continue.")
    page.get_by_role("button", name=re.compile("Ada Park")).click()
    expect(page).to_have_url(server + grid_path(day))
    expect(free_cell(page, "STEM Lab Beta", 3)).to_be_visible()


def test_a_booking_deleted_meanwhile_says_so_and_reload_shows_the_list(
    page, server, school, titration, create_account, auth_headers
):
    admin = auth_headers(create_account(role="admin", name="Dee Okafor"))
    sign_in(page, "Ada Park", "/my")
    alert = page.locator("#request-problem")
    expect(alert).to_be_empty()
    expect(alert).to_be_hidden()
    deleted = requests.delete(f"{server}/v1/reservations/{titration.public_id}", headers=admin)
    assert deleted.status_code == 204

    cancel_link(page, school["day"]).click()

    expect(alert).to_have_attribute("role", "alert")
    expect(alert).to_contain_text(
        "This is no longer here: it may have been deleted meanwhile. "
        "Reload the page to see it as it is now."
    )
    expect(alert).to_be_in_viewport()
    assert_accessible(page)
    shoot(page, "request-problem-deleted")
    alert.get_by_role("button", name="Reload the page").click()
    expect(page.get_by_text("Nothing booked from today on.")).to_be_visible()
    expect(alert).to_be_empty()


def test_a_dropped_connection_says_so_and_the_next_try_clears_it(page, server, school, titration):
    sign_in(page, "Ada Park", "/my")
    alert = page.locator("#request-problem")
    cancel = cancel_link(page, school["day"])
    page.route("**/my/*/cancel", lambda route: route.abort("internetdisconnected"))

    cancel.click()

    expect(alert).to_contain_text(
        "RoomLoop could not be reached, so nothing was sent. Check the connection, then try again."
    )
    page.unroute("**/my/*/cancel")
    cancel.click()
    expect(page.get_by_role("group", name="Confirm cancelling")).to_be_visible()
    expect(alert).to_be_empty()
    expect(alert).to_be_hidden()
