"""``/v1/webhooks``: register, read, change and delete endpoints, rotate secrets, who may, and
which targets production refuses (test events and redelivery: ``test_webhook_delivery.py``).

Deliveries are sent by the real sender (``deliver_due``) to a real receiver on 127.0.0.1,
which verifies them with the Standard Webhooks library as a subscriber would.
"""

import base64
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select
from standardwebhooks.webhooks import WebhookVerificationError

from roomloop.extensions import db
from roomloop.models import Event, WebhookEndpoint
from roomloop.outbox.sender import deliver_due

from conftest import assert_error, make_app
from webhook_receiver import deliveries, register_webhook

WEBHOOK_FIELDS = {
    "id",
    "url",
    "events",
    "description",
    "status",
    "disabled_reason",
    "created_at",
    "updated_at",
}


@pytest.fixture
def people(create_account):
    """An admin, an approver and a teacher."""
    return {role: create_account(role=role) for role in ("admin", "approver", "teacher")}


@pytest.fixture
def admin(people, auth_headers):
    return auth_headers(people["admin"])


def add_account(client, headers, name):
    """Provision an account through the API, which writes an ``account.created`` event."""
    email = f"{name.lower()}@school.example"
    response = client.post("/v1/accounts", json={"email": email, "name": name}, headers=headers)
    assert response.status_code == 201, response.get_data(as_text=True)
    return response.get_json()


def count(model):
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(model))


# --- Create, read ------------------------------------------------------------------------


def test_create_answers_201_with_location_and_a_standard_webhooks_secret(client, admin, receiver):
    """POST /v1/webhooks: 201, Location, and a whsec_ secret of 24+ random bytes, shown once."""
    body = {
        "url": receiver.url,
        "events": ["reservation.*", "account.created"],
        "description": "LMS",
    }
    response = client.post("/v1/webhooks", json=body, headers=admin)

    assert response.status_code == 201
    created = response.get_json()
    assert set(created) == WEBHOOK_FIELDS | {"secret", "previous_secret_expires_at"}
    assert created["id"].startswith("wh_")
    assert response.headers["Location"] == f"/v1/webhooks/{created['id']}"
    assert (created["url"], created["events"], created["description"], created["status"]) == (
        receiver.url,
        ["reservation.*", "account.created"],
        "LMS",
        "enabled",
    )
    secret = created["secret"]
    assert secret.startswith("whsec_")
    assert len(base64.b64decode(secret.removeprefix("whsec_"), validate=True)) >= 24
    assert created["previous_secret_expires_at"] is None

    shown = client.get(response.headers["Location"], headers=admin)
    assert shown.status_code == 200
    assert shown.get_json() == {k: created[k] for k in WEBHOOK_FIELDS}


def test_list_and_show_never_reveal_the_secret(client, admin, receiver):
    """GET /v1/webhooks and GET /v1/webhooks/:id never carry a secret, even after a rotation."""
    first = register_webhook(client, admin, receiver.url)
    second = register_webhook(client, admin, receiver.url + "/2", ["account.*"])
    rotated = client.post(f"/v1/webhooks/{first['id']}/rotate-secret", headers=admin).get_json()
    secrets = [first["secret"], second["secret"], rotated["secret"]]

    listed = client.get("/v1/webhooks", headers=admin)
    shown = client.get(f"/v1/webhooks/{first['id']}", headers=admin)

    assert [w["id"] for w in listed.get_json()["data"]] == [first["id"], second["id"]]
    assert all(set(w) == WEBHOOK_FIELDS for w in listed.get_json()["data"])
    assert set(shown.get_json()) == WEBHOOK_FIELDS
    for response in (listed, shown):
        page = response.get_data(as_text=True)
        assert "whsec_" not in page
        assert not any(s.removeprefix("whsec_") in page for s in secrets)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"url": "http://127.0.0.1:9/h", "events": ["reservation.moved"]}, "events"),
        ({"url": "http://127.0.0.1:9/h", "events": ["reservation"]}, "events"),
        ({"url": "http://127.0.0.1:9/h", "events": ["webhook.test"]}, "events"),
        ({"url": "http://127.0.0.1:9/h", "events": []}, "events"),
        ({"url": "http://127.0.0.1:9/h"}, "events"),
        ({"url": "not a url", "events": ["account.*"]}, "url"),
        ({"url": "ftp://127.0.0.1/h", "events": ["account.*"]}, "url"),
        ({"url": "127.0.0.1/hooks", "events": ["account.*"]}, "url"),
        ({"url": "http://user:pw@127.0.0.1/h", "events": ["account.*"]}, "url"),
        ({"url": "", "events": ["account.*"]}, "url"),
    ],
)
def test_create_refuses_unknown_events_and_bad_urls(client, admin, body, field):
    """Unknown or no event types, or a URL that is not plain http(s): 400 naming the field."""
    response = client.post("/v1/webhooks", json=body, headers=admin)

    error = assert_error(response, 400, "validation_error")
    assert field in error["fields"]
    assert count(WebhookEndpoint) == 0


# --- Change, delete ----------------------------------------------------------------------


