"""Browser fixtures: Debian's Chromium once per session, a live RoomLoop and its school per test.

Chromium comes from Debian (``/usr/bin/chromium``), never from ``playwright install``. Each
test gets a fresh browser context, so no cookie or storage outlives it, and a server of its
own under gunicorn on the test database, started after the test's data is stored.
"""

import re
import time
from datetime import timedelta
from pathlib import Path

import pytest
from playwright.sync_api import expect, sync_playwright

from conftest import REPO_ROOT, launch_gunicorn, school_day

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREENSHOTS = REPO_ROOT / "test-artifacts" / "screenshots"
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
# How long an action or an expectation waits for the page: the same for both. CI runs two
# test processes, each with its Chromium and its server, on two cores, where Playwright's
# default of 5 s for an expectation has run out once before a swap showed (a failed test's
# report lists its pages' requests, to tell a slow answer from a missing one).
WAIT_MS = 10_000


def pytest_configure(config):
    config.addinivalue_line("markers", "browser: drives Chromium")


@pytest.fixture(scope="session")
def browser():
    """Launch Debian's Chromium once for the whole session; fail, never skip, without it."""
    if not CHROMIUM.exists():
        pytest.fail(
            f"The browser tests drive Debian's Chromium at {CHROMIUM}, which is missing: "
            "install it with `apt-get install chromium` (not `playwright install`).",
            pytrace=False,
        )
    expect.set_options(timeout=WAIT_MS)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        yield chromium
        chromium.close()


@pytest.fixture
def school(create_account, create_facility, create_reservation, auth_headers):
    """Store the facilities, Ada Park (who books) and Ben Ito, who holds period 2 of the lab."""
    day = school_day()
    lab = create_facility(
        code="f1",
        name="STEM Lab Alpha",
        building="Curie Science Building",
        amenities=["fume hood", "projector"],
        description="Gas taps and an eyewash station.",
    )
    create_facility(code="lab-beta", name="STEM Lab Beta", building="Curie Science Building")
    create_facility(
        code="auditorium",
        name="Main Auditorium",
        type="auditorium",
        building="Main Building",
        capacity=350,
        requires_approval=True,
    )
    create_facility(code="m101", name="Room 101", type="classroom", building="Main Building")
    ada = create_account(name="Ada Park", email="ada.park@school.example")
    ben = create_account(name="Ben Ito", email="ben.ito@school.example")
    create_reservation(lab, ben, day, start_slot=2, purpose="Year 10 electrolysis")
    return {"day": day, "lab": lab, "ada": ada, "ben": ben, "ben_headers": auth_headers(ben)}


@pytest.fixture(scope="package")
def browser_server(database_url):
    """Start RoomLoop with dev login on the test database, once for the browser tests.

    It keeps no state of its own between tests: each test's school is in the database. It
    stops when they are done: its webhook sender must not take other tests' deliveries.
    """
    process, url = launch_gunicorn(database_url, workers=2, threads=4, DEV_LOGIN=1)
    yield url
    process.terminate()
    process.wait(timeout=10)


@pytest.fixture
def server(school, browser_server):
    """The live RoomLoop, once this test's school is stored."""
    return browser_server


class PageLog:
    """What a page asked for and complained about while the test used it, and each request's
    outcome, which a failed test reports (a flake on a loaded machine needs the evidence)."""

    def __init__(self, page):
        self.console_errors = []
        self.outcomes = {}  # request -> (method, url, seconds from the start, outcome)
        self.started = time.time()
        page.on("request", self._asked)
        page.on("response", self._answered)
        page.on("requestfailed", lambda request: self._ended(request, request.failure))
        page.on(
            "console",
            lambda message: message.type == "error" and self.console_errors.append(message.text),
        )
        page.on("pageerror", lambda error: self.console_errors.append(str(error)))

    @property
    def requests(self):
        """Every address the page asked for, in order."""
        return [url for _, url, _, _ in self.outcomes.values()]

    def _asked(self, request):
        # Events reach this process only when the test calls Playwright: a request's time is
        # when the test heard of it until its answer brings the browser's own timing.
        self.outcomes[request] = (request.method, request.url, self._since(time.time()), "pending")

    def _answered(self, response):
        timing = response.request.timing
        outcome = f"{response.status} in {timing['responseStart'] / 1000:.2f} s"
        self._ended(response.request, outcome, self._since(timing["startTime"] / 1000))

    def _ended(self, request, outcome, at=None):
        method, url, heard, _ = self.outcomes.get(request, (request.method, request.url, 0, ""))
        self.outcomes[request] = (method, url, heard if at is None else at, outcome)

    def _since(self, moment):
        return moment - self.started

    def report(self):
        """The page's requests (static files left out) and its console errors, as text."""
        lines = [
            f"{at:7.2f} s  {method} {url}  {outcome}"
            for method, url, at, outcome in self.outcomes.values()
            if "/static/" not in url
        ]
        lines += [f"console: {error}" for error in self.console_errors]
        return "\n".join(lines) or "no requests"


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item):
    """Add what each of a failed test's pages asked for and how it was answered."""
    report = yield
    if report.when == "call" and report.failed:
        for number, page in enumerate(getattr(item, "opened_pages", ()), start=1):
            report.sections.append((f"page {number}: requests and console", page.log.report()))
    return report


