"""Where the time of one booking goes: ``POST /v1/reservations`` in process, one at a time.

Run: ``python -m bench.booking_profile [--rows N] [--bookings N]``. On the district of
``bench.booking_seed`` (50,000 reservations by default; PostgreSQL when
``ROOMLOOP_BENCH_DATABASE_URL`` names one) it sends the booking benchmark's plan through the
test client:

1. timed, without a profiler: milliseconds (wall clock and the process's CPU time) per
   accepted booking (201) and per refusal (409), SQL statements per request by the code
   that issued them, the time spent inside transactions, and within them the time under
   SQLite's single write lock (from BEGIN IMMEDIATE to the commit);
2. under cProfile: the cumulative time per request of the steps of the booking path, and
   the functions with the most time of their own.
"""

import argparse
import cProfile
import os
import pstats
import random
import re
import statistics
import sys
import time
from collections import Counter
from datetime import timedelta

from sqlalchemy import create_engine, event, select

from roomloop.auth.sessions import start_browser_session
from roomloop.extensions import db
from roomloop.models import Account

from .booking import TEACHERS_WITH_KEYS, availability_calls
from .booking_plan import booking_calls, make_plan, read_school
from .booking_seed import BOOKING_WINDOW_DAYS, build, create_teacher_keys, make_app, today
from .load import Call
from .reports import bench_database

# Who issued a statement: the innermost of these functions on the stack (``suggestions``
# wins wherever it is: everything a refusal does to find alternatives counts there).
CALLERS = {
    "find_bearer": "token lookup (find_bearer)",
    "find_signed_in_account": "browser session lookup (find_signed_in_account)",
    "touch_token": "token last-used update",
    "configured": "facilities, settings, blackouts, endpoints: stamp (configured)",
    "_find": "facility lookup",
    "load_snapshot": "rules' held slots (load_snapshot)",
    "_holders": "refusal: holding reservations",
    "flush": "ORM writes (session flush)",
    "on_begin": "BEGIN",
    "_lock_account": "lock of the person's row (PostgreSQL)",
    "create_reservation": "INSERTs (create_reservation)",
    "create_reservation_endpoint": "other, in the endpoint",
}
# Steps of the booking path, for the profile table: (label, file fragment, function).
STEPS = [
    ("whole request (Flask full_dispatch_request)", "flask/app.py", "full_dispatch_request"),
    ("authenticate (before_request)", "roomloop/api/__init__.py", "authenticate"),
    ("  find_bearer: token lookup", "roomloop/auth/tokens.py", "find_bearer"),
    ("  touch_token: last-used update", "roomloop/auth/tokens.py", "touch_token"),
    ("rate limit check (incl. find_bearer, its key)", "flask_limiter/", "_check_request_limit"),
    ("parse_json (pydantic)", "roomloop/schemas.py", "parse_json"),
    ("facility lookup (_find)", "roomloop/api/reservations.py", "_find"),
    ("create_reservation", "roomloop/booking/operations.py", "create_reservation"),
    ("  evaluate: rules R-01..R-11", "roomloop/booking/rules.py", "evaluate"),
    (
        "    suggest_alternatives (409 only)",
        "roomloop/booking/availability.py",
        "suggest_alternatives",
    ),
    ("  configured (settings etc., all callers)", "roomloop/configured.py", "configured"),
    ("  session.flush: INSERTs", "sqlalchemy/orm/session.py", "flush"),
    ("  account_unchanged (in the write lock)", "roomloop/booking/rules.py", "account_unchanged"),
    ("  prepare_outbox: event, emails", "roomloop/outbox/events.py", "prepare_outbox"),
    ("  write_outbox: their INSERTs", "roomloop/outbox/events.py", "write_outbox"),
    ("  session.commit", "sqlalchemy/orm/session.py", "commit"),
    ("reservation_resource (all calls)", "roomloop/resources.py", "reservation_resource"),
    ("JSON response (Flask make_response)", "flask/app.py", "make_response"),
    ("after_request hooks", "flask/app.py", "process_response"),
]
READS = 100
STATEMENT = re.compile(r"^\s*(SELECT|INSERT INTO|UPDATE|DELETE FROM|BEGIN\w*)\s*(\w*)", re.I)


