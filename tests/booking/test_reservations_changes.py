"""Changing reservations over ``/v1``: change, cancel, delete, book for others, refuse bad
requests, and the outbox events every change writes.

Reading them is in ``test_reservations.py``; what they share is in
``reservations_support.py``.
"""

from datetime import date

import pytest
from sqlalchemy import select

from roomloop.extensions import db
from roomloop.models import Event

from conftest import book, school_day, stored
from reservations_support import MON, WED, assert_error, ids, school, slot_states

__all__ = ["school"]  # a fixture of reservations_support.py


def patch(client, reservation_id, body, headers):
    return client.patch(f"/v1/reservations/{reservation_id}", json=body, headers=headers)


def events():
    """The committed outbox, oldest first, as ``(type, reservation id)`` pairs."""
    db.session.rollback()
    rows = db.session.scalars(select(Event).order_by(Event.id)).all()
    return [(e.type, e.data["id"]) for e in rows]


# Changing and cancelling ---------------------------------------------------------------


def test_owner_changes_the_purpose(client, freeze, create_account, create_facility, auth_headers):
    """The owner's PATCH of ``purpose`` answers 200 with it changed and a new ``updated_at``."""
    freeze(2026, 6, 1, 8, 0)
    teacher = create_account()
    headers = auth_headers(teacher)
    created = book(client, headers, create_facility(), WED).json
    freeze(2026, 6, 2, 9, 30)

    response = patch(client, created["id"], {"purpose": "Grade 9 Biology"}, headers)

    assert response.status_code == 200
    assert response.json["purpose"] == "Grade 9 Biology"
    assert response.json["status"] == "confirmed"
    assert response.json["created_at"] == "2026-06-01T08:00:00Z"
    assert response.json["updated_at"] == "2026-06-02T09:30:00Z"
    shown = client.get(f"/v1/reservations/{created['id']}", headers=headers)
    assert shown.json["purpose"] == "Grade 9 Biology"


def test_another_teacher_cannot_change_the_purpose(client, school):
    """A colleague's PATCH is 404, as for an unknown id, and the purpose stays as it was."""
    res_id = school["res"]["ada_mon"]
    response = patch(client, res_id, {"purpose": "Mine now"}, school["headers"]["ben"])
    assert_error(response, 404, "not_found")
    shown = client.get(f"/v1/reservations/{res_id}", headers=school["headers"]["ada"])
    assert shown.json["purpose"] == "Class"


def test_approver_cannot_edit_but_admin_can(client, school):
    """An approver may read but not edit a confirmed booking of someone else; an admin may."""
    res_id = school["res"]["ada_mon"]
    response = patch(client, res_id, {"purpose": "Staff meeting"}, school["headers"]["approver"])
    assert_error(response, 403, "forbidden", capability="reservations:manage")
    response = patch(client, res_id, {"purpose": "Staff meeting"}, school["headers"]["admin"])
    assert response.status_code == 200
    assert response.json["purpose"] == "Staff meeting"


def test_owner_cancels_and_the_slot_is_free_again(
    client, create_account, create_facility, auth_headers
):
    """Cancelling answers ``cancelled``; availability shows the slot free and it books again."""
    day = school_day()
    ada, ben = create_account(name="Ada Park"), create_account()
    lab = create_facility()
    ada_headers = auth_headers(ada)
    created = book(client, ada_headers, lab, day, 2, 3).json
    assert slot_states(client, lab, day, ada_headers)[2]["status"] == "booked"

    response = patch(client, created["id"], {"status": "cancelled"}, ada_headers)

    assert response.status_code == 200
    assert response.json["status"] == "cancelled"
    assert stored()[1] == 0
    states = slot_states(client, lab, day, ada_headers)
    assert [states[n]["status"] for n in (2, 3)] == ["free", "free"]
    assert states[2]["reservation"] is None
    rebooked = book(client, auth_headers(ben), lab, day, 2, 3)
    assert rebooked.status_code == 201
    assert rebooked.json["user"]["id"] == ben.public_id