def test_patch_disables_enables_and_changes_the_events(client, admin, receiver):
    """A disabled endpoint receives nothing; enabled again it does; its events decide what."""
    webhook = register_webhook(client, admin, receiver.url, ["account.*"])
    path = f"/v1/webhooks/{webhook['id']}"

    disabled = client.patch(path, json={"status": "disabled"}, headers=admin).get_json()
    assert (disabled["status"], disabled["disabled_reason"]) == (
        "disabled",
        "Disabled by an admin.",
    )
    add_account(client, admin, "Ann")
    assert deliver_due() == 0

    enabled = client.patch(path, json={"status": "enabled"}, headers=admin).get_json()
    assert (enabled["status"], enabled["disabled_reason"]) == ("enabled", None)
    bo = add_account(client, admin, "Bo")
    changed = client.patch(path, json={"events": ["account.updated"]}, headers=admin)
    assert changed.get_json()["events"] == ["account.updated"]
    add_account(client, admin, "Cy")  # account.created: no longer subscribed
    client.patch(f"/v1/accounts/{bo['id']}", json={"name": "Bo Chan"}, headers=admin)
    deliver_due()

    received = [a.verify(webhook["secret"]) for a in receiver.answered()]
    assert [(p["type"], p["data"]["name"]) for p in received] == [
        ("account.created", "Bo"),
        ("account.updated", "Bo Chan"),
    ]
    assert client.get(path, headers=admin).get_json()["events"] == ["account.updated"]


def test_patch_refuses_an_unknown_event_and_keeps_the_old_ones(client, admin, receiver):
    """PATCH with an unknown event type or bad URL: 400 naming the field; nothing changes."""
    webhook = register_webhook(client, admin, receiver.url, ["account.*"])
    path = f"/v1/webhooks/{webhook['id']}"

    bad_events = client.patch(path, json={"events": ["account.deleted"]}, headers=admin)
    bad_url = client.patch(path, json={"url": "gopher://x", "status": "disabled"}, headers=admin)

    assert "events" in assert_error(bad_events, 400, "validation_error")["fields"]
    assert "url" in assert_error(bad_url, 400, "validation_error")["fields"]
    shown = client.get(path, headers=admin).get_json()
    assert (shown["url"], shown["events"], shown["status"]) == (
        receiver.url,
        ["account.*"],
        "enabled",
    )


def test_delete_answers_204_then_404_and_sends_nothing_more(client, admin, receiver):
    """DELETE removes the endpoint: 204, then 404 on it, and its queued deliveries never go."""
    webhook = register_webhook(client, admin, receiver.url)
    add_account(client, admin, "Ann")
    path = f"/v1/webhooks/{webhook['id']}"

    response = client.delete(path, headers=admin)

    assert response.status_code == 204 and response.get_data() == b""
    assert_error(client.get(path, headers=admin), 404, "not_found")
    assert_error(client.delete(path, headers=admin), 404, "not_found")
    assert_error(client.get(path + "/deliveries", headers=admin), 404, "not_found")
    assert client.get("/v1/webhooks", headers=admin).get_json()["data"] == []
    assert deliver_due() == 0
    assert receiver.arrivals == []


# --- Who may -----------------------------------------------------------------------------

ENDPOINTS = [
    ("GET", "/v1/webhooks"),
    ("POST", "/v1/webhooks"),
    ("GET", "/v1/webhooks/{wh}"),
    ("PATCH", "/v1/webhooks/{wh}"),
    ("DELETE", "/v1/webhooks/{wh}"),
    ("POST", "/v1/webhooks/{wh}/rotate-secret"),
    ("POST", "/v1/webhooks/{wh}/test"),
    ("GET", "/v1/webhooks/{wh}/deliveries"),
    ("POST", "/v1/webhooks/{wh}/deliveries/{dlv}/redeliver"),
]


@pytest.fixture
def registered(client, admin, receiver):
    """An endpoint with one delivery (of an account.created event)."""
    webhook = register_webhook(client, admin, receiver.url)
    add_account(client, admin, "Ann")
    return {"wh": webhook["id"], "dlv": deliveries(client, admin, webhook)[0]["id"]}


def webhook_state(client, admin, registered):
    """What an admin sees of the endpoint and its deliveries, its secret and the outbox size."""
    return (
        client.get(f"/v1/webhooks/{registered['wh']}", headers=admin).get_json(),
        client.get(f"/v1/webhooks/{registered['wh']}/deliveries", headers=admin).get_json(),
        db.session.scalars(select(WebhookEndpoint.secret)).all(),
        count(Event),
    )


@pytest.mark.parametrize("role", ["teacher", "approver"])
def test_teachers_and_approvers_get_403_on_every_webhook_endpoint(
    client, people, auth_headers, admin, registered, role
):
    """Teachers and approvers get 403 naming webhooks:manage on every endpoint; nothing changes."""
    headers = auth_headers(people[role])
    before = webhook_state(client, admin, registered)
    body = {"url": "http://127.0.0.1:9/h", "events": ["account.*"], "status": "disabled"}

    for method, path in ENDPOINTS:
        response = client.open(path.format(**registered), method=method, json=body, headers=headers)
        error = assert_error(response, 403, "forbidden")
        assert error["capability"] == "webhooks:manage", (method, path)
        assert webhook_state(client, admin, registered) == before, (method, path)


