"""Webhook delivery: signing, retries and backoff, test events and redelivery, and receivers
that are down, gone, redirect or hang.

The real sender (``deliver_due`` or the ``deliver-webhooks`` command) posts over real HTTP to
a receiver on 127.0.0.1 that verifies each request with the Standard Webhooks library, and the
outcome is read back through ``GET /v1/webhooks/:id/deliveries``.
"""

import io
import json
import time
from datetime import datetime

import pytest
from standardwebhooks.webhooks import WebhookVerificationError

from roomloop.outbox.sender import deliver_due

from conftest import assert_error, make_app
from webhook_receiver import REDIRECT_TARGET, deliveries, register_webhook

FAST_RETRIES = {"WEBHOOK_RETRY_DELAYS": [0, 0]}


@pytest.fixture
def admin(create_account, auth_headers):
    return auth_headers(create_account(role="admin"))


def add_accounts(client, headers, *names):
    """Provision accounts through the API; each writes an ``account.created`` event."""
    for name in names:
        body = {"email": f"{name.lower()}@school.example", "name": name}
        response = client.post("/v1/accounts", json=body, headers=headers)
        assert response.status_code == 201, response.get_data(as_text=True)


def import_accounts(client, headers, count):
    """Import ``count`` new accounts from one CSV file: ``count`` account.created events."""
    rows = "".join(f"staff{n:04d}@school.example,Staff {n},Art,teacher\n" for n in range(count))
    csv = io.BytesIO(("email,name,department,role\n" + rows).encode())
    response = client.post("/v1/accounts/bulk", data={"file": (csv, "staff.csv")}, headers=headers)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.get_json()["created"] == count


def seconds_between(later, earlier):
    return (datetime.fromisoformat(later) - datetime.fromisoformat(earlier)).total_seconds()


# --- What a receiver gets ----------------------------------------------------------------


def test_every_delivery_is_signed_and_its_body_is_the_minified_event(client, admin, receiver):
    """Every delivery verifies, and its body is the minified event whose id is the webhook-id."""
    webhook = register_webhook(client, admin, receiver.url, ["account.*"])
    add_accounts(client, admin, "Zoë", "Åsa")

    assert deliver_due() == 2

    for arrival, name in zip(receiver.wait_for(2), ["Zoë", "Åsa"], strict=True):
        assert arrival.method == "POST" and arrival.path == "/hooks/roomloop"
        assert arrival.headers["content-type"] == "application/json"
        payload = arrival.verify(webhook["secret"])
        assert list(payload) == ["id", "type", "created_at", "data"]
        assert (
            arrival.body == json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()
        )
        assert arrival.webhook_id == payload["id"] and payload["id"].startswith("evt_")
        assert arrival.headers["webhook-signature"].startswith("v1,")
        assert abs(int(arrival.headers["webhook-timestamp"]) - time.time()) < 60
        assert (payload["type"], payload["data"]["name"]) == ("account.created", name)
        assert payload["created_at"].endswith("Z")


def test_a_tampered_body_or_header_fails_verification(client, admin, receiver):
    """Changing one byte of the body, the webhook-id or the timestamp breaks the signature."""
    webhook = register_webhook(client, admin, receiver.url, ["account.*"])
    add_accounts(client, admin, "Ann")
    deliver_due()
    arrival = receiver.wait_for(1)[0]
    arrival.verify(webhook["secret"])

    forgeries = [
        (arrival.body.replace(b'"Ann"', b'"Anne"'), arrival.headers),
        (arrival.body, {**arrival.headers, "webhook-id": "evt_0000000000"}),
        (
            arrival.body,
            {
                **arrival.headers,
                "webhook-timestamp": str(int(arrival.headers["webhook-timestamp"]) - 1),
            },
        ),
    ]
    for body, headers in forgeries:
        with pytest.raises(WebhookVerificationError):
            type(arrival)("POST", "/", headers, body).verify(webhook["secret"])


def test_the_deliver_webhooks_command_sends_what_is_due(app, client, admin, receiver):
    """`flask deliver-webhooks --once` posts every due delivery and says how many."""
    webhook = register_webhook(client, admin, receiver.url, ["account.*"])
    add_accounts(client, admin, "Ann", "Bo", "Cy")

    result = app.test_cli_runner().invoke(args=["deliver-webhooks", "--once"])

    assert result.exit_code == 0, result.output
    assert "Attempted 3 deliveries." in result.output
    names = [a.verify(webhook["secret"])["data"]["name"] for a in receiver.wait_for(3)]
    assert sorted(names) == ["Ann", "Bo", "Cy"]
    assert {d["status"] for d in deliveries(client, admin, webhook)} == {"succeeded"}


# --- Retries ----------------------------------------------------------------------------


