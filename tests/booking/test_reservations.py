"""Reservations over ``/v1``: list, read, change, cancel, delete, book for others, the
outbox events every change writes, and a facility's slot-by-slot availability.
"""

import base64
import json
from datetime import date

import pytest
from sqlalchemy import select

from roomloop.extensions import db
from roomloop.models import BlackoutDate, Event

from conftest import book, school_day, stored

MON, TUE, WED, THU, FRI, SAT = (date(2026, 6, d) for d in (8, 9, 10, 11, 12, 13))


def patch(client, reservation_id, body, headers):
    return client.patch(f"/v1/reservations/{reservation_id}", json=body, headers=headers)


def events():
    """The committed outbox, oldest first, as ``(type, reservation id)`` pairs."""
    db.session.rollback()
    rows = db.session.scalars(select(Event).order_by(Event.id)).all()
    return [(e.type, e.data["id"]) for e in rows]


def assert_error(response, status, code, field=None, capability=None):
    """Check the error envelope; ``field`` must be among ``fields``, ``capability`` match."""
    assert response.status_code == status, response.json
    error = response.json["error"]
    assert error["code"] == code
    assert error["message"]
    assert error["request_id"]
    if field is not None:
        assert field in error["fields"], error
    if capability is not None:
        assert error["capability"] == capability
    return error


def ids(response):
    assert response.status_code == 200, response.json
    return [r["id"] for r in response.json["data"]]


def slot_states(client, facility, day, headers):
    response = client.get(
        f"/v1/facilities/{facility.code}/availability",
        query_string={"date": day.isoformat()},
        headers=headers,
    )
    assert response.status_code == 200, response.json
    return {s["slot"]: s for s in response.json["slots"]}


# Listing ------------------------------------------------------------------------------


@pytest.fixture
def school(freeze, create_account, create_facility, create_reservation, auth_headers):
    """On 1 June: two teachers, an approver, an admin, two rooms, five reservations that week."""
    freeze(2026, 6, 1, 7, 0)
    ada = create_account(name="Ada Park")
    ben = create_account(name="Ben Ortiz")
    lab, gym = create_facility(code="lab"), create_facility(code="gym", type="gym")
    made = {
        "ada_mon": create_reservation(lab, ada, MON, 2),
        "ada_wed": create_reservation(gym, ada, WED, 1, 2),
        "ada_fri_cancelled": create_reservation(lab, ada, FRI, 3, status="cancelled"),
        "ben_tue": create_reservation(lab, ben, TUE, 4),
        "ben_wed_pending": create_reservation(lab, ben, WED, 1, status="pending"),
    }
    return {
        "ada": ada,
        "ben": ben,
        "lab": lab,
        "gym": gym,
        "res": {name: r.public_id for name, r in made.items()},
        "headers": {
            "ada": auth_headers(ada),
            "ben": auth_headers(ben),
            "approver": auth_headers(create_account(role="approver")),
            "admin": auth_headers(create_account(role="admin")),
        },
    }


def test_list_teacher_sees_only_their_own(client, school):
    """A teacher's list holds exactly their reservations, in date and slot order."""
    res = school["res"]
    listed = client.get("/v1/reservations", headers=school["headers"]["ada"])
    assert ids(listed) == [res["ada_mon"], res["ada_wed"], res["ada_fri_cancelled"]]
    assert listed.json["has_more"] is False
    assert listed.json["next_cursor"] is None
    assert {r["user"]["name"] for r in listed.json["data"]} == {"Ada Park"}


def test_list_teacher_may_name_themselves_but_not_another_user(client, school):
    """``?user_id`` of oneself works; of another teacher it is 403 ``reservations:read_all``."""
    headers = school["headers"]["ada"]
    own = client.get(
        "/v1/reservations", query_string={"user_id": school["ada"].public_id}, headers=headers
    )
    assert len(ids(own)) == 3
    other = client.get(
        "/v1/reservations", query_string={"user_id": school["ben"].public_id}, headers=headers
    )
    assert_error(other, 403, "forbidden", capability="reservations:read_all")


