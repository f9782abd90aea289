"""Shared fixtures: a migrated database, a fresh app per test, and factories.

Tests run on SQLite by default and on PostgreSQL when ``ROOMLOOP_TEST_DATABASE_URL`` names
one. The schema is built once per session by the real migrations; each test then starts
from empty tables.
"""

import io
import os
import socket
import subprocess
import sys
import threading
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import flask_migrate
import pytest
import requests
from sqlalchemy import create_engine, func, make_url, select, text

from roomloop import create_app
from roomloop.auth.tokens import create_api_key
from roomloop.extensions import db
from roomloop.models import Account, Event, Facility, HeldSlot, Reservation
from roomloop.sqlite import writing

# Helpers kept outside the test files: their asserts explain a failure as the tests' own do.
pytest.register_assert_rewrite(
    "oidc_issuer",
    "page_client",
    "access_support",
    "api_errors_support",
    "facilities_support",
    "feeds_support",
    "reservations_support",
    "rules_support",
    "mail_support",
    "smtp_server",
)

TEST_DATABASE_URL = os.environ.get("ROOMLOOP_TEST_DATABASE_URL")
REPO_ROOT = Path(__file__).resolve().parent.parent


def make_app(database_url, **config):
    return create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": database_url,
            "SECRET_KEY": "test-secret",
            "TIMEZONE": "UTC",
            # No sender thread behind a test's back: webhook tests run senders themselves.
            "WEBHOOK_SENDER": "process",
            **config,
        }
    )


@pytest.fixture(scope="session")
def database_url(tmp_path_factory):
    """Build the schema once with the migrations, on SQLite or the given PostgreSQL.

    On PostgreSQL the run gets a schema of its own (dropped afterwards), so that parallel
    runs against one database cannot disturb each other.
    """
    if not TEST_DATABASE_URL:
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'roomloop.db'}"
        upgrade(url)
        yield url
        return
    schema = f"roomloop_test_{os.getpid()}"
    base = make_url(TEST_DATABASE_URL)
    admin = create_engine(base)
    with admin.begin() as conn:
        conn.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    url = base.update_query_dict({"options": f"-csearch_path={schema}"})
    url = url.render_as_string(hide_password=False)
    upgrade(url)
    yield url
    with admin.begin() as conn:
        conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
    admin.dispose()


def upgrade(url):
    app = make_app(url)
    with app.app_context():
        flask_migrate.upgrade()
        db.engine.dispose()


@pytest.fixture(scope="session", autouse=True)
def mail_folder(tmp_path_factory):
    """Keep the emails that tests send with no mail server set (as .eml files) out of the
    repository's instance folder: every app and server the tests start writes them here."""
    folder = tmp_path_factory.mktemp("mail")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("ROOMLOOP_MAIL_FOLDER", str(folder))
        yield folder


@pytest.fixture
def app_config():
    """Return extra configuration for the test's app; a test module overrides this fixture."""
    return {}


@pytest.fixture
def app(database_url, app_config):
    """Create an app on the test database; every table is emptied after the test."""
    app = make_app(database_url, **app_config)
    with app.app_context():
        yield app
        db.session.remove()
        with db.engine.begin() as conn:
            for table in reversed(db.metadata.sorted_tables):
                conn.execute(table.delete())
        db.engine.dispose()


def book(client, headers, facility, day, start_slot=2, end_slot=None, **extra):
    """POST a booking the way an API client does, and return the response."""
    body = {
        "facility_id": getattr(facility, "code", facility),
        "date": day.isoformat(),
        "start_slot": start_slot,
        "end_slot": start_slot if end_slot is None else end_slot,
        "purpose": "Class",
        **extra,
    }
    return client.post("/v1/reservations", json=body, headers=headers)


def post_csv(client, path, headers, content, dry_run=False, filename="upload.csv"):
    """POST ``content`` (text or bytes) as the multipart field ``file``, as a browser or
    ``curl -F`` sends it; return the response."""
    raw = content.encode() if isinstance(content, str) else content
    return client.post(
        path + ("?dry_run=true" if dry_run else ""),
        data={"file": (io.BytesIO(raw), filename)},
        headers=headers,
    )


def stored():
    """How many reservations, held slots and outbox events the database holds."""
    return tuple(
        db.session.scalar(select(func.count()).select_from(model))
        for model in (Reservation, HeldSlot, Event)
    )


def assert_error(response, status, code):
    """Check the JSON error envelope every ``/v1`` error shares; return its ``error`` object."""
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/json"
    body = response.get_json()
    assert set(body) == {"error"}
    error = body["error"]
    assert error["code"] == code
    assert isinstance(error["message"], str) and error["message"]
    assert error["request_id"]
    assert error["request_id"] == response.headers["X-Request-ID"]
    return error


def accounts_table():
    """Every account as (email, name, department, role, status), read from the database."""
    db.session.rollback()  # read what the requests committed
    return db.session.execute(
        select(
            Account.email, Account.name, Account.department, Account.role, Account.status
        ).order_by(Account.email)
    ).all()


def account_events():
    """The outbox as (type, email) pairs, oldest first."""
    db.session.rollback()
    return [(e.type, e.data["email"]) for e in db.session.scalars(select(Event).order_by(Event.id))]


