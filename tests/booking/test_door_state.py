"""What a door display shows (``booking.door_state``) on a frozen clock.

The default bell schedule, in UTC here: period 1 is 09:00–09:50, period 2 10:00–10:50,
period 3 11:00–11:50, ... period 8 16:00–16:50.
"""

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import event

from roomloop.booking import NO_SHOW, door_state
from roomloop.booking.settings import set_setting
from roomloop.extensions import db
from roomloop.models import BlackoutDate
from roomloop.sqlite import writing

from conftest import store

WEDNESDAY = date(2026, 6, 10)


def at(hour, minute=0, day=WEDNESDAY):
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=UTC)


@pytest.fixture
def lab(create_facility):
    return create_facility(code="lab-2", name="Lab 2")


@pytest.fixture
def ben(create_account):
    return create_account(name="Ben Ito")


@pytest.fixture
def booked(lab, ben, create_reservation):
    """Return a function that books ``lab`` for Ben on Wednesday."""

    def make(start, end=None, purpose="Class", **fields):
        return create_reservation(lab, ben, WEDNESDAY, start, end, purpose=purpose, **fields)

    return make


def states(state):
    return [p.state for p in state.periods]


def test_a_free_room_is_free_for_the_rest_of_the_day(lab):
    state = door_state(lab, at(9, 30))

    assert (state.status, state.headline) == ("free", "Free for the rest of the day")
    assert state.current is None and state.next is None
    assert states(state) == ["free"] * 8
    assert [p.is_now for p in state.periods][:2] == [True, False]
    assert state.week == "" and state.now == at(9, 30)


def test_in_use_until_the_end_of_a_run_of_bookings(lab, booked, create_account, create_reservation):
    booked(2, 3, purpose="Year 10 titration")
    other = create_account(name="Cy Ode")
    create_reservation(lab, other, WEDNESDAY, 4, purpose="Year 8 forces")
    booked(6, purpose="Staff meeting")

    state = door_state(lab, at(10, 20))

    assert (state.status, state.headline) == ("in_use", "In use until 12:50")
    assert state.current.purpose == "Year 10 titration"
    assert (state.current.start, state.current.end) == (at(10).time(), at(11, 50).time())
    assert state.next.purpose == "Staff meeting" and f"{state.next.start:%H:%M}" == "14:00"
    assert states(state) == ["free", "booked", "booked", "booked", "free", "booked", "free", "free"]
    assert state.current.check_in is None  # the lab does not ask for check-in


def test_between_periods(lab, booked):
    booked(2, purpose="Year 9")
    booked(3, purpose="Year 11")
    booked(5, purpose="Year 7")

    in_a_run = door_state(lab, at(10, 55))  # the break between periods 2 and 3
    after_run = door_state(lab, at(11, 55))  # period 3 has ended, period 4 is free
    lunch = door_state(lab, at(12, 55))

    assert in_a_run.headline == "In use until 11:50"
    assert in_a_run.current.purpose == "Year 11"  # the booking about to start
    assert after_run.headline == "Free until 13:00"
    assert after_run.next.purpose == "Year 7"
    assert lunch.headline == "Free until 13:00"  # the break before a booking: still free


def test_before_the_first_period_and_after_school(lab, booked):
    booked(1, purpose="Early club")

    early = door_state(lab, at(7, 30))
    late = door_state(lab, at(17, 0))

    assert early.headline == "Free until 09:00"
    assert early.next.purpose == "Early club"
    assert not any(p.is_now or p.is_past for p in early.periods)
    assert late.headline == "Free for the rest of the day" and late.next is None
    assert all(p.is_past for p in late.periods)


def test_a_booking_released_as_a_no_show_shows_as_free(
    create_facility, ben, create_account, create_reservation
):
    lab = create_facility(check_in_required=True)
    released = create_reservation(lab, ben, WEDNESDAY, 2, 3, status="cancelled")
    with writing():
        released.cancel_reason = NO_SHOW
        db.session.commit()
    rebooked = create_account(name="Di Fox")
    create_reservation(lab, rebooked, WEDNESDAY, 3, purpose="Drop-in")

    during = door_state(lab, at(10, 20))

    assert during.headline == "Free until 11:00"
    assert states(during)[1:3] == ["released", "booked"]
    assert during.next.purpose == "Drop-in"


def test_names_show_only_where_the_school_allows(lab, booked):
    booked(2, purpose="Year 10 titration")

    hidden = door_state(lab, at(10, 5))
    with writing():
        set_setting("door_display_names", True)
        db.session.commit()
    shown = door_state(lab, at(10, 5))

    assert hidden.current.holder is None and hidden.periods[1].holder is None
    assert shown.current.holder == "Ben Ito" and shown.periods[1].holder == "Ben Ito"
    assert shown.periods[1].purpose == hidden.periods[1].purpose == "Year 10 titration"


def test_a_check_in_room_says_until_when_to_check_in(create_facility, ben, create_reservation):
    lab = create_facility(check_in_required=True, release_after_minutes=15)
    booking = create_reservation(lab, ben, WEDNESDAY, 2)

    waiting = door_state(lab, at(10, 5))
    late = door_state(lab, at(10, 16))
    with writing():
        booking.checked_in_at = datetime(2026, 6, 10, 10, 2)
        db.session.commit()
    checked_in = door_state(lab, at(10, 20))

    assert waiting.current.check_in == "Check in by 10:15 or the room is released"
    assert late.current.check_in == "Nobody checked in: being released"
    assert checked_in.current.check_in == "Checked in at 10:02"


def test_a_pending_request_holds_the_room_and_says_so(booked, lab):
    booked(2, purpose="Parents' evening", status="pending")

    state = door_state(lab, at(10, 5))

    assert state.status == "in_use" and state.current.pending
    assert state.periods[1].state == "pending"


def test_closed_rooms_and_days_without_lessons(create_facility, lab, booked):
    shut = create_facility(status="maintenance")
    store(BlackoutDate(start_date=WEDNESDAY, end_date=WEDNESDAY, reason="Exams"))
    saturday = date(2026, 6, 13)

    maintenance = door_state(shut, at(10, 5))
    exams = door_state(lab, at(10, 5))
    weekend = door_state(lab, at(10, 5, day=saturday))
    booked(4, purpose="Exam room")
    exams_booked = door_state(lab, at(10, 5))

    assert (maintenance.status, maintenance.headline) == ("closed", "Under maintenance")
    assert (exams.status, exams.headline) == ("closed", "Closed today: Exams")
    assert set(states(exams)) == {"closed"}
    assert weekend.until == "No lessons today"
    # A booking made before the blackout still stands: the room is free until then.
    assert exams_booked.headline == "Free until 12:00"


def test_the_timetable_week_is_named(lab):
    with writing():
        set_setting("cycle", {"weeks": 2, "start": "2026-06-08"})
        db.session.commit()

    assert door_state(lab, at(10)).week == "Week A"
    assert door_state(lab, at(10, day=date(2026, 6, 17))).week == "Week B"


def test_the_day_is_read_in_one_query(lab, booked, create_account, create_reservation):
    for start in (1, 3, 5, 7):
        booked(start, purpose=f"Period {start}")
    door_state(lab, at(10))  # reads this process's copy of the settings
    statements = []

    def record(conn, cursor, statement, *args):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        state = door_state(lab, at(11, 5))
    finally:
        event.remove(db.engine, "before_cursor_execute", record)

    assert state.current.purpose == "Period 3"
    assert len([s for s in statements if "reservations" in s]) == 1
    assert len(statements) <= 2  # and the settings' stamp