@pytest.mark.parametrize("role", ["approver", "admin"])
def test_list_approvers_and_admins_see_everyone(client, school, role):
    """Approvers and admins list every reservation, and can narrow it to one user."""
    res = school["res"]
    headers = school["headers"][role]
    assert ids(client.get("/v1/reservations", headers=headers)) == [
        res["ada_mon"],
        res["ben_tue"],
        res["ada_wed"],
        res["ben_wed_pending"],
        res["ada_fri_cancelled"],
    ]
    bens = client.get(
        "/v1/reservations", query_string={"user_id": school["ben"].public_id}, headers=headers
    )
    assert ids(bens) == [res["ben_tue"], res["ben_wed_pending"]]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"facility_id": "gym"}, ["ada_wed"]),
        ({"facility_id": "lab"}, ["ada_mon", "ben_tue", "ben_wed_pending", "ada_fri_cancelled"]),
        ({"from": "2026-06-09", "to": "2026-06-10"}, ["ben_tue", "ada_wed", "ben_wed_pending"]),
        ({"from": "2026-06-10"}, ["ada_wed", "ben_wed_pending", "ada_fri_cancelled"]),
        ({"to": "2026-06-08"}, ["ada_mon"]),
        ({"status": "pending"}, ["ben_wed_pending"]),
        ({"status": "cancelled"}, ["ada_fri_cancelled"]),
        ({"status": "confirmed", "facility_id": "lab"}, ["ada_mon", "ben_tue"]),
        ({"facility_id": "nowhere"}, []),
    ],
)
def test_list_filters(client, school, query, expected):
    """``facility_id``, ``from``/``to`` (inclusive) and ``status`` narrow the list."""
    listed = client.get("/v1/reservations", query_string=query, headers=school["headers"]["admin"])
    assert ids(listed) == [school["res"][name] for name in expected]


def test_list_filters_apply_to_a_teachers_own_list(client, school):
    """A teacher's filters narrow their own list and never reveal anyone else's."""
    listed = client.get(
        "/v1/reservations", query_string={"facility_id": "lab"}, headers=school["headers"]["ada"]
    )
    assert ids(listed) == [school["res"]["ada_mon"], school["res"]["ada_fri_cancelled"]]


def walk(client, headers, limit, **query):
    """Follow ``next_cursor`` to the end; return the ids and each page's ``has_more``."""
    seen, flags, cursor = [], [], None
    for _ in range(50):
        params = {"limit": limit, **query, **({"cursor": cursor} if cursor else {})}
        page = client.get("/v1/reservations", query_string=params, headers=headers)
        assert page.status_code == 200, page.json
        assert len(page.json["data"]) <= limit
        seen += ids(page)
        flags.append(page.json["has_more"])
        cursor = page.json["next_cursor"]
        assert (cursor is not None) == page.json["has_more"]
        if cursor is None:
            return seen, flags
    raise AssertionError("the cursor never ran out")


def test_list_pagination_walks_every_reservation_once(
    client, create_account, create_facility, create_reservation, auth_headers
):
    """With ``limit=2`` the cursor visits every reservation once, in order, ``has_more`` right."""
    teacher = create_account()
    labs = [create_facility() for _ in range(3)]
    # Ties on date and start slot (three labs at the same time) are broken by creation order.
    for lab in labs:
        create_reservation(lab, teacher, WED, 2)
    create_reservation(labs[0], teacher, MON, 5)
    create_reservation(labs[1], teacher, FRI, 1)
    create_reservation(labs[2], teacher, TUE, 8, status="cancelled")
    headers = auth_headers(teacher)
    everything = ids(client.get("/v1/reservations", headers=headers))
    assert len(everything) == 6

    seen, flags = walk(client, headers, 2)

    assert seen == everything
    assert flags == [True, True, False]
    seen, flags = walk(client, headers, 4)
    assert seen == everything
    assert flags == [True, False]
    seen, flags = walk(client, headers, 6)
    assert (seen, flags) == (everything, [False])
    seen, _ = walk(client, headers, 1, **{"from": "2026-06-10"})
    assert seen == everything[2:]  # Wednesday onwards


def test_list_pagination_is_stable_while_rows_are_added(
    client, create_account, create_facility, create_reservation, auth_headers
):
    """A reservation added before the cursor does not shift the next page into a duplicate."""
    teacher = create_account()
    lab = create_facility()
    for day in (TUE, WED, THU):
        create_reservation(lab, teacher, day, 2)
    headers = auth_headers(teacher)
    first = client.get("/v1/reservations", query_string={"limit": 2}, headers=headers)
    create_reservation(lab, teacher, MON, 2)
    rest = client.get(
        "/v1/reservations",
        query_string={"limit": 2, "cursor": first.json["next_cursor"]},
        headers=headers,
    )
    assert len(ids(rest)) == 1
    assert rest.json["data"][0]["date"] == THU.isoformat()
    assert not set(ids(rest)) & set(ids(first))


