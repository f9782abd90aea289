"""The rules of how much one person holds, through ``POST /v1/reservations``: R-04
(consecutive periods), R-06 (the weekly quota) and R-10 (one room at a time), the overrides
an admin may send, and when a decision must be taken again.

Every refusal is checked for its status, ``error.code``, ``error.rule``, a message that names
the problem, and that nothing was committed.
"""

from datetime import date, timedelta

from roomloop.booking.operations import rule_context
from roomloop.booking.rules import BookingRequest, account_unchanged, evaluate
from roomloop.booking.settings import set_setting
from roomloop.extensions import db
from roomloop.sqlite import writing

from conftest import book, school_day, stored
from rules_support import MON, NEXT_THU, SAT, SUN, THU, TUE, WED, assert_booked, assert_refused

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


def test_r04_counts_the_persons_adjacent_bookings_of_the_same_room(
    client, freeze, create_account, create_facility, create_reservation, auth_headers
):
    """Periods 1–4 held: 5–6 would make a run of six and is refused; 6–7 leaves a gap."""
    freeze(2026, 6, 4, 7, 0)
    teacher = create_account(name="Ada Park")
    headers = auth_headers(teacher)
    lab = create_facility()
    create_reservation(lab, teacher, MON, 1, 4)
    error = assert_refused(
        book(client, headers, lab, MON, 5, 6),
        "R-04",
        "with your bookings next to it, it would make 6 in a row",
    )
    assert error["limit"] == 4
    assert_booked(book(client, headers, lab, MON, 6, 7))
    # Someone else's booking next to yours is not your run.
    assert_booked(book(client, auth_headers(create_account()), lab, MON, 5))


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
        book(client, headers, lab, NEXT_THU, 2, 3),
        "R-06",
        "You already have 19 periods booked in the week of 8 Jun; the limit is 20, and this "
        "booking needs 2 more.",
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
    assert_refused(response, "R-06", "You already have 19 periods", "the limit is 20")


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


def test_r06_counts_monday_to_sunday_inclusive(
    client, freeze, create_account, create_facility, create_reservation, auth_headers
):
    """The week of 8 June is Monday the 8th to Sunday the 14th, both ends counted; the
    Sunday before and the Monday after are not (slots written directly, weekend or not)."""
    freeze(2026, 6, 1, 7, 0)
    teacher = create_account()
    lab = create_facility()
    for day in (date(2026, 6, 7), MON, SUN, date(2026, 6, 15)):
        create_reservation(lab, teacher, day, 1, 8)
    create_reservation(lab, teacher, SAT, 1, 2)
    headers = auth_headers(teacher)
    assert_refused(
        book(client, headers, create_facility(), NEXT_THU, 2, 4),
        "R-06",
        "You already have 18 periods booked in the week of 8 Jun",
    )
    assert_booked(book(client, headers, create_facility(), NEXT_THU, 2, 3))


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
    assert_refused(
        book(client, headers, other, NEXT_THU, 5, 7),
        "R-06",
        "You already have 18 periods",
        "the limit is 20",
    )
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
        book(client, headers, physics, day, 3, 4),
        "R-10",
        "You already have Chem Lab booked in period 3 (11:00–11:50).",
    )
    assert error["reservation_id"] == held.public_id
    assert stored() == before
    assert_booked(book(client, headers, physics, day, 4, 5))


def test_refusals_name_the_teacher_when_an_admin_books_for_her(
    client, create_account, create_facility, create_reservation, auth_headers
):
    """The person reading the answer is the admin: "you" would be wrong, so the teacher is named."""
    day = school_day()
    teacher = create_account(name="Ada Park")
    chem, physics = create_facility(name="Chem Lab"), create_facility(name="Physics Lab")
    create_reservation(chem, teacher, day, 2, 3)
    admin = auth_headers(create_account(role="admin"))

    response = book(client, admin, physics, day, 3, 4, user_id=teacher.public_id)

    assert_refused(
        response, "R-10", "Ada Park already has Chem Lab booked in period 3 (11:00–11:50)."
    )
    assert "You" not in response.json["error"]["message"]


def test_r10_another_teachers_booking_does_not_count(
    client, create_account, create_facility, create_reservation, auth_headers
):
    """Only the booking teacher's own reservations make R-10 refuse."""
    day = school_day()
    create_reservation(create_facility(), create_account(), day, 2)
    assert_booked(book(client, auth_headers(create_account()), create_facility(), day, 2))


# A decision taken before the write lock -----------------------------------------------


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
