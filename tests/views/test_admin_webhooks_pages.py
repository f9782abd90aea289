"""The webhooks admin page through the test client: who sees it, adding an endpoint and its
secret shown once, refusals, enable and disable, rotation, test events, deliveries, delete.

Each test starts a fresh app with dev login, signs in as a person does and posts forms with
the CSRF token scraped from the page (helpers in ``page_client.py``, the school in
``test_admin_pages.py``). Test apps run no sender thread: a test sends the due deliveries
itself with ``deliver_due`` to the ``receiver`` of ``conftest.py``, listening on the
loopback interface.
"""

import re

import pytest
from sqlalchemy import select
from test_admin_pages import HTMX, count, nav_links, school

from roomloop.auth.permissions import Actor
from roomloop.extensions import db
from roomloop.models import Event, WebhookDelivery, WebhookEndpoint
from roomloop.outbox.sender import deliver_due
from roomloop.outbox.webhooks import create_endpoint, disable_endpoint, send_test_event

from page_client import csrf_token, fresh, post_form, sign_in, signed_in_as, site, text

__all__ = ["school", "site"]  # fixtures of test_admin_pages.py and page_client.py

PAGE = "/admin/webhooks"
SECRET = re.compile(r'<code class="secret" id="signing-secret">(whsec_[A-Za-z0-9+/=]+)</code>')


@pytest.fixture
def endpoint(school, receiver):
    """An enabled endpoint for every reservation event, registered by the admin."""
    hook = create_endpoint(
        Actor.for_account(school["admin"]), receiver.url, ["reservation.*"], "Door displays"
    )
    public_id = hook.public_id
    fresh()
    return public_id


def stored(public_id):
    """The endpoint as the requests left it, read and let go (no transaction stays open)."""
    fresh()
    hook = db.session.scalar(select(WebhookEndpoint).where(WebhookEndpoint.public_id == public_id))
    values = None if hook is None else {
        name: getattr(hook, name)
        for name in ("url", "events", "description", "status", "disabled_reason", "secret",
                     "previous_secret", "previous_secret_expires_at")
    }  # fmt: skip
    fresh()
    return values


def deliveries_of(public_id):
    """Each delivery to the endpoint as (event type, status, attempts, last status code)."""
    fresh()
    rows = db.session.execute(
        select(Event.type, WebhookDelivery.status, WebhookDelivery.attempts,
               WebhookDelivery.last_status_code)
        .join(WebhookDelivery.event).join(WebhookDelivery.endpoint)
        .where(WebhookEndpoint.public_id == public_id)
        .order_by(WebhookDelivery.id)
    ).all()  # fmt: skip
    fresh()
    return [tuple(row) for row in rows]


def send_due():
    """Post what is due, as the sender does, from the test's own app."""
    fresh()
    return deliver_due()


def item(html, public_id):
    """One endpoint's item on the list page."""
    return re.search(rf'<li id="webhook-{public_id}".*?</li>', html, re.S).group()


def delivery_row(html, delivery_id=None):
    """A delivery's row on the deliveries page (the first one unless ``delivery_id``)."""
    name = delivery_id or r"dlv_[0-9a-f]+"
    return re.search(rf'<tr id="delivery-{name}">.*?</tr>', html, re.S).group()


def words(html):
    """The text a person reads: inline tags left out, others as spaces, spaces collapsed."""
    html = re.sub(r"</?(?:a|code|span|strong|time)\b[^>]*>", "", html)
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def add(client, **fields):
    values = {"url": "", "events": [], "description": "", **fields}
    return post_form(client, PAGE, PAGE, **values)


# --- Who sees it ------------------------------------------------------------------------


