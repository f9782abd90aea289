"""Throughput, server memory and latency of the reservation exports and the usage report.

Run: ``python -m bench.reports [--rows N] [--small N] [--database-url URL]``. It builds a
database with the migrations (a fresh SQLite file by default; on PostgreSQL, a schema of
its own that is dropped afterwards), bulk-loads a school of 200 facilities, 2,000 accounts
and N reservations (see ``bench.report_seed``), starts RoomLoop under gunicorn (one worker,
four threads) and, over real HTTP with an API key made by the CLI:

- downloads the CSV and XLSX exports of the range holding the first ``--small``
  reservations, then of all N, each on a freshly started server after a one-day warm-up
  export, while sampling the worker's resident size every 50 ms;
- times the usage report for one term and one year, 10 calls each;
- times the database's own command-line client dumping the same join as CSV
  (``sqlite3 -csv`` or ``psql \\copy``), the baseline for the CSV export.

A workbook not ready within ``--xlsx-timeout`` seconds (300) is given up: its memory is
the peak over that time, and its speed is estimated from the smaller workbook's.

Figures are printed beside their goals, then one JSON object on the last line. The client,
the server and the database share the machine, so every figure includes their contention.
"""

import argparse
import contextlib
import json
import os
import subprocess
import tempfile
import time
from datetime import timedelta
from pathlib import Path

import flask_migrate
import openpyxl
import requests
from sqlalchemy import create_engine, make_url, text

from roomloop import create_app
from roomloop.extensions import db
from roomloop.reporting.exports import XLSX_MAX_ROWS

from .report_seed import count_between, seed, tune_for_loading
from .report_server import (
    PeakMemory,
    Server,
    create_reports_key,
    download,
    memory_mb,
    percentiles,
    timed_calls,
)

SAME_MEMORY_MB = 30
BASELINE_SHARE = 1 / 3
USAGE_GOAL_MS = 1000
USAGE_CALLS = 10
BASELINE_SQL = (
    "SELECT r.public_id, f.code, f.name, f.building, a.public_id, a.name, a.email, "
    "a.department, r.date, r.start_slot, r.end_slot, r.status, r.purpose, r.attendees, "
    "r.created_at, r.updated_at FROM reservations r "
    "JOIN facilities f ON f.id = r.facility_id JOIN accounts a ON a.id = r.account_id "
    "WHERE r.date BETWEEN '{first}' AND '{last}' ORDER BY r.date, r.start_slot, r.id"
)


@contextlib.contextmanager
def bench_database(database_url):
    """Yield the URL of an empty database for the run, and clean up after it."""
    if database_url is None:
        with tempfile.TemporaryDirectory() as tmp:
            yield f"sqlite:///{Path(tmp) / 'reports.db'}"
        return
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        if url.database and Path(url.database).exists():
            raise SystemExit(f"{url.database} exists; name a new file, or leave the default.")
        yield database_url
        return
    schema = f"roomloop_bench_{os.getpid()}"
    admin = create_engine(url)
    with admin.begin() as conn:
        conn.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    try:
        yield url.update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(
            hide_password=False
        )
    finally:
        with admin.begin() as conn:
            conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


def build(database_url, rows, small):
    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "SECRET_KEY": "bench"})
    with app.app_context():
        flask_migrate.upgrade()
        db.engine.dispose()
    engine = create_engine(database_url)
    tune_for_loading(engine)
    seeded = seed(engine, rows, small)
    ranges = {
        "small": (seeded.first_day, seeded.small_last_day),
        "all": (seeded.first_day, seeded.last_day),
        "term": (seeded.last_day - timedelta(days=91), seeded.last_day),
        "year": (seeded.last_day - timedelta(days=364), seeded.last_day),
    }
    counts = {name: count_between(engine, *days) for name, days in ranges.items()}
    engine.dispose()  # on SQLite, the last connection to close folds the WAL back in
    return seeded, ranges, counts