def cursor_of(values):
    return base64.urlsafe_b64encode(json.dumps(values).encode()).decode().rstrip("=")


@pytest.mark.parametrize(
    "cursor",
    [
        "garbage",
        "!!!",
        "é",
        cursor_of({"date": "2026-06-10"}),
        cursor_of(["2026-06-10", 2]),
        cursor_of(["yesterday", 2, 1]),
        cursor_of([None, 2, 1]),
        cursor_of(["2026-06-10", "two", 1]),
    ],
)
def test_list_garbage_cursor_is_a_validation_error(client, school, cursor):
    """A cursor this API did not hand out is 400 ``validation_error`` naming ``cursor``."""
    response = client.get(
        "/v1/reservations", query_string={"cursor": cursor}, headers=school["headers"]["admin"]
    )
    assert_error(response, 400, "validation_error", field="cursor")


@pytest.mark.parametrize(
    "cursor",
    [cursor_of(["2026-06-10", 2, 2**63]), cursor_of(["2026-06-10", 10**30, 1])],
    ids=["id-2**63", "slot-10**30"],
)
def test_list_cursor_with_out_of_range_numbers_is_a_validation_error(client, school, cursor):
    """A forged cursor whose numbers do not fit a database integer is a 400, never a 500."""
    response = client.get(
        "/v1/reservations", query_string={"cursor": cursor}, headers=school["headers"]["admin"]
    )
    assert_error(response, 400, "validation_error", field="cursor")


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"limit": "0"}, "limit"),
        ({"limit": "501"}, "limit"),
        ({"limit": "many"}, "limit"),
        ({"from": "2026-13-01"}, "from"),
        ({"from": "2026-06-10", "to": "2026-06-09"}, "to"),
        ({"status": "lost"}, "status"),
    ],
)
def test_list_bad_query_is_a_validation_error(client, school, query, field):
    """A bad ``limit``, date, range or status is 400 naming the parameter."""
    response = client.get(
        "/v1/reservations", query_string=query, headers=school["headers"]["admin"]
    )
    assert_error(response, 400, "validation_error", field=field)


# Reading one --------------------------------------------------------------------------


def test_show_own_reservation(client, school):
    """The owner reads their reservation: 200 with the same resource the list gives."""
    res_id = school["res"]["ada_mon"]
    shown = client.get(f"/v1/reservations/{res_id}", headers=school["headers"]["ada"])
    assert shown.status_code == 200
    assert shown.json["id"] == res_id
    assert shown.json["user"]["name"] == "Ada Park"
    assert shown.json["slots"] == ["10:00–10:50"]
    listed = client.get("/v1/reservations", headers=school["headers"]["ada"]).json["data"]
    assert shown.json == listed[0]


def test_another_teachers_reservation_is_not_found_for_a_teacher(client, school):
    """A teacher asking for a colleague's reservation gets the 404 an unknown id gets (a 403
    would tell that the id exists); an approver may read it."""
    res_id = school["res"]["ben_tue"]
    response = client.get(f"/v1/reservations/{res_id}", headers=school["headers"]["ada"])
    unknown = client.get("/v1/reservations/res_0000000000", headers=school["headers"]["ada"])
    error = assert_error(response, 404, "not_found")
    assert error["message"] == assert_error(unknown, 404, "not_found")["message"].replace(
        "res_0000000000", res_id
    )
    approver = client.get(f"/v1/reservations/{res_id}", headers=school["headers"]["approver"])
    assert approver.status_code == 200
    assert approver.json["user"]["name"] == "Ben Ortiz"


def test_show_unknown_reservation_is_not_found(client, school):
    """An unknown id is 404 ``not_found`` naming the id."""
    response = client.get("/v1/reservations/res_0000000000", headers=school["headers"]["admin"])
    error = assert_error(response, 404, "not_found")
    assert "res_0000000000" in error["message"]


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


# Availability -------------------------------------------------------------------------