def test_teachers_and_approvers_are_refused_and_see_no_link(site, school, endpoint):
    """Every page and action answers 403 naming webhooks:manage; nothing changes."""
    before = stored(endpoint)
    for role in ("teacher", "approver"):
        client = signed_in_as(site, school[role])
        assert "Webhooks" not in nav_links(client)
        for path in (PAGE, f"{PAGE}/{endpoint}/deliveries", f"{PAGE}/{endpoint}/rotate",
                     f"{PAGE}/{endpoint}/delete"):  # fmt: skip
            response = client.get(path)
            assert response.status_code == 403, path
            assert "webhooks:manage" in text(response)
        token = csrf_token(client.get("/").get_data(as_text=True))
        posts = {
            PAGE: {"url": "https://example.org/x", "events": ["account.*"]},
            f"{PAGE}/{endpoint}/status": {"status": "disabled"},
            f"{PAGE}/{endpoint}/test": {},
            f"{PAGE}/{endpoint}/rotate": {},
            f"{PAGE}/{endpoint}/delete": {},
        }
        for path, fields in posts.items():
            response = client.post(path, data={"csrf_token": token, **fields})
            assert response.status_code == 403, path
    assert stored(endpoint) == before
    assert count(WebhookEndpoint) == 1 and count(WebhookDelivery) == 0


def test_admin_has_the_link_and_the_page(site, school):
    client = signed_in_as(site, school["admin"])
    assert nav_links(client)["Webhooks"] == PAGE
    html = text(client.get(PAGE))
    assert "<h1>Webhooks</h1>" in html
    current = r'<a href="/admin/webhooks" aria-current="page"><svg .*?</svg>Webhooks</a>'
    assert re.search(current, html)  # after its icon


def test_empty_page_explains_webhooks_and_offers_the_form(site, school):
    html = text(signed_in_as(site, school["admin"]).get(PAGE))
    assert "No endpoints yet." in html
    assert "tell the school’s other systems" in html
    assert '<form id="webhook-form"' in html
    for choice in ("reservation.*", "account.*", "reservation.created", "account.disabled"):
        assert f'value="{choice}"' in html
    assert "Every reservation event (reservation.*)" in html


def test_signed_out_visitor_is_sent_to_sign_in(site):
    response = site().get(PAGE)
    assert response.status_code == 302
    assert "/login?next=%2Fadmin%2Fwebhooks" in response.headers["Location"]


def test_pages_hold_no_inline_code(site, school, endpoint):
    """No inline script, style attribute or event handler, which the CSP would block."""
    client = signed_in_as(site, school["admin"])
    for path in (PAGE, f"{PAGE}/{endpoint}/deliveries", f"{PAGE}/{endpoint}/rotate",
                 f"{PAGE}/{endpoint}/delete"):  # fmt: skip
        html = client.get(path).get_data(as_text=True)
        assert not re.search(r"<script(?![^>]*\bsrc=)|\sstyle=|\son[a-z]+=", html), path


# --- Adding an endpoint -----------------------------------------------------------------


def test_admin_adds_an_endpoint_and_sees_its_secret_once(site, school, receiver):
    client = signed_in_as(site, school["admin"])

    response = add(
        client,
        url=receiver.url,
        events=["reservation.*", "account.disabled"],
        description="Door displays",
    )

    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    html = text(response)
    assert f"Added the endpoint {receiver.url}." in html
    secret = SECRET.search(html).group(1)
    assert re.fullmatch(r"whsec_[A-Za-z0-9+/]{43}=", secret)
    assert "Copy it now: it will not be shown again." in html
    assert "from standardwebhooks.webhooks import Webhook" in html
    assert "Webhook(secret).verify(body, headers)" in html
    fresh()
    hook = db.session.scalar(select(WebhookEndpoint))
    assert (hook.url, hook.events, hook.description, hook.status, hook.secret) == (
        receiver.url, ["reservation.*", "account.disabled"], "Door displays", "enabled", secret,
    )  # fmt: skip
    listed = words(item(html, hook.public_id))
    assert "Events reservation.*, account.disabled" in listed
    assert "Deliveries 0 succeeded · 0 pending · 0 failed" in listed
    assert "Last attempt none yet" in listed and "Enabled" in listed
    public_id = hook.public_id
    fresh()

    again = text(client.get(PAGE))
    assert secret not in again and "signing-secret" not in again
    assert receiver.url in item(again, public_id)
    assert 'value="reservation.*" checked' not in again  # the form starts empty again


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"url": "ftp://files.example/x"}, "url", "Enter a full URL, such as https://"),
        ({"url": "https://user:pw@example.org/x"}, "url", "Put no user name or password"),
        ({"url": ""}, "url", "Enter the receiver's full URL"),
        ({"events": []}, "events", "Tick at least one event."),
        ({"events": ["reservation.exploded"]}, "events",
         "Unknown event type 'reservation.exploded'; use one of: reservation.*"),
        ({"description": "x" * 201}, "description", "At most 200 characters."),
    ],
    ids=["scheme", "credentials", "empty-url", "no-events", "unknown-type", "long-description"],
)  # fmt: skip
def test_refused_endpoint_shows_why_by_the_field_and_saves_nothing(
    site, school, receiver, fields, field, message
):
    client = signed_in_as(site, school["admin"])
    values = {"url": receiver.url, "events": ["account.*"], "description": "Kept", **fields}

    response = add(client, **values)

    assert response.status_code == 400
    html = text(response)
    assert re.search(rf'<p class="field-error" id="{field}-error">[^<]*{re.escape(message)}', html)
    assert "Nothing was saved." in html and "signing-secret" not in html
    if field != "url":
        assert f'value="{values["url"]}"' in html  # what was typed stays
    assert count(WebhookEndpoint) == 0