def baseline(database_url, first, last):
    """Seconds the database's own client takes to write the export's join as CSV."""
    sql = BASELINE_SQL.format(first=first.isoformat(), last=last.isoformat())
    url = make_url(database_url)
    env = dict(os.environ)
    if url.get_backend_name() == "sqlite":
        command = ["sqlite3", "-csv", "-header", url.database, sql]
    else:
        env["PGOPTIONS"] = url.query["options"].replace("-c", "-c ", 1)
        libpq = url.set(drivername="postgresql", query={}).render_as_string(hide_password=False)
        copy = f"\\copy ({sql}) TO '/dev/null' WITH (FORMAT csv, HEADER)"
        command = ["psql", libpq, "-X", "-q", "-v", "ON_ERROR_STOP=1", "-c", copy]
    started = time.perf_counter()
    subprocess.run(command, stdout=subprocess.DEVNULL, env=env, check=True)
    return time.perf_counter() - started


def measure_export(database_url, key, fmt, days, rows, read_timeout):
    """Download one export from a fresh server; its speed and the worker's memory."""
    with Server(database_url) as server, requests.Session() as session:
        session.headers["Authorization"] = f"Bearer {key}"
        url = f"{server.url}/v1/reports/export.{fmt}"
        download(session, url, {"from": days[0], "to": days[0]}, 600)  # warm-up: one day
        pid = server.worker_pid
        idle = memory_mb(pid)
        params = {"from": days[0].isoformat(), "to": days[1].isoformat()}
        with PeakMemory(pid) as peak:
            try:
                got = download(session, url, params, read_timeout)
            except requests.Timeout:
                got = None
        figures = {"rows": rows, "idle_rss_mb": idle, "peak_rss_mb": peak.peak}
        figures["peak_growth_mb"] = peak.peak - idle
        figures["vm_hwm_mb"] = memory_mb(pid, "VmHWM")
    if got is None:
        return {**figures, "timed_out_after_s": read_timeout}
    figures.update(
        seconds=got.seconds,
        first_byte_s=got.first_byte,
        size_mb=got.size / 1e6,
        rows_per_s=rows / got.seconds,
        mb_per_s=got.size / 1e6 / got.seconds,
    )
    if fmt == "csv" and got.lines - 1 != rows:
        figures["csv_lines_mismatch"] = got.lines - 1
    return figures


def measure_usage(database_url, key, ranges, counts):
    figures = {}
    with Server(database_url) as server, requests.Session() as session:
        session.headers["Authorization"] = f"Bearer {key}"
        for name in ("term", "year"):
            first, last = ranges[name]
            params = {"from": first.isoformat(), "to": last.isoformat()}
            timings = timed_calls(session, f"{server.url}/v1/reports/usage", params, USAGE_CALLS)
            median, p95 = percentiles(timings)
            figures[name] = {
                "days": (last - first).days + 1,
                "reservations": counts[name],
                "median_ms": median,
                "p95_ms": p95,
                "max_ms": max(timings),
            }
    return figures