class SqlMeter:
    """Counts statements by caller and by verb and table, and times write transactions."""

    def __init__(self, engine):
        self.by_caller, self.by_statement = Counter(), Counter()
        self.statements, self.in_transaction, self._began = 0, 0.0, None
        self.in_write_lock, self._locked = 0.0, None  # from BEGIN IMMEDIATE to its end
        self.engine = engine
        self.listeners = [
            ("before_cursor_execute", self.on_statement),
            ("begin", self.on_begin),
            ("commit", self.on_end),
            ("rollback", self.on_end),
        ]
        for name, listener in self.listeners:
            event.listen(engine, name, listener)

    def remove(self):
        for name, listener in self.listeners:
            event.remove(self.engine, name, listener)

    def on_statement(self, _conn, _cursor, statement, *_args):
        self.statements += 1
        if statement.startswith("BEGIN IMMEDIATE"):
            self._locked = time.perf_counter()
        self.by_caller[caller()] += 1
        match = STATEMENT.match(statement)
        verb, table = (match.group(1).upper(), match.group(2)) if match else ("other", "")
        if verb == "SELECT":
            found = re.search(r"\bFROM\s+(\w+)", outer_query(statement))
            table = found.group(1) if found else ""
        self.by_statement[f"{verb} {table}".strip()] += 1

    def on_begin(self, _conn):
        self._began = time.perf_counter()

    def on_end(self, _conn):
        if self._began is not None:
            self.in_transaction += time.perf_counter() - self._began
            self._began = None
        if self._locked is not None:
            self.in_write_lock += time.perf_counter() - self._locked
            self._locked = None

    def reset(self):
        self.by_caller.clear()
        self.by_statement.clear()
        self.statements, self.in_transaction, self.in_write_lock = 0, 0.0, 0.0


def outer_query(statement):
    """``statement`` without its parenthesised parts: the FROM left is the outer query's
    (the token lookup's scalar subquery reads config_stamp before its FROM api_tokens)."""
    while True:
        shorter = re.sub(r"\([^()]*\)", "", statement)
        if shorter == statement:
            return statement
        statement = shorter


def caller():
    frame, found = sys._getframe(2), None
    while frame is not None:
        name = frame.f_code.co_name
        if name == "suggest_alternatives":
            return "suggestions (refusals only)"
        if found is None and name in CALLERS:
            found = CALLERS[name]
        frame = frame.f_back
    return found or "other"


def send(client, call):
    response = client.open(call.path, method=call.method, json=call.json, headers=call.headers)
    if response.status_code not in (call.expect, *call.accept):
        raise RuntimeError(f"{call.json} -> {response.status_code}: {response.get_data()[:300]}")
    return response.status_code


def timed_pass(client, meter, calls, label=None):
    """Per answer: [milliseconds], statements, transaction seconds, callers, statements.

    Answers are told apart by status and by whether the request also recorded its token's
    last use (the first use of a key in a minute commits an UPDATE of its own).
    """
    figures = {}
    for call in calls:
        meter.reset()
        started, cpu = time.perf_counter(), time.process_time()
        status = send(client, call)
        elapsed = (time.perf_counter() - started) * 1000
        cpu = (time.process_time() - cpu) * 1000
        answer = str(label or status)
        if "Authorization" in call.headers:
            touched = meter.by_statement["UPDATE api_tokens"] > 0
            answer += f", {'first' if touched else 'later'} use of its key in a minute"
        f = figures.setdefault(
            answer,
            {"ms": [], "cpu_ms": 0.0, "sql": 0, "tx_ms": 0.0, "lock_ms": 0.0}
            | {"callers": Counter(), "kinds": Counter()},
        )
        f["ms"].append(elapsed)
        f["cpu_ms"] += cpu
        f["sql"] += meter.statements
        f["tx_ms"] += meter.in_transaction * 1000
        f["lock_ms"] += meter.in_write_lock * 1000
        f["callers"].update(meter.by_caller)
        f["kinds"].update(meter.by_statement)
    return figures


def profiled_pass(client, calls):
    profiles = {}
    for call in calls:
        profile = profiles.setdefault(call.expect, [cProfile.Profile(), 0])
        profile[0].enable()
        send(client, call)
        profile[0].disable()
        profile[1] += 1
    return profiles