def test_both_errors_show_at_once(site, school):
    response = add(signed_in_as(site, school["admin"]), url="not a url", events=[])
    html = text(response)
    assert 'id="url-error"' in html and 'id="events-error"' in html
    assert count(WebhookEndpoint) == 0


def test_production_refuses_a_loopback_target(site, school, receiver):
    """With private targets off, a plain-HTTP loopback URL is refused in words."""
    client = site(WEBHOOK_ALLOW_PRIVATE_TARGETS=False)
    sign_in(client, school["admin"])
    response = add(client, url=receiver.url, events=["account.*"])
    assert response.status_code == 400
    assert "Use an https:// URL." in text(response)
    response = add(client, url="https://127.0.0.1/hooks", events=["account.*"])
    assert "resolves to 127.0.0.1, a private, loopback or link-local address" in text(response)
    assert count(WebhookEndpoint) == 0


# --- Per endpoint -----------------------------------------------------------------------


def test_disable_and_enable(site, school, endpoint):
    client = signed_in_as(site, school["admin"])

    response = post_form(client, PAGE, f"{PAGE}/{endpoint}/status", status="disabled")

    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"{PAGE}#webhook-{endpoint}")
    assert stored(endpoint)["status"] == "disabled"
    listed = words(item(text(client.get(PAGE)), endpoint))
    assert "Disabled: Disabled by an admin." in listed
    assert "Enable" in listed and ">Disable<" not in item(text(client.get(PAGE)), endpoint)

    response = post_form(client, PAGE, f"{PAGE}/{endpoint}/status", status="enabled", _h=HTMX)

    assert response.status_code == 200
    html = text(response).strip()
    assert html.startswith(f'<li id="webhook-{endpoint}"') and "<html" not in html
    assert "Enabled: events are sent to this endpoint again" in html
    assert (stored(endpoint)["status"], stored(endpoint)["disabled_reason"]) == ("enabled", "")

    refused = post_form(client, PAGE, f"{PAGE}/{endpoint}/status", status="paused")
    assert refused.status_code == 400
    assert stored(endpoint)["status"] == "enabled"


def test_an_endpoint_disabled_by_a_410_says_so(site, school, endpoint):
    fresh()
    hook = db.session.scalar(select(WebhookEndpoint))
    disable_endpoint(hook, "The receiver answered 410 Gone.")
    db.session.commit()
    fresh()
    listed = words(item(text(signed_in_as(site, school["admin"]).get(PAGE)), endpoint))
    assert "Disabled Door displays Disabled: The receiver answered 410 Gone." in listed
    assert "Nothing is sent to it until it is enabled again" in listed


