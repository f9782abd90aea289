"""The rules engine R-01..R-11, as an API user meets it through ``POST /v1/reservations``.

Every refusal is checked for its status, ``error.code``, ``error.rule``, a message that names
the problem, and that nothing was committed.
"""

import re
from datetime import date, timedelta

import pytest

from roomloop.booking.operations import rule_context
from roomloop.booking.rules import BookingRequest, account_unchanged, evaluate
from roomloop.booking.settings import set_setting
from roomloop.extensions import db
from roomloop.models import BlackoutDate
from roomloop.sqlite import writing

from conftest import book, school_day, stored

ALL_RULES = [f"R-{n:02d}" for n in range(1, 12)]
TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")

# A week the tests freeze the clock before: Thursday 4 June 2026, 07:00 UTC.
THU = date(2026, 6, 4)
MON, TUE, WED, NEXT_THU, FRI, SAT, SUN = (date(2026, 6, d) for d in (8, 9, 10, 11, 12, 13, 14))


def assert_refused(response, rule, *words, status=422, code="rule_violation"):
    """Check the error envelope of a rules refusal and return its ``error`` object."""
    assert response.status_code == status, response.json
    error = response.json["error"]
    assert error["code"] == code
    assert error["rule"] == rule
    assert error["request_id"]
    for word in words:
        assert word in error["message"], (word, error["message"])
    return error


def assert_booked(response, status="confirmed"):
    assert response.status_code == 201, response.json
    assert response.json["status"] == status
    return response.json


# R-01 ---------------------------------------------------------------------------------


def test_r01_refuses_a_slot_that_already_started_today(
    client, freeze, create_account, create_facility, auth_headers
):
    """At 10:30 slot 2 (10:00) of today is refused with R-01; slot 3 (11:00) is booked."""
    freeze(2026, 6, 10, 10, 30)
    headers = auth_headers(create_account())
    lab = create_facility()
    before = stored()

    refused = book(client, headers, lab, WED, 2)

    assert_refused(refused, "R-01", "already started", "10:00–10:50", "Wed 10 Jun 2026")
    assert stored() == before
    assert_booked(book(client, headers, lab, WED, 3))


def test_r01_refuses_a_slot_starting_this_very_minute(
    client, freeze, create_account, create_facility, auth_headers
):
    """A slot whose start time is now has begun: R-01 refuses it."""
    freeze(2026, 6, 10, 10, 0)
    refused = book(client, auth_headers(create_account()), create_facility(), WED, 2)
    assert_refused(refused, "R-01")


def test_r01_refuses_a_past_date(client, freeze, create_account, create_facility, auth_headers):
    """A date before today is refused with R-01 even for its last slot."""
    freeze(2026, 6, 10, 7, 0)
    before = stored()
    refused = book(client, auth_headers(create_account()), create_facility(), TUE, 8)
    assert_refused(refused, "R-01", "already started", "Tue 9 Jun 2026")
    assert stored() == before


def test_r01_uses_the_school_time_zone(
    app, client, freeze, create_account, create_facility, auth_headers
):
    """In New York, 13:30 UTC is 09:30: slot 1 (09:00) has started, slot 2 (10:00) has not."""
    app.config["TIMEZONE"] = "America/New_York"
    freeze(2026, 6, 10, 13, 30)
    headers = auth_headers(create_account())
    lab = create_facility()

    assert_refused(book(client, headers, lab, WED, 1), "R-01")
    assert_booked(book(client, headers, lab, WED, 2))

    # The same instant in a UTC school: 10:00 is long gone.
    app.config["TIMEZONE"] = "UTC"
    assert_refused(book(client, headers, create_facility(), WED, 3), "R-01")


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


# R-04 ---------------------------------------------------------------------------------


def test_r04_refuses_more_than_four_consecutive_slots(
    client, create_account, create_facility, auth_headers
):
    """Five consecutive slots are refused with R-04 and the limit; four are booked."""
    headers = auth_headers(create_account())
    lab = create_facility(name="Chem Lab")
    before = stored()
    error = assert_refused(book(client, headers, lab, school_day(), 1, 5), "R-04", "at most 4", "5")
    assert error["limit"] == 4
    assert stored() == before
    assert_booked(book(client, headers, lab, school_day(), 1, 4))


