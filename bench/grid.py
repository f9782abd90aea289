"""Server time to render the availability grid for 50 facilities on the demo database, its
compressed size, and its time to first render in Chromium.

Run: ``python -m bench.grid [--requests N] [--loads N]``. It builds a throwaway SQLite
database with the demo school, adds facilities up to 50 (with bookings), signs in as the
demo teacher and times full-page and htmx requests for one school day, in process, so the
figures are the server's own time (routing, queries, template, the rules deciding every
free cell for the viewer) without network or browser. Then it prints the page's size as
sent and compressed (gzip; brotli when the ``brotli`` module is installed), and, with
``--loads`` above 0, opens the grid in Debian's Chromium against a live server on the same
database: first contentful paint and the moment the grid's table is visible.
"""

import argparse
import gzip
import logging
import re
import statistics
import tempfile
import threading
import time
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

import flask_migrate
from sqlalchemy import event
from werkzeug.serving import make_server

from roomloop import create_app
from roomloop.booking.schedule import school_now
from roomloop.demo import seed
from roomloop.extensions import db
from roomloop.models import Facility, HeldSlot, Reservation

FACILITIES = 50
FCP = "p => p.name === 'first-contentful-paint'"


def build_school(app):
    with app.app_context():
        flask_migrate.upgrade()
        seed()
        facilities = Facility.query.all()
        teachers = [r.account for r in Reservation.query.limit(40)]
        day = next_school_day()
        for n in range(len(facilities), FACILITIES):
            extra = Facility(
                code=f"bench-{n}",
                name=f"Bench Room {n}",
                type="classroom",
                building="Bench Hall",
                capacity=30,
                amenities=["projector"],
            )
            db.session.add(extra)
            db.session.flush()
            for slot in range(1, 9, 2):  # every other period booked
                teacher = teachers[(n + slot) % len(teachers)]
                db.session.add(
                    Reservation(
                        facility=extra,
                        account=teacher,
                        date=day,
                        start_slot=slot,
                        end_slot=slot,
                        purpose="Bench",
                        status="confirmed",
                        rules={},
                        held_slots=[
                            HeldSlot(
                                facility_id=extra.id, account_id=teacher.id, date=day, slot=slot
                            )
                        ],
                    )
                )
        db.session.commit()
        return day


def next_school_day():
    day = school_now().date() + timedelta(days=1)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day


def sign_in(client):
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    teacher = re.search(r'name="account_id" value="([^"]+)"', page.split("Ada Park")[0][-900:])
    response = client.post("/login/dev", data={"csrf_token": token, "account_id": teacher.group(1)})
    assert response.status_code == 302, "dev login failed"


class Timings(list):
    """Request times in ms, with ``cpu``: the process's CPU time for each."""

    cpu = ()


def time_requests(client, url, count, headers=None):
    """Each request's time (ms) by the clock, and the CPU time the process spent on it,
    which a machine busy with other work disturbs far less."""
    timings, cpu = Timings(), []
    for _ in range(count):
        started, cpu_started = time.perf_counter(), time.process_time()
        response = client.get(url, headers=headers or {})
        timings.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - cpu_started) * 1000)
        assert response.status_code == 200
    timings.cpu = cpu
    return timings


def report(name, timings, queries):
    ordered = sorted(timings)
    p95 = ordered[max(0, round(len(ordered) * 0.95) - 1)]
    cpu = sorted(timings.cpu)
    print(
        f"{name:<22} median {statistics.median(ordered):6.1f} ms   p95 {p95:6.1f} ms   "
        f"max {ordered[-1]:6.1f} ms   {queries} SQL queries per render   CPU median "
        f"{statistics.median(cpu):5.1f} ms, p95 {cpu[max(0, round(len(cpu) * 0.95) - 1)]:5.1f} ms"
    )


