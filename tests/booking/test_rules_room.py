"""The rules of the room, through ``POST /v1/reservations``: R-02 (the facility is active),
R-03 (a held slot is a conflict, with suggestions), R-08 (whom the facility admits), R-09
(its capacity) and R-11 (a facility that needs approval books pending).

Every refusal is checked for its status, ``error.code``, ``error.rule``, a message that names
the problem, and that nothing was committed.
"""

from datetime import date

import pytest

from conftest import book, school_day, stored
from rules_support import ALL_RULES, MON, TUE, WED, assert_booked, assert_refused

# R-02 ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "words"), [("maintenance", "under maintenance"), ("closed", "closed")]
)
def test_r02_refuses_a_facility_that_is_not_active(
    client, create_account, create_facility, auth_headers, status, words
):
    """A facility under maintenance or closed is refused with R-02, naming the facility."""
    lab = create_facility(name="Chem Lab", status=status)
    before = stored()
    refused = book(client, auth_headers(create_account()), lab, school_day())
    assert_refused(refused, "R-02", "Chem Lab", words)
    assert stored() == before


# R-03 ---------------------------------------------------------------------------------


def test_r03_held_slot_is_a_conflict_naming_the_holder_with_bookable_suggestions(
    client, create_account, create_facility, create_reservation, auth_headers
):
    """409 slot_conflict lists the held slot and its holder; every suggestion then books."""
    day = school_day()
    ada = create_account(name="Ada Park")
    ben = create_account(name="Ben Ortiz")
    lab = create_facility(code="f1", name="STEM Lab Alpha", type="lab")
    create_facility(code="f2", name="STEM Lab Beta", type="lab")
    create_facility(code="gym", name="Gym", type="gym")
    create_facility(code="f3", name="Old Lab", type="lab", status="maintenance")
    held = create_reservation(lab, ada, day, 2)
    headers = auth_headers(ben)
    before = stored()

    response = book(client, headers, lab, day, 2, 3)

    error = assert_refused(
        response, "R-03", "STEM Lab Alpha", "Ada Park", "period 2", status=409, code="slot_conflict"
    )
    assert error["conflicts"] == [
        {
            "slot": 2,
            "reservation": {
                "id": held.public_id,
                "status": "confirmed",
                "user": {"name": "Ada Park"},
            },
        }
    ]
    assert stored() == before
    suggestions = error["suggestions"]
    assert suggestions
    suggested_facilities = {s["facility"]["id"] for s in suggestions}
    assert suggested_facilities <= {"f1", "f2"}  # not the gym, not the room in maintenance
    # A similar room free at the asked time is offered as such.
    assert {
        "facility": {"id": "f2", "name": "STEM Lab Beta"},
        "date": day.isoformat(),
        "start_slot": 2,
        "end_slot": 3,
        "slots": ["10:00–10:50", "11:00–11:50"],
    } in suggestions
    # First the same room at its nearest free time: right after Ada's period.
    assert suggestions[0] == {
        "facility": {"id": "f1", "name": "STEM Lab Alpha"},
        "date": day.isoformat(),
        "start_slot": 3,
        "end_slot": 4,
        "slots": ["11:00–11:50", "12:00–12:50"],
    }
    for suggestion in suggestions:
        assert not (
            suggestion["facility"]["id"] == "f1"
            and suggestion["date"] == day.isoformat()
            and suggestion["start_slot"] <= 2 <= suggestion["end_slot"]
        )
        taken = book(
            client,
            headers,
            suggestion["facility"]["id"],
            date.fromisoformat(suggestion["date"]),
            suggestion["start_slot"],
            suggestion["end_slot"],
        )
        booked = assert_booked(taken)
        assert booked["slots"] == suggestion["slots"]
        # Give it back so that the next suggestion is tried on its own.
        cancel = client.patch(
            f"/v1/reservations/{booked['id']}", json={"status": "cancelled"}, headers=headers
        )
        assert cancel.status_code == 200


