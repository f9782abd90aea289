"""Releasing bookings nobody checked in, by several senders at once: each booking is
released exactly once, with one event, whether two threads or two processes race; and a
check-in racing the release: exactly one wins."""

import subprocess
import sys
import time
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import func, select

from roomloop.auth.permissions import Actor
from roomloop.booking import check_in, release_no_shows
from roomloop.errors import CheckInRefused
from roomloop.extensions import db
from roomloop.models import Event, Reservation

from conftest import REPO_ROOT, race

DAY = date(2026, 6, 10)
# Period 8 (16:00) plus 15 minutes has passed: every booking of the day is due.
EVENING = datetime(2026, 6, 10, 18, 0, tzinfo=UTC)

WORKER = """
import sys, time
from datetime import datetime
from roomloop import create_app
from roomloop.auth.permissions import Actor
from roomloop.booking import check_in, release_no_shows
from roomloop.errors import CheckInRefused

url, now, start = sys.argv[1], datetime.fromisoformat(sys.argv[2]), float(sys.argv[3])
app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "test-secret",
                  "TIMEZONE": "UTC", "WEBHOOK_SENDER": "process"})
with app.app_context():
    while time.time() < start:
        time.sleep(0.001)
    print(release_no_shows(now))
"""


@pytest.fixture
def hundred_due(create_account, create_facility, create_reservation):
    """100 confirmed bookings on one day of facilities that require check-in."""
    teacher = create_account()
    labs = [create_facility(check_in_required=True) for _ in range(13)]
    slots = [(lab, slot) for lab in labs for slot in range(1, 9)][:100]
    for lab, slot in slots:
        create_reservation(lab, teacher, DAY, start_slot=slot)
    db.session.commit()
    return len(slots)


def outcome():
    db.session.rollback()
    released = db.session.scalar(select(func.count()).where(Reservation.cancel_reason == "no_show"))
    events = db.session.scalars(select(Event).where(Event.type == "reservation.cancelled"))
    ids = [e.data["id"] for e in events]
    return released, len(ids), len(set(ids))


def test_two_threads_release_each_booking_once(app, hundred_due):
    def release(_):
        with app.app_context():
            return release_no_shows(EVENING)

    counts = race(release, 2)

    assert sum(counts) == hundred_due
    assert outcome() == (hundred_due, hundred_due, hundred_due)


def test_two_processes_release_each_booking_once(app, database_url, hundred_due):
    start = time.time() + 3  # both have imported the app by then
    workers = [
        subprocess.Popen(
            [sys.executable, "-c", WORKER, database_url, EVENING.isoformat(), str(start)],
            cwd=REPO_ROOT,
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    counts = [int(w.communicate(timeout=120)[0].strip().splitlines()[-1]) for w in workers]

    assert sum(counts) == hundred_due
    assert outcome() == (hundred_due, hundred_due, hundred_due)


def test_a_check_in_racing_the_release_either_wins_or_is_told_it_lost(
    app, create_account, create_facility, create_reservation
):
    """Ten rounds of a holder checking in at the last second while a sender releases: each
    time exactly one of them changes the booking, and the loser's answer says so."""
    teacher = create_account()
    last_second = datetime(2026, 6, 10, 10, 14, 59, tzinfo=UTC)
    release_time = datetime(2026, 6, 10, 10, 15, tzinfo=UTC)
    outcomes = []

    for _ in range(10):
        lab = create_facility(check_in_required=True)
        booking_id = create_reservation(lab, teacher, DAY, start_slot=2).id
        db.session.commit()

        def act(i, booking_id=booking_id):
            with app.app_context():
                if i == 1:
                    return ("released", release_no_shows(release_time))
                reservation = db.session.get(Reservation, booking_id)
                actor = Actor.for_account(reservation.account)
                try:
                    check_in(actor, reservation, now=last_second)
                    return ("checked_in", 1)
                except CheckInRefused as refusal:
                    return ("refused", refusal.reason)

        checked, released = race(act, 2)
        db.session.rollback()
        stored = db.session.get(Reservation, booking_id)
        if checked == ("checked_in", 1):
            assert released == ("released", 0)
            assert stored.status == "confirmed" and stored.checked_in_at is not None
        else:
            assert checked == ("refused", "released") and released == ("released", 1)
            assert stored.cancel_reason == "no_show" and stored.checked_in_at is None
        outcomes.append(checked[0])
    events = db.session.scalars(select(Event).where(Event.type == "reservation.cancelled"))
    assert len(events.all()) == outcomes.count("refused")