def test_r04_facility_limit_overrides_the_school_default(
    client, create_account, create_facility, auth_headers
):
    """A facility limit of 2 refuses 3 slots; a limit of 6 admits 5."""
    headers = auth_headers(create_account())
    tight = create_facility(max_slots_per_booking=2)
    loose = create_facility(max_slots_per_booking=6)
    error = assert_refused(book(client, headers, tight, school_day(), 2, 4), "R-04", "at most 2")
    assert error["limit"] == 2
    assert_booked(book(client, headers, tight, school_day(), 2, 3))
    assert_booked(book(client, headers, loose, school_day(), 4, 8))


def test_r04_follows_the_max_consecutive_slots_setting(
    client, create_account, create_facility, auth_headers
):
    """Lowering ``max_consecutive_slots`` to 2 makes a 3-slot booking fail R-04."""
    set_setting("max_consecutive_slots", 2)
    db.session.commit()
    response = book(client, auth_headers(create_account()), create_facility(), school_day(), 2, 4)
    assert_refused(response, "R-04", "at most 2")


def test_r04_admin_override_books_and_is_recorded(
    client, create_account, create_facility, auth_headers
):
    """An admin sending ``override: ["R-04"]`` books 5 slots; the rules record says so."""
    admin = create_account(role="admin")
    response = book(
        client, auth_headers(admin), create_facility(), school_day(), 1, 5, override=["R-04"]
    )
    body = assert_booked(response)
    assert body["rules"]["overridden"] == ["R-04"]
    assert "R-04" not in body["rules"]["checked"]
    assert body["end_slot"] == 5


def test_r04_teacher_cannot_override(client, create_account, create_facility, auth_headers):
    """A teacher sending an override gets 403 forbidden naming ``rules:override``."""
    before = stored()
    response = book(
        client,
        auth_headers(create_account()),
        create_facility(),
        school_day(),
        1,
        5,
        override=["R-04"],
    )
    assert response.status_code == 403
    assert response.json["error"]["code"] == "forbidden"
    assert response.json["error"]["capability"] == "rules:override"
    assert stored() == before


def test_only_r04_r05_r06_can_be_overridden(client, create_account, create_facility, auth_headers):
    """Even an admin cannot override R-03: the request is invalid and names ``override``."""
    admin = create_account(role="admin")
    response = book(
        client, auth_headers(admin), create_facility(), school_day(), 2, override=["R-03"]
    )
    assert response.status_code == 400
    assert response.json["error"]["code"] == "validation_error"
    assert "override" in response.json["error"]["fields"]


# R-05 ---------------------------------------------------------------------------------


def test_r05_refuses_a_date_beyond_the_booking_window(
    client, freeze, create_account, create_facility, auth_headers
):
    """On Thu 4 Jun, 61 days ahead (Tue 4 Aug) is refused with R-05; 60 days ahead is booked."""
    freeze(2026, 6, 4, 7, 0)
    headers = auth_headers(create_account())
    lab = create_facility()
    before = stored()
    error = assert_refused(
        book(client, headers, lab, date(2026, 8, 4)), "R-05", "60 days", "3 Aug 2026"
    )
    assert error["last_bookable_date"] == "2026-08-03"
    assert stored() == before
    assert_booked(book(client, headers, lab, date(2026, 8, 3)))


def test_r05_follows_the_booking_window_setting(
    client, freeze, create_account, create_facility, auth_headers
):
    """With a 10-day window, 11 days ahead is refused; widening it to 11 admits the same request."""
    freeze(2026, 6, 4, 7, 0)
    headers = auth_headers(create_account())
    lab = create_facility()
    set_setting("booking_window_days", 10)
    db.session.commit()
    assert_refused(book(client, headers, lab, date(2026, 6, 15)), "R-05", "10 days", "14 Jun 2026")
    set_setting("booking_window_days", 11)
    db.session.commit()
    assert_booked(book(client, headers, lab, date(2026, 6, 15)))


def test_r05_counts_from_the_school_date(
    app, client, freeze, create_account, create_facility, auth_headers
):
    """At 02:00 UTC on 5 Jun it is still 4 Jun in New York, so the window ends on 3 Aug."""
    app.config["TIMEZONE"] = "America/New_York"
    freeze(2026, 6, 5, 2, 0)
    response = book(client, auth_headers(create_account()), create_facility(), date(2026, 8, 4))
    assert_refused(response, "R-05", "3 Aug 2026")


def test_r05_admin_override(client, freeze, create_account, create_facility, auth_headers):
    """An admin may book beyond the window with ``override: ["R-05"]``."""
    freeze(2026, 6, 4, 7, 0)
    admin = create_account(role="admin")
    response = book(
        client, auth_headers(admin), create_facility(), date(2026, 9, 1), override=["R-05"]
    )
    assert assert_booked(response)["rules"]["overridden"] == ["R-05"]


