"""The booking benchmark's figures: gathered into one JSON-ready dict, and printed as a table
with the goals beside them (reported, never asserted)."""

import os
import platform
import statistics
from pathlib import Path

GOALS = {
    "booking_ratio": (">=", 0.25),
    "booking_ratio_median": (">=", 0.30),
    "availability_p95_ms": ("<", 15.0),
    "grid_p95_ms": ("<", 60.0),
    "availability_paced_p95_ms": ("<", 15.0),
    "grid_paced_p95_ms": ("<", 60.0),
    "series_p95_ms": ("<=", 150.0),
    "xlsx_first_byte_ms": ("<=", 1000.0),
    "xlsx_rows_per_s": (">=", 20_000.0),
    "usage_term_p95_ms": ("<=", 300.0),
    "usage_year_p95_ms": ("<=", 500.0),
    "double_bookings": ("==", 0),
    "server_errors": ("==", 0),
}
APP_PHASES = (
    "warmup",
    "booking",
    "series",
    "series_1",
    "availability",
    "grid",
    "availability_paced",
    "grid_paced",
    "availability_1",
    "grid_1",
)
PHASES = ("ceiling", *APP_PHASES)


def machine():
    """Cores, CPU model and load: the machine the figures were measured on."""
    model = "unknown"
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return {
        "cores": os.cpu_count(),
        "cpu_model": model,
        "python": platform.python_version(),
        "load_average_before": os.getloadavg()[0],
    }


def phase(result):
    return {
        "requests": result.calls,
        "seconds": result.seconds,
        "rps": result.rps,
        "p50_ms": result.percentile(50),
        "p95_ms": result.percentile(95),
        "p99_ms": result.percentile(99),
        "max_ms": max(result.latencies_ms, default=float("nan")),
        "statuses": {str(k): v for k, v in sorted(result.statuses.items())},
        "expected": {str(k): v for k, v in sorted(result.expected.items())},
        "unexpected": result.unexpected,
        "client_errors": result.client_errors,
        "server_errors": result.server_errors,
        "unexpected_samples": result.samples,
    }


def verdict(figures, name):
    return "met" if figures["goals"][name] else "MISSED"