def report_size(client, url):
    """The grid page's size as the server sends it, and compressed: the server's own
    encoding when it compresses, else gzip (and brotli) of the HTML at their usual levels."""
    response = client.get(url, headers={"Accept-Encoding": "gzip, br"})
    body = response.get_data()
    sent = response.headers.get("Content-Encoding")
    if sent:
        print(
            f"grid page              {len(body) / 1024:6.1f} kB sent, {sent}-encoded by the server"
        )
        html = client.get(url, headers={"Accept-Encoding": "identity"}).get_data()
    else:
        html = body
    figures = [
        f"{len(html) / 1024:6.1f} kB HTML",
        f"gzip {len(gzip.compress(html, 6)) / 1024:.1f} kB",
    ]
    try:
        import brotli  # optional: installed with a compressing server
    except ImportError:
        figures.append("brotli: module not installed")
    else:
        figures.append(f"brotli {len(brotli.compress(html, quality=4)) / 1024:.1f} kB")
    print(f"grid page              {'   '.join(figures)}")


def first_render(app, url, loads):
    """Median first contentful paint and grid-visible time of ``loads`` loads of ``url`` in
    Chromium, signed in as the demo teacher, against a live server of ``app``."""
    from playwright.sync_api import sync_playwright

    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # a line per request
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{server.server_port}"
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path="/usr/bin/chromium", args=["--no-sandbox", "--disable-gpu"]
            )
            page = browser.new_page(viewport={"width": 1280, "height": 800})
            page.goto(f"{base}/login")
            page.get_by_role("button", name=re.compile("Ada Park")).click()
            page.wait_for_load_state("load")
            paints, visible = [], []
            for _ in range(loads):
                page.goto(base + url, wait_until="commit")
                page.locator("table.grid").wait_for(state="visible")
                visible.append(page.evaluate("performance.now()"))
                page.wait_for_load_state("load")
                page.wait_for_function(f"performance.getEntriesByType('paint').some({FCP})")
                paints.append(
                    page.evaluate(f"performance.getEntriesByType('paint').find({FCP}).startTime")
                )
            browser.close()
    finally:
        server.shutdown()
    print(
        f"Chromium, {loads} loads    first contentful paint median "
        f"{statistics.median(paints):6.1f} ms   grid visible by median "
        f"{statistics.median(visible):6.1f} ms (from navigation start)"
    )


@contextmanager
def demo_school():
    """A throwaway SQLite database with the demo school grown to 50 rooms, and a test
    client signed in as its teacher: yields ``(app, client, day)``, ``day`` a school day."""
    with tempfile.TemporaryDirectory() as tmp:
        app = create_app(
            {
                "SQLALCHEMY_DATABASE_URI": f"sqlite:///{Path(tmp) / 'bench.db'}",
                "DEV_LOGIN": True,
                "SECRET_KEY": "bench",
                "LOG_LEVEL": "WARNING",  # one line per request would drown the figures
            }
        )
        day = build_school(app)
        client = app.test_client()
        sign_in(client)
        yield app, client, day


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=50)
    parser.add_argument("--loads", type=int, default=10, help="Chromium page loads (0: none)")
    args = parser.parse_args()
    with demo_school() as (app, client, day):
        url = f"/?date={day.isoformat()}"
        with app.app_context():
            rows = Facility.query.count()
            queries = []
            event.listen(db.engine, "before_cursor_execute", lambda *a: queries.append(1))
            time_requests(client, url, 3)  # warm-up: templates compiled, caches filled
            queries.clear()
            time_requests(client, url, 1)
            per_render = len(queries)
        print(
            f"Grid for {rows} facilities × 8 periods on {day} (SQLite, in process, "
            f"{args.requests} requests each)"
        )
        report("full page", time_requests(client, url, args.requests), per_render)
        report(
            "htmx fragment",
            time_requests(client, url, args.requests, {"HX-Request": "true"}),
            per_render,
        )
        page = client.get(url).get_data(as_text=True)
        print(
            f"viewer's cells         {page.count('cell cell-refused')} free cells refused to the "
            f"viewer (with a reason), {page.count('free. Book it')} bookable"
        )
        report_size(client, url)
        if args.loads:
            first_render(app, url, args.loads)


if __name__ == "__main__":
    main()
