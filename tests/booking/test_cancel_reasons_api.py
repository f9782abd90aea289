"""Cancelling with a reason over ``/v1``: who cancelled and why, on the reservation, in its
event, and for every date of a series; the revision a calendar app reads as SEQUENCE."""

from sqlalchemy import select

from roomloop.extensions import db
from roomloop.models import Event, Reservation

from conftest import book
from reservations_support import THU, WED, assert_error


def patch(client, reservation_id, body, headers):
    return client.patch(f"/v1/reservations/{reservation_id}", json=body, headers=headers)


def test_an_admin_cancels_with_a_reason_and_the_event_says_who_and_why(
    client, freeze, create_account, create_facility, auth_headers
):
    freeze(2026, 6, 1, 8, 0)
    teacher, admin = create_account(), create_account(role="admin", name="Ms Office")
    created = book(client, auth_headers(teacher), create_facility(), WED).json

    body = {"status": "cancelled", "cancel_reason": "Exams in the lab that week"}
    response = patch(client, created["id"], body, auth_headers(admin))

    assert response.status_code == 200, response.json
    assert response.json["status"] == "cancelled"
    assert response.json["cancel_reason"] == "Exams in the lab that week"
    assert response.json["cancelled_by"]["id"] == admin.public_id
    assert response.json["cancelled_by"]["name"] == "Ms Office"
    event = db.session.scalars(select(Event).where(Event.type == "reservation.cancelled")).one()
    assert event.data["cancel_reason"] == "Exams in the lab that week"
    assert event.data["cancelled_by"]["id"] == admin.public_id
    shown = client.get(f"/v1/reservations/{created['id']}", headers=auth_headers(teacher))
    assert shown.json["cancel_reason"] == "Exams in the lab that week"


def test_an_owner_cancels_without_a_reason(
    client, freeze, create_account, create_facility, auth_headers
):
    freeze(2026, 6, 1, 8, 0)
    teacher = create_account()
    headers = auth_headers(teacher)
    created = book(client, headers, create_facility(), WED).json

    response = patch(client, created["id"], {"status": "cancelled"}, headers)

    assert response.json["cancel_reason"] is None
    assert response.json["cancelled_by"]["id"] == teacher.public_id


def test_a_reason_goes_only_with_cancelling_and_has_a_limit(
    client, freeze, create_account, create_facility, auth_headers
):
    freeze(2026, 6, 1, 8, 0)
    teacher = create_account()
    headers = auth_headers(teacher)
    created = book(client, headers, create_facility(), WED).json

    alone = patch(client, created["id"], {"purpose": "New", "cancel_reason": "Why"}, headers)
    too_long = patch(
        client, created["id"], {"status": "cancelled", "cancel_reason": "x" * 501}, headers
    )

    assert_error(alone, 400, "validation_error", field="cancel_reason")
    assert_error(too_long, 400, "validation_error", field="cancel_reason")
    still = client.get(f"/v1/reservations/{created['id']}", headers=headers).json
    assert still["status"] == "confirmed" and still["purpose"] != "New"


def test_each_change_raises_the_revision(
    client, freeze, create_account, create_facility, auth_headers
):
    freeze(2026, 6, 1, 8, 0)
    teacher = create_account()
    headers = auth_headers(teacher)
    created = book(client, headers, create_facility(), WED).json

    def revision():
        db.session.rollback()
        return db.session.scalar(
            select(Reservation.revision).where(Reservation.public_id == created["id"])
        )

    first = revision()
    patch(client, created["id"], {"purpose": "Grade 9 Biology"}, headers)
    renamed = revision()
    patch(client, created["id"], {"status": "cancelled"}, headers)
    cancelled = revision()
    patch(client, created["id"], {"status": "cancelled"}, headers)  # changes nothing

    assert first < renamed < cancelled == revision()


def test_cancelling_a_series_gives_every_date_the_reason(
    client, freeze, create_account, create_facility, auth_headers
):
    freeze(2026, 6, 1, 8, 0)
    teacher, admin = create_account(), create_account(role="admin")
    facility = create_facility()
    series = client.post(
        "/v1/series",
        json={
            "facility_id": facility.code,
            "first_date": WED.isoformat(),
            "until": THU.replace(day=THU.day + 14).isoformat(),
            "repeat": {"weekdays": ["wed"]},
            "start_slot": 2,
            "end_slot": 2,
            "purpose": "Chemistry",
        },
        headers=auth_headers(teacher),
    )
    assert series.status_code == 201, series.json

    response = client.patch(
        f"/v1/series/{series.json['id']}",
        json={"status": "cancelled", "cancel_reason": "The lab is being refitted"},
        headers=auth_headers(admin),
    )

    assert response.status_code == 200, response.json
    assert response.json["status"] == "cancelled"
    cancelled = db.session.scalars(select(Event).where(Event.type == "reservation.cancelled"))
    reasons = [e.data["cancel_reason"] for e in cancelled]
    assert reasons == ["The lab is being refitted"] * 3