def test_every_webhook_endpoint_needs_a_token(client, registered):
    """Without a token every webhook endpoint answers 401."""
    for method, path in ENDPOINTS:
        response = client.open(path.format(**registered), method=method, json={})
        assert_error(response, 401, "unauthorized")


# --- Secret rotation ---------------------------------------------------------------------


def test_rotation_signs_with_both_secrets_during_the_grace_period_then_only_the_new(
    client, admin, receiver, time_machine
):
    """After a rotation both secrets verify a delivery; after the 24 h grace only the new one."""
    start = datetime(2026, 6, 8, 9, 0, tzinfo=UTC)
    time_machine.move_to(start, tick=True)
    webhook = register_webhook(client, admin, receiver.url, ["account.*"])
    old = webhook["secret"]

    rotated = client.post(f"/v1/webhooks/{webhook['id']}/rotate-secret", headers=admin)

    assert rotated.status_code == 200
    new = rotated.get_json()["secret"]
    assert new.startswith("whsec_") and new != old
    expires = datetime.fromisoformat(rotated.get_json()["previous_secret_expires_at"])
    assert timedelta(hours=24) <= expires - start < timedelta(hours=24, minutes=1)
    assert "secret" not in client.get(f"/v1/webhooks/{webhook['id']}", headers=admin).get_json()

    add_account(client, admin, "Ann")
    deliver_due()
    during = receiver.wait_for(1)[0]
    assert during.verify(new)["data"]["name"] == "Ann"
    assert during.verify(old)["data"]["name"] == "Ann"

    time_machine.move_to(expires + timedelta(minutes=1), tick=True)
    add_account(client, admin, "Bo")
    deliver_due()
    after = receiver.wait_for(2)[1]
    assert after.verify(new)["data"]["name"] == "Bo"
    with pytest.raises(WebhookVerificationError):
        after.verify(old)


# --- Targets: production and development -------------------------------------------------


@pytest.fixture
def production(app, database_url, people, auth_headers):
    """A client of a production app on the test database, with an admin's key."""
    production_app = make_app(
        database_url, ENV="production", SECRET_KEY="x" * 40, ENFORCE_HTTPS=False
    )
    yield production_app.test_client(), auth_headers(people["admin"])
    with production_app.app_context():
        db.engine.dispose()


REFUSED_IN_PRODUCTION = [
    "http://93.184.216.34/hooks",
    "http://127.0.0.1:8000/hooks",
    "https://127.0.0.1/hooks",
    "https://127.1/hooks",
    "https://2130706433/hooks",
    "https://10.0.0.5/hooks",
    "https://192.168.1.20/hooks",
    "https://169.254.169.254/latest/meta-data",
    "https://[::1]/hooks",
    "https://[::ffff:127.0.0.1]/hooks",
    "https://[64:ff9b::7f00:1]/hooks",  # NAT64 wrapping 127.0.0.1
    "https://[2002:a00:5::]/hooks",  # 6to4 wrapping 10.0.0.5
    "https://localhost/hooks",
    "https://localhost:8443/hooks",
]


def test_production_refuses_http_and_private_targets(production):
    """Production refuses http:// and loopback, private or link-local targets: 400 naming url."""
    client, admin = production

    for url in REFUSED_IN_PRODUCTION:
        body = {"url": url, "events": ["account.*"]}
        response = client.post("/v1/webhooks", json=body, headers=admin)
        assert "url" in assert_error(response, 400, "validation_error")["fields"], url

    assert count(WebhookEndpoint) == 0


def test_production_accepts_a_public_https_address_and_refuses_moving_it_inside(production):
    """https://93.184.216.34/ is accepted (no DNS needed); PATCHing it to 10.0.0.5 is refused."""
    client, admin = production
    body = {"url": "https://93.184.216.34/hooks", "events": ["account.*"]}

    created = client.post("/v1/webhooks", json=body, headers=admin)

    assert created.status_code == 201, created.get_data(as_text=True)
    path = created.headers["Location"]
    moved = client.patch(path, json={"url": "https://10.0.0.5/hooks"}, headers=admin)
    assert "url" in assert_error(moved, 400, "validation_error")["fields"]
    assert client.get(path, headers=admin).get_json()["url"] == "https://93.184.216.34/hooks"


@pytest.mark.parametrize(
    "url", ["http://127.0.0.1:8000/hooks", "http://localhost:3000/in", "http://10.0.0.5/h"]
)
def test_development_accepts_plain_http_and_loopback_targets(client, admin, url):
    """In development any http:// URL, loopback included, is accepted for trying tools out."""
    response = client.post(
        "/v1/webhooks", json={"url": url, "events": ["account.*"]}, headers=admin
    )

    assert response.status_code == 201, response.get_data(as_text=True)
    assert response.get_json()["url"] == url
