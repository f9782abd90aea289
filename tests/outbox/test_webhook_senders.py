"""Webhook senders as they run for real: a `deliver-webhooks` process killed and restarted,
two senders racing over one outbox, and the in-process sender of busy gunicorn workers.

What is checked is what a receiver sees: every event arrives, and none twice, except where
at-least-once delivery makes a second arrival unavoidable (and then with the same webhook-id).
"""

import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from test_webhook_delivery import import_accounts

from roomloop.auth.tokens import create_api_key
from roomloop.extensions import db
from roomloop.models import Account
from roomloop.outbox.sender import run

from conftest import REPO_ROOT, make_app, school_day, upgrade
from webhook_receiver import deliveries, register_webhook, wait_until


@pytest.fixture
def admin(create_account, auth_headers):
    return auth_headers(create_account(role="admin"))


@pytest.fixture
def start_sender(database_url, tmp_path):
    """Return a function that starts `flask deliver-webhooks` on the test database; every
    sender still running is killed after the test."""
    processes = []

    def start(**env):
        environment = {
            **os.environ,
            "ROOMLOOP_DATABASE_URL": database_url,
            "ROOMLOOP_SECRET_KEY": "test-secret",
            "ROOMLOOP_TIMEZONE": "UTC",
            **{f"ROOMLOOP_{name}": str(value) for name, value in env.items()},
        }
        log = open(tmp_path / f"sender-{len(processes)}.log", "wb")  # noqa: SIM115
        process = subprocess.Popen(
            [sys.executable, "-m", "flask", "--app", "roomloop", "deliver-webhooks"],
            cwd=REPO_ROOT,
            env=environment,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        processes.append((process, log))
        return process

    yield start
    for process, log in processes:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=10)
        log.close()


# --- A sender killed mid-run -------------------------------------------------------------


def test_a_sender_killed_mid_delivery_and_restarted_loses_nothing(
    client, admin, receiver, start_sender
):
    """Killed mid-delivery and restarted, a sender loses nothing and repeats only the held one.

    Delivery is at least once: a sender that dies after a receiver's 200 but before recording
    it will send that event again, and receivers deduplicate by webhook-id. To make the test
    exact, the kill lands while the receiver holds request 20 open. With a batch of one the
    sender posts one delivery at a time and records each outcome before it claims the next,
    so at that moment requests 1-19 are recorded as succeeded and only the 20th is in doubt:
    claimed, unanswered, unrecorded. The restarted sender leaves it alone until its claim's
    lease (batch x (timeout + 5 s) = 7 s) lapses, as the first sender might still be
    working on it, then sends it again; nothing else may arrive twice.
    """
    receiver.delay = 0.05
    receiver.hold_at = 20
    webhook = register_webhook(client, admin, receiver.url, ["account.*"])
    import_accounts(client, admin, 50)
    settings = {"WEBHOOK_BATCH": 1, "WEBHOOK_TIMEOUT": 2, "WEBHOOK_POLL_SECONDS": 0.2}

    first = start_sender(**settings)
    assert receiver.held.wait(30), "the sender never reached the 20th delivery"
    first.send_signal(signal.SIGKILL)
    first.wait(timeout=10)
    interrupted = receiver.arrivals[19].webhook_id
    states = Counter(d["status"] for d in deliveries(client, admin, webhook))
    assert states == {"succeeded": 19, "pending": 31}
    receiver.release.set()  # the held request ends unanswered

    second = start_sender(**settings)
    receiver.wait_for(50, timeout=30)
    second.send_signal(signal.SIGTERM)
    assert second.wait(timeout=10) == 0  # SIGTERM lets the current delivery finish, then exits

    shown = deliveries(client, admin, webhook)
    assert {d["status"] for d in shown} == {"succeeded"}
    event_ids = {d["event"]["id"] for d in shown}
    answered = Counter(a.webhook_id for a in receiver.answered())
    assert set(answered) == event_ids and set(answered.values()) == {1}
    arrived = Counter(a.webhook_id for a in receiver.arrivals)
    assert arrived == {**dict.fromkeys(event_ids, 1), interrupted: 2}
    held, again = [a for a in receiver.arrivals if a.webhook_id == interrupted]
    assert again.at - held.at > 6.5  # not before the lease ran out
    for arrival in receiver.arrivals:
        arrival.verify(webhook["secret"])


# --- Two senders racing ------------------------------------------------------------------


def race_two_senders(url, client, headers, receiver, count=200):
    """Queue ``count`` events, let two senders (each with an app of its own) race to send
    them, and return the webhook and its deliveries afterwards.

    Each sender claims one delivery at a time and the receiver answers at once, so that the
    senders spend much of their time claiming, and their claims often coincide.
    """
    receiver.delay = 0.002
    webhook = register_webhook(client, headers, receiver.url, ["account.*"])
    import_accounts(client, headers, count)
    apps = [make_app(url, WEBHOOK_BATCH=1, WEBHOOK_POLL_SECONDS=0.05) for _ in range(2)]
    stop = threading.Event()
    senders = [threading.Thread(target=run, args=(app, stop)) for app in apps]
    for sender in senders:
        sender.start()
    try:
        wait_until(lambda: len({a.webhook_id for a in receiver.answered()}) >= count, 60)
    finally:
        stop.set()
        for sender in senders:
            sender.join(timeout=30)
        for app in apps:
            with app.app_context():
                db.engine.dispose()
    return webhook, deliveries(client, headers, webhook)


