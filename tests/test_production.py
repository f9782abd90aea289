"""Production mode as the README describes it, end to end with real processes.

A fresh database is built with ``flask db upgrade`` (PostgreSQL in CI), RoomLoop runs under
gunicorn with ``gunicorn.conf.py``, Redis keeps the rate limits, the webhook sender runs as
its own ``flask deliver-webhooks`` process, ``/healthz`` reports, and the logs are JSON lines
that carry each request's id and never a bearer token.
"""

import json
import os
import signal
import socket
import subprocess
import sys
import time
import uuid

import pytest
import requests
from sqlalchemy import create_engine, make_url, text

from conftest import REPO_ROOT, TEST_DATABASE_URL, make_app, school_day
from webhook_receiver import wait_until

REDIS_URL = "redis://127.0.0.1:6379/0"
SECRET_KEY = "production-test-" + "x" * 40


@pytest.fixture
def fresh_database(tmp_path):
    """Return the URL of an empty database: a new SQLite file, or a new PostgreSQL schema."""
    if not TEST_DATABASE_URL:
        yield f"sqlite:///{tmp_path / 'production.db'}"
        return
    schema = f"roomloop_prod_{uuid.uuid4().hex[:12]}"
    base = make_url(TEST_DATABASE_URL)
    admin = create_engine(base)
    with admin.begin() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    url = base.update_query_dict({"options": f"-csearch_path={schema}"})
    yield url.render_as_string(hide_password=False)
    with admin.begin() as conn:
        conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
    admin.dispose()


@pytest.fixture
def production_env(fresh_database):
    """The environment of a production deployment on the fresh database, with Redis."""
    return {
        **os.environ,
        "ROOMLOOP_ENV": "production",
        "ROOMLOOP_SECRET_KEY": SECRET_KEY,
        "ROOMLOOP_DATABASE_URL": fresh_database,
        "ROOMLOOP_RATELIMIT_STORAGE_URI": REDIS_URL,
        "ROOMLOOP_RATELIMIT_KEY_PREFIX": f"roomloop-prod-test-{uuid.uuid4().hex}",
        "ROOMLOOP_TRUSTED_PROXIES": "1",  # the test plays the TLS-terminating proxy
        "ROOMLOOP_SERVER_NAME": "rooms.school.example",
        # The test's receiver listens on loopback, which production otherwise refuses.
        "ROOMLOOP_WEBHOOK_ALLOW_PRIVATE_TARGETS": "true",
        "ROOMLOOP_WEBHOOK_POLL_SECONDS": "0.2",
    }


def flask(env, *args):
    result = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "roomloop", *args],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


@pytest.fixture
def gunicorn(production_env, tmp_path):
    """Start ``gunicorn -c gunicorn.conf.py wsgi:app``; return its URL and its log file."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    log = tmp_path / "gunicorn.log"
    env = {
        **production_env,
        "ROOMLOOP_BIND": f"127.0.0.1:{port}",
        "WEB_CONCURRENCY": "2",
    }
    with open(log, "w") as stderr:
        process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "wsgi:app"],
            cwd=REPO_ROOT,
            env=env,
            stdout=stderr,
            stderr=stderr,
        )
    url = f"http://127.0.0.1:{port}"

    def up():
        assert process.poll() is None, log.read_text()
        try:
            return requests.get(url + "/healthz", timeout=1).status_code == 200
        except requests.RequestException:
            return False

    try:
        wait_until(up, timeout=30)
        yield url, log
    finally:
        process.terminate()
        process.wait(timeout=30)


@pytest.mark.server
def test_production_deployment_serves_books_and_delivers(production_env, gunicorn, receiver):
    """Upgrade, serve, book over "HTTPS", deliver the webhook from its own process, log JSON."""
    flask(production_env, "db", "upgrade")
    flask(production_env, "create-admin", "it@school.example", "--name", "IT Office")
    key = flask(production_env, "create-api-key", "it@school.example").strip().splitlines()[-1]
    url, log = gunicorn
    https = {"Authorization": f"Bearer {key}", "X-Forwarded-Proto": "https"}

    health = requests.get(url + "/healthz", timeout=5)
    plain = requests.get(url + "/v1/facilities", headers={"Authorization": f"Bearer {key}"})
    hook = requests.post(
        url + "/v1/webhooks",
        json={"url": receiver.url, "events": ["reservation.*"]},
        headers=https,
        timeout=5,
    )
    facility = requests.post(
        url + "/v1/facilities",
        json={"id": "f1", "name": "STEM Lab Alpha", "type": "lab", "capacity": 30},
        headers=https,
        timeout=5,
    )
    booking = requests.post(
        url + "/v1/reservations",
        json={
            "facility_id": "f1",
            "date": school_day().isoformat(),
            "start_slot": 2,
            "end_slot": 3,
            "purpose": "Titration lab",
        },
        headers={**https, "X-Request-ID": "prod-test-booking-1"},
        timeout=5,
    )

    assert health.json() == {"status": "ok", "database": "ok", "rate_limit_storage": "ok"}
    assert plain.status_code == 403 and plain.json()["error"]["code"] == "https_required"
    assert (hook.status_code, facility.status_code, booking.status_code) == (201, 201, 201)
    assert booking.headers["RateLimit-Limit"] == "120"

    sender = subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "roomloop", "deliver-webhooks"],
        cwd=REPO_ROOT,
        env=production_env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        arrival = receiver.wait_for(1)[0]
        payload = arrival.verify(hook.json()["secret"])
        sender.send_signal(signal.SIGTERM)
        assert sender.wait(timeout=15) == 0
    finally:
        if sender.poll() is None:
            sender.kill()
    assert (payload["type"], payload["data"]["id"]) == (
        "reservation.created",
        booking.json()["id"],
    )

    time.sleep(0.2)  # the last log lines reach the file
    lines = [json.loads(line) for line in log.read_text().splitlines() if line.startswith("{")]
    booked = [e for e in lines if e.get("request_id") == "prod-test-booking-1"]
    assert booked and booked[0]["path"] == "/v1/reservations" and booked[0]["status"] == 201
    assert booked[0]["account"].startswith("usr_")
    assert key not in log.read_text()
    assert booking.headers["X-Request-ID"] == "prod-test-booking-1"


def test_healthz_says_what_is_unreachable(database_url, tmp_path):
    """A database or rate-limit storage that does not answer makes /healthz a 503 naming it."""
    no_database = make_app(f"sqlite:///{tmp_path / 'missing' / 'roomloop.db'}")
    database_down = no_database.test_client().get("/healthz")
    # Flask-Limiter keeps one storage per process, the last app's: this app is made last.
    no_redis = make_app(database_url, RATELIMIT_STORAGE_URI="redis://127.0.0.1:1")
    redis_down = no_redis.test_client().get("/healthz")

    assert redis_down.status_code == 503
    assert redis_down.get_json() == {
        "status": "unavailable",
        "database": "ok",
        "rate_limit_storage": "unreachable",
    }
    assert database_down.status_code == 503
    assert database_down.get_json()["database"] == "unreachable"
