"""Server time to answer a personal calendar feed of 2,000 reservations.

Run: ``python -m bench.calendar_feed [--reservations N] [--requests N]``. It builds a
throwaway SQLite database (London time, so the feed carries a VTIMEZONE with its clock
changes) holding one teacher's year: eight periods a school day from 30 days ago, in 20
rooms, one booking in ten cancelled, the dates beyond the booking window booked as a series
(a feed reaches to its latest series' end). Then, in process through the test client, so
the figures are the server's own time (routing, queries, writing the feed) without the
network: the first request of a fresh app (cold: nothing kept yet), full answers
afterwards (warm), and polls that send the ETag back (304).
"""

import argparse
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import flask_migrate

from roomloop import create_app
from roomloop.auth.feed_tokens import feed_token
from roomloop.booking.schedule import school_now
from roomloop.extensions import db
from roomloop.models import Account, Facility, Reservation, Series

GOAL_MS = 300
PURPOSES = (
    "Year 9 Chemistry — titration, group 2",
    "Year 11 Physics; mock exam revision",
    "Sixth form: Débat en français",
    "Year 7 Science club, bring goggles",
)
CONFIG = {
    "SECRET_KEY": "bench-secret-key-for-a-throwaway-database",
    "TIMEZONE": "Europe/London",
    "WEBHOOK_SENDER": "process",
    "CALENDAR_RATE_LIMIT": "1000000/minute",
    "LOG_LEVEL": "WARNING",
}


def build_school(database_uri, count):
    """Store the rooms, the teacher and ``count`` reservations; return the teacher's id."""
    app = create_app({"SQLALCHEMY_DATABASE_URI": database_uri, **CONFIG})
    with app.app_context():
        flask_migrate.upgrade()
        rooms = [
            Facility(code=f"r{n}", name=f"Room {n}", type="classroom", building="Main Building")
            for n in range(20)
        ]
        teacher = Account(email="ada.park@school.example", name="Ada Park")
        db.session.add_all([*rooms, teacher])
        db.session.flush()
        today = school_now().date()
        window_end = today + timedelta(days=60)
        dates = school_days(today - timedelta(days=30), -(-count // 8))
        last = dates[-1]
        series = Series(
            facility_id=rooms[0].id,
            account_id=teacher.id,
            start_slot=1,
            end_slot=8,
            purpose=PURPOSES[0],
            weekdays=["mon", "tue", "wed", "thu", "fri"],
            first_date=window_end,
            until=last,
        )
        db.session.add(series)
        db.session.flush()
        stamp = datetime.now(UTC).replace(tzinfo=None)
        rows = [
            {
                "public_id": f"res_{n:010x}",
                "facility_id": rooms[n % len(rooms)].id,
                "account_id": teacher.id,
                "date": dates[n // 8],
                "start_slot": n % 8 + 1,
                "end_slot": n % 8 + 1,
                "purpose": PURPOSES[n % len(PURPOSES)],
                "status": "cancelled" if n % 10 == 9 else "confirmed",
                "rules": {},
                "series_id": series.id if dates[n // 8] > window_end else None,
                "revision": n % 3,
                "created_at": stamp,
                "updated_at": stamp,
            }
            for n in range(count)
        ]
        db.session.execute(Reservation.__table__.insert(), rows)
        db.session.commit()
        teacher_id = teacher.id
        db.engine.dispose()
    return teacher_id


def school_days(first, count):
    days, day = [], first
    while len(days) < count:
        if day.weekday() < 5:
            days.append(day)
        day += timedelta(days=1)
    return days


def timed(client, path, headers=None):
    """One request: its wall-clock and CPU milliseconds (CPU time is steadier on a machine
    that other work shares), and its response."""
    started, cpu = time.perf_counter(), time.process_time()
    response = client.get(path, headers=headers or {})
    return (time.perf_counter() - started) * 1000, (time.process_time() - cpu) * 1000, response


def p95(values):
    return statistics.quantiles(values, n=20)[18] if len(values) > 1 else values[0]


def summary(runs):
    wall, cpu = [run[0] for run in runs], [run[1] for run in runs]
    return (
        f"p50 {statistics.median(wall):6.1f} ms   p95 {p95(wall):6.1f} ms   "
        f"(CPU p50 {statistics.median(cpu):6.1f} ms)"
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reservations", type=int, default=2_000)
    parser.add_argument("--requests", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        database_uri = f"sqlite:///{Path(tmp) / 'bench.db'}"
        teacher_id = build_school(database_uri, args.reservations)
        app = create_app({"SQLALCHEMY_DATABASE_URI": database_uri, **CONFIG})  # nothing kept
        with app.app_context():
            path = f"/calendar/{feed_token(db.session.get(Account, teacher_id))}.ics"
            db.session.remove()
        client = app.test_client()
        cold = timed(client, path)
        first = cold[2]
        assert first.status_code == 200, first.status_code
        warm = [timed(client, path) for _ in range(args.requests)]
        etag = {"If-None-Match": first.headers["ETag"]}
        polls = [timed(client, path, etag) for _ in range(args.requests)]
        assert {response.status_code for _, _, response in polls} == {304}
        with app.app_context():
            db.engine.dispose()
    events = first.get_data().count(b"BEGIN:VEVENT")
    size = len(first.get_data())
    print(
        f"Personal feed of {events:,} reservations ({size / 1e6:.2f} MB), SQLite, in process, "
        f"{args.requests} requests each"
    )
    print(f"cold (first request)   {cold[0]:6.1f} ms   (CPU {cold[1]:.1f} ms)")
    print(f"warm (full answer)     {summary(warm)}")
    print(f"unchanged (304)        {summary(polls)}")
    verdict = "met" if p95([run[0] for run in warm]) < GOAL_MS else "missed"
    print(f"goal: a {events:,}-reservation feed under {GOAL_MS} ms at p95: {verdict}")


if __name__ == "__main__":
    main()
