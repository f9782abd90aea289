"""An API key's last use: recorded at most once a minute, whatever the request does; a
booking records it in its own write transaction rather than one of its own."""

from datetime import datetime

import pytest
from sqlalchemy import event, select

from roomloop.extensions import db
from roomloop.models import ApiToken

from conftest import book


@pytest.fixture
def ada(freeze, create_account, create_facility, auth_headers):
    freeze(2026, 6, 1, 7, 0)
    account = create_account(name="Ada Park")
    return {"headers": auth_headers(account), "lab": create_facility(code="lab")}


def last_used():
    db.session.rollback()  # read what the requests committed
    return db.session.scalar(select(ApiToken.last_used_at))


def at(*parts):
    return datetime(*parts)  # stored naive, in UTC


def test_a_read_records_the_keys_use_once_a_minute(client, ada, freeze):
    assert last_used() is None

    client.get("/v1/me", headers=ada["headers"])
    assert last_used() == at(2026, 6, 1, 7, 0)

    freeze(2026, 6, 1, 7, 0, 59)
    client.get("/v1/me", headers=ada["headers"])
    assert last_used() == at(2026, 6, 1, 7, 0)

    freeze(2026, 6, 1, 7, 1, 5)
    client.get("/v1/me", headers=ada["headers"])
    assert last_used() == at(2026, 6, 1, 7, 1, 5)


def test_a_refused_booking_records_the_keys_use_too(client, ada):
    """A refusal writes nothing of its own: the use is written as the request ends."""
    response = book(client, ada["headers"], ada["lab"], datetime(2026, 5, 29).date())

    assert response.status_code == 422
    assert last_used() == at(2026, 6, 1, 7, 0)


def test_an_accepted_booking_records_the_keys_use(client, ada):
    response = book(client, ada["headers"], ada["lab"], datetime(2026, 6, 3).date())

    assert response.status_code == 201
    assert last_used() == at(2026, 6, 1, 7, 0)


def test_a_booking_writes_the_keys_use_in_its_own_transaction(app, client, ada, database_url):
    """One commit (on SQLite one wait for the write lock) books and records the key's use."""
    statements, commits = [], []

    def record(_conn, _cursor, statement, *_):
        statements.append(" ".join(statement.split()))

    def count_commit(_conn):
        commits.append(len(statements))

    event.listen(db.engine, "before_cursor_execute", record)
    event.listen(db.engine, "commit", count_commit)
    try:
        response = book(client, ada["headers"], ada["lab"], datetime(2026, 6, 3).date())
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
        event.remove(db.engine, "commit", count_commit)

    assert response.status_code == 201
    assert len(commits) == 1
    touched = next(n for n, s in enumerate(statements) if s.startswith("UPDATE api_tokens"))
    booked = next(n for n, s in enumerate(statements) if s.startswith("INSERT INTO reservations"))
    assert touched < booked < commits[0]
    if database_url.startswith("sqlite"):
        assert statements.count("BEGIN IMMEDIATE") == 1
        assert statements.index("BEGIN IMMEDIATE") == touched - 1
    assert last_used() == at(2026, 6, 1, 7, 0)