@pytest.fixture
def open_page(request, browser, server):
    """Return a function that opens a page in a fresh context (JavaScript on unless told)."""
    contexts = []
    request.node.opened_pages = []

    def open_new(javascript=True):
        context = browser.new_context(
            base_url=server, viewport=DESKTOP, java_script_enabled=javascript
        )
        context.set_default_timeout(WAIT_MS)
        contexts.append(context)
        page = context.new_page()
        page.log = PageLog(page)
        request.node.opened_pages.append(page)
        return page

    yield open_new
    for context in contexts:
        context.close()


@pytest.fixture
def page(open_page):
    """Open a page with JavaScript on, in a fresh browser context."""
    return open_page()


# --- Helpers shared by the browser tests ---------------------------------------------------


def slot_label(period):
    """The bell schedule's label of a default period: period 3 is 11:00–11:50."""
    return f"{8 + period:02d}:00–{8 + period:02d}:50"


def cell_label(facility, period):
    return f"{facility}, period {period}, {slot_label(period)}"


def free_cell(page, facility, period):
    """The link of a free cell, found by its accessible name as a screen reader reads it."""
    return page.get_by_role("link", name=f"{cell_label(facility, period)}, free. Book it")


def weekday_from(day, step=1):
    """The weekday the grid's Day › (``step`` 1) or ‹ Day (-1) goes to: weekends are skipped."""
    day += timedelta(days=step)
    while day.weekday() >= 5:
        day += timedelta(days=step)
    return day


def grid_path(day):
    return f"/?date={day.isoformat()}"


def settled(page):
    """Wait until htmx has finished its swaps: it makes the controls of swapped-in content
    work only when it settles, a few milliseconds after they appear."""
    page.wait_for_function(
        "() => !document.querySelector('.htmx-request, .htmx-swapping, .htmx-settling')"
    )


def sign_in(page, name, path="/", role="teacher"):
    """Open ``path`` signed out, pick ``name`` on the dev sign-in page, land back on ``path``
    with its scripts run (htmx binds its links only then: a click before is a navigation)."""
    page.goto(path)
    expect(page).to_have_url(re.compile(r"/login\?next="))
    page.get_by_role("button", name=re.compile(name)).click()
    expect(page.get_by_text(f"{name} ({role})")).to_be_visible()
    page.wait_for_load_state("load")


def shoot(page, name):
    """Save full-page screenshots of what the page shows, at desktop and at phone width."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    viewport = page.viewport_size
    for size, label in ((DESKTOP, "desktop"), (PHONE, "phone")):
        page.set_viewport_size(size)
        # caret="initial": hiding the caret leaves style="" on inputs, which htmx's next
        # swap then re-applies, and the page's CSP (no inline styles) logs as an error.
        path = SCREENSHOTS / f"{name}-{label}.png"
        # The API reference is some 125,000 px tall at phone width: allow it time to paint.
        page.screenshot(path=path, full_page=True, caret="initial", timeout=30_000)
    page.set_viewport_size(viewport)


def assert_same_origin_and_quiet(page, base_url):
    """Every request went to RoomLoop itself, and the console logged no error."""
    elsewhere = [url for url in page.log.requests if not url.startswith(base_url + "/")]
    assert elsewhere == []
    assert page.log.console_errors == [], page.log.console_errors