def test_rotate_asks_first_then_shows_the_new_secret_once(site, school, endpoint):
    client = signed_in_as(site, school["admin"])
    old = stored(endpoint)["secret"]

    confirm = text(client.get(f"{PAGE}/{endpoint}/rotate"))
    assert "Give " in confirm and "a new signing secret?" in confirm
    assert "Yes, rotate the secret" in confirm
    assert stored(endpoint)["secret"] == old  # asking changes nothing
    fragment = text(client.get(f"{PAGE}/{endpoint}/rotate", headers=HTMX)).strip()
    assert fragment.startswith('<form method="post"') and "<html" not in fragment

    response = post_form(client, PAGE, f"{PAGE}/{endpoint}/rotate")

    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    html = text(response)
    new = SECRET.search(html).group(1)
    after = stored(endpoint)
    assert new == after["secret"] != old and after["previous_secret"] == old
    assert "New signing secret for" in html
    assert "The previous secret keeps signing deliveries for 24 hours as well, until " \
        f"{after['previous_secret_expires_at']:%Y-%m-%d %H:%M} UTC" in words(html)  # fmt: skip
    assert new not in text(client.get(PAGE))

    # A second rotation within the grace period warns that the oldest secret stops now.
    assert "stops signing now" in text(client.get(f"{PAGE}/{endpoint}/rotate"))


def test_test_event_reaches_the_receiver_and_redeliver_sends_it_again(site, school, receiver):
    """The secret on the page verifies the signed delivery; the deliveries view shows 200."""
    client = signed_in_as(site, school["admin"])
    secret = SECRET.search(text(add(client, url=receiver.url, events=["account.*"]))).group(1)
    fresh()
    hook = db.session.scalar(select(WebhookEndpoint)).public_id
    fresh()

    response = post_form(client, PAGE, f"{PAGE}/{hook}/test")

    assert response.status_code == 303
    listed = text(client.get(PAGE))
    assert re.search(r"Test event evt_[0-9a-f]+ queued\.", listed)
    assert "0 succeeded · 1 pending · 0 failed" in item(listed, hook)
    assert deliveries_of(hook) == [("webhook.test", "pending", 0, None)]
    row = words(delivery_row(text(client.get(f"{PAGE}/{hook}/deliveries"))))
    assert row.startswith("webhook.test evt_") and "Pending 0 — — due now Redeliver" in row

    assert send_due() == 1

    assert len(receiver.arrivals) == 1
    event = receiver.arrivals[0].verify(secret)
    assert event["type"] == "webhook.test" and event["data"]["endpoint"] == hook
    page = text(client.get(f"{PAGE}/{hook}/deliveries"))
    row = delivery_row(page)
    assert "Succeeded 1 200 OK" in words(row)
    assert event["id"] in row
    health = words(item(text(client.get(PAGE)), hook))
    assert "1 succeeded · 0 pending · 0 failed" in health
    assert re.search(r"Last attempt \S+ \S+ UTC: answered 200 OK", health)

    delivery_id = re.search(r'<tr id="delivery-(dlv_[0-9a-f]+)"', page).group(1)
    response = post_form(
        client, f"{PAGE}/{hook}/deliveries", f"{PAGE}/{hook}/deliveries/{delivery_id}/redeliver"
    )

    assert response.status_code == 303
    assert deliveries_of(hook) == [("webhook.test", "pending", 1, 200)]
    page = text(client.get(response.headers["Location"]))
    assert f"webhook.test {event['id']}: Queued again." in page
    assert "Pending" in delivery_row(page, delivery_id)
    assert send_due() == 1
    assert [a.webhook_id for a in receiver.arrivals] == [event["id"], event["id"]]
    row = words(delivery_row(text(client.get(f"{PAGE}/{hook}/deliveries"))))
    assert "Succeeded 2 200 OK" in row