def summary(*, results, checks, seeded, seeded_counts, counts, **context):
    phases = {name: phase(results[name]) for name in PHASES}
    booking = phases["booking"]
    reports = results["reports"]
    figures = {
        "mode": context["mode"],
        "database": context["database"],
        "rate_limit_storage": "redis" if context["redis"] else "memory",
        "booking_rps": booking["rps"],
        "ceiling_rps": phases["ceiling"]["rps"],
        "booking_ratio": booking["rps"] / phases["ceiling"]["rps"],
        "booking_ratio_rounds": results["round_ratios"],
        "booking_ratio_median": statistics.median(results["round_ratios"]),
        "booking_server_cpu_ms": results["server_cpu_ms"]["booking"],
        "ceiling_server_cpu_ms": results["server_cpu_ms"]["ceiling"],
        "booking_p50_ms": booking["p50_ms"],
        "booking_p95_ms": booking["p95_ms"],
        "series_p50_ms": phases["series"]["p50_ms"],
        "series_p95_ms": phases["series"]["p95_ms"],
        "series_1_client_p50_ms": phases["series_1"]["p50_ms"],
        "series_1_client_p95_ms": phases["series_1"]["p95_ms"],
        "availability_p50_ms": phases["availability"]["p50_ms"],
        "availability_p95_ms": phases["availability"]["p95_ms"],
        "availability_p99_ms": phases["availability"]["p99_ms"],
        "grid_p50_ms": phases["grid"]["p50_ms"],
        "grid_p95_ms": phases["grid"]["p95_ms"],
        "grid_p99_ms": phases["grid"]["p99_ms"],
        "availability_paced_rps": phases["availability_paced"]["rps"],
        "availability_paced_p95_ms": phases["availability_paced"]["p95_ms"],
        "grid_paced_rps": phases["grid_paced"]["rps"],
        "grid_paced_p95_ms": phases["grid_paced"]["p95_ms"],
        "availability_1_client_p50_ms": phases["availability_1"]["p50_ms"],
        "grid_1_client_p50_ms": phases["grid_1"]["p50_ms"],
        "xlsx_first_byte_ms": reports["xlsx"]["first_byte_ms"],
        "xlsx_rows_per_s": reports["xlsx"]["rows_per_s"],
        "xlsx_rows": reports["xlsx"]["rows"],
        "xlsx_seconds": reports["xlsx"]["seconds"],
        "usage_term_p95_ms": reports["usage_term"]["p95_ms"],
        "usage_year_p95_ms": reports["usage_year"]["p95_ms"],
        "xlsx_rows_per_cpu_s": reports["xlsx"]["rows_per_cpu_s"],
        "usage_term_cpu_ms": reports["usage_term"]["server_cpu_ms"],
        "usage_year_cpu_ms": reports["usage_year"]["server_cpu_ms"],
        "double_bookings": checks["double_bookings"],
        "teacher_double_bookings": checks["teacher_double_bookings"],
        "server_errors": sum(phases[name]["server_errors"] for name in APP_PHASES),
        "client_errors": sum(p["client_errors"] for p in phases.values()),
        "unexpected_statuses": sum(phases[name]["unexpected"] for name in APP_PHASES),
        "server_tracebacks": results["server_tracebacks"],
        "server_log_excerpt": results["server_log_excerpt"],
        "booking_statuses": booking["statuses"],
        "booking_expected": booking["expected"],
        "facilities": counts["facilities"],
        "accounts": counts["accounts"],
        "reservations_seeded": seeded.reservations,
        "held_slots_seeded": seeded.held_slots,
        "reservations": counts["reservations"],
        "held_slots": counts["held_slots"],
        "rows": {"seeded": seeded_counts, "after": counts},
        "seeded_days": [seeded.first_day.isoformat(), seeded.last_day.isoformat()],
        "seed_seconds": seeded.seconds,
        "checks": checks,
        "phases": phases,
        "reports": reports,
        "machine": context["machine"],
        "gunicorn": context["gunicorn"],
        "clients": context["clients"],
        "sizes": context["sizes"],
        "total_seconds": context["total_seconds"],
    }
    figures["goals"] = {name: met(figures[name], *goal) for name, goal in GOALS.items()}
    return rounded(figures)


def met(value, op, target):
    return {
        ">=": value >= target,
        "<": value < target,
        "<=": value <= target,
        "==": value == target,
    }[op]


def rounded(value):
    if isinstance(value, float):
        return round(value, 3)
    if isinstance(value, dict):
        return {key: rounded(item) for key, item in value.items()}
    if isinstance(value, list):
        return [rounded(item) for item in value]
    return value


