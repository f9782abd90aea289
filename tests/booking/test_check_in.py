"""Check-in and the release of bookings nobody checked in, on a frozen clock.

The default bell schedule starts period 2 at 10:00 (UTC here): checking in opens at 09:50
and a booking of a check-in facility is released at 10:15 unless someone checked in.
"""

from datetime import date

import pytest
from sqlalchemy import select

from roomloop.booking import release_no_shows
from roomloop.extensions import db
from roomloop.models import Event, Reservation

from conftest import book
from reservations_support import WED, assert_error

WEDNESDAY = date(2026, 6, 10)
assert WED == WEDNESDAY


def check_in(client, reservation_id, headers):
    return client.post(f"/v1/reservations/{reservation_id}/check-in", headers=headers)


@pytest.fixture
def lab(create_facility):
    return create_facility(check_in_required=True, release_after_minutes=15)


@pytest.fixture
def booked(client, freeze, create_account, lab, auth_headers):
    """A teacher's confirmed booking of periods 2-3 on Wednesday, made the week before."""
    freeze(2026, 6, 1, 8, 0)
    teacher = create_account()
    headers = auth_headers(teacher)
    created = book(client, headers, lab, WED, start_slot=2, end_slot=3)
    assert created.status_code == 201, created.json
    return created.json["id"], headers


def stored(reservation_id):
    db.session.rollback()
    return db.session.scalar(select(Reservation).where(Reservation.public_id == reservation_id))


def test_a_facility_says_whether_it_requires_check_in(client, create_account, auth_headers):
    headers = auth_headers(create_account(role="admin"))
    body = {"id": "lab-x", "name": "Lab X", "type": "lab", "check_in_required": True}

    created = client.post("/v1/facilities", json=body, headers=headers)
    changed = client.patch(
        "/v1/facilities/lab-x", json={"release_after_minutes": 30}, headers=headers
    )
    too_long = client.patch(
        "/v1/facilities/lab-x", json={"release_after_minutes": 61}, headers=headers
    )

    assert created.status_code == 201, created.json
    assert created.json["check_in_required"] is True
    assert created.json["release_after_minutes"] == 15
    assert changed.json["release_after_minutes"] == 30
    assert_error(too_long, 400, "validation_error", field="release_after_minutes")


def test_check_in_opens_ten_minutes_before_the_first_period(client, freeze, booked):
    reservation_id, headers = booked

    freeze(2026, 6, 10, 9, 49)
    early = check_in(client, reservation_id, headers)
    freeze(2026, 6, 10, 9, 50)
    on_time = check_in(client, reservation_id, headers)
    again = check_in(client, reservation_id, headers)

    assert_error(early, 409, "check_in_refused")
    assert early.json["error"]["reason"] == "not_open"
    assert "09:50" in early.json["error"]["message"]
    assert on_time.status_code == 200, on_time.json
    assert on_time.json["checked_in_at"] == "2026-06-10T09:50:00Z"
    assert again.json["checked_in_at"] == "2026-06-10T09:50:00Z"


def test_check_in_closes_at_the_release_time(client, freeze, booked):
    reservation_id, headers = booked
    freeze(2026, 6, 10, 10, 15)

    late = check_in(client, reservation_id, headers)

    assert_error(late, 409, "check_in_refused")
    assert late.json["error"]["reason"] == "closed"
    assert stored(reservation_id).checked_in_at is None


def test_only_the_holder_an_approver_or_an_admin_checks_in(
    client, freeze, booked, create_account, auth_headers
):
    reservation_id, _ = booked
    freeze(2026, 6, 10, 10, 0)

    stranger = check_in(client, reservation_id, auth_headers(create_account()))
    approver = check_in(client, reservation_id, auth_headers(create_account(role="approver")))

    assert_error(stranger, 404, "not_found")
    assert approver.status_code == 200, approver.json


def test_a_booking_nobody_checked_in_is_released_and_its_periods_freed(
    client, freeze, booked, lab, create_account, auth_headers
):
    reservation_id, _ = booked
    freeze(2026, 6, 10, 10, 14)
    assert release_no_shows() == 0
    freeze(2026, 6, 10, 10, 15)

    released = release_no_shows()

    assert released == 1
    reservation = stored(reservation_id)
    assert reservation.status == "cancelled"
    assert reservation.cancel_reason == "no_show"
    assert reservation.cancelled_by_id is None
    events = db.session.scalars(select(Event).where(Event.type == "reservation.cancelled")).all()
    assert [e.data["cancel_reason"] for e in events] == ["no_show"]
    # Period 3 has not begun: someone else can book it now.
    other = book(client, auth_headers(create_account()), lab, WED, start_slot=3)
    assert other.status_code == 201, other.json
    assert release_no_shows() == 0


def test_a_checked_in_booking_stays(client, freeze, booked):
    reservation_id, headers = booked
    freeze(2026, 6, 10, 9, 55)
    check_in(client, reservation_id, headers)
    freeze(2026, 6, 10, 11, 0)

    assert release_no_shows() == 0
    assert stored(reservation_id).status == "confirmed"


def test_after_the_release_a_check_in_is_told_so(client, freeze, booked):
    reservation_id, headers = booked
    freeze(2026, 6, 10, 10, 16)
    release_no_shows()

    late = check_in(client, reservation_id, headers)

    assert_error(late, 409, "check_in_refused")
    assert late.json["error"]["reason"] == "released"
    assert "nobody checked in" in late.json["error"]["message"]


def test_facilities_without_check_in_and_pending_bookings_are_never_released(
    client, freeze, create_account, create_facility, auth_headers
):
    freeze(2026, 6, 1, 8, 0)
    headers = auth_headers(create_account())
    plain = book(client, headers, create_facility(), WED).json
    waiting = book(
        client,
        headers,
        create_facility(check_in_required=True, requires_approval=True),
        WED,
        start_slot=4,
    ).json
    assert waiting["status"] == "pending"
    freeze(2026, 6, 10, 12, 0)

    assert release_no_shows() == 0
    assert stored(plain["id"]).status == "confirmed"
    assert stored(waiting["id"]).status == "pending"