def run(args, database_url):
    started = time.perf_counter()
    seeded, ranges, counts = build(database_url, args.rows, args.small)
    kind = make_url(database_url).get_backend_name()
    print(
        f"Seeded {seeded.reservations:,} reservations ({seeded.held_slots:,} held slots, "
        f"{seeded.first_day} to {seeded.last_day}) in {seeded.seconds:.1f} s",
        flush=True,
    )
    key = create_reports_key(database_url)
    figures = {
        "database": kind,
        "rows": args.rows,
        "small_rows": counts["small"],
        "seed_seconds": seeded.seconds,
        "held_slots": seeded.held_slots,
        "cpu_count": os.cpu_count(),
        "openpyxl_lxml": openpyxl.LXML,  # lxml installed: openpyxl writes through it
        "load_average_before": os.getloadavg()[0],
    }
    for size in ("small", "all"):
        seconds = baseline(database_url, *ranges[size])
        figures[f"baseline_{size}"] = {
            "rows": counts[size],
            "seconds": seconds,
            "rows_per_s": counts[size] / seconds,
        }
    for fmt in ("csv", "xlsx"):
        for size in ("small", "all"):
            if fmt == "xlsx" and counts[size] > XLSX_MAX_ROWS:
                figures[f"{fmt}_{size}"] = {"rows": counts[size], "skipped": "over a sheet"}
                continue
            timeout = args.xlsx_timeout if fmt == "xlsx" else 600
            figures[f"{fmt}_{size}"] = measure_export(
                database_url, key, fmt, ranges[size], counts[size], timeout
            )
            print(f"  {fmt} {size}: done", flush=True)
    figures["usage"] = measure_usage(database_url, key, ranges, counts)
    figures["load_average_after"] = os.getloadavg()[0]
    figures["total_seconds"] = time.perf_counter() - started
    figures["goals"] = goals(figures)
    return figures


def goals(figures):
    result = {}
    for fmt in ("csv", "xlsx"):
        small, full = figures[f"{fmt}_small"], figures[f"{fmt}_all"]
        if "peak_rss_mb" in small and "peak_rss_mb" in full:
            # For an unfinished workbook: the peak over the time it was given.
            result[f"{fmt}_peak_difference_mb"] = full["peak_rss_mb"] - small["peak_rss_mb"]
    csv_all = figures["csv_all"]
    result["csv_to_baseline"] = csv_all["rows_per_s"] / figures["baseline_all"]["rows_per_s"]
    result["usage_p95_ms"] = max(u["p95_ms"] for u in figures["usage"].values())
    return result


def print_report(figures):
    print()
    print(
        f"Reports on {figures['database']}, {figures['rows']:,} reservations; gunicorn 1 worker "
        f"x 4 threads; client, server and database on one machine of {figures['cpu_count']} "
        f"CPUs (load average {figures['load_average_before']:.1f} before, "
        f"{figures['load_average_after']:.1f} after: other work on it slows every figure); "
        f"openpyxl {'with' if figures['openpyxl_lxml'] else 'without'} lxml"
    )
    print()
    print(
        f"{'export':<17}{'rows':>11}{'seconds':>9}{'1st byte':>10}{'rows/s':>10}{'MB':>8}"
        f"{'MB/s':>7}{'idle RSS':>10}{'peak RSS':>10}{'growth':>8}"
    )
    for fmt in ("csv", "xlsx"):
        for size in ("small", "all"):
            print(export_line(f"{fmt.upper()} {size}", figures[f"{fmt}_{size}"]))
    client = "sqlite3 -csv" if figures["database"] == "sqlite" else "psql \\copy"
    for size in ("small", "all"):
        b = figures[f"baseline_{size}"]
        print(
            f"{client + ' ' + size:<17}{b['rows']:>11,}{b['seconds']:>9.2f}{'':>10}"
            f"{b['rows_per_s']:>10,.0f}"
        )
    print("(RSS in MB, of the gunicorn worker, each export on a freshly started server)")
    print()
    print(f"{'usage report':<17}{'days':>6}{'reservations':>14}{'median':>10}{'p95':>10}")
    for name, u in figures["usage"].items():
        print(
            f"{name:<17}{u['days']:>6}{u['reservations']:>14,}{u['median_ms']:>8.0f}ms"
            f"{u['p95_ms']:>8.0f}ms"
        )
    print()
    print_goals(figures)


