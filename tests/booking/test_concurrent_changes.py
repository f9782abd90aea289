"""One reservation changed by several people at once, over real HTTP against gunicorn.

Every change is decided on the reservation as it is at that moment: whatever the order in
which racing requests arrive, a pending or confirmed reservation holds its periods and a
cancelled or deleted one holds none, each change writes its one event, and a change that
lost the race to a delete answers 404.
"""

from collections import Counter
from datetime import timedelta

import pytest
import requests
from sqlalchemy import func, select

from roomloop.extensions import db
from roomloop.models import Event, HeldSlot, Reservation

from conftest import race, school_day

ROUNDS = 20


@pytest.fixture
def people(create_account, auth_headers):
    """Return the owner of the bookings, an approver and an admin, with their API headers."""
    owner = create_account(name="Ada Park")
    return {
        "owner": (owner, auth_headers(owner)),
        "approver": auth_headers(create_account(role="approver")),
        "admin": auth_headers(create_account(role="admin")),
    }


def reservation_state(reservation_id):
    """What the database holds for one reservation: (status or None, held periods, event types)."""
    db.session.rollback()  # read what the server committed
    status = db.session.scalar(select(Reservation.status).where(Reservation.id == reservation_id))
    held = db.session.scalar(select(func.count()).where(HeldSlot.reservation_id == reservation_id))
    return status, held


def events_of(public_id):
    db.session.rollback()
    rows = db.session.scalars(select(Event).order_by(Event.id)).all()
    return [e.type for e in rows if e.data.get("id") == public_id]


def patch(url, public_id, body, headers):
    return requests.patch(
        f"{url}/v1/reservations/{public_id}", json=body, headers=headers, timeout=60
    )


def assert_holds_iff_live(reservation_id, periods):
    status, held = reservation_state(reservation_id)
    if status in ("pending", "confirmed"):
        assert held == periods, f"{status} but holds {held} of {periods} periods"
    else:
        assert held == 0, f"{status} yet holds {held} periods"
    return status


@pytest.mark.server
def test_confirm_racing_a_cancel_never_leaves_a_confirmed_booking_without_its_periods(
    start_server, people, create_facility, create_reservation
):
    """An approver confirms a pending request while its owner cancels it, twenty times over:
    each round ends cancelled, holding nothing, with one event per change that answered 200;
    a confirm that came second is refused, never applied to a cancelled reservation."""
    owner, owner_headers = people["owner"]
    lab = create_facility(requires_approval=True)
    url = start_server(workers=4, threads=4)
    day = school_day()
    outcomes = Counter()
    for n in range(ROUNDS):
        slot = 1 + n % 8
        pending = create_reservation(
            lab, owner, day + timedelta(weeks=n // 8), slot, status="pending"
        )
        bodies = [
            ({"status": "confirmed"}, people["approver"]),
            ({"status": "cancelled"}, owner_headers),
        ]
        public_id = pending.public_id
        confirm, cancel = race(lambda i, p=public_id, b=bodies: patch(url, p, *b[i]), racers=2)

        assert cancel.status_code == 200, cancel.text
        assert confirm.status_code in (200, 400), confirm.text
        assert assert_holds_iff_live(pending.id, 1) == "cancelled"
        events = events_of(public_id)
        if confirm.status_code == 200:  # confirmed first, then cancelled
            assert events == ["reservation.confirmed", "reservation.cancelled"]
        else:
            assert confirm.json()["error"]["fields"]["status"]
            assert events == ["reservation.cancelled"]
        outcomes[confirm.status_code] += 1
    assert sum(outcomes.values()) == ROUNDS


@pytest.mark.server
def test_three_cancels_at_once_cancel_once(
    start_server, people, create_facility, create_reservation
):
    """The owner, an admin and the owner again cancel one booking at once: every answer is
    200 with the booking cancelled, its periods are free, and one event says so."""
    owner, owner_headers = people["owner"]
    lab = create_facility()
    url = start_server(workers=4, threads=4)
    for n in range(5):
        booking = create_reservation(lab, owner, school_day(), 2 + n, 3 + n)
        headers = [owner_headers, people["admin"], owner_headers]
        public_id = booking.public_id
        answers = race(
            lambda i, p=public_id, h=headers: patch(url, p, {"status": "cancelled"}, h[i]),
            racers=3,
        )

        assert [a.status_code for a in answers] == [200, 200, 200], [a.text for a in answers]
        assert {a.json()["status"] for a in answers} == {"cancelled"}
        assert assert_holds_iff_live(booking.id, 2) == "cancelled"
        assert events_of(public_id) == ["reservation.cancelled"]


@pytest.mark.server
def test_a_change_racing_a_delete_answers_404_never_500(
    start_server, people, create_facility, create_reservation
):
    """The owner changes the purpose (or cancels) while an admin deletes the booking: the
    delete answers 204, the change 200 if it came first and 404 if it came second, and the
    events say exactly what happened."""
    owner, owner_headers = people["owner"]
    lab = create_facility()
    url = start_server(workers=4, threads=4)
    changes = [{"purpose": "Moved to Thursday"}, {"status": "cancelled"}]
    answers = Counter()
    for n in range(ROUNDS):
        booking = create_reservation(lab, owner, school_day() + timedelta(weeks=n // 8), 1 + n % 8)
        change = changes[n % 2]

        public_id = booking.public_id

        def call(i, public_id=public_id, change=change):
            if i == 0:
                return patch(url, public_id, change, owner_headers)
            return requests.delete(
                f"{url}/v1/reservations/{public_id}", headers=people["admin"], timeout=60
            )

        changed, deleted = race(call, racers=2)

        assert deleted.status_code == 204, deleted.text
        assert changed.status_code in (200, 404), changed.text
        assert reservation_state(booking.id) == (None, 0)
        kind = "reservation.updated" if "purpose" in change else "reservation.cancelled"
        expected = (
            [kind, "reservation.deleted"] if changed.status_code == 200 else ["reservation.deleted"]
        )
        assert events_of(public_id) == expected
        answers[changed.status_code] += 1
    assert sum(answers.values()) == ROUNDS