@pytest.mark.parametrize("app_config", [FAST_RETRIES])
def test_503_twice_then_200_succeeds_on_the_third_attempt_with_one_webhook_id(
    app, client, admin, receiver
):
    """503, 503, 200: the same webhook-id and body three times, then succeeded after 3 attempts."""
    webhook = register_webhook(client, admin, receiver.url, ["account.*"])
    add_accounts(client, admin, "Ann")
    receiver.answer(503, 503, 200)

    result = app.test_cli_runner().invoke(args=["deliver-webhooks", "--once"])

    assert "Attempted 3 deliveries." in result.output
    assert [a.status for a in receiver.arrivals] == [503, 503, 200]
    assert len({(a.webhook_id, a.body) for a in receiver.arrivals}) == 1
    for arrival in receiver.arrivals:
        arrival.verify(webhook["secret"])
    [delivery] = deliveries(client, admin, webhook)
    assert (delivery["status"], delivery["attempts"], delivery["last_status_code"]) == (
        "succeeded",
        3,
        200,
    )
    assert delivery["event"]["id"] == receiver.arrivals[0].webhook_id
    assert delivery["delivered_at"] is not None and delivery["next_attempt_at"] is None


@pytest.mark.parametrize("app_config", [FAST_RETRIES])
def test_a_receiver_that_is_down_gets_the_event_once_it_is_up(client, admin, receivers):
    """Attempts fail while nothing listens; once the receiver is up the event arrives, once."""
    receiver = receivers(up=False)
    webhook = register_webhook(client, admin, receiver.url, ["account.*"])
    add_accounts(client, admin, "Ann")

    assert deliver_due() == 1
    assert deliver_due() == 1
    [waiting] = deliveries(client, admin, webhook)
    assert (waiting["status"], waiting["attempts"], waiting["last_status_code"]) == (
        "pending",
        2,
        None,
    )
    assert "connect" in waiting["last_error"]

    receiver.start()
    assert deliver_due() == 1

    [arrival] = receiver.wait_for(1)
    assert arrival.verify(webhook["secret"])["id"] == waiting["event"]["id"]
    [done] = deliveries(client, admin, webhook)
    assert (done["status"], done["attempts"]) == ("succeeded", 3)


@pytest.mark.parametrize("app_config", [FAST_RETRIES])
def test_when_every_retry_fails_the_delivery_is_failed_and_not_tried_again(client, admin, receiver):
    """Three 503s with two retries configured: failed after 3 attempts, and never sent again."""
    webhook = register_webhook(client, admin, receiver.url, ["account.*"])
    add_accounts(client, admin, "Ann")
    receiver.answer(503, 503, 503, 503)

    while deliver_due():
        pass
    assert deliver_due() == 0

    assert [a.status for a in receiver.arrivals] == [503, 503, 503]
    [delivery] = deliveries(client, admin, webhook)
    assert (delivery["status"], delivery["attempts"], delivery["last_status_code"]) == (
        "failed",
        3,
        503,
    )
    assert delivery["next_attempt_at"] is None


def test_retries_back_off_about_5_s_then_about_300_s(client, admin, receiver, freeze):
    """The next attempt comes 5 s (±20%) after one failure and 300 s (±20%) after two."""
    freeze(2026, 6, 8, 9, 0, 0)
    webhook = register_webhook(client, admin, receiver.url, ["account.*"])
    add_accounts(client, admin, "Ann")
    receiver.answer(503, 503)

    assert deliver_due() == 1
    [first] = deliveries(client, admin, webhook)
    assert first["attempts"] == 1
    assert 4 <= seconds_between(first["next_attempt_at"], first["last_attempt_at"]) <= 6
    assert deliver_due() == 0

    freeze(2026, 6, 8, 9, 0, 7)
    assert deliver_due() == 1
    [second] = deliveries(client, admin, webhook)
    assert second["attempts"] == 2
    assert 240 <= seconds_between(second["next_attempt_at"], second["last_attempt_at"]) <= 360
    freeze(2026, 6, 8, 9, 3, 0)
    assert deliver_due() == 0
    assert len(receiver.arrivals) == 2


# --- Test event, redeliver ---------------------------------------------------------------


def test_test_event_answers_202_and_reaches_the_receiver(client, admin, receiver):
    """POST /v1/webhooks/:id/test: 202, and the receiver gets a signed webhook.test event."""
    webhook = register_webhook(client, admin, receiver.url, ["account.disabled"])

    response = client.post(f"/v1/webhooks/{webhook['id']}/test", headers=admin)

    assert response.status_code == 202
    queued = response.get_json()
    assert (queued["webhook_id"], queued["status"], queued["attempts"]) == (
        webhook["id"],
        "pending",
        0,
    )
    assert queued["event"]["type"] == "webhook.test"
    assert deliver_due() == 1
    payload = receiver.wait_for(1)[0].verify(webhook["secret"])
    assert payload["type"] == "webhook.test"
    assert payload["id"] == queued["event"]["id"]
    assert payload["data"]["endpoint"] == webhook["id"]
    assert deliveries(client, admin, webhook)[0]["status"] == "succeeded"