# R-06 ---------------------------------------------------------------------------------


def fill_week(create_reservation, facility, account, slots=19, status="confirmed", days=None):
    """Give ``account`` ``slots`` held one-slot reservations across the week of 8 June."""
    days = days or (MON, TUE, WED)
    made = []
    for day in days:
        for slot in range(1, 9):
            if len(made) == slots:
                return made
            made.append(create_reservation(facility, account, day, slot, status=status))
    assert len(made) == slots
    return made


def test_r06_refuses_a_booking_past_the_weekly_quota(
    client, freeze, create_account, create_facility, create_reservation, auth_headers
):
    """19 of 20 slots used: 2 more are refused with R-06, 1 more is booked."""
    freeze(2026, 6, 4, 7, 0)
    teacher = create_account(name="Ada Park")
    headers = auth_headers(teacher)
    lab = create_facility()
    fill_week(create_reservation, create_facility(), teacher)
    before = stored()
    error = assert_refused(
        book(client, headers, lab, NEXT_THU, 2, 3), "R-06", "Ada Park", "19 of 20", "8 Jun"
    )
    assert (error["quota"], error["used"]) == (20, 19)
    assert stored() == before
    assert_booked(book(client, headers, lab, NEXT_THU, 2))


def test_r06_counts_pending_reservations(
    client, freeze, create_account, create_facility, create_reservation, auth_headers
):
    """Pending reservations hold slots, so they count toward the quota."""
    freeze(2026, 6, 4, 7, 0)
    teacher = create_account()
    fill_week(create_reservation, create_facility(), teacher, status="pending")
    response = book(client, auth_headers(teacher), create_facility(), NEXT_THU, 2, 3)
    assert_refused(response, "R-06", "19 of 20")


def test_r06_slots_in_another_week_do_not_count(
    client, freeze, create_account, create_facility, create_reservation, auth_headers
):
    """19 slots in the week before and the week after leave the week of 8 June empty."""
    freeze(2026, 6, 1, 7, 0)
    teacher = create_account()
    lab = create_facility()
    fill_week(create_reservation, lab, teacher, days=(date(2026, 6, 2), date(2026, 6, 3), THU))
    fill_week(
        create_reservation,
        lab,
        teacher,
        days=(date(2026, 6, 15), date(2026, 6, 16), date(2026, 6, 17)),
    )
    response = book(client, auth_headers(teacher), create_facility(), MON, 2, 3)
    assert_booked(response)


def test_r06_cancelled_reservations_do_not_count(
    client, freeze, create_account, create_facility, create_reservation, auth_headers
):
    """16 held and 3 cancelled slots leave room for 2; cancelling through the API frees more."""
    freeze(2026, 6, 4, 7, 0)
    teacher = create_account()
    headers = auth_headers(teacher)
    lab = create_facility()
    held = fill_week(create_reservation, lab, teacher, slots=16)
    create_reservation(lab, teacher, WED, 4, 6, status="cancelled")  # 3 slots, not held
    other = create_facility()
    assert_booked(book(client, headers, other, NEXT_THU, 2, 3))  # 18 held now
    assert_refused(book(client, headers, other, NEXT_THU, 5, 7), "R-06", "18 of 20")
    cancel = client.patch(
        f"/v1/reservations/{held[0].public_id}", json={"status": "cancelled"}, headers=headers
    )
    assert cancel.status_code == 200
    assert_booked(book(client, headers, other, NEXT_THU, 5, 7))  # 17 + 3 = 20


def test_r06_follows_the_weekly_quota_setting(
    client, freeze, create_account, create_facility, create_reservation, auth_headers
):
    """Raising ``weekly_quota_slots`` to 21 admits the booking that 20 refused."""
    freeze(2026, 6, 4, 7, 0)
    teacher = create_account()
    headers = auth_headers(teacher)
    lab = create_facility()
    fill_week(create_reservation, create_facility(), teacher)
    assert_refused(book(client, headers, lab, NEXT_THU, 2, 3), "R-06")
    set_setting("weekly_quota_slots", 21)
    db.session.commit()
    assert_booked(book(client, headers, lab, NEXT_THU, 2, 3))


def test_r06_admin_override_when_booking_for_a_teacher(
    client, freeze, create_account, create_facility, create_reservation, auth_headers
):
    """An admin booking for a teacher at quota overrides R-06; the teacher owns the booking."""
    freeze(2026, 6, 4, 7, 0)
    teacher = create_account()
    admin = create_account(role="admin")
    fill_week(create_reservation, create_facility(), teacher)
    response = book(
        client,
        auth_headers(admin),
        create_facility(),
        NEXT_THU,
        2,
        3,
        user_id=teacher.public_id,
        override=["R-06"],
    )
    body = assert_booked(response)
    assert body["user"]["id"] == teacher.public_id
    assert body["rules"]["overridden"] == ["R-06"]


