"""My reservations' "Subscribe to your calendar": the address to copy, the link that opens a
calendar app, how to add it by hand, and a new address (which kills the old one)."""

import re
from html import unescape

from page_client import csrf_token, fresh, post_form, signed_in_as, site, text

__all__ = ["site"]  # a fixture of page_client.py


def shown_address(html):
    """The address in the read-only field labelled "Your calendar address"."""
    assert '<label for="calendar-url">Your calendar address</label>' in html
    field = re.search(r'<input id="calendar-url"[^>]*>', html).group(0)
    assert " readonly" in field
    return unescape(re.search(r'value="([^"]+)"', field).group(1))


def test_my_reservations_shows_my_address_and_how_to_subscribe(site, create_account):
    ada = create_account(name="Ada Park")
    browser = signed_in_as(site, ada)

    page = text(browser.get("/my"))

    assert "<title>My reservations · RoomLoop</title>" in page
    assert page.count('<h2 id="calendar-title">Subscribe to your calendar</h2>') == 1
    assert '<a href="#calendar">Subscribe in your calendar app</a>' in page
    address = shown_address(page)
    assert re.fullmatch(r"http://localhost/calendar/[\w.-]+\.ics", address)
    assert f'href="webcal://{address.removeprefix("http://")}"' in page
    assert "Open in your calendar app" in page
    for app_name, steps in (
        ("Google Calendar", "From URL"),
        ("Outlook", "Subscribe from web"),
        ("Apple Calendar", "New Calendar\n      Subscription…"),
    ):
        assert app_name in page and steps in page
    assert "The current address stops\n    working at once" in page
    assert browser.get(address).status_code == 200  # the feed itself, without the cookie too
    assert site().get(address).status_code == 200


def test_getting_a_new_address_kills_the_old_one(site, create_account):
    browser = signed_in_as(site, create_account(name="Ada Park"))
    old = shown_address(text(browser.get("/my")))

    response = post_form(browser, "/my", "/my/calendar/reset")

    assert response.status_code == 302
    assert response.headers["Location"] == "/my"
    page = text(browser.get("/my"))
    assert "Your calendar has a new address. The old one no longer works" in page
    new = shown_address(page)
    assert new != old
    assert site().get(old).status_code == 404
    assert site().get(new).status_code == 200


def test_with_htmx_the_section_comes_back_in_place_with_the_new_address(site, create_account):
    browser = signed_in_as(site, create_account(name="Ada Park"))
    old = shown_address(text(browser.get("/my")))

    response = post_form(browser, "/my", "/my/calendar/reset", _h={"HX-Request": "true"})

    assert response.status_code == 200
    section = text(response)
    assert '<section id="calendar"' in section and "<html" not in section
    assert '<p class="notice" role="status">Your calendar has a new address.' in section
    new = shown_address(section)
    assert new != old and " autofocus" in re.search(r'<input id="calendar-url"[^>]*>', section)[0]
    assert site().get(old).status_code == 404
    assert "Your calendar has a new address" not in text(browser.get("/my"))  # said in place


def test_a_new_address_needs_the_pages_csrf_token(site, create_account):
    ada = create_account(name="Ada Park")
    browser = signed_in_as(site, ada)
    page = text(browser.get("/my"))
    before = shown_address(page)

    forged = browser.post("/my/calendar/reset", data={})
    wrong = browser.post("/my/calendar/reset", data={"csrf_token": "x" + csrf_token(page)})

    assert forged.status_code == wrong.status_code == 400
    assert shown_address(text(browser.get("/my"))) == before
    fresh()
    assert ada.calendar_salt is None


def test_signed_out_people_are_sent_to_sign_in(site, create_account):
    create_account()  # the dev sign-in page has a form (and a CSRF token) once there is one
    anonymous = site()

    response = post_form(anonymous, "/login", "/my/calendar/reset")

    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")
