"""Booking throughput, availability and grid latency of RoomLoop under gunicorn, against
the bare stack's ceiling, on a district-sized database.

Run: ``python -m bench [--quick]``. SQLite (a fresh file) by default; PostgreSQL when
``ROOMLOOP_BENCH_DATABASE_URL`` names one (a schema of its own, dropped afterwards); Redis
keeps the rate limits when ``ROOMLOOP_BENCH_REDIS_URL`` is set (else memory).

1. Seeds 200 facilities, 2,000 accounts and 1,000,000 reservations (50,000 with
   ``--quick``) with their held slots, from the past to beyond today's booking window, in
   bulk (``bench.booking_seed``), and API keys for 320 teachers.
2. Runs RoomLoop under ``gunicorn -c gunicorn.conf.py`` (its defaults for the database:
   2 x cores + 1 workers, sync ones of one thread on SQLite, gthread ones of four threads on
   PostgreSQL; dev login on for the grid, webhooks left to a sender process that is not
   started, rate limit out of reach) and, beside it, the ceiling: ``bench.ceiling`` (Flask
   + SQLAlchemy, one INSERT per request) under the same gunicorn settings.
3. 32 clients book (``bench.booking_plan``: about 10% must get 409), a fifth of the plan
   at a time, each fifth sent to the ceiling (the same bodies, a row each, repeated so
   that its round lasts about as long as RoomLoop's) and to RoomLoop, each first in turn,
   so that both meet the machine's changes of speed alike. Then 32 clients
   book weekly series of 15 dates (``bench.series_plan``), and one client alone a few
   more (``series_1``). Then 8 clients read
   availability (``GET /v1/facilities/:id/availability``) and 8 signed-in browsers' worth
   of grid pages (``GET /?date=``), as fast as they are answered; then the same reads at a
   steady rate (``*_paced``: 50 and 10 per second, an open loop, for the latency at a busy
   time); then one client alone reads some of each again (``availability_1``, ``grid_1``:
   the server's time without queueing).
   Then, on the same server, the reports (``bench.booking_reports``): the XLSX export of
   every seeded reservation (first byte, rows per second) and the usage report of the last
   term and year of them, 20 calls each.
4. Checks the database for double bookings, then prints a table and, on its last line, one
   JSON object with every figure.

The client, both servers and the database share the machine, so each figure includes
their contention, and that of any other work running on the machine meanwhile.
"""

import argparse
import json
import os
import random
import re
import runpy
import time
import uuid
from datetime import timedelta

import requests
from sqlalchemy import create_engine, make_url

from . import ceiling
from .booking_plan import booking_calls, make_plan, read_school
from .booking_report import machine, print_report, summary
from .booking_reports import cpu_seconds, measure_reports
from .booking_seed import (
    BOOKING_WINDOW_DAYS,
    build,
    check_integrity,
    create_teacher_keys,
    row_counts,
    today,
)
from .load import Call, Result, run_load, run_paced
from .report_server import REPO_ROOT, Server
from .reports import bench_database
from .series_plan import give_the_school_a_long_term, series_calls

SIZES = {
    "quick": {
        "rows": 50_000,
        "bookings": 1_500,
        "availability": 1_000,
        "grid": 120,
        "series": 160,
    },
    "full": {
        "rows": 1_000_000,
        "bookings": 5_000,
        "availability": 3_000,
        "grid": 500,
        "series": 320,
    },
}
TEACHERS_WITH_KEYS = 320
BOOKING_CLIENTS = 32
READ_CLIENTS = 8
SOLO_CALLS = 100
SOLO_SERIES = 20
# Reads sent at a steady rate, about a third of what the server answers at saturation, for
# the latency at a busy but not overloaded time.
PACED_RATES = {"availability": 50, "grid": 10}  # requests per second
PACED_SECONDS = 20
WARMUP_BOOKINGS = 64
BOOKING_ROUNDS = 5  # bookings and ceiling alternate, a fifth of the plan at a time
RATE_LIMIT = "100000000/minute"  # out of reach: the benchmark measures work, not refusals
GUNICORN_CONFIG = REPO_ROOT / "gunicorn.conf.py"