def print_report(f):
    m, g = f["machine"], f["gunicorn"]
    print()
    print(
        f"Booking benchmark ({f['mode']}) on {f['database']}, rate limits in "
        f"{f['rate_limit_storage']}: {f['facilities']:,} facilities, {f['accounts']:,} "
        f"accounts, {f['reservations_seeded']:,} reservations seeded ({f['held_slots_seeded']:,} "
        f"held slots, {f['seeded_days'][0]} to {f['seeded_days'][1]}) in {f['seed_seconds']:.1f} s"
    )
    print(
        f"gunicorn -c {g['config']}: {g['workers']} workers x {g['threads']} threads; "
        f"client: aiohttp, {f['clients']['booking']} clients booking, {f['clients']['reads']} "
        f"reading; on {m['cores']} cores ({m['cpu_model']}), shared with any other work on the "
        f"machine: load average {m['load_average_before']:.1f} before, "
        f"{m['load_average_after']:.1f} after"
    )
    print()
    print(
        f"{'phase':<16}{'requests':>9}{'seconds':>9}{'req/s':>9}{'p50 ms':>9}{'p95 ms':>9}"
        f"{'p99 ms':>9}   statuses (expected)"
    )
    for name in PHASES:
        p = f["phases"][name]
        got = " ".join(f"{k}:{v}" for k, v in p["statuses"].items())
        expected = " ".join(f"{k}:{v}" for k, v in p["expected"].items())
        extra = f", {p['client_errors']} without answer" if p["client_errors"] else ""
        print(
            f"{name:<16}{p['requests']:>9,}{p['seconds']:>9.1f}{p['rps']:>9.1f}"
            f"{p['p50_ms']:>9.1f}{p['p95_ms']:>9.1f}{p['p99_ms']:>9.1f}   {got} ({expected}){extra}"
        )
    print(
        "(ceiling: Flask + SQLAlchemy, one INSERT per POST, same gunicorn and client, "
        "in rounds alternating with the bookings; "
        "*_paced: sent at a steady rate, timed from when each was due; *_1: one client alone)"
    )
    for name in APP_PHASES:
        for sample in f["phases"][name]["unexpected_samples"]:
            print(f"  unexpected in {name}: {sample}")
    r = f["reports"]
    x = r["xlsx"]
    print(
        f"Reports (one client, after the reads): XLSX of {x['rows']:,} reservations, first byte "
        f"after {x['first_byte_ms']:,.0f} ms, whole in {x['seconds']:.1f} s "
        f"({x['rows_per_s']:,.0f} rows/s, {x['size_mb']:.1f} MB; server CPU "
        f"{x['server_cpu_s']:.1f} s); usage report p50 / p95 (server CPU per call) of "
        + "; ".join(
            f"a {name} ({u['days']} days, {u['reservations']:,} reservations) "
            f"{u['p50_ms']:,.0f} / {u['p95_ms']:,.0f} ms ({u['server_cpu_ms']:,.0f} ms)"
            for name, u in (("term", r["usage_term"]), ("year", r["usage_year"]))
        )
    )
    print()
    c = f["checks"]
    created = sum(f["phases"][name]["statuses"].get("201", 0) for name in ("warmup", "booking"))
    print(
        f"Database after the run: {f['reservations']:,} reservations, {f['held_slots']:,} held "
        f"slots; {c['created_by_run']:,} reservations created by the run (201s: {created:,})"
    )
    print(
        f"  double bookings {c['double_bookings']} (shared held slots {c['double_held_slots']}, "
        f"overlapping reservations {c['overlapping_reservations']}); teacher in two rooms at "
        f"once (R-10) {c['teacher_double_bookings']}; reservations missing held slots "
        f"{c['reservations_missing_held_slots']}; stray held slots {c['stray_held_slots']}"
    )
    print(
        f"  5xx answers {f['server_errors']}, tracebacks in the server log "
        f"{f['server_tracebacks']}, answers other than planned {f['unexpected_statuses']}"
    )
    if f["server_log_excerpt"]:
        print("  the server's log, from its first traceback:")
        print("    " + f["server_log_excerpt"].replace("\n", "\n    "))
    print()
    print(f"{'goal':<40}{'measured':<48}verdict")
    for name, (op, target) in GOALS.items():
        value = f[name]
        measured = f"{value:,.3f}" if isinstance(value, float) else f"{value:,}"
        if name == "booking_ratio":
            measured += f" ({f['booking_rps']:,.0f} / {f['ceiling_rps']:,.0f} req/s)"
            rounds = f["booking_ratio_rounds"]
            measured += f", rounds {min(rounds):.2f}-{max(rounds):.2f}"
        elif name == "booking_ratio_median":
            measured += " (rounds " + " ".join(f"{n:.2f}" for n in f["booking_ratio_rounds"]) + ")"
            print(f"{name + ' ' + op + ' ' + str(target):<40}{measured:<48}{verdict(f, name)}")
            measured = (
                f"server CPU per request: {f['booking_server_cpu_ms']:.2f} ms a booking, "
                f"{f['ceiling_server_cpu_ms']:.2f} ms the ceiling's"
            )
            print(f"{'':<40}{measured}")
            continue
        elif name.endswith("_paced_p95_ms"):
            measured += f" (at {f[name.replace('p95_ms', 'rps')]:,.0f} req/s)"
        elif name in ("availability_p95_ms", "grid_p95_ms"):
            measured += f" ({f['clients']['reads']} clients)"
        elif name == "series_p95_ms":
            measured += (
                f" ({f['clients']['booking']} clients; one alone: p50 "
                f"{f['series_1_client_p50_ms']:,.0f}, p95 {f['series_1_client_p95_ms']:,.0f})"
            )
        print(f"{name + ' ' + op + ' ' + str(target):<40}{measured:<48}{verdict(f, name)}")
    print(f"(total {f['total_seconds']:.0f} s)")