def test_redeliver_sends_a_succeeded_delivery_again_with_the_same_webhook_id(
    client, admin, receiver
):
    """Redeliver sends a succeeded delivery again, same webhook-id and body: 2 attempts."""
    webhook = register_webhook(client, admin, receiver.url)
    add_accounts(client, admin, "Ann")
    deliver_due()
    delivery = deliveries(client, admin, webhook)[0]
    assert delivery["status"] == "succeeded"

    response = client.post(
        f"/v1/webhooks/{webhook['id']}/deliveries/{delivery['id']}/redeliver", headers=admin
    )

    assert response.status_code == 202
    assert response.get_json()["status"] == "pending"
    assert deliver_due() == 1
    first, again = receiver.wait_for(2)
    assert again.webhook_id == first.webhook_id == delivery["event"]["id"]
    assert again.body == first.body
    assert again.verify(webhook["secret"])["type"] == "account.created"
    shown = deliveries(client, admin, webhook)
    assert [(d["id"], d["status"], d["attempts"]) for d in shown] == [
        (delivery["id"], "succeeded", 2)
    ]
    missing = f"/v1/webhooks/{webhook['id']}/deliveries/dlv_0000000000/redeliver"
    assert_error(client.post(missing, headers=admin), 404, "not_found")


# --- Receivers that are gone, redirect or hang -------------------------------------------


def test_410_gone_disables_the_endpoint_and_nothing_more_is_sent(client, admin, receiver):
    """A 410 disables the endpoint, saying why, and nothing made afterwards is sent to it."""
    webhook = register_webhook(client, admin, receiver.url, ["account.*"])
    add_accounts(client, admin, "Ann")
    receiver.answer(410)

    assert deliver_due() == 1
    add_accounts(client, admin, "Bo")
    assert deliver_due() == 0

    assert [a.status for a in receiver.arrivals] == [410]
    shown = client.get(f"/v1/webhooks/{webhook['id']}", headers=admin).get_json()
    assert shown["status"] == "disabled"
    assert "410" in shown["disabled_reason"]
    [delivery] = deliveries(client, admin, webhook)
    assert (delivery["status"], delivery["attempts"], delivery["last_status_code"]) == (
        "failed",
        1,
        410,
    )


def test_410_gone_stops_the_deliveries_already_queued_for_the_endpoint(client, admin, receiver):
    """After a 410, the events queued for that endpoint behind the refused one are not sent."""
    register_webhook(client, admin, receiver.url, ["account.*"])
    add_accounts(client, admin, "Ann", "Bo", "Cy")
    receiver.answer(410)

    deliver_due()
    deliver_due()

    assert [a.status for a in receiver.arrivals] == [410]


def test_a_redirect_is_not_followed_and_counts_as_a_failure(client, admin, receiver):
    """A 302 is a failed attempt: the redirect target is never requested."""
    webhook = register_webhook(client, admin, receiver.url, ["account.*"])
    add_accounts(client, admin, "Ann")
    receiver.answer(302)

    assert deliver_due() == 1

    assert [(a.path, a.status) for a in receiver.arrivals] == [("/hooks/roomloop", 302)]
    assert not any(a.path == REDIRECT_TARGET for a in receiver.arrivals)
    [delivery] = deliveries(client, admin, webhook)
    assert (delivery["status"], delivery["attempts"], delivery["last_status_code"]) == (
        "pending",
        1,
        302,
    )
    assert "redirect" in delivery["last_error"].lower()


@pytest.mark.parametrize("app_config", [{"WEBHOOK_TIMEOUT": 1}])
def test_a_receiver_that_hangs_times_out_and_does_not_hold_up_the_others(client, admin, receivers):
    """A receiver slower than WEBHOOK_TIMEOUT fails in about 1 s and delays no other endpoint."""
    slow, quick = receivers(), receivers()
    slow.delay = 5
    hanging = register_webhook(client, admin, slow.url, ["account.*"])
    answering = register_webhook(client, admin, quick.url, ["account.*"])
    add_accounts(client, admin, "Ann")

    started = time.monotonic()
    assert deliver_due() == 2
    assert time.monotonic() - started < 3

    [timed_out] = deliveries(client, admin, hanging)
    assert (timed_out["status"], timed_out["attempts"], timed_out["last_status_code"]) == (
        "pending",
        1,
        None,
    )
    assert "in time" in timed_out["last_error"]
    assert quick.wait_for(1)[0].verify(answering["secret"])["data"]["name"] == "Ann"
    assert deliveries(client, admin, answering)[0]["status"] == "succeeded"


def test_a_production_sender_refuses_a_loopback_target_registered_in_development(
    app, database_url, client, admin, receiver
):
    """A loopback endpoint accepted in development is not called by a production sender."""
    webhook = register_webhook(client, admin, receiver.url, ["account.*"])
    add_accounts(client, admin, "Ann")
    production = make_app(database_url, ENV="production", SECRET_KEY="x" * 40)

    with production.app_context():
        assert deliver_due() == 1
        production.extensions["sqlalchemy"].engines[None].dispose()

    assert receiver.arrivals == []
    [delivery] = deliveries(client, admin, webhook)
    assert (delivery["status"], delivery["attempts"]) == ("pending", 1)
    assert "https" in delivery["last_error"]
