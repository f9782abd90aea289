"""Time and memory of importing a timetable of 1,000 lines from CSV.

Run: ``python -m bench.import_timetable [--lines N] [--database-url URL] [--profile]``. It
builds a throwaway database (SQLite in a temporary folder, or a schema of its own in the
PostgreSQL that ``--database-url`` names), a school of 50 facilities and 100 teachers, and a
good timetable: each line books one room for one teacher on one weekday, two periods, for
twelve weeks from next Monday, and no two lines clash (room, or teacher at one time). A
school-wide blackout day in the sixth week makes some dates skipped (R-07). The file goes
through ``POST /v1/series/bulk`` in the test client, as an API client sends it: first with
``dry_run=true`` (the check a preview does), then for real (the check again, and the
writing). Each is timed; then both run again on a fresh database under ``tracemalloc`` for
the peak of Python allocations (tracing slows them and costs memory of its own).
``ru_maxrss``, the process's peak resident size, is read before the first import and after
the timed ones. ``--profile`` prints where the import's time goes (cProfile), instead.
The last line printed is one JSON object with the figures.
"""

import argparse
import cProfile
import io
import json
import pstats
import resource
import sys
import time
import tracemalloc
from datetime import date, timedelta

import flask_migrate
from sqlalchemy import func, select

from roomloop import create_app
from roomloop.auth.tokens import create_api_key
from roomloop.booking.timetable import COLUMNS
from roomloop.extensions import db
from roomloop.models import Account, BlackoutDate, Event, Facility, HeldSlot, Reservation, Series
from roomloop.people.accounts import upsert_admin

from .reports import bench_database

FACILITIES, TEACHERS, WEEKS = 50, 100, 12
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri")
BLOCKS = 4  # periods 1-2, 3-4, 5-6, 7-8


def generate_csv(lines, first_monday):
    """A good timetable: line ``i`` takes room ``i % 50`` on one weekday in one block of two
    periods, so that no two lines share a room's period; the 50 lines of one weekday and
    block have 50 different teachers."""
    until = first_monday + timedelta(weeks=WEEKS, days=-1)
    rows = [",".join(COLUMNS)]
    for i in range(lines):
        group = i // FACILITIES
        weekday = WEEKDAYS[group % len(WEEKDAYS)]
        start = 1 + 2 * (group // len(WEEKDAYS) % BLOCKS)
        teacher = (i % FACILITIES + group) % TEACHERS
        rows.append(
            f"room-{i % FACILITIES:02d},teacher{teacher:03d}@school.example,{weekday},,"
            f"{start},{start + 1},{first_monday},{until},Class {i:04d}"
        )
    return ("\n".join(rows) + "\n").encode()


def build_school(first_monday):
    db.session.add_all(
        Facility(code=f"room-{n:02d}", name=f"Room {n:02d}", type="classroom", building="Main",
                 capacity=30, amenities=[], status="active")
        for n in range(FACILITIES)
    )  # fmt: skip
    db.session.add_all(
        Account(email=f"teacher{n:03d}@school.example", name=f"Teacher {n:03d}",
                department="Science", role="teacher", status="active")
        for n in range(TEACHERS)
    )  # fmt: skip
    half_term = first_monday + timedelta(weeks=5, days=2)
    db.session.add(BlackoutDate(start_date=half_term, end_date=half_term, reason="Half term"))
    db.session.commit()
    admin, _ = upsert_admin("admin@school.example", "Bench Admin")
    _, key = create_api_key(admin, label="bench")
    return {"Authorization": f"Bearer {key}"}


def post(client, headers, data, dry_run):
    response = client.post(
        "/v1/series/bulk" + ("?dry_run=true" if dry_run else ""),
        data={"file": (io.BytesIO(data), "timetable.csv")},
        headers=headers,
    )
    if response.status_code != 200:
        sys.exit(f"The import answered {response.status_code}: {response.get_data(as_text=True)}")
    return response.get_json()


def max_rss_mb():
    # ru_maxrss is in KiB on Linux and in bytes on macOS.
    maxrss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return maxrss / 1e6 if sys.platform == "darwin" else maxrss * 1024 / 1e6


def run(lines, url, traced=False, profile=None):
    """Check, then import, into a fresh database; return the figures."""
    first_monday = date.today() - timedelta(days=date.today().weekday()) + timedelta(weeks=1)
    data = generate_csv(lines, first_monday)
    figures = {"lines": lines, "bytes": len(data)}
    with bench_database(url) as database_url:
        app = create_app(
            {
                "SQLALCHEMY_DATABASE_URI": database_url,
                "SECRET_KEY": "bench",
                "TESTING": True,
                "WEBHOOK_SENDER": "process",  # no sender thread: there are no endpoints
            }
        )
        with app.app_context():
            flask_migrate.upgrade()
            headers = build_school(first_monday)
            db.session.remove()
            client = app.test_client()
            figures["rss_before_mb"] = max_rss_mb()
            for name, dry_run in (("check", True), ("import", False)):
                if traced:
                    tracemalloc.start()
                if profile is not None and not dry_run:
                    profile.enable()
                started = time.perf_counter()
                summary = post(client, headers, data, dry_run)
                figures[f"{name}_s"] = round(time.perf_counter() - started, 3)
                if profile is not None:
                    profile.disable()
                if traced:
                    figures[f"{name}_peak_mb"] = round(tracemalloc.get_traced_memory()[1] / 1e6, 1)
                    tracemalloc.stop()
            figures |= {k: summary[k] for k in ("series", "dates_booked", "dates_skipped")}
            figures["stored"] = {
                model.__tablename__: db.session.scalar(select(func.count()).select_from(model))
                for model in (Series, Reservation, HeldSlot, Event)
            }
            figures["database"] = db.engine.dialect.name
            db.session.remove()
            db.engine.dispose()
    return figures


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=1_000)
    parser.add_argument("--database-url", help="PostgreSQL to run on (a schema of its own)")
    parser.add_argument("--profile", action="store_true", help="cProfile the import instead")
    args = parser.parse_args()
    if args.profile:
        profile = cProfile.Profile()
        run(args.lines, args.database_url, profile=profile)
        pstats.Stats(profile).sort_stats("cumulative").print_stats(35)
        return
    timed = run(args.lines, args.database_url)
    timed["rss_after_mb"] = max_rss_mb()
    traced = run(args.lines, args.database_url, traced=True)
    figures = timed | {k: traced[k] for k in ("check_peak_mb", "import_peak_mb")}
    print(
        f"Timetable of {figures['lines']:,} lines ({figures['bytes'] / 1e3:.0f} kB of CSV), "
        f"{figures['database']}, through POST /v1/series/bulk in process"
    )
    print(
        f"check (dry run)  {figures['check_s']:6.2f} s   peak Python memory "
        f"{figures['check_peak_mb']:6.1f} MB"
    )
    print(
        f"import           {figures['import_s']:6.2f} s   peak Python memory "
        f"{figures['import_peak_mb']:6.1f} MB   ({figures['series']:,} series, "
        f"{figures['dates_booked']:,} dates booked, {figures['dates_skipped']:,} skipped)"
    )
    print(f"stored: {', '.join(f'{n:,} {t}' for t, n in figures['stored'].items())}")
    print(
        f"process peak resident size (ru_maxrss): {figures['rss_after_mb']:.0f} MB after the "
        f"imports, {figures['rss_before_mb']:.0f} MB before them"
    )
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