def test_r03_suggestions_pass_over_times_the_person_already_has_booked(
    client, freeze, create_account, create_facility, create_reservation, auth_headers
):
    """Ben has the gym all Monday and Tuesday: asked for the lab on Monday, it offers
    Wednesday's periods (nearest to the asked one first), not a time he is busy."""
    freeze(2026, 6, 4, 7, 0)
    ben = create_account(name="Ben Ortiz")
    lab = create_facility(code="lab", name="STEM Lab Alpha", type="lab")
    create_facility(code="lab2", name="STEM Lab Beta", type="lab")
    gym = create_facility(code="gym", name="Gym", type="gym")
    create_reservation(lab, create_account(name="Ada Park"), MON, 2)
    for day in (MON, TUE):
        create_reservation(gym, ben, day, 1, 4)
        create_reservation(gym, ben, day, 5, 8)

    error = assert_refused(
        book(client, auth_headers(ben), lab, MON, 2), "R-03", status=409, code="slot_conflict"
    )

    assert [(s["facility"]["id"], s["date"], s["start_slot"]) for s in error["suggestions"]] == [
        ("lab", WED.isoformat(), 2),
        ("lab", WED.isoformat(), 1),
        ("lab", WED.isoformat(), 3),
    ]


def test_r03_conflict_lists_every_held_slot_of_the_request(
    client, create_account, create_facility, create_reservation, auth_headers
):
    """A request over slots 2-4 where 3 and 4 are held lists both in ``conflicts``."""
    day = school_day()
    lab = create_facility()
    first = create_reservation(lab, create_account(name="Ada Park"), day, 3)
    second = create_reservation(lab, create_account(name="Cy Lee"), day, 4)
    response = book(client, auth_headers(create_account()), lab, day, 2, 4)
    error = assert_refused(response, "R-03", "Ada Park", status=409, code="slot_conflict")
    assert [
        (c["slot"], c["reservation"]["id"], c["reservation"]["user"]["name"])
        for c in error["conflicts"]
    ] == [
        (3, first.public_id, "Ada Park"),
        (4, second.public_id, "Cy Lee"),
    ]


def test_r03_a_pending_reservation_holds_its_slot(
    client, create_account, create_facility, create_reservation, auth_headers
):
    """A pending request holds the slot: 409 with the holder's status ``pending``."""
    day = school_day()
    lab = create_facility(requires_approval=True)
    held = create_reservation(lab, create_account(name="Ada Park"), day, 2, status="pending")
    response = book(client, auth_headers(create_account()), lab, day, 2)
    error = assert_refused(
        response, "R-03", "requested by Ada Park", status=409, code="slot_conflict"
    )
    assert error["conflicts"][0]["reservation"] == {
        "id": held.public_id,
        "status": "pending",
        "user": {"name": "Ada Park"},
    }


def test_r03_a_cancelled_reservation_frees_its_slot(
    client, create_account, create_facility, create_reservation, auth_headers
):
    """A cancelled reservation on the slot does not stop a new booking."""
    day = school_day()
    lab = create_facility()
    create_reservation(lab, create_account(), day, 2, status="cancelled")
    assert_booked(book(client, auth_headers(create_account()), lab, day, 2))


def test_r03_the_same_slot_elsewhere_or_another_day_is_free(
    client, create_account, create_facility, create_reservation, auth_headers
):
    """A held slot blocks only its own facility and date."""
    day = school_day()
    lab, other = create_facility(), create_facility()
    create_reservation(lab, create_account(), day, 2)
    headers = auth_headers(create_account())
    assert_booked(book(client, headers, other, day, 2))
    assert_booked(book(client, headers, lab, school_day(14), 2))


# R-08 ---------------------------------------------------------------------------------


def test_r08_refuses_a_department_the_facility_does_not_admit(
    client, create_account, create_facility, auth_headers
):
    """A Science-only lab refuses an Arts teacher with R-08 and admits a Science teacher."""
    lab = create_facility(name="Chem Lab", allowed_departments=["Science"])
    before = stored()
    artist = create_account(department="Arts")
    assert_refused(
        book(client, auth_headers(artist), lab, school_day()), "R-08", "Chem Lab", "Science"
    )
    assert stored() == before
    scientist = create_account(department="Science")
    assert_booked(book(client, auth_headers(scientist), lab, school_day()))


