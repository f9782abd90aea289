"""The webhooks admin page in Chromium: an admin adds an endpoint on a loopback receiver, sees
its secret once, sends a test event and watches it arrive, redelivers it, rotates the secret
and deletes the endpoint; and the add form by keyboard alone.

The live server runs with the development defaults, so each web process sends deliveries
from its own sender thread: nothing in the test posts them.
"""

import re
import time

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from roomloop.auth.permissions import Actor
from roomloop.extensions import db
from roomloop.models import WebhookEndpoint
from roomloop.outbox.webhooks import create_endpoint, disable_endpoint
from roomloop.sqlite import writing

from .conftest import assert_same_origin_and_quiet, shoot, sign_in
from .test_admin_pages import nav

pytestmark = pytest.mark.browser

PAGE = "/admin/webhooks"


@pytest.fixture
def admin(school, create_account):
    return create_account(role="admin", name="Dee Okafor")


@pytest.fixture
def gone(admin):
    """An endpoint the sender disabled when its receiver answered 410 Gone."""
    with writing():  # as conftest.store(): the server's sender thread writes meanwhile
        hook = create_endpoint(
            Actor.for_account(admin),
            "https://old-displays.school.example/hooks",
            ["reservation.created", "reservation.cancelled"],
            "Old door displays (retired)",
        )
        url = hook.url
        disable_endpoint(hook, "The receiver answered 410 Gone.")
        db.session.commit()  # and read nothing after it: no transaction may hold the database
    return url


def reload_until(page, locator, text, seconds=15):
    """Reload the page until ``locator`` shows ``text``, as a person refreshing would."""
    deadline = time.monotonic() + seconds
    while True:
        if text in (locator.first.text_content() or ""):
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"{text!r} did not show within {seconds} s")
        time.sleep(0.3)
        page.reload()


def endpoint_item(page, url):
    return page.get_by_role("listitem").filter(has=page.get_by_role("heading", name=url))


def test_admin_adds_an_endpoint_tests_it_and_redelivers(page, server, admin, gone, receiver):
    sign_in(page, "Dee Okafor", PAGE, role="admin")
    expect(nav(page).filter(has_text="Webhooks")).to_have_attribute("aria-current", "page")
    expect(endpoint_item(page, gone)).to_contain_text("Disabled: The receiver answered 410 Gone.")

    form = page.locator("#webhook-form")
    form.get_by_label("URL", exact=True).fill("timetable.example/hooks")
    form.get_by_role("button", name="Add endpoint").click()
    expect(page.get_by_role("alert")).to_contain_text("Nothing was saved.")
    expect(page.locator("#url-error")).to_contain_text("Enter a full URL")
    expect(page.locator("#events-error")).to_have_text("Tick at least one event.")
    expect(form.get_by_label("URL", exact=True)).to_have_attribute("aria-invalid", "true")
    shoot(page, "admin-webhooks-refused")

    form = page.locator("#webhook-form")
    form.get_by_label("URL", exact=True).fill(receiver.url)
    form.get_by_label("Every reservation event (reservation.*)").check()
    form.get_by_label("account.disabled").check()
    form.get_by_label("Description").fill("Timetabling tool")
    form.get_by_role("button", name="Add endpoint").click()

    heading = page.get_by_role("heading", name=f"Signing secret for {receiver.url}")
    expect(heading).to_be_focused()
    shown = page.locator("#signing-secret")
    expect(shown).to_have_text(re.compile(r"^whsec_[A-Za-z0-9+/]{43}=$"))
    secret = shown.text_content()
    shown.click()  # one click selects the whole secret, ready to copy
    assert page.evaluate("window.getSelection().toString()") == secret
    expect(page.get_by_text("Copy it now: it will not be shown again.")).to_be_visible()
    expect(page.locator("pre.snippet")).to_contain_text("Webhook(secret).verify(body, headers)")
    shoot(page, "admin-webhooks-secret")

    item = endpoint_item(page, receiver.url)
    expect(item).to_contain_text("reservation.*, account.disabled")
    item.get_by_role("button", name=f"Send a test event to {receiver.url}").click()
    notice = item.get_by_role("status")
    expect(notice).to_contain_text(re.compile(r"Test event evt_[0-9a-f]+ queued\."))
    expect(notice).to_be_focused()
    expect(page.locator("#signing-secret")).to_have_count(1)  # the page itself stayed

    item.get_by_role("link", name=f"Deliveries to {receiver.url}").click()
    expect(page.get_by_role("heading", name="Deliveries", exact=True)).to_be_visible()
    row = page.locator("tbody tr")
    reload_until(page, row, "200 OK")
    expect(row).to_have_count(1)
    expect(row.locator("td").nth(0)).to_have_text("Succeeded")
    expect(row.locator("td").nth(1)).to_have_text("1")
    event = receiver.arrivals[0].verify(secret)
    assert event["type"] == "webhook.test"
    expect(row.get_by_role("rowheader")).to_contain_text(event["id"])
    shoot(page, "admin-webhook-deliveries")

    row.get_by_role("button", name=f"Redeliver webhook.test {event['id']}").click()
    expect(page.locator("tbody tr").get_by_role("status")).to_have_text("Queued again.")
    reload_until(page, page.locator("tbody tr td:nth-child(3)"), "2")
    expect(page.locator("tbody tr td").nth(2)).to_have_text("200 OK")
    assert [a.webhook_id for a in receiver.arrivals] == [event["id"], event["id"]]

    page.get_by_role("link", name="« All webhooks").click()
    item = endpoint_item(page, receiver.url)
    expect(item).to_contain_text("1 succeeded · 0 pending · 0 failed")
    expect(item).to_contain_text(re.compile(r"Last attempt\s*\S+ \S+ UTC: answered 200 OK"))
    expect(page.locator("#signing-secret")).to_have_count(0)  # shown once, never again
    shoot(page, "admin-webhooks-list")
    assert_same_origin_and_quiet(page, server)