# R-07 ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "name"), [(SAT, "Saturday 13 Jun 2026"), (SUN, "Sunday 14 Jun 2026")]
)
def test_r07_refuses_a_weekend(
    client, freeze, create_account, create_facility, auth_headers, day, name
):
    """Saturdays and Sundays are refused with R-07, suggesting the same slot on Monday."""
    freeze(2026, 6, 4, 7, 0)
    headers = auth_headers(create_account())
    lab = create_facility()
    before = stored()
    error = assert_refused(book(client, headers, lab, day), "R-07", name, "weekend")
    assert stored() == before
    first = error["suggestions"][0]
    assert (first["facility"]["id"], first["date"], first["start_slot"], first["end_slot"]) == (
        lab.code,
        "2026-06-15",
        2,
        2,
    )
    assert_booked(book(client, headers, lab, date(2026, 6, 15), 2))


def test_r07_refuses_a_school_wide_blackout_with_its_reason(
    client, freeze, create_account, create_facility, auth_headers
):
    """A school-wide blackout (8-10 June, "Exam week") refuses every facility, ends inclusive."""
    freeze(2026, 6, 4, 7, 0)
    db.session.add(BlackoutDate(start_date=MON, end_date=WED, reason="Exam week"))
    db.session.commit()
    headers = auth_headers(create_account())
    lab, gym = create_facility(), create_facility(type="gym")
    before = stored()
    assert_refused(book(client, headers, lab, TUE), "R-07", "The school", "Exam week", "Tue 9 Jun")
    assert_refused(book(client, headers, gym, WED), "R-07", "Exam week")
    assert stored() == before
    assert_booked(book(client, headers, lab, NEXT_THU))


def test_r07_a_facility_blackout_affects_only_that_facility(
    client, freeze, create_account, create_facility, auth_headers
):
    """A blackout for one facility refuses it with its reason; another facility is bookable."""
    freeze(2026, 6, 4, 7, 0)
    lab = create_facility(name="Chem Lab")
    other = create_facility(name="Physics Lab")
    db.session.add(
        BlackoutDate(start_date=TUE, end_date=TUE, reason="Floor refit", facility_id=lab.id)
    )
    db.session.commit()
    headers = auth_headers(create_account())
    assert_refused(book(client, headers, lab, TUE), "R-07", "Chem Lab", "Floor refit")
    assert_booked(book(client, headers, other, TUE))
    assert_booked(book(client, headers, lab, WED))


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


# R-10 ---------------------------------------------------------------------------------


def test_r10_refuses_a_teacher_who_holds_another_room_at_that_time(
    client, create_account, create_facility, create_reservation, auth_headers
):
    """Holding Chem Lab in slots 2-3, booking Physics Lab in 3-4 is refused; 4-5 is booked."""
    day = school_day()
    teacher = create_account(name="Ada Park")
    chem = create_facility(name="Chem Lab")
    physics = create_facility(name="Physics Lab")
    held = create_reservation(chem, teacher, day, 2, 3)
    headers = auth_headers(teacher)
    before = stored()
    error = assert_refused(
        book(client, headers, physics, day, 3, 4), "R-10", "Ada Park", "Chem Lab", "period 3"
    )
    assert error["reservation_id"] == held.public_id
    assert stored() == before
    assert_booked(book(client, headers, physics, day, 4, 5))


def test_r10_another_teachers_booking_does_not_count(
    client, create_account, create_facility, create_reservation, auth_headers
):
    """Only the booking teacher's own reservations make R-10 refuse."""
    day = school_day()
    create_reservation(create_facility(), create_account(), day, 2)
    assert_booked(book(client, auth_headers(create_account()), create_facility(), day, 2))


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


# Order and the successful answer --------------------------------------------------------


@pytest.mark.parametrize(
    ("facility_fields", "day", "slots", "expected"),
    [
        ({"status": "maintenance"}, SAT, (2, 2), "R-02"),
        ({"status": "closed"}, date(2026, 6, 1), (2, 2), "R-01"),
        ({"capacity": 5}, MON, (1, 6), "R-04"),
        ({}, date(2026, 9, 5), (1, 6), "R-04"),  # and R-07 (a Saturday)
        ({}, date(2026, 9, 5), (2, 2), "R-05"),
    ],
)
def test_the_first_failing_rule_is_reported(
    client,
    freeze,
    create_account,
    create_facility,
    auth_headers,
    facility_fields,
    day,
    slots,
    expected,
):
    """A request breaking several rules is refused by the first of them in R-01..R-11 order."""
    freeze(2026, 6, 4, 7, 0)
    lab = create_facility(**facility_fields)
    response = book(client, auth_headers(create_account()), lab, day, *slots, attendees=10)
    assert_refused(response, expected)


