"""Instructions per booking or per series, counted by callgrind: a figure the host's speed
does not move.

Run: ``python -m bench.instructions [--workload booking|series] [--requests N] [--rows N]
[--database-url URL]``. Needs valgrind (Debian's ``valgrind`` package).

The machines this project is measured on drift by a quarter in speed from one hour to the
next, which hides a change of a few per cent in every timed figure. Callgrind counts the
instructions the process executes instead, the same for the same code and data whatever
else the machine is doing; it does not count the kernel's work (a round trip's system
calls) nor the database server's, so a statement saved is worth more than its count here.

On the district of ``bench.booking_seed`` (SQLite in a temporary folder, or a schema of its
own in the PostgreSQL that ``--database-url`` names; ``ROOMLOOP_BENCH_REDIS_URL`` keeps the
rate limits in Redis), the booking benchmark's plan (or its series of 15 weekly dates) is
sent to the app in process, each request's WSGI environ built beforehand. A child process
runs the app under ``valgrind --tool=callgrind`` with counting off while it warms up and
uses every key once (a key's first use in a minute writes its last use: a transaction more,
measured apart by ``bench.booking_profile``), then counts the measured requests alone.
Compare two versions of the code by running this in each checkout.
"""

import argparse
import io
import json
import os
import pickle
import shutil
import subprocess
import sys
import tempfile
from collections import Counter
from datetime import timedelta

from sqlalchemy import create_engine
from werkzeug.test import EnvironBuilder

from .booking import TEACHERS_WITH_KEYS
from .booking_plan import booking_calls, make_plan, read_school
from .booking_seed import BOOKING_WINDOW_DAYS, build, create_teacher_keys, make_app, today
from .reports import bench_database
from .series_plan import give_the_school_a_long_term, series_calls

WARMUP = 40
CHILD = "ROOMLOOP_INSTRUCTIONS_PLAN"  # set in the child: the file holding its requests


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workload", choices=("booking", "series"), default="booking")
    parser.add_argument("--requests", type=int, default=100, help="measured requests")
    parser.add_argument("--rows", type=int, default=20_000, help="reservations seeded")
    parser.add_argument("--database-url", help="PostgreSQL to run on (a schema of its own)")
    args = parser.parse_args()
    if shutil.which("valgrind") is None or shutil.which("callgrind_control") is None:
        raise SystemExit("valgrind is needed: apt-get install valgrind")
    with bench_database(args.database_url) as url, tempfile.TemporaryDirectory() as tmp:
        plan = os.path.join(tmp, "plan.pickle")
        statuses = write_plan(url, args, plan)
        count, answered = count_instructions(plan, os.path.join(tmp, "callgrind.out"))
    database = "postgresql" if args.database_url else "sqlite"
    measured = sum(answered.values())
    print(
        f"{args.workload} on {database} ({args.rows:,} reservations seeded), in process: "
        f"{count / measured / 1e6:.3f} M instructions per request over {measured} requests "
        f"(answered {answered}; planned {dict(statuses)})"
    )


def write_plan(url, args, path):
    """Seed the district and write the requests (warm-up, every key once, measured) to
    ``path``; return the measured requests' planned statuses."""
    build(url, args.rows)
    keys = create_teacher_keys(url, TEACHERS_WITH_KEYS)
    engine = create_engine(url)
    tomorrow, last = today() + timedelta(days=1), today() + timedelta(days=BOOKING_WINDOW_DAYS)
    school = read_school(engine, tomorrow, last)
    if args.workload == "series":
        give_the_school_a_long_term(engine, today())
        calls = series_calls(school, keys, WARMUP + args.requests)
        warmup, measured = calls[:WARMUP], calls[WARMUP:]
    else:
        warmup, measured = make_plan(school, sorted(keys), args.requests, WARMUP)
        warmup, measured = booking_calls(warmup, keys), booking_calls(measured, keys)
    engine.dispose()
    first_uses = [
        {"method": "GET", "path": "/v1/me", "headers": {"Authorization": f"Bearer {key}"}}
        for key in keys.values()
    ]
    requests = {
        "url": url,
        "warmup": [environ(c.method, c.path, c.json, c.headers) for c in warmup]
        + [environ(**call) for call in first_uses],
        "measured": [environ(c.method, c.path, c.json, c.headers) for c in measured],
    }
    with open(path, "wb") as file:
        pickle.dump(requests, file)
    return Counter(c.expect for c in measured)


def environ(method, path, json=None, headers=None):
    """A request's WSGI environ (without its streams) and body."""
    builder = EnvironBuilder(path=path, method=method, json=json, headers=headers)
    built = builder.get_environ()
    body = built.pop("wsgi.input").read()
    built.pop("wsgi.errors", None)
    builder.close()
    return built, body


def count_instructions(plan, out_file):
    """Run the child under callgrind; return the instructions counted and the measured
    requests' answers (status: count)."""
    command = [
        "valgrind",
        "--tool=callgrind",
        "--instr-atstart=no",
        f"--callgrind-out-file={out_file}",
        sys.executable,
        "-m",
        "bench.instructions",
    ]
    env = dict(os.environ, **{CHILD: plan})
    if os.environ.get("ROOMLOOP_BENCH_REDIS_URL"):
        env["ROOMLOOP_RATELIMIT_STORAGE_URI"] = os.environ["ROOMLOOP_BENCH_REDIS_URL"]
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    collected = [line for line in done.stderr.splitlines() if "Collected :" in line]
    if done.returncode or not collected:
        raise SystemExit(f"callgrind run failed:\n{done.stderr[-3000:]}")
    answered = json.loads(done.stdout.splitlines()[-1])
    return int(collected[-1].split()[-1]), {int(k): n for k, n in answered.items()}


def run_child(plan):
    """In the child: warm up uncounted, count the measured requests, print their answers."""
    with open(plan, "rb") as file:
        requests = pickle.load(file)
    app = make_app(requests["url"])
    app.config["RATE_LIMIT"] = "100000000/minute"  # measured: the work, not refusals
    for built, body in requests["warmup"]:
        if send(app, built, body) >= 500:
            raise SystemExit(f"warm-up request failed: {built['PATH_INFO']}")
    callgrind("on")
    answered = Counter(send(app, built, body) for built, body in requests["measured"])
    callgrind("off")
    print(json.dumps(answered))


def callgrind(state):
    """Switch counting on or off for this process (valgrind polls for the command)."""
    subprocess.run(
        ["callgrind_control", "-i", state, str(os.getpid())], check=True, capture_output=True
    )


def send(app, built, body):
    """One request through the app's WSGI callable, its answer read to the end."""
    status = []
    answer = app.wsgi_app(
        dict(built, **{"wsgi.input": io.BytesIO(body), "wsgi.errors": sys.stderr}),
        lambda line, _headers, _exc=None: status.append(line),
    )
    for _chunk in answer:
        pass
    getattr(answer, "close", lambda: None)()
    return int(status[0].split()[0])


if __name__ == "__main__":
    if os.environ.get(CHILD):
        run_child(os.environ[CHILD])
    else:
        main()
