"""The rules under real concurrency: many processes racing over HTTP for one slot (R-03),
and one teacher's bookings racing each other (R-10, R-06)."""

from collections import Counter

import pytest
import requests
from sqlalchemy import func, select

from roomloop.booking.settings import set_setting
from roomloop.extensions import db
from roomloop.models import ApiToken, HeldSlot, Reservation
from roomloop.sqlite import writing

from conftest import race, school_day

RACERS = 20


@pytest.mark.server
def test_twenty_concurrent_bookings_of_one_slot_give_one_success(
    start_server, create_account, create_facility, auth_headers
):
    """Twenty teachers booking the same slot at once through gunicorn: one 201, nineteen 409s."""
    create_facility(code="f1", name="STEM Lab Alpha")
    headers = [auth_headers(create_account()) for _ in range(RACERS)]
    url = start_server(workers=4, threads=4) + "/v1/reservations"
    body = {
        "facility_id": "f1",
        "date": school_day().isoformat(),
        "start_slot": 2,
        "end_slot": 3,
        "purpose": "Grade 10 Chemistry — titration lab",
    }
    responses = race(
        lambda i: requests.post(url, json=body, headers=headers[i], timeout=60), RACERS
    )

    statuses = Counter(r.status_code for r in responses)
    assert statuses == {201: 1, 409: RACERS - 1}, [
        r.text for r in responses if r.status_code not in (201, 409)
    ]
    assert all(r.json()["error"]["rule"] == "R-03" for r in responses if r.status_code == 409)
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(Reservation)) == 1
    assert db.session.scalar(select(func.count()).select_from(HeldSlot)) == 2


@pytest.mark.server
def test_concurrent_bookings_of_different_slots_all_succeed(
    start_server, create_account, create_facility, auth_headers
):
    """Twenty teachers booking twenty different slots at once, each with a key used for the
    first time: twenty 201s, and every key's last use recorded (no "database is locked")."""
    codes = [create_facility(code=f"f{n}", name=f"Room {n}").code for n in range(5)]
    accounts = [create_account() for _ in range(RACERS)]
    headers = [auth_headers(account) for account in accounts]
    url = start_server(workers=4, threads=4) + "/v1/reservations"
    bodies = [
        {
            "facility_id": codes[i % 5],
            "date": school_day().isoformat(),
            "start_slot": 1 + i // 5,
            "end_slot": 1 + i // 5,
            "purpose": "Revision",
        }
        for i in range(RACERS)
    ]
    responses = race(
        lambda i: requests.post(url, json=bodies[i], headers=headers[i], timeout=60), RACERS
    )

    assert [r.status_code for r in responses] == [201] * RACERS, [
        r.text for r in responses if r.status_code != 201
    ]
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(HeldSlot)) == RACERS
    used = db.session.scalars(select(ApiToken.last_used_at)).all()
    assert len(used) == RACERS and None not in used


def rules_of(responses):
    return Counter(r.json()["error"]["rule"] for r in responses if r.status_code == 422)


def one_teacher_races(url, headers, day, rooms_and_periods):
    """One teacher's single-period bookings, sent at once: ``[(facility code, period)]``."""
    return race(
        lambda i: requests.post(
            url,
            json={
                "facility_id": rooms_and_periods[i][0],
                "date": day.isoformat(),
                "start_slot": rooms_and_periods[i][1],
                "end_slot": rooms_and_periods[i][1],
                "purpose": "Revision",
            },
            headers=headers,
            timeout=60,
        ),
        racers=len(rooms_and_periods),
    )


@pytest.mark.server
def test_one_teacher_booking_twenty_rooms_at_once_gets_one(
    start_server, create_account, create_facility, auth_headers
):
    """One teacher asks for twenty rooms in the same period at once: one 201, and R-10
    refuses the nineteen others with a 422 (a teacher cannot be in two rooms at once)."""
    codes = [create_facility(code=f"f{n}", name=f"Room {n}").code for n in range(RACERS)]
    headers = auth_headers(create_account())
    url = start_server(workers=4, threads=4) + "/v1/reservations"
    responses = one_teacher_races(url, headers, school_day(), [(code, 4) for code in codes])

    assert Counter(r.status_code for r in responses) == {201: 1, 422: RACERS - 1}
    assert rules_of(responses) == {"R-10": RACERS - 1}
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(HeldSlot)) == 1


@pytest.mark.server
def test_one_teachers_bookings_at_once_stop_at_the_weekly_quota(
    start_server, create_account, create_facility, auth_headers
):
    """With a weekly quota of three periods, eight single-period bookings sent at once by
    one teacher (eight rooms, eight periods of one day): three 201s, five R-06 refusals."""
    with writing():
        set_setting("weekly_quota_slots", 3)
        db.session.commit()
    codes = [create_facility(code=f"f{n}", name=f"Room {n}").code for n in range(8)]
    headers = auth_headers(create_account())
    url = start_server(workers=4, threads=4) + "/v1/reservations"
    periods = list(zip(codes, range(1, 9), strict=True))
    responses = one_teacher_races(url, headers, school_day(), periods)

    assert Counter(r.status_code for r in responses) == {201: 3, 422: 5}
    assert rules_of(responses) == {"R-06": 5}
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(HeldSlot)) == 3
