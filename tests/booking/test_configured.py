"""Settings, blackouts, webhook endpoints and facilities are kept by each process between requests
(``roomloop/configured.py``): a change must still reach the very next booking of every
process, whoever makes it, and a change rolled back must leave nothing behind."""

import pytest
from sqlalchemy import create_engine, event, text

from roomloop.booking.settings import get_setting, set_setting
from roomloop.extensions import db
from roomloop.models import WebhookDelivery

from conftest import book, make_app, school_day


@pytest.fixture
def other_process(app, database_url):
    """A second app on the same database, as another gunicorn worker would be."""
    other = make_app(database_url)
    yield other
    with other.app_context():
        db.engine.dispose()


@pytest.fixture
def admin_sql(database_url):
    """Run SQL on the database directly, as an IT admin in ``psql`` or ``sqlite3`` would."""
    engine = create_engine(database_url)

    def run(statement, **params):
        with engine.begin() as conn:
            conn.execute(text(statement), params)

    yield run
    engine.dispose()


@pytest.fixture
def teacher(create_account, create_facility, auth_headers):
    create_facility(code="lab")
    return auth_headers(create_account(name="Ada Park")), "lab"


def refused_by(response, rule):
    """Check that a booking was refused by ``rule``; return its message."""
    assert response.status_code == 422, response.json
    assert response.json["error"]["rule"] == rule
    return response.json["error"]["message"]


def test_a_blackout_added_in_sql_refuses_the_next_booking(client, teacher, admin_sql):
    headers, lab = teacher
    day = school_day()
    assert book(client, headers, lab, day, 1).status_code == 201  # the tables are now held

    admin_sql(
        "INSERT INTO blackout_dates (start_date, end_date, reason) VALUES (:day, :day, 'Flood')",
        day=day,
    )

    assert "Flood" in refused_by(book(client, headers, lab, day, 2), "R-07")

    admin_sql("DELETE FROM blackout_dates")
    assert book(client, headers, lab, day, 2).status_code == 201


def test_a_setting_changed_in_sql_applies_to_the_next_booking(client, teacher, admin_sql):
    headers, lab = teacher
    day = school_day()
    assert book(client, headers, lab, day, 1).status_code == 201

    admin_sql(
        "INSERT INTO settings (key, value, updated_at) "
        "VALUES ('weekly_quota_slots', '1', CURRENT_TIMESTAMP)"
    )
    refused_by(book(client, headers, lab, day, 2), "R-06")

    admin_sql("UPDATE settings SET value = '5' WHERE key = 'weekly_quota_slots'")
    assert book(client, headers, lab, day, 2).status_code == 201


def test_a_facility_closed_in_sql_refuses_the_next_booking(client, teacher, admin_sql):
    headers, lab = teacher
    day = school_day()
    assert book(client, headers, lab, day, 1).status_code == 201

    admin_sql("UPDATE facilities SET status = 'maintenance' WHERE code = 'lab'")

    refused_by(book(client, headers, lab, day, 2), "R-02")
    admin_sql("DELETE FROM held_slots")
    admin_sql("DELETE FROM reservations")
    admin_sql("DELETE FROM facilities WHERE code = 'lab'")
    gone = book(client, headers, lab, day, 2)
    assert gone.status_code == 400
    assert list(gone.json["error"]["fields"]) == ["facility_id"]


def test_an_endpoint_added_by_another_process_gets_the_next_booking(
    client, teacher, other_process, create_account, auth_headers
):
    headers, lab = teacher
    day = school_day()
    assert book(client, headers, lab, day, 1).status_code == 201
    assert db.session.query(WebhookDelivery).count() == 0

    admin = auth_headers(create_account(role="admin"))
    added = other_process.test_client().post(
        "/v1/webhooks",
        json={"url": "https://hooks.example.org/roomloop", "events": ["reservation.created"]},
        headers=admin,
    )
    assert added.status_code == 201, added.json

    assert book(client, headers, lab, day, 2).status_code == 201
    assert db.session.query(WebhookDelivery).count() == 1


def test_a_change_rolled_back_is_forgotten(app):
    assert get_setting("weekly_quota_slots") == 20
    set_setting("weekly_quota_slots", 3)
    assert get_setting("weekly_quota_slots") == 3  # this transaction sees its own change
    db.session.rollback()
    assert get_setting("weekly_quota_slots") == 20


def test_a_booking_reads_the_stamp_not_the_tables_when_nothing_changed(client, teacher):
    headers, lab = teacher
    day = school_day()
    assert book(client, headers, lab, day, 1).status_code == 201
    tables = []

    def record(_conn, _cursor, statement, *_args):
        tables.extend(
            t
            for t in ("settings", "blackout_dates", "webhook_endpoints", "facilities")
            if f"FROM {t}" in statement
        )

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        assert book(client, headers, lab, day, 2).status_code == 201
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    assert tables == []


def test_an_api_call_reads_the_stamp_with_its_token(client, teacher):
    """The stamp costs no statement of its own: the bearer token's lookup reads it."""
    headers, lab = teacher
    day = school_day()
    assert book(client, headers, lab, day, 1).status_code == 201  # held, and the key touched
    stamp_reads = []

    def record(_conn, _cursor, statement, *_args):
        if "config_stamp" in statement:
            stamp_reads.append(statement)

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        assert book(client, headers, lab, day, 2).status_code == 201
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    assert len(stamp_reads) == 1
    assert "FROM api_tokens" in stamp_reads[0]