def export_line(name, f):
    if "skipped" in f:
        return f"{name:<17}{f['rows']:>11,}  not measured: more rows than a sheet holds"
    if "timed_out_after_s" in f:
        return (
            f"{name:<17}{f['rows']:>11,}  no answer within {f['timed_out_after_s']:.0f} s"
            f"{'':>12}{f['idle_rss_mb']:>10.0f}{f['peak_rss_mb']:>10.0f}"
            f"{f['peak_growth_mb']:>+8.0f}"
        )
    line = (
        f"{name:<17}{f['rows']:>11,}{f['seconds']:>9.2f}{f['first_byte_s']:>9.2f}s"
        f"{f['rows_per_s']:>10,.0f}{f['size_mb']:>8.1f}{f['mb_per_s']:>7.1f}"
        f"{f['idle_rss_mb']:>10.0f}{f['peak_rss_mb']:>10.0f}{f['peak_growth_mb']:>+8.0f}"
    )
    if "csv_lines_mismatch" in f:
        line += f"  (body had {f['csv_lines_mismatch']:,} rows)"
    return line


def print_goals(figures):
    g = figures["goals"]
    small, rows = figures["small_rows"], figures["rows"]
    width = 64
    print(f"{'goal':<{width}}{'measured':<36}verdict")
    for fmt in ("csv", "xlsx"):
        label = f"{fmt.upper()}: peak RSS same at {small:,} and {rows:,} rows"
        label += f" (±{SAME_MEMORY_MB} MB)"
        small_f, full_f = figures[f"{fmt}_small"], figures[f"{fmt}_all"]
        key = f"{fmt}_peak_difference_mb"
        if key not in g:
            print(f"{label:<{width}}{'more rows than a sheet holds':<36}not measured")
            continue
        a, b = small_f["peak_rss_mb"], full_f["peak_rss_mb"]
        measured = f"{g[key]:+.1f} MB ({a:.0f} -> {b:.0f} MB)"
        met = verdict(abs(g[key]) <= SAME_MEMORY_MB)
        if "timed_out_after_s" in full_f:
            measured += " *"
            met += " so far"
        print(f"{label:<{width}}{measured:<36}{met}")
    ratio = g["csv_to_baseline"]
    rates = f"{ratio:.2f} ({figures['csv_all']['rows_per_s']:,.0f} vs "
    rates += f"{figures['baseline_all']['rows_per_s']:,.0f} rows/s)"
    label = "CSV rows/s at least 1/3 of the database's own client"
    print(f"{label:<{width}}{rates:<36}{verdict(ratio >= BASELINE_SHARE)}")
    for name, u in figures["usage"].items():
        label = f"usage report under 1 s, one {name} ({u['days']} days), p95"
        measured = f"{u['p95_ms']:,.0f} ms (median {u['median_ms']:,.0f} ms)"
        print(f"{label:<{width}}{measured:<36}{verdict(u['p95_ms'] < USAGE_GOAL_MS)}")
    full_f, small_f = figures["xlsx_all"], figures["xlsx_small"]
    if "timed_out_after_s" in full_f:
        seconds, rate = full_f["timed_out_after_s"], small_f.get("rows_per_s")
        print(
            f"* the XLSX of all {rows:,} rows was not ready after {seconds:.0f} s; its peak is "
            f"the highest over those {seconds:.0f} s."
        )
        if rate:
            print(
                f"  At the {small:,}-row workbook's {rate:,.0f} rows/s it would take about "
                f"{rows / rate:,.0f} s."
            )


def verdict(met):
    return "met" if met else "MISSED"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--small", type=int, default=100_000)
    parser.add_argument(
        "--database-url",
        help="SQLite (a new file) or PostgreSQL; default: a fresh SQLite file in a temp dir",
    )
    parser.add_argument(
        "--xlsx-timeout",
        type=float,
        default=300,
        help="seconds to wait for a workbook before giving up on it (default 300)",
    )
    args = parser.parse_args()
    args.small = min(args.small, args.rows)
    with bench_database(args.database_url) as database_url:
        figures = run(args, database_url)
    print_report(figures)
    print(json.dumps(rounded(figures), default=str, separators=(",", ":")))


def rounded(value):
    if isinstance(value, float):
        return round(value, 3)
    if isinstance(value, dict):
        return {key: rounded(item) for key, item in value.items()}
    return value


if __name__ == "__main__":
    main()