def print_timed(figures, database):
    print(f"\nIn process, one request at a time, on {database} (no profiler):")
    for status, f in sorted(figures.items()):
        n = len(f["ms"])
        print(
            f"  {status}: {n} requests, mean {statistics.mean(f['ms']):.1f} ms, median "
            f"{statistics.median(f['ms']):.1f} ms, CPU {f['cpu_ms'] / n:.2f} ms; "
            f"{f['sql'] / n:.1f} SQL statements per request; "
            f"{f['tx_ms'] / n:.1f} ms per request inside transactions, "
            f"{f['lock_ms'] / n:.2f} ms holding the write lock (BEGIN IMMEDIATE to its end)"
        )
        print("    statements per request, by the code that issued them:")
        for name, count in f["callers"].most_common():
            print(f"      {count / n:6.2f}  {name}")
        print("    statements per request, by kind:")
        for name, count in f["kinds"].most_common():
            print(f"      {count / n:6.2f}  {name}")


def print_profile(profile, count, status):
    stats = pstats.Stats(profile)
    total = 0.0
    rows = []
    for label, path, function in STEPS:
        cumulative, calls = 0.0, 0
        for (filename, _line, name), (_cc, nc, _tt, ct, _callers) in stats.stats.items():
            if name == function and path in filename:
                cumulative, calls = cumulative + ct, calls + nc
        rows.append((label, calls / count, cumulative * 1000 / count))
        if function == "full_dispatch_request":
            total = cumulative * 1000 / count
    print(f"\nUnder cProfile, {count} requests answered {status} (times inflated by the profiler):")
    print(f"  {'step':<46}{'calls/req':>10}{'ms/req':>9}{'share':>8}")
    for label, calls, ms in rows:
        share = f"{ms / total:.0%}" if total else ""
        print(f"  {label:<46}{calls:>10.1f}{ms:>9.2f}{share:>8}")
    print("  functions with the most time of their own (ms per request):")
    own = sorted(stats.stats.items(), key=lambda item: item[1][2], reverse=True)[:12]
    for (filename, line, name), (_cc, nc, tt, _ct, _callers) in own:
        where = "/".join(filename.split("/")[-2:])
        print(f"    {tt * 1000 / count:7.3f}  {nc / count:7.1f}x  {name} ({where}:{line})")


def reads(client, meter, school, keys):
    """Availability and the grid, in process, in the booking window."""
    rng = random.Random(3)
    days = [rng.choice(school.days) for _ in range(READS)]
    calls = availability_calls(days, school, keys, rng)
    grid = [Call("GET", f"/?date={day.isoformat()}") for day in days[: READS // 5]]
    with client.application.app_context():
        teacher = db.session.scalar(select(Account).where(Account.public_id == "usr_0000000001"))
        token = start_browser_session(teacher)
    with client.session_transaction() as session:  # signed in, as Flask-Login keeps it
        session["_user_id"], session["_fresh"] = token, True
    for call in calls[:10] + grid[:3]:  # warm-up
        send(client, call)
    figures = timed_pass(client, meter, calls, label="GET availability")
    figures.update(timed_pass(client, meter, grid, label="GET / (the grid)"))
    return figures


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=50_000)
    parser.add_argument("--bookings", type=int, default=400, help="per pass (two passes)")
    args = parser.parse_args()
    with bench_database(os.environ.get("ROOMLOOP_BENCH_DATABASE_URL") or None) as url:
        build(url, args.rows)
        keys = create_teacher_keys(url, TEACHERS_WITH_KEYS)
        engine = create_engine(url)
        school = read_school(
            engine, today() + timedelta(days=1), today() + timedelta(days=BOOKING_WINDOW_DAYS)
        )
        engine.dispose()
        warmup, plan = make_plan(school, sorted(keys), 2 * args.bookings, 30)
        warmup, plan = booking_calls(warmup, keys), booking_calls(plan, keys)
        app = make_app(url)
        app.config["RATE_LIMIT"] = "100000000/minute"
        client = app.test_client()
        with app.app_context():
            meter = SqlMeter(db.engine)
            database = db.engine.dialect.name
        for call in warmup:
            send(client, call)
        print_timed(timed_pass(client, meter, plan[: args.bookings]), database)
        print_timed(reads(client, meter, school, keys), database)
        meter.remove()
        profiles = profiled_pass(client, plan[args.bookings :])
        for status, (profile, count) in sorted(profiles.items()):
            print_profile(profile, count, status)
        with app.app_context():
            db.engine.dispose()


if __name__ == "__main__":
    main()
