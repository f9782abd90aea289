"""Pooled PostgreSQL connections that died while idle are replaced before a request uses
them; one in use a moment ago is trusted without a ping (``roomloop.database``)."""

import time
import uuid

import pytest
from sqlalchemy import create_engine, make_url, text
from sqlalchemy.exc import OperationalError

from roomloop import database
from roomloop.database import ping_after_idle
from roomloop.extensions import db

from conftest import make_app


@pytest.fixture
def postgresql_url(database_url):
    """The test database's URL with an application name of this test's own, so that it can
    end its own connections and nobody else's."""
    if not database_url.startswith("postgresql"):
        pytest.skip("needs PostgreSQL (set ROOMLOOP_TEST_DATABASE_URL)")
    name = f"roomloop-test-{uuid.uuid4().hex[:12]}"
    url = make_url(database_url).update_query_dict({"application_name": name})
    return url.render_as_string(hide_password=False), name


def end_connections(database_url, application_name):
    """Terminate the server side of every connection with that name, as a restart would."""
    admin = create_engine(database_url.replace(application_name, "roomloop-test-admin"))
    with admin.begin() as conn:
        ended = conn.execute(
            text(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE application_name = :name"
            ),
            {"name": application_name},
        ).scalar()
    admin.dispose()
    assert ended >= 1
    time.sleep(0.1)  # the server ends them asynchronously


def backend_pid(engine):
    with engine.connect() as conn:
        return conn.execute(text("SELECT pg_backend_pid()")).scalar()


def pooled_connection_ended(postgresql_url, idle_seconds):
    """An engine pinging after ``idle_seconds``, whose one pooled connection the server has
    just ended; and that connection's server process id."""
    url, name = postgresql_url
    engine = create_engine(url, pool_size=1)
    ping_after_idle(engine, idle_seconds)
    first = backend_pid(engine)
    end_connections(url, name)
    return engine, first


def test_a_connection_that_died_while_idle_is_replaced_unnoticed(postgresql_url):
    engine, first = pooled_connection_ended(postgresql_url, idle_seconds=0.2)
    time.sleep(0.3)

    assert backend_pid(engine) not in (None, first)
    engine.dispose()


def test_a_connection_used_a_moment_ago_is_not_pinged(postgresql_url):
    engine, first = pooled_connection_ended(postgresql_url, idle_seconds=60)

    # Trusted without a round trip: the death shows in the statement itself ...
    with pytest.raises(OperationalError):
        backend_pid(engine)
    # ... and the pool then replaces every connection opened before it.
    assert backend_pid(engine) not in (None, first)
    engine.dispose()


def test_the_app_answers_after_the_database_dropped_its_idle_connections(
    postgresql_url, monkeypatch
):
    url, name = postgresql_url
    monkeypatch.setattr(database, "IDLE_PING_SECONDS", 0.2)
    app = make_app(url)
    client = app.test_client()
    assert client.get("/healthz").json["database"] == "ok"
    end_connections(url, name)
    time.sleep(0.3)

    answer = client.get("/healthz")

    assert answer.status_code == 200
    assert answer.json["database"] == "ok"
    with app.app_context():
        db.engine.dispose()