def test_failures_show_the_answer_and_when_it_is_tried_again(site, school, receiver, endpoint):
    client = signed_in_as(site, school["admin"])
    receiver.answer(500)
    post_form(client, PAGE, f"{PAGE}/{endpoint}/test")
    send_due()

    row = words(delivery_row(text(client.get(f"{PAGE}/{endpoint}/deliveries"))))
    assert re.search(r"Pending 1 500 Internal Server Error \S+ \S+ \S+ \S+ Redeliver", row)
    assert "due now" not in row  # the retry is scheduled a few seconds ahead

    receiver.answer(410)
    redeliver_id = re.search(
        r'id="delivery-(dlv_[0-9a-f]+)"', text(client.get(f"{PAGE}/{endpoint}/deliveries"))
    ).group(1)
    fragment = post_form(
        client,
        f"{PAGE}/{endpoint}/deliveries",
        f"{PAGE}/{endpoint}/deliveries/{redeliver_id}/redeliver",
        _h=HTMX,
    )
    assert text(fragment).strip().startswith(f'<tr id="delivery-{redeliver_id}">')
    assert "Queued again." in text(fragment)
    send_due()

    assert stored(endpoint)["status"] == "disabled"
    listed = words(item(text(client.get(PAGE)), endpoint))
    assert "Disabled: The receiver answered 410 Gone." in listed
    assert "0 succeeded · 0 pending · 1 failed" in listed
    assert re.search(r"Last attempt \S+ \S+ UTC: answered 410 Gone", listed)

    post_form(client, PAGE, f"{PAGE}/{endpoint}/test")
    assert send_due() == 0  # a disabled endpoint's deliveries wait
    page = text(client.get(f"{PAGE}/{endpoint}/deliveries"))
    assert "when the endpoint is enabled" in words(delivery_row(page))


def test_deliveries_come_newest_first_25_a_page(site, school, endpoint):
    fresh()
    hook = db.session.scalar(select(WebhookEndpoint))
    admin = Actor.for_account(school["admin"])
    ids = [send_test_event(admin, hook).event.public_id for _ in range(30)]
    fresh()
    client = signed_in_as(site, school["admin"])

    first = text(client.get(f"{PAGE}/{endpoint}/deliveries"))
    shown = re.findall(r"<code class=\"muted\">(evt_[0-9a-f]+)</code>", first)
    assert shown == ids[::-1][:25]
    older = re.search(r'<a rel="next" href="([^"]+)">Older »</a>', first).group(1)
    second = text(client.get(older.replace("&amp;", "&")))
    assert re.findall(r"<code class=\"muted\">(evt_[0-9a-f]+)</code>", second) == ids[4::-1]
    assert "Older »" not in second and "« Newest" in second

    lost = text(client.get(f"{PAGE}/{endpoint}/deliveries?before=dlv_gone"))
    assert "That page of deliveries no longer exists" in lost
    assert len(re.findall(r'<tr id="delivery-', lost)) == 25


def test_delete_asks_first_then_removes_the_endpoint_and_its_deliveries(site, school, endpoint):
    client = signed_in_as(site, school["admin"])
    post_form(client, PAGE, f"{PAGE}/{endpoint}/test")

    confirm = text(client.get(f"{PAGE}/{endpoint}/delete"))
    assert "Delete the endpoint" in confirm and "This cannot be undone" in confirm
    assert "Yes, delete it" in confirm
    assert stored(endpoint) is not None

    response = post_form(client, f"{PAGE}/{endpoint}/delete", f"{PAGE}/{endpoint}/delete")

    assert response.status_code == 303
    assert stored(endpoint) is None
    assert count(WebhookDelivery) == 0
    html = text(client.get(PAGE))
    assert "Deleted the endpoint http://127.0.0.1:" in html and "No endpoints yet." in html


def test_unknown_endpoint_or_delivery_is_404(site, school, endpoint):
    client = signed_in_as(site, school["admin"])
    assert client.get(f"{PAGE}/wh_nope/deliveries").status_code == 404
    assert post_form(client, PAGE, f"{PAGE}/wh_nope/test").status_code == 404
    path = f"{PAGE}/{endpoint}/deliveries/dlv_nope/redeliver"
    assert post_form(client, PAGE, path).status_code == 404
