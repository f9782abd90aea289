"""What the API error tests share: facility ``f1`` and a teacher's key, a valid booking
request to break one field at a time, and a count of what the database holds, to show that
a refusal wrote nothing.
"""

import pytest
from sqlalchemy import func, select

from roomloop.extensions import db
from roomloop.models import Event, HeldSlot, Reservation

from conftest import school_day

MISSING = object()


def stored_rows():
    """How many reservations, held slots and outbox events the database holds."""
    return {
        model.__tablename__: db.session.scalar(select(func.count()).select_from(model))
        for model in (Reservation, HeldSlot, Event)
    }


NOTHING_STORED = {"reservations": 0, "held_slots": 0, "events": 0}


def reservation_body(**changes):
    """A valid booking request for ``f1``, with ``changes`` applied (``MISSING`` drops a key)."""
    body = {
        "facility_id": "f1",
        "date": school_day().isoformat(),
        "start_slot": 2,
        "end_slot": 3,
        "purpose": "Grade 10 Chemistry — titration lab",
    }
    for name, value in changes.items():
        if value is MISSING:
            body.pop(name)
        else:
            body[name] = value
    return body


@pytest.fixture
def teacher_headers(create_account, create_facility, auth_headers):
    """Create facility ``f1`` and a teacher; return the teacher's ``Authorization`` header."""
    create_facility(code="f1", name="STEM Lab Alpha")
    return auth_headers(create_account(name="Ada Park"))