@pytest.fixture
def freeze(time_machine):
    """Return a function that stops the clock at a UTC date and time for the rest of the test."""

    def at(*parts):
        time_machine.move_to(datetime(*parts, tzinfo=UTC), tick=False)

    return at


def school_day(days_ahead=7):
    """A weekday at least ``days_ahead`` days from today (inside the default booking window)."""
    day = date.today() + timedelta(days=days_ahead)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day


def store(row):
    """Add a row and commit it, the transaction holding the write lock from its start.

    pytest-flask runs each test inside a GET request context, where RoomLoop begins SQLite
    transactions deferred: a write after a read in one fails at once if a server under test
    committed in between. ``writing()`` begins this one IMMEDIATE, as a booking does.
    """
    with writing():
        db.session.add(row)
        db.session.commit()


@pytest.fixture
def create_account(app):
    """Return a factory that stores an account and returns it."""
    counter = iter(range(1, 10_000))

    def create(role="teacher", name=None, email=None, department="Science", status="active"):
        n = next(counter)
        account = Account(
            email=email or f"{role}{n}@school.example",
            name=name or f"{role.capitalize()} {n}",
            department=department,
            role=role,
            status=status,
        )
        store(account)
        return account

    return create


@pytest.fixture
def create_facility(app):
    """Return a factory that stores a facility (an active lab by default) and returns it."""
    counter = iter(range(1, 10_000))

    def create(code=None, **fields):
        n = next(counter)
        values = {
            "name": f"Lab {n}",
            "type": "lab",
            "building": "North",
            "capacity": 30,
            "amenities": [],
            "status": "active",
            **fields,
        }
        facility = Facility(code=code or f"f{n}", **values)
        store(facility)
        return facility

    return create


@pytest.fixture
def create_reservation(app):
    """Return a factory that stores a reservation directly (no rules), holding its slots."""

    def create(
        facility, account, day, start_slot=2, end_slot=None, status="confirmed", purpose="Class"
    ):
        end_slot = end_slot or start_slot
        reservation = Reservation(
            facility=facility,
            account=account,
            date=day,
            start_slot=start_slot,
            end_slot=end_slot,
            purpose=purpose,
            status=status,
            rules={"outcome": status, "checked": [], "overridden": []},
        )
        if status != "cancelled":
            reservation.held_slots = [
                HeldSlot(facility_id=facility.id, account_id=account.id, date=day, slot=n)
                for n in range(start_slot, end_slot + 1)
            ]
        store(reservation)
        return reservation

    return create


@pytest.fixture
def auth_headers(app):
    """Return a factory of ``Authorization`` headers carrying a new API key for an account."""

    def headers(account, scopes=None):
        with writing():  # see store()
            _, key = create_api_key(account, scopes=scopes)
        return {"Authorization": f"Bearer {key}"}

    return headers


def race(call, racers):
    """Run ``call(i)`` for i in 0..racers-1 from as many threads, released together; return
    the results in order."""
    barrier = threading.Barrier(racers)
    results = [None] * racers

    def run(i):
        barrier.wait()
        results[i] = call(i)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(racers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def launch_gunicorn(database_url, workers=4, threads=4, **env):
    """Start RoomLoop under gunicorn on a free port; return the process and its URL."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    environment = {
        **os.environ,
        "ROOMLOOP_DATABASE_URL": database_url,
        "ROOMLOOP_TIMEZONE": "UTC",
        "ROOMLOOP_SECRET_KEY": "test-secret",
        **{f"ROOMLOOP_{name}": str(value) for name, value in env.items()},
    }
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            # gunicorn's own defaults (sync workers, no keep-alive), not the production
            # settings that it would otherwise read from ./gunicorn.conf.py.
            "--config",
            os.devnull,
            "--workers",
            str(workers),
            "--threads",
            str(threads),
            "--bind",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
            "wsgi:app",
        ],
        cwd=REPO_ROOT,
        env=environment,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {process.returncode}")
        try:
            requests.get(url + "/", timeout=1)
            return process, url
        except requests.RequestException:  # not listening yet, or workers still booting
            time.sleep(0.1)
    process.kill()
    raise RuntimeError("gunicorn did not start within 30 s")


@pytest.fixture
def start_server(database_url):
    """Return a function that starts RoomLoop under gunicorn on a free port and returns its URL.

    The servers share the test database and are stopped after the test.
    """
    processes = []

    def start(workers=4, threads=4, **env):
        process, url = launch_gunicorn(database_url, workers, threads, **env)
        processes.append(process)
        return url

    yield start
    for process in processes:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture
def receivers():
    """Return a factory of webhook receivers on 127.0.0.1, up unless ``up=False``, speaking
    HTTPS with ``tls`` (an ``ssl.SSLContext``); all stop after the test."""
    from webhook_receiver import Receiver

    started = []

    def make(up=True, tls=None):
        receiver = Receiver(tls)
        started.append(receiver)
        return receiver.start() if up else receiver

    yield make
    for receiver in started:
        receiver.stop()


@pytest.fixture
def receiver(receivers):
    """Start a webhook receiver on 127.0.0.1 that answers 200 unless told otherwise."""
    return receivers()
