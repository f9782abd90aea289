"""What the email tests share: a school in Europe/London on Monday 1 June 2026 (``school``),
the API calls that change bookings, the messages the outbox holds, and a real SMTP server.

The clock stands at 08:00 UTC, 09:00 in London (BST); period 2 is 10:00-10:50 school time.
"""

from datetime import date, timedelta
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from roomloop.extensions import db
from roomloop.models import Account, EmailMessage
from roomloop.sqlite import writing

from smtp_server import SmtpServer

WED, THU = date(2026, 6, 3), date(2026, 6, 4)
TUESDAYS = [date(2026, 6, 2) + timedelta(weeks=n) for n in range(4)]  # to 23 June
ZONE = {"TIMEZONE": "Europe/London"}


@pytest.fixture
def app_config():
    return dict(ZONE)


@pytest.fixture
def school(freeze, create_account, create_facility, auth_headers):
    """Ada (a teacher), Val (an approver), Ann (an admin), the lab and the hall (which needs
    an approver's yes), with an API key each."""
    freeze(2026, 6, 1, 8, 0)
    ada = create_account(name="Ada Park", email="ada@school.example")
    val = create_account(role="approver", name="Val Ortiz", email="val@school.example")
    ann = create_account(role="admin", name="Ann Lee", email="ann@school.example")
    lab = create_facility(code="lab", name="STEM Lab Alpha", building="Curie Building")
    hall = create_facility(code="hall", name="Main Hall", requires_approval=True)
    keys = {who.name.split()[0].lower(): auth_headers(who) for who in (ada, val, ann)}
    db.session.rollback()  # hold no transaction (on SQLite, a lock) while the requests write
    return SimpleNamespace(ada=ada, val=val, ann=ann, lab=lab, hall=hall, keys=keys)


@pytest.fixture
def smtp():
    """A real SMTP server on 127.0.0.1, up for the test."""
    server = SmtpServer().start()
    yield server
    server.stop()


def book(client, headers, facility, day, start_slot=2, end_slot=None, **extra):
    body = {
        "facility_id": facility.code,
        "date": day.isoformat(),
        "start_slot": start_slot,
        "end_slot": start_slot if end_slot is None else end_slot,
        "purpose": "Year 10 titration",
        **extra,
    }
    response = client.post("/v1/reservations", json=body, headers=headers)
    assert response.status_code == 201, response.get_data(as_text=True)
    return response.get_json()


def book_series(client, headers, facility, **extra):
    body = {
        "facility_id": facility.code,
        "first_date": TUESDAYS[0].isoformat(),
        "until": TUESDAYS[-1].isoformat(),
        "repeat": {"weekdays": ["tue"]},
        "start_slot": 2,
        "end_slot": 3,
        "purpose": "Grade 10 Chemistry",
        **extra,
    }
    response = client.post("/v1/series", json=body, headers=headers)
    assert response.status_code == 201, response.get_data(as_text=True)
    return response.get_json()


def change(client, headers, path, **body):
    response = client.patch(path, json=body, headers=headers)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


def cancel(client, headers, reservation, reason=None):
    """Cancel ``reservation`` (its resource) through the API, saying why if ``reason``."""
    body = {"status": "cancelled"} | ({"cancel_reason": reason} if reason else {})
    return change(client, headers, f"/v1/reservations/{reservation['id']}", **body)


def queued(kind=None):
    """The messages the outbox holds, oldest first, as (recipient's email, kind, data)."""
    db.session.rollback()  # read what the requests committed
    query = (
        select(Account.email, EmailMessage.kind, EmailMessage.data)
        .join(Account, Account.id == EmailMessage.account_id)
        .order_by(EmailMessage.id)
    )
    if kind is not None:
        query = query.where(EmailMessage.kind == kind)
    return [tuple(row) for row in db.session.execute(query)]


def recipients(kind=None):
    return [(email, k) for email, k, _ in queued(kind)]


def choose(account, digest_hour=None, **kinds):
    """Store ``account``'s choices of emails (and digest hour), as the Notifications page
    would."""
    with writing():
        account = db.session.merge(account)
        account.notifications = {**(account.notifications or {}), **kinds}
        account.digest_hour = digest_hour
        db.session.commit()
    db.session.rollback()