def test_a_cancelled_reservation_cannot_change(client, school):
    """PATCH on a cancelled reservation is 400, whether status or purpose, and nothing moves;
    cancelling it again answers 200 with it as it is, and writes no event."""
    res_id = school["res"]["ada_fri_cancelled"]
    headers = school["headers"]["ada"]
    before = stored()
    for body in ({"status": "confirmed"}, {"purpose": "Revived"}):
        assert_error(patch(client, res_id, body, headers), 400, "validation_error", field="status")
    again = patch(client, res_id, {"status": "cancelled"}, headers)
    assert again.status_code == 200
    assert again.json == client.get(f"/v1/reservations/{res_id}", headers=headers).json
    assert stored() == before
    shown = client.get(f"/v1/reservations/{res_id}", headers=headers).json
    assert (shown["status"], shown["purpose"]) == ("cancelled", "Class")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"status": "pending"}, "status"),
        ({"status": "deleted"}, "status"),
        ({}, "body"),
        ({"purpose": ""}, "purpose"),
        ({"purpose": "x" * 201}, "purpose"),
        ({"purpose": None, "status": None}, "body"),
        ({"date": "2026-06-12"}, "date"),
    ],
)
def test_patch_bad_body_is_a_validation_error(client, school, body, field):
    """A PATCH that asks for nothing, for ``pending`` or for an unknown field is 400."""
    res_id = school["res"]["ada_mon"]
    before = stored()
    response = patch(client, res_id, body, school["headers"]["ada"])
    assert_error(response, 400, "validation_error", field=field)
    assert stored() == before


def test_approver_cancels_a_pending_request_but_not_a_confirmed_booking(client, school):
    """An approver may turn down a pending request; a confirmed booking is not theirs to cancel."""
    headers = school["headers"]["approver"]
    response = patch(client, school["res"]["ben_wed_pending"], {"status": "cancelled"}, headers)
    assert response.status_code == 200
    assert response.json["status"] == "cancelled"
    response = patch(client, school["res"]["ben_tue"], {"status": "cancelled"}, headers)
    assert_error(response, 403, "forbidden")


def test_a_reservation_that_has_started_cannot_be_cancelled(
    client, freeze, create_account, create_facility, create_reservation, auth_headers
):
    """Once its first period has begun, a booking stays in the record; before, it cancels."""
    teacher = create_account()
    headers = auth_headers(teacher)
    lab = create_facility()
    started = create_reservation(lab, teacher, date(2026, 6, 10), 2, 3)
    later = create_reservation(lab, teacher, date(2026, 6, 10), 5)
    freeze(2026, 6, 10, 10, 5)
    response = patch(client, started.public_id, {"status": "cancelled"}, headers)
    assert_error(response, 400, "validation_error", field="status")
    assert "already started" in response.json["error"]["fields"]["status"]
    assert patch(client, later.public_id, {"status": "cancelled"}, headers).status_code == 200


# Deleting -----------------------------------------------------------------------------


def test_admin_deletes_a_reservation(client, school):
    """An admin's DELETE is 204 with no body; the reservation is then 404 and its slot free."""
    res_id = school["res"]["ada_mon"]
    headers = school["headers"]["admin"]
    before = stored()
    response = client.delete(f"/v1/reservations/{res_id}", headers=headers)
    assert response.status_code == 204
    assert response.data == b""
    assert_error(client.get(f"/v1/reservations/{res_id}", headers=headers), 404, "not_found")
    reservations, held, _ = stored()
    assert (reservations, held) == (before[0] - 1, before[1] - 1)
    assert slot_states(client, school["lab"], MON, headers)[2]["status"] == "free"


def test_teacher_cannot_delete_even_their_own(client, school):
    """A teacher's DELETE is 403 naming ``reservations:delete``; the reservation stays."""
    res_id = school["res"]["ada_mon"]
    headers = school["headers"]["ada"]
    before = stored()
    response = client.delete(f"/v1/reservations/{res_id}", headers=headers)
    assert_error(response, 403, "forbidden", capability="reservations:delete")
    assert stored() == before
    assert client.get(f"/v1/reservations/{res_id}", headers=headers).status_code == 200


def test_deleting_an_unknown_reservation_is_not_found(client, school):
    """An admin deleting an id that does not exist gets 404."""
    response = client.delete("/v1/reservations/res_0000000000", headers=school["headers"]["admin"])
    assert_error(response, 404, "not_found")


# Booking for someone else and bad requests ---------------------------------------------


def test_admin_books_for_another_user(client, create_account, create_facility, auth_headers):
    """An admin sending ``user_id`` books for that user, who then holds it."""
    teacher = create_account(name="Ada Park")
    admin = create_account(role="admin")
    response = book(
        client, auth_headers(admin), create_facility(), school_day(), user_id=teacher.public_id
    )
    assert response.status_code == 201
    assert response.json["user"] == {
        "id": teacher.public_id,
        "name": "Ada Park",
        "email": teacher.email,
    }
    own = client.get("/v1/reservations", headers=auth_headers(teacher))
    assert ids(own) == [response.json["id"]]


def test_teacher_cannot_book_for_another_user(
    client, create_account, create_facility, auth_headers
):
    """A teacher sending any ``user_id``, real or not, gets the same 403; nothing is written."""
    colleague = create_account()
    headers, facility = auth_headers(create_account()), create_facility()
    before = stored()
    for user_id in (colleague.public_id, "usr_0000000000"):
        response = book(client, headers, facility, school_day(), user_id=user_id)
        assert_error(response, 403, "forbidden", capability="reservations:manage")
    assert stored() == before