def test_availability_shows_each_slot_state(
    client, freeze, create_account, create_facility, create_reservation, auth_headers
):
    """At 10:30 on Wednesday: 1-2 past, 3 booked by Ada, 4 pending, the rest free."""
    freeze(2026, 6, 10, 10, 30)
    ada, ben = create_account(name="Ada Park"), create_account(name="Ben Ortiz")
    lab = create_facility(code="f1", name="STEM Lab Alpha")
    booked = create_reservation(lab, ada, WED, 3)
    pending = create_reservation(lab, ben, WED, 4, status="pending")
    response = client.get(
        "/v1/facilities/f1/availability",
        query_string={"date": "2026-06-10"},
        headers=auth_headers(ben),
    )

    assert response.status_code == 200
    body = response.json
    assert body["facility"] == {"id": "f1", "name": "STEM Lab Alpha"}
    assert body["date"] == "2026-06-10"
    assert [s["slot"] for s in body["slots"]] == list(range(1, 9))
    assert [s["status"] for s in body["slots"]] == [
        "past",
        "past",
        "booked",
        "pending",
        "free",
        "free",
        "free",
        "free",
    ]
    slot = body["slots"][2]
    assert (slot["label"], slot["start"], slot["end"]) == ("11:00–11:50", "11:00", "11:50")
    assert slot["reservation"] == {
        "id": booked.public_id,
        "user": {"name": "Ada Park"},
        "status": "confirmed",
    }
    assert body["slots"][3]["reservation"] == {
        "id": pending.public_id,
        "user": {"name": "Ben Ortiz"},
        "status": "pending",
    }
    assert body["slots"][0]["label"] == "09:00–09:50"
    assert all(s["reservation"] is None for s in body["slots"][4:])


def test_availability_past_follows_the_school_time_zone(
    app, client, freeze, create_account, create_facility, auth_headers
):
    """In New York at 13:30 UTC (09:30 local) only slot 1 is past."""
    app.config["TIMEZONE"] = "America/New_York"
    freeze(2026, 6, 10, 13, 30)
    lab = create_facility()
    states = slot_states(client, lab, WED, auth_headers(create_account()))
    assert [states[n]["status"] for n in (1, 2, 3)] == ["past", "free", "free"]


def test_availability_closed_facility(
    client, freeze, create_account, create_facility, auth_headers
):
    """A facility under maintenance shows every slot ``closed``."""
    freeze(2026, 6, 1, 7, 0)
    lab = create_facility(status="maintenance")
    states = slot_states(client, lab, WED, auth_headers(create_account()))
    assert {s["status"] for s in states.values()} == {"closed"}


def test_availability_blackouts_and_weekends(
    client, freeze, create_account, create_facility, auth_headers
):
    """School-wide and facility blackouts and weekends show ``blackout``; other rooms stay free."""
    freeze(2026, 6, 1, 7, 0)
    lab, other = create_facility(), create_facility()
    db.session.add(BlackoutDate(start_date=TUE, end_date=TUE, reason="Sports day"))
    db.session.add(BlackoutDate(start_date=THU, end_date=THU, reason="Refit", facility_id=lab.id))
    db.session.commit()
    headers = auth_headers(create_account())

    def statuses(facility, day):
        return {s["status"] for s in slot_states(client, facility, day, headers).values()}

    assert statuses(lab, TUE) == statuses(other, TUE) == {"blackout"}
    assert statuses(lab, THU) == {"blackout"}
    assert statuses(other, THU) == {"free"}
    assert statuses(lab, SAT) == {"blackout"}
    assert statuses(lab, WED) == {"free"}


def test_availability_needs_a_valid_date_and_a_known_facility(
    client, create_account, create_facility, auth_headers
):
    """A missing or malformed date is 400 naming ``date``; an unknown facility is 404."""
    lab = create_facility()
    headers = auth_headers(create_account())
    url = f"/v1/facilities/{lab.code}/availability"
    assert_error(client.get(url, headers=headers), 400, "validation_error", field="date")
    bad = client.get(url, query_string={"date": "tomorrow"}, headers=headers)
    assert_error(bad, 400, "validation_error", field="date")
    unknown = client.get(
        "/v1/facilities/nowhere/availability", query_string={"date": "2026-06-10"}, headers=headers
    )
    assert_error(unknown, 404, "not_found")


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
