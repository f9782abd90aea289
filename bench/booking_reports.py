"""The reports phase of the booking benchmark: on the same server, after the reads, one
XLSX export of every seeded reservation and the usage report of a term and of a year, over
real HTTP with an admin's ``reports:read`` key made by the CLI.

Beside each time, the CPU time the server's workers spent (from ``/proc``, the workers being
otherwise idle then): on a machine shared with other work the wall-clock figures follow its
load, the CPU time much less.
"""

import os
import time
from datetime import timedelta
from pathlib import Path

import requests
from sqlalchemy import create_engine

from .report_seed import count_between
from .report_server import create_reports_key, percentiles, timed_calls

USAGE_CALLS = 20
TERM_DAYS, YEAR_DAYS = 92, 365


def measure_reports(server, database_url, seeded):
    """First byte and rows per second of the XLSX of the seeded range; the usage report's
    median and p95 for the last term and the last year of it; the server's CPU time."""
    key = create_reports_key(database_url)
    first, last = seeded.first_day, seeded.last_day
    engine = create_engine(database_url)
    try:
        return _measure(server, key, engine, first, last)
    finally:
        engine.dispose()


def _measure(server, key, engine, first, last):
    rows = count_between(engine, first, last)
    figures = {}
    with requests.Session() as session:
        session.headers["Authorization"] = f"Bearer {key}"
        url = f"{server.url}/v1/reports/export.xlsx"
        cpu = cpu_seconds(server.worker_pids)
        first_byte, seconds, size = streamed(session, url, {"from": first, "to": last})
        cpu = cpu_seconds(server.worker_pids) - cpu
        figures["xlsx"] = {
            "rows": rows,
            "first_byte_ms": first_byte * 1000,
            "seconds": seconds,
            "rows_per_s": rows / seconds,
            "server_cpu_s": cpu,
            "rows_per_cpu_s": rows / cpu if cpu else None,
            "size_mb": size / 1e6,
        }
        for name, days in (("term", TERM_DAYS), ("year", YEAR_DAYS)):
            params = {"from": last - timedelta(days=days - 1), "to": last}
            url = f"{server.url}/v1/reports/usage"
            session.get(url, params=params, timeout=600)  # warm-up, before the CPU count starts
            cpu = cpu_seconds(server.worker_pids)
            timings = timed_calls(session, url, params, USAGE_CALLS)
            cpu = cpu_seconds(server.worker_pids) - cpu
            median, p95 = percentiles(timings)
            figures[f"usage_{name}"] = {
                "days": days,
                "reservations": count_between(engine, params["from"], last),
                "p50_ms": median,
                "p95_ms": p95,
                # timed_calls makes one untimed call first: USAGE_CALLS + 1 in all
                "server_cpu_ms": cpu * 1000 / (USAGE_CALLS + 1),
            }
    return figures


def cpu_seconds(pids):
    """User and system CPU seconds used so far by the processes ``pids``."""
    total = 0
    for pid in pids:
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()  # from the state on: field 3 is fields[0]
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / os.sysconf("SC_CLK_TCK")


def streamed(session, url, params):
    """Seconds to the first byte of the body and to its end, and its size: read as it
    arrives, each piece as soon as the server sends it."""
    started = time.perf_counter()
    first_byte, size = None, 0
    with session.get(url, params=params, stream=True, timeout=(10, 600)) as response:
        if response.status_code != 200:
            raise RuntimeError(f"{url} answered {response.status_code}: {response.text[:500]}")
        for chunk in response.iter_content(chunk_size=None):
            if first_byte is None:
                first_byte = time.perf_counter() - started
            size += len(chunk)
    return first_byte or 0.0, time.perf_counter() - started, size
