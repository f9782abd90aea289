"""R-03 under real concurrency: many processes racing for one slot over HTTP."""

import threading
from collections import Counter

import pytest
import requests
from sqlalchemy import func, select

from roomloop.extensions import db
from roomloop.models import HeldSlot, Reservation

from conftest import school_day

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
    barrier = threading.Barrier(RACERS)
    responses = [None] * RACERS

    def book(i):
        barrier.wait()
        responses[i] = requests.post(url, json=body, headers=headers[i], timeout=60)

    threads = [threading.Thread(target=book, args=(i,)) for i in range(RACERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    statuses = Counter(r.status_code for r in responses)
    assert statuses == {201: 1, 409: RACERS - 1}, [
        r.text for r in responses if r.status_code not in (201, 409)
    ]
    assert all(r.json()["error"]["rule"] == "R-03" for r in responses if r.status_code == 409)
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(Reservation)) == 1
    assert db.session.scalar(select(func.count()).select_from(HeldSlot)) == 2
