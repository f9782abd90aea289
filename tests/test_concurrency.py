"""R-03 under real concurrency: many processes racing for one slot over HTTP."""

import threading
from collections import Counter

import pytest
import requests
from sqlalchemy import func, select

from roomloop.extensions import db
from roomloop.models import ApiToken, HeldSlot, Reservation

from conftest import school_day

RACERS = 20


def race(call):
    """Run ``call(i)`` for i in 0..RACERS-1 from as many threads, released together; return
    the results in order."""
    barrier = threading.Barrier(RACERS)
    results = [None] * RACERS

    def run(i):
        barrier.wait()
        results[i] = call(i)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(RACERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


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
    responses = race(lambda i: requests.post(url, json=body, headers=headers[i], timeout=60))

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
    responses = race(lambda i: requests.post(url, json=bodies[i], headers=headers[i], timeout=60))

    assert [r.status_code for r in responses] == [201] * RACERS, [
        r.text for r in responses if r.status_code != 201
    ]
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(HeldSlot)) == RACERS
    used = db.session.scalars(select(ApiToken.last_used_at)).all()
    assert len(used) == RACERS and None not in used