def assert_each_event_arrived_once(receiver, webhook, shown):
    arrived = Counter(a.webhook_id for a in receiver.arrivals)
    assert [i for i, n in arrived.items() if n > 1] == []
    assert len(shown) == 200
    assert set(arrived) == {d["event"]["id"] for d in shown}
    assert {(d["status"], d["attempts"]) for d in shown} == {("succeeded", 1)}
    assert receiver.max_in_flight == 2  # both senders were posting at the same time
    for arrival in receiver.arrivals:
        arrival.verify(webhook["secret"])


def test_two_senders_on_postgresql_deliver_each_event_once(database_url, client, admin, receiver):
    """Two senders racing over 200 deliveries on PostgreSQL: every event arrives exactly once."""
    if not database_url.startswith("postgresql"):
        pytest.skip("needs PostgreSQL (set ROOMLOOP_TEST_DATABASE_URL)")

    webhook, shown = race_two_senders(database_url, client, admin, receiver)

    assert_each_event_arrived_once(receiver, webhook, shown)


def test_two_senders_on_sqlite_deliver_each_event_once(
    app, database_url, client, admin, receiver, tmp_path
):
    """Two senders racing over 200 deliveries on SQLite: every event arrives exactly once."""
    if database_url.startswith("sqlite"):
        webhook, shown = race_two_senders(database_url, client, admin, receiver)
    else:  # the suite runs on PostgreSQL: race on a SQLite database of this test's own
        url = f"sqlite:///{tmp_path / 'race.db'}"
        upgrade(url)
        sqlite_app = make_app(url)
        with sqlite_app.app_context():
            account = Account(email="head@school.example", name="Head", role="admin")
            db.session.add(account)
            db.session.commit()
            headers = {"Authorization": f"Bearer {create_api_key(account)[1]}"}
            webhook, shown = race_two_senders(url, sqlite_app.test_client(), headers, receiver)
            db.engine.dispose()

    assert_each_event_arrived_once(receiver, webhook, shown)


# --- The in-process sender ---------------------------------------------------------------


def test_a_commit_wakes_the_in_process_sender_at_once(
    database_url, create_account, auth_headers, receiver
):
    """A commit wakes the sender thread: the event arrives in seconds, not at the next poll."""
    admin = auth_headers(create_account(role="admin"))
    web = make_app(database_url, WEBHOOK_SENDER="thread", WEBHOOK_POLL_SECONDS=60)
    client = web.test_client()
    sender = web.extensions["roomloop.webhook_sender"]
    try:
        webhook = register_webhook(client, admin, receiver.url, ["account.*"])  # starts it
        client.post(f"/v1/webhooks/{webhook['id']}/test", headers=admin)
        receiver.wait_for(1)
        time.sleep(0.5)  # the sender has sent the test event and gone back to sleep

        started = time.monotonic()
        body = {"email": "ann@school.example", "name": "Ann"}
        assert client.post("/v1/accounts", json=body, headers=admin).status_code == 201
        receiver.wait_for(2, timeout=10)

        assert time.monotonic() - started < 10
        payload = receiver.answered()[1].verify(webhook["secret"])
        assert (payload["type"], payload["data"]["name"]) == ("account.created", "Ann")
    finally:
        sender.stop.set()
        sender.wake.set()
        if sender.thread is not None:
            sender.thread.join(timeout=30)
        with web.app_context():
            db.engine.dispose()


@pytest.mark.server
def test_web_processes_send_each_booking_event_once_under_load(
    create_account, create_facility, auth_headers, receiver, start_server
):
    """40 bookings at once on two gunicorn workers: each reservation.created arrives once."""
    facilities = [create_facility().code for _ in range(8)]
    teachers = [auth_headers(create_account()) for _ in range(40)]
    admin = auth_headers(create_account(role="admin"))
    url = start_server(workers=2, threads=4, WEBHOOK_SENDER="thread", WEBHOOK_POLL_SECONDS=0.2)
    body = {"url": receiver.url, "events": ["reservation.created"]}
    created = requests.post(f"{url}/v1/webhooks", json=body, headers=admin, timeout=30)
    assert created.status_code == 201, created.text
    secret = created.json()["secret"]
    day = school_day()

    def book(n):
        booking = {
            "facility_id": facilities[n % 8],
            "date": day.isoformat(),
            "start_slot": 1 + n // 8,
            "end_slot": 1 + n // 8,
            "purpose": f"Class {n}",
        }
        return requests.post(
            f"{url}/v1/reservations", json=booking, headers=teachers[n], timeout=60
        )

    with ThreadPoolExecutor(max_workers=20) as pool:
        responses = list(pool.map(book, range(40)))

    assert [r.status_code for r in responses] == [201] * 40, [r.text for r in responses]
    booked = {r.json()["id"] for r in responses}
    receiver.wait_for(40, timeout=15)
    time.sleep(1)  # a few more polling rounds: a duplicate would arrive now
    payloads = [a.verify(secret) for a in receiver.arrivals]
    assert Counter(p["id"] for p in payloads).most_common(1)[0][1] == 1
    assert {p["type"] for p in payloads} == {"reservation.created"}
    assert {p["data"]["id"] for p in payloads} == booked
    assert len(payloads) == 40