def test_rotate_disable_and_delete_with_confirmation(page, server, admin, gone, receiver):
    with writing():  # as in gone(): the server's sender thread writes meanwhile
        hook = create_endpoint(Actor.for_account(admin), receiver.url, ["account.*"], "Directory")
        old = hook.secret
    db.session.rollback()  # end the read, so the server can write
    sign_in(page, "Dee Okafor", PAGE, role="admin")
    item = endpoint_item(page, receiver.url)

    item.get_by_role("button", name=f"Disable {receiver.url}").click()
    item = endpoint_item(page, receiver.url)
    expect(item.get_by_role("status")).to_contain_text("Disabled: nothing is sent")
    expect(item).to_contain_text("Disabled: Disabled by an admin.")
    item.get_by_role("button", name=f"Enable {receiver.url}").click()
    expect(item.get_by_role("status")).to_contain_text("Enabled: events are sent")

    item.get_by_role("link", name=f"Rotate secret {receiver.url}…").click()
    confirm = item.get_by_role("group", name="Confirm rotating the secret")
    expect(confirm).to_contain_text("The current secret keeps signing deliveries for 24 hours")
    expect(confirm.get_by_role("button", name="Yes, rotate the secret")).to_be_focused()
    shoot(page, "admin-webhooks-rotate-confirm")
    confirm.get_by_role("button", name="Yes, rotate the secret").click()
    expect(
        page.get_by_role("heading", name=f"New signing secret for {receiver.url}")
    ).to_be_focused()
    expect(page.locator(".new-key")).to_contain_text(
        "The previous secret keeps signing deliveries for 24 hours as well"
    )
    new = page.locator("#signing-secret").text_content()
    db.session.rollback()  # read what the server committed
    stored = db.session.scalar(select(WebhookEndpoint).where(WebhookEndpoint.url == receiver.url))
    assert (stored.secret, stored.previous_secret) == (new, old) and new != old
    db.session.rollback()
    shoot(page, "admin-webhooks-rotated")

    item = endpoint_item(page, receiver.url)
    item.get_by_role("link", name=f"Delete {receiver.url}…").click()
    confirm = item.get_by_role("group", name="Confirm deleting")
    expect(confirm).to_contain_text("This cannot be undone")
    confirm.get_by_role("link", name="Keep it").click()
    expect(endpoint_item(page, receiver.url)).to_have_count(1)
    endpoint_item(page, receiver.url).get_by_role("link", name=f"Delete {receiver.url}…").click()
    page.get_by_role("button", name="Yes, delete it").click()
    expect(page.locator("p.flash")).to_have_text(
        f"Deleted the endpoint {receiver.url}; nothing more is sent to it."
    )
    expect(endpoint_item(page, receiver.url)).to_have_count(0)
    assert (
        db.session.scalar(select(WebhookEndpoint).where(WebhookEndpoint.url == receiver.url))
        is None
    )
    db.session.rollback()
    assert_same_origin_and_quiet(page, server)


def test_add_form_by_keyboard_alone(page, server, admin, receiver):
    """Tab to the form, type, tick with Space, submit with Enter: the secret is shown."""
    sign_in(page, "Dee Okafor", PAGE, role="admin")
    expect(page.get_by_text("No endpoints yet.")).to_be_visible()
    shoot(page, "admin-webhooks-empty")
    page.locator("body").focus()
    for _ in range(40):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") == "url":
            break
    url = page.get_by_label("URL", exact=True)
    expect(url).to_be_focused()
    page.keyboard.type(receiver.url)
    page.keyboard.press("Tab")
    expect(page.get_by_label("Every reservation event (reservation.*)")).to_be_focused()
    page.keyboard.press("Space")
    for _ in range(10):  # past the other nine event types, to the description
        page.keyboard.press("Tab")
    description = page.get_by_label("Description")
    expect(description).to_be_focused()
    page.keyboard.type("Keyboard check")
    page.keyboard.press("Enter")

    expect(page.get_by_role("heading", name=f"Signing secret for {receiver.url}")).to_be_focused()
    item = endpoint_item(page, receiver.url)
    expect(item).to_contain_text("reservation.*")
    expect(item).to_contain_text("Keyboard check")
    assert_same_origin_and_quiet(page, server)


def test_page_works_without_javascript(open_page, server, admin, receiver):
    page = open_page(javascript=False)
    sign_in(page, "Dee Okafor", PAGE, role="admin")
    page.get_by_label("URL", exact=True).fill(receiver.url)
    page.get_by_label("Every account event (account.*)").check()
    page.get_by_role("button", name="Add endpoint").click()
    expect(page.locator("#signing-secret")).to_have_text(re.compile("^whsec_"))
    endpoint_item(page, receiver.url).get_by_role("link", name=re.compile("^Delete")).click()
    expect(page.get_by_role("heading", name="Delete an endpoint")).to_be_visible()
    page.get_by_role("button", name="Yes, delete it").click()
    expect(page).to_have_url(server + PAGE)
    expect(page.get_by_text("No endpoints yet.")).to_be_visible()
