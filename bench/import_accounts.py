"""Time and memory of importing 10,000 accounts from CSV.

Run: ``python -m bench.import_accounts [--accounts N]``. It builds a throwaway SQLite
database, generates a CSV of N teachers and imports it through ``import_accounts`` three
times: into the empty table (all created), the same file again (all unchanged) and with
every name changed (all updated). Each pass is timed, then run again on a fresh database
under ``tracemalloc`` for its peak of Python allocations (tracing slows it and costs memory
of its own, so the two are separate). ``ru_maxrss``, the process's peak resident size, is
read before the first import (the app, its libraries and the database) and after the timed
passes.
"""

import argparse
import resource
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

import flask_migrate

from roomloop import create_app
from roomloop.auth.permissions import Actor
from roomloop.extensions import db
from roomloop.people.accounts import upsert_admin
from roomloop.people.csv_import import import_accounts

DEPARTMENTS = ("Science", "Mathematics", "English", "History", "Arts", "Physical Education")


def generate_csv(count, suffix=""):
    lines = ["email,name,department,role"]
    for n in range(count):
        role = "approver" if n % 50 == 0 else "teacher"
        lines.append(
            f"teacher{n:05d}@school.example,Teacher {n:05d}{suffix},"
            f"{DEPARTMENTS[n % len(DEPARTMENTS)]},{role}"
        )
    return ("\n".join(lines) + "\n").encode()


def passes(count):
    first = generate_csv(count)
    return [
        ("created", first),
        ("unchanged", first),
        ("updated", generate_csv(count, suffix=" Jr")),
    ]


def max_rss_mb():
    # ru_maxrss is in KiB on Linux and in bytes on macOS.
    maxrss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return maxrss / 1e6 if sys.platform == "darwin" else maxrss * 1024 / 1e6


def run(count, traced):
    """Import every pass into a fresh database; return (name, seconds, peak bytes, result)."""
    figures = []
    with tempfile.TemporaryDirectory() as tmp:
        app = create_app(
            {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{Path(tmp) / 'bench.db'}", "SECRET_KEY": "b"}
        )
        with app.app_context():
            flask_migrate.upgrade()
            admin, _ = upsert_admin("admin@school.example", "Bench Admin")
            actor = Actor.for_account(admin)
            figures.append(("before", 0, None, max_rss_mb()))
            for name, data in passes(count):
                if traced:
                    tracemalloc.start()
                started = time.perf_counter()
                result = import_accounts(actor, data)
                seconds = time.perf_counter() - started
                peak = tracemalloc.get_traced_memory()[1] if traced else None
                tracemalloc.stop()
                figures.append((name, seconds, peak, result.summary()))
            db.engine.dispose()
    return figures


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, default=10_000)
    args = parser.parse_args()
    size = len(generate_csv(args.accounts))
    print(f"Import of {args.accounts:,} accounts ({size / 1e6:.2f} MB of CSV), SQLite, in process")
    (_, _, _, rss_before), *timed = run(args.accounts, traced=False)
    rss_after = max_rss_mb()
    _, *traced = run(args.accounts, traced=True)
    for (name, seconds, _, summary), (_, _, peak, _) in zip(timed, traced, strict=True):
        counts = ", ".join(f"{summary[k]:,} {k}" for k in ("created", "updated", "unchanged"))
        print(f"{name:<10} {seconds:6.2f} s   peak Python memory {peak / 1e6:6.1f} MB   ({counts})")
    print(
        f"process peak resident size (ru_maxrss): {rss_after:.0f} MB after the imports, "
        f"{rss_before:.0f} MB before them"
    )


if __name__ == "__main__":
    main()