def test_the_reference_example_answers_the_documented_resource(
    client, freeze, create_account, create_facility, auth_headers
):
    """The API reference's example request answers 201 with exactly the canonical resource."""
    freeze(2026, 6, 8, 9, 14)
    ada = create_account(name="Ada Park", email="ada@school.example")
    create_facility(code="f1", name="STEM Lab Alpha")
    response = client.post(
        "/v1/reservations",
        json={
            "facility_id": "f1",
            "date": "2026-06-10",
            "start_slot": 2,
            "end_slot": 3,
            "purpose": "Grade 10 Chemistry — titration lab",
        },
        headers=auth_headers(ada),
    )

    assert response.status_code == 201
    body = response.json
    assert set(body) == {
        "id",
        "status",
        "facility",
        "user",
        "date",
        "start_slot",
        "end_slot",
        "slots",
        "purpose",
        "attendees",
        "rules",
        "created_at",
        "updated_at",
    }
    assert re.fullmatch(r"res_[0-9a-f]{10}", body["id"])
    assert body["status"] == "confirmed"
    assert body["facility"] == {"id": "f1", "name": "STEM Lab Alpha"}
    assert body["user"] == {"id": ada.public_id, "name": "Ada Park", "email": "ada@school.example"}
    assert body["date"] == "2026-06-10"
    assert (body["start_slot"], body["end_slot"]) == (2, 3)
    assert body["slots"] == ["10:00–10:50", "11:00–11:50"]
    assert body["purpose"] == "Grade 10 Chemistry — titration lab"
    assert body["attendees"] is None
    assert body["rules"] == {"outcome": "confirmed", "checked": ALL_RULES, "overridden": []}
    assert TIMESTAMP.match(body["created_at"]) and TIMESTAMP.match(body["updated_at"])
    assert body["created_at"] == body["updated_at"] == "2026-06-08T09:14:00Z"
    assert response.headers["Location"].endswith(f"/v1/reservations/{body['id']}")
    assert client.get(response.headers["Location"], headers=auth_headers(ada)).json == body
    assert stored() == (1, 2, 1)


def test_r04_counts_the_persons_adjacent_bookings_of_the_same_room(
    client, freeze, create_account, create_facility, create_reservation, auth_headers
):
    """Periods 1–4 held: 5–6 would make a run of six and is refused; 6–7 leaves a gap."""
    freeze(2026, 6, 4, 7, 0)
    teacher = create_account(name="Ada Park")
    headers = auth_headers(teacher)
    lab = create_facility()
    create_reservation(lab, teacher, MON, 1, 4)
    error = assert_refused(book(client, headers, lab, MON, 5, 6), "R-04", "run would be 6")
    assert error["limit"] == 4
    assert_booked(book(client, headers, lab, MON, 6, 7))
    # Someone else's booking next to yours is not your run.
    assert_booked(book(client, auth_headers(create_account()), lab, MON, 5))


def test_a_decision_stands_until_the_person_books_again_that_week(
    create_account, create_facility, create_reservation
):
    """On SQLite booking decides before the write lock and asks ``account_unchanged`` inside it:
    another teacher's booking leaves the decision standing; the same teacher's booking in
    that week (it counts for R-04, R-06 and R-10) does not, nor does one they cancel."""
    teacher, colleague = create_account(), create_account()
    lab, gym = create_facility(), create_facility()
    day = school_day()
    earlier = create_reservation(gym, teacher, day, 6)
    ctx = rule_context(BookingRequest(lab, teacher, day, 2, 3))
    evaluate(ctx)
    assert account_unchanged(ctx)

    create_reservation(lab, colleague, day, 4)
    create_reservation(gym, teacher, day + timedelta(days=14), 2)  # another week
    assert account_unchanged(ctx)

    create_reservation(gym, teacher, day, 8)
    assert not account_unchanged(ctx)

    ctx = rule_context(BookingRequest(lab, teacher, day, 2, 3))
    evaluate(ctx)
    with writing():
        db.session.delete(earlier)
        db.session.commit()
    assert not account_unchanged(ctx)