@pytest.mark.parametrize("status", ["missing", "disabled"])
def test_booking_for_an_unknown_or_disabled_user_names_user_id(
    client, create_account, create_facility, auth_headers, status
):
    """An unknown or disabled ``user_id`` is 400 naming ``user_id``."""
    user_id = "usr_0000000000"
    if status == "disabled":
        user_id = create_account(status="disabled").public_id
    admin = create_account(role="admin")
    before = stored()
    response = book(client, auth_headers(admin), create_facility(), school_day(), user_id=user_id)
    assert_error(response, 400, "validation_error", field="user_id")
    assert stored() == before


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"facility_id": "nowhere"}, "facility_id"),
        ({"start_slot": 3, "end_slot": 2}, "end_slot"),
        ({"start_slot": 9, "end_slot": 9}, "start_slot"),
        ({"start_slot": "2"}, "start_slot"),
        ({"date": "10/06/2026"}, "date"),
        ({"purpose": ""}, "purpose"),
        ({"attendees": 0}, "attendees"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_booking_with_bad_fields_names_them(
    client, create_account, create_facility, auth_headers, changes, field
):
    """A malformed booking is 400 naming the field, and nothing is written."""
    lab = create_facility(code="lab")
    body = {
        "facility_id": lab.code,
        "date": school_day().isoformat(),
        "start_slot": 2,
        "end_slot": 2,
        "purpose": "Class",
        **changes,
    }
    before = stored()
    response = client.post("/v1/reservations", json=body, headers=auth_headers(create_account()))
    assert_error(response, 400, "validation_error", field=field)
    assert stored() == before


def test_booking_without_a_token_is_unauthorized(client, create_facility):
    """No bearer token: 401 ``unauthorized`` and nothing written."""
    lab = create_facility()
    before = stored()
    response = book(client, {}, lab, school_day())
    assert_error(response, 401, "unauthorized")
    assert stored() == before


# Outbox events ------------------------------------------------------------------------


def test_every_change_writes_its_event(client, create_account, create_facility, auth_headers):
    """Book, edit, confirm, cancel and delete each commit one event carrying the reservation."""
    teacher = create_account()
    headers = auth_headers(teacher)
    approver_headers = auth_headers(create_account(role="approver"))
    hall = create_facility(requires_approval=True)
    created = book(client, headers, hall, school_day()).json
    res_id = created["id"]
    assert events() == [("reservation.created", res_id)]

    patch(client, res_id, {"purpose": "Assembly"}, headers)
    patch(client, res_id, {"status": "confirmed"}, approver_headers)
    patch(client, res_id, {"status": "cancelled"}, headers)
    client.delete(f"/v1/reservations/{res_id}", headers=auth_headers(create_account(role="admin")))

    assert events() == [
        ("reservation.created", res_id),
        ("reservation.updated", res_id),
        ("reservation.confirmed", res_id),
        ("reservation.cancelled", res_id),
        ("reservation.deleted", res_id),
    ]
    data = {e.type: e.data for e in db.session.scalars(select(Event))}
    assert data["reservation.created"]["status"] == "pending"
    assert data["reservation.updated"]["purpose"] == "Assembly"
    assert data["reservation.confirmed"]["status"] == "confirmed"
    assert data["reservation.cancelled"]["status"] == "cancelled"
    assert data["reservation.deleted"]["status"] == "cancelled"  # what it was when deleted
    assert all(e.public_id.startswith("evt_") for e in db.session.scalars(select(Event)))


def test_a_patch_that_changes_nothing_writes_no_event(client, school):
    """Sending the current purpose back is a 200 but no ``reservation.updated`` event."""
    response = patch(
        client, school["res"]["ada_mon"], {"purpose": "Class"}, school["headers"]["ada"]
    )
    assert response.status_code == 200
    assert events() == []


def test_refusals_write_no_event(
    client, create_account, create_facility, create_reservation, auth_headers
):
    """A 409, a 422, a 403 and a 400 leave the outbox empty."""
    day = school_day()
    lab = create_facility()
    create_reservation(lab, create_account(), day, 2)
    headers = auth_headers(create_account())
    assert book(client, headers, lab, day, 2).status_code == 409
    assert book(client, headers, lab, day, 3, attendees=500).status_code == 422
    assert book(client, headers, lab, day, 3, override=["R-04"]).status_code == 403
    assert book(client, headers, lab, day, 3, 1).status_code == 400
    assert events() == []