def server(database_url, workers, threads, **options):
    return Server(
        database_url,
        threads=threads,
        rate_limit=RATE_LIMIT,
        workers=workers,
        config=GUNICORN_CONFIG,
        **options,
    )


def app_env(redis_url):
    return {
        "ROOMLOOP_ENV": "development",  # for the dev login that signs the grid's browsers in
        "ROOMLOOP_DEV_LOGIN": "1",
        "ROOMLOOP_WEBHOOK_SENDER": "process",
        "ROOMLOOP_LOG_LEVEL": "WARNING",
        "ROOMLOOP_RATELIMIT_STORAGE_URI": redis_url or "memory://",
        "ROOMLOOP_RATELIMIT_KEY_PREFIX": f"roomloop-bench-{uuid.uuid4().hex[:12]}",
    }


def measure_bookings(up, database_url, workers, threads, plan):
    """Bookings on RoomLoop (``up``) and the same requests on the ceiling, in alternating
    rounds.

    The machine's speed drifts from minute to minute (other work on the host): measured one
    after the other, RoomLoop and the ceiling could each catch a fast or a slow spell, and
    the ratio swung by half between runs. In rounds, both see the same spells. The ceiling
    answers several times faster, so each of its rounds sends the bodies as many times over
    as the previous pair's ratio says, to last about as long as RoomLoop's round: a spell
    of a second then weighs on both alike instead of on the ceiling's short round alone.
    Pairs alternate which side goes first, so a steady drift favours neither.
    """
    warmup, measured = plan
    ceiling.create_table(database_url)
    try:
        env = {"BENCH_CEILING_DATABASE_URL": database_url}
        with server(database_url, workers, threads, app="bench.ceiling:app", env=env) as bare:
            results = {"warmup": run_load(up.url, warmup, BOOKING_CLIENTS)}
            warm = run_load(bare.url, ceiling_rows(warmup), BOOKING_CLIENTS)
            repeat = ceiling_repeat(results["warmup"].rps / warm.rps)
            rounds, cpu = [], {"booking": [0.0, 0], "ceiling": [0.0, 0]}
            size = -(-len(measured) // BOOKING_ROUNDS)
            for n, start in enumerate(range(0, len(measured), size)):
                bookings = measured[start : start + size]
                bare_calls = ceiling_rows(bookings) * repeat
                if n % 2:  # RoomLoop first in every other pair
                    booking = timed_load(up, bookings, cpu, "booking")
                    bare_round = timed_load(bare, bare_calls, cpu, "ceiling")
                else:
                    bare_round = timed_load(bare, bare_calls, cpu, "ceiling")
                    booking = timed_load(up, bookings, cpu, "booking")
                rounds.append((bare_round, booking))
                repeat = ceiling_repeat(booking.rps / bare_round.rps)
    finally:
        ceiling.drop_table(database_url)
    results["ceiling"] = Result.combined([bare_round for bare_round, _ in rounds])
    results["booking"] = Result.combined([booking for _, booking in rounds])
    results["round_ratios"] = [booking.rps / bare_round.rps for bare_round, booking in rounds]
    results["server_cpu_ms"] = {side: s * 1000 / n for side, (s, n) in cpu.items()}
    return results


def timed_load(server, calls, cpu, side):
    """``run_load`` on ``server``, adding its workers' CPU seconds and the requests to
    ``cpu[side]``: the work per request, which follows the machine's load far less than the
    wall clock does."""
    pids = server.worker_pids
    before = cpu_seconds(pids)
    result = run_load(server.url, calls, BOOKING_CLIENTS)
    cpu[side][0] += cpu_seconds(pids) - before
    cpu[side][1] += len(calls)
    return result


def ceiling_repeat(ratio):
    """How many times over the ceiling's round sends the bodies, for a RoomLoop / ceiling
    speed ``ratio``: about as long as RoomLoop's round, from once to eight times."""
    return max(1, min(8, round(1 / ratio))) if ratio > 0 else 8


def ceiling_rows(bookings):
    """The ceiling's requests for ``bookings``: the same bodies, one row each."""
    return [Call("POST", "/rows", c.json, c.headers, 201) for c in bookings]


def configured_shape(database_url):
    """The workers and threads gunicorn.conf.py gives this database, read as gunicorn reads
    them (its defaults depend on the database)."""
    keep = os.environ.get("ROOMLOOP_DATABASE_URL")
    os.environ["ROOMLOOP_DATABASE_URL"] = database_url
    try:
        config = runpy.run_path(str(GUNICORN_CONFIG))
    finally:
        if keep is None:
            os.environ.pop("ROOMLOOP_DATABASE_URL")
        else:
            os.environ["ROOMLOOP_DATABASE_URL"] = keep
    return config["workers"], config["threads"]


def sign_in(base_url, account_public_id):
    """Sign a browser in with the dev login form; return its Cookie header."""
    with requests.Session() as browser:
        page = browser.get(f"{base_url}/login", timeout=60).text
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
        answer = browser.post(
            f"{base_url}/login/dev",
            data={"csrf_token": token, "account_id": account_public_id},
            allow_redirects=False,
            timeout=60,
        )
        if answer.status_code != 302:
            raise RuntimeError(f"dev login answered {answer.status_code}")
        return "; ".join(f"{c.name}={c.value}" for c in browser.cookies)


def read_days(seeded, school, rng, count):
    """Half in the booking window, half anywhere in the seeded history: school weekdays."""
    span = (seeded.last_day - seeded.first_day).days
    days = []
    while len(days) < count:
        if len(days) % 2:
            days.append(rng.choice(school.days))
            continue
        day = seeded.first_day + timedelta(days=rng.randrange(span + 1))
        if day.weekday() < 5:
            days.append(day)
    return days


def availability_calls(days, school, keys, rng):
    codes, tokens = sorted(school.codes.values()), list(keys.values())
    return [
        Call(
            "GET",
            f"/v1/facilities/{rng.choice(codes)}/availability?date={day.isoformat()}",
            headers={"Authorization": f"Bearer {tokens[n % len(tokens)]}"},
        )
        for n, day in enumerate(days)
    ]


def grid_calls(days, cookies):
    """The grid of each day, for one signed-in browser after another."""
    return [
        Call("GET", f"/?date={day.isoformat()}", headers={"Cookie": cookies[n % len(cookies)]})
        for n, day in enumerate(days)
    ]


def measure_app(database_url, workers, threads, redis_url, plan, reads, series, seeded):
    """Bookings (against the ceiling), series, availability and grid reads, then the
    reports (an XLSX of every seeded reservation, usage of a term and a year), on one
    RoomLoop server."""
    availability, grid_days, teachers = reads
    with server(database_url, workers, threads, env=app_env(redis_url)) as up:
        results = measure_bookings(up, database_url, workers, threads, plan)
        # Series under the booking phase's load (as many clients), then one client alone.
        results["series"] = run_load(up.url, series[SOLO_SERIES:], BOOKING_CLIENTS)
        results["series_1"] = run_load(up.url, series[:SOLO_SERIES], 1)
        grid = grid_calls(grid_days, [sign_in(up.url, public_id) for public_id in teachers])
        run_load(up.url, availability[:50] + grid[:16], READ_CLIENTS)  # warm-up
        results["availability"] = run_load(up.url, availability, READ_CLIENTS)
        results["grid"] = run_load(up.url, grid, READ_CLIENTS)
        for name, calls in (("availability", availability), ("grid", grid)):
            rate = PACED_RATES[name]
            paced = calls[: int(rate * PACED_SECONDS)]
            results[f"{name}_paced"] = run_paced(up.url, paced, rate)
        # One client alone: the server's own time per request, without queueing.
        results["availability_1"] = run_load(up.url, availability[:SOLO_CALLS], 1)
        results["grid_1"] = run_load(up.url, grid[: SOLO_CALLS // 4], 1)
        results["reports"] = measure_reports(up, database_url, seeded)
        up.output.seek(0)
        log = up.output.read().decode(errors="replace")
        results["server_tracebacks"] = log.count("Traceback")
        # The first one in full, and the lines that say where the others ended.
        first = log.find("Traceback")
        results["server_log_excerpt"] = log[first : first + 3000] if first >= 0 else ""
    return results


def run(args, database_url):
    started = time.perf_counter()
    sizes = dict(SIZES["quick" if args.quick else "full"])
    sizes.update({k: v for k, v in (("rows", args.rows), ("bookings", args.bookings)) if v})
    info = machine()
    kind = make_url(database_url).get_backend_name()
    print(f"Seeding {sizes['rows']:,} reservations on {kind} ...", flush=True)
    seeded = build(database_url, sizes["rows"])
    keys = create_teacher_keys(database_url, TEACHERS_WITH_KEYS)
    engine = create_engine(database_url)
    seeded_counts = row_counts(engine)
    tomorrow = today() + timedelta(days=1)
    school = read_school(engine, tomorrow, today() + timedelta(days=BOOKING_WINDOW_DAYS))
    warmup, measured = make_plan(school, sorted(keys), sizes["bookings"], WARMUP_BOOKINGS)
    plan = (booking_calls(warmup, keys), booking_calls(measured, keys))
    rng = random.Random(7)
    days = read_days(seeded, school, rng, sizes["availability"])
    availability = availability_calls(days, school, keys, rng)
    grid_days = read_days(seeded, school, rng, sizes["grid"])
    teachers = [f"usr_{n:010x}" for n in sorted(keys)[:READ_CLIENTS]]  # report_seed's ids
    give_the_school_a_long_term(engine, today())
    series = series_calls(school, keys, sizes["series"] + SOLO_SERIES)
    print(f"Seeded in {seeded.seconds:.1f} s; measuring ...", flush=True)
    workers, threads = configured_shape(database_url)
    workers, threads = args.workers or workers, args.threads or threads
    reads = (availability, grid_days, teachers)
    results = measure_app(
        database_url, workers, threads, args.redis_url, plan, reads, series, seeded
    )
    print("Checking the database ...", flush=True)
    checks = check_integrity(engine, seeded.reservations)
    counts = row_counts(engine)
    engine.dispose()
    info["load_average_after"] = os.getloadavg()[0]
    return summary(
        mode="quick" if args.quick else "full",
        database=kind,
        redis=bool(args.redis_url),
        sizes=sizes,
        seeded=seeded,
        seeded_counts=seeded_counts,
        counts=counts,
        results=results,
        checks=checks,
        machine=info,
        gunicorn={"workers": workers, "threads": threads, "config": GUNICORN_CONFIG.name},
        clients={"booking": BOOKING_CLIENTS, "reads": READ_CLIENTS},
        total_seconds=time.perf_counter() - started,
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="50,000 reservations, < 5 min")
    parser.add_argument("--rows", type=int, help="reservations to seed (overrides the mode)")
    parser.add_argument("--bookings", type=int, help="bookings to measure (overrides the mode)")
    parser.add_argument("--workers", type=int, help="gunicorn workers (gunicorn.conf.py's default)")
    parser.add_argument("--threads", type=int, help="threads per worker (ditto)")
    args = parser.parse_args()
    args.database_url = os.environ.get("ROOMLOOP_BENCH_DATABASE_URL") or None
    args.redis_url = os.environ.get("ROOMLOOP_BENCH_REDIS_URL") or None
    with bench_database(args.database_url) as database_url:
        figures = run(args, database_url)
    print_report(figures)
    print(json.dumps(figures, default=str, separators=(",", ":")))


if __name__ == "__main__":
    main()