def test_r08_refuses_a_role_the_facility_does_not_admit(
    client, create_account, create_facility, auth_headers
):
    """A hall for approvers and admins refuses a teacher with R-08 and admits an approver."""
    hall = create_facility(name="Great Hall", allowed_roles=["approver", "admin"])
    teacher = create_account()
    assert_refused(
        book(client, auth_headers(teacher), hall, school_day()), "R-08", "Great Hall", "approver"
    )
    approver = create_account(role="approver")
    assert_booked(book(client, auth_headers(approver), hall, school_day()))


def test_r08_checks_the_person_booked_for(client, create_account, create_facility, auth_headers):
    """An admin booking for an Arts teacher into a Science-only lab is refused with R-08."""
    lab = create_facility(allowed_departments=["Science"])
    admin = create_account(role="admin", department="Science")
    artist = create_account(department="Arts")
    response = book(client, auth_headers(admin), lab, school_day(), user_id=artist.public_id)
    assert_refused(response, "R-08", "Science")


# R-09 ---------------------------------------------------------------------------------


def test_r09_refuses_more_attendees_than_the_capacity(
    client, create_account, create_facility, auth_headers
):
    """31 attendees in a room for 30 are refused with R-09; 30 fit, and none given passes."""
    headers = auth_headers(create_account())
    lab = create_facility(name="Chem Lab", capacity=30)
    before = stored()
    error = assert_refused(
        book(client, headers, lab, school_day(), 2, attendees=31), "R-09", "Chem Lab", "30", "31"
    )
    assert error["capacity"] == 30
    assert stored() == before
    assert (
        assert_booked(book(client, headers, lab, school_day(), 2, attendees=30))["attendees"] == 30
    )
    assert assert_booked(book(client, headers, lab, school_day(), 3))["attendees"] is None


# R-11 ---------------------------------------------------------------------------------


def test_r11_approval_facility_books_pending_then_an_approver_confirms(
    client, create_account, create_facility, auth_headers
):
    """A facility needing approval answers 201 pending; an approver confirms it with PATCH."""
    teacher = create_account()
    approver = create_account(role="approver")
    hall = create_facility(requires_approval=True)
    body = assert_booked(book(client, auth_headers(teacher), hall, school_day()), status="pending")
    assert body["rules"]["outcome"] == "pending"
    assert body["rules"]["checked"] == ALL_RULES
    assert stored()[1] == 1  # the pending request holds its slot

    confirmed = client.patch(
        f"/v1/reservations/{body['id']}",
        json={"status": "confirmed"},
        headers=auth_headers(approver),
    )

    assert confirmed.status_code == 200
    assert confirmed.json["status"] == "confirmed"
    assert confirmed.json["rules"]["outcome"] == "confirmed"
    shown = client.get(f"/v1/reservations/{body['id']}", headers=auth_headers(teacher))
    assert shown.json["status"] == "confirmed"


def test_r11_a_teacher_cannot_confirm_even_their_own_request(
    client, create_account, create_facility, auth_headers
):
    """The owner's PATCH to ``confirmed`` is 403 ``reservations:approve``; it stays pending."""
    teacher = create_account()
    headers = auth_headers(teacher)
    body = assert_booked(
        book(client, headers, create_facility(requires_approval=True), school_day()), "pending"
    )
    response = client.patch(
        f"/v1/reservations/{body['id']}", json={"status": "confirmed"}, headers=headers
    )
    assert response.status_code == 403
    assert response.json["error"]["code"] == "forbidden"
    assert response.json["error"]["capability"] == "reservations:approve"
    assert client.get(f"/v1/reservations/{body['id']}", headers=headers).json["status"] == "pending"


def test_r11_confirming_runs_the_rules_again(
    client, freeze, create_account, create_facility, auth_headers
):
    """A pending request whose slot has started can no longer be confirmed: R-01, still pending."""
    freeze(2026, 6, 8, 7, 0)
    teacher = create_account()
    body = assert_booked(
        book(client, auth_headers(teacher), create_facility(requires_approval=True), MON, 2),
        "pending",
    )
    freeze(2026, 6, 8, 10, 5)
    approver_headers = auth_headers(create_account(role="approver"))
    response = client.patch(
        f"/v1/reservations/{body['id']}", json={"status": "confirmed"}, headers=approver_headers
    )
    assert_refused(response, "R-01")
    shown = client.get(f"/v1/reservations/{body['id']}", headers=approver_headers)
    assert shown.json["status"] == "pending"
