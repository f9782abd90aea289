"""Cancelling the bookings a blackout covers, all with one reason (``cancel_bookings_during``),
and listing them (``covered_bookings``).

The clock stands on Wednesday 3 June 2026, 10:30 UTC: period 1 (09:00) has begun, period 5
(13:00) has not. The school closes for an inset day on that Wednesday.
"""

from datetime import date

import pytest
from sqlalchemy import select

from roomloop.auth.permissions import Actor
from roomloop.booking import cancel_bookings_during, covered_bookings, create_blackout
from roomloop.errors import Forbidden
from roomloop.extensions import db
from roomloop.models import Event, HeldSlot, Reservation, Series

WED, THU = date(2026, 6, 3), date(2026, 6, 4)


@pytest.fixture
def school(freeze, create_account, create_facility, create_reservation):
    freeze(2026, 6, 3, 10, 30)
    lab = create_facility(code="lab", name="STEM Lab Alpha")
    room = create_facility(code="m101", name="Room 101")
    ada, ben = create_account(name="Ada Park"), create_account(name="Ben Ito")
    admin = create_account(role="admin", name="Dee Okafor")
    bookings = {
        "begun": create_reservation(lab, ada, WED, 1, purpose="Registration"),
        "later": create_reservation(lab, ada, WED, 5, 6, purpose="Titration"),
        "pending": create_reservation(room, ben, WED, 6, status="pending", purpose="Debate"),
        "thursday": create_reservation(lab, ben, THU, 2, purpose="Electrolysis"),
    }
    return {"lab": lab, "room": room, "ada": ada, "ben": ben, "admin": admin, **bookings}


def admin_of(school):
    return Actor.for_account(school["admin"])


def inset_day(school, facility=None):
    return create_blackout(admin_of(school), WED, None, "Inset day", facility)


def outcome(school, *names):
    """Each named booking's status, reason and canceller's name."""
    db.session.expire_all()
    rows = [db.session.get(Reservation, school[name].id) for name in names]
    return [(r.status, r.cancel_reason, r.cancelled_by and r.cancelled_by.name) for r in rows]


def cancelled_events():
    return db.session.scalars(
        select(Event).where(Event.type == "reservation.cancelled").order_by(Event.id)
    ).all()


def test_every_booking_still_to_come_is_cancelled_with_the_one_reason(school):
    blackout = inset_day(school)

    done = cancel_bookings_during(admin_of(school), blackout, "Inset day: staff training")

    assert (done.cancelled, done.begun) == (2, 1)
    reason = "Inset day: staff training"
    assert outcome(school, "begun", "later", "pending", "thursday") == [
        ("confirmed", None, None),  # begun at 09:00: it stays
        ("cancelled", reason, "Dee Okafor"),
        ("cancelled", reason, "Dee Okafor"),
        ("confirmed", None, None),  # another day
    ]
    held = db.session.scalars(select(HeldSlot.reservation_id).distinct()).all()
    assert sorted(held) == sorted([school["begun"].id, school["thursday"].id])
    events = cancelled_events()
    assert sorted(e.data["id"] for e in events) == sorted(
        [school["later"].public_id, school["pending"].public_id]
    )
    assert {(e.data["cancel_reason"], e.data["cancelled_by"]["name"]) for e in events} == {
        (reason, "Dee Okafor")
    }


def test_a_facility_blackout_cancels_that_facility_only(school):
    blackout = inset_day(school, facility=school["room"])

    done = cancel_bookings_during(admin_of(school), blackout)

    assert (done.cancelled, done.begun) == (1, 0)
    assert outcome(school, "later", "pending") == [
        ("confirmed", None, None),
        ("cancelled", None, "Dee Okafor"),
    ]


@pytest.mark.parametrize("role", ["teacher", "approver"])
def test_only_an_admin_may_cancel_them(school, create_account, role):
    """A teacher (even for her own bookings) and an approver are refused; nothing changes."""
    blackout = inset_day(school)
    actor = school["ada"] if role == "teacher" else create_account(role=role)

    with pytest.raises(Forbidden):
        cancel_bookings_during(Actor.for_account(actor), blackout, "Mine")

    statuses = [status for status, *_ in outcome(school, "later", "pending")]
    assert statuses == ["confirmed", "pending"]
    assert cancelled_events() == []


def test_a_series_whose_last_dates_go_is_cancelled_too(school, client, auth_headers):
    """A weekly series on Wednesdays to 10 June: the blackout takes its dates still to come
    (3 and 10 June, the second through a blackout of its own) and the series ends."""
    created = client.post(
        "/v1/series",
        json={"facility_id": "m101", "first_date": "2026-06-03", "until": "2026-06-10",
              "repeat": {"weekdays": ["wed"]}, "start_slot": 3, "end_slot": 3,
              "purpose": "Chess club"},
        headers=auth_headers(school["ada"]),
    )  # fmt: skip
    assert created.status_code == 201, created.json
    admin = admin_of(school)

    first = cancel_bookings_during(admin, inset_day(school), "Inset day")
    series = db.session.scalar(select(Series))
    assert (first.cancelled, series.status) == (3, "active")  # 10 June is still booked
    last = create_blackout(admin, date(2026, 6, 10), None, "Sports day")
    assert cancel_bookings_during(admin, last, "Sports day").cancelled == 1

    db.session.expire_all()
    assert db.session.scalar(select(Series.status)) == "cancelled"
    ended = db.session.scalars(select(Event).where(Event.type == "series.cancelled")).all()
    assert [e.data["id"] for e in ended] == [created.json["id"]]


def test_covered_bookings_lists_the_first_ones_and_counts_them_all(school):
    blackout = inset_day(school)

    covered = covered_bookings(blackout, shown=2)

    assert [r.purpose for r in covered.shown] == ["Registration", "Titration"]
    assert (covered.total, covered.begun, covered.cancellable) == (
        3, frozenset({school["begun"].id}), 2,
    )  # fmt: skip
