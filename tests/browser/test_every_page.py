"""Every page a teacher or an admin can open, in Chromium, at desktop and phone size, in the
light and the dark colour scheme: axe-core finds nothing serious, and at phone size no page is
wider than the screen. Then the two controls that fold away on a phone, the admin menu and the
grid's filters, are worked with the keyboard alone.

Set ``ROOMLOOP_SCREENSHOTS`` to a folder (docs/screenshots/after) to save a full-page JPEG of
each page, light scheme, at both sizes there as well (and the dark scheme's too with
``ROOMLOOP_SCREENSHOTS_DARK=1``).
"""

import os
import re
from datetime import date, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import expect

from roomloop.auth.permissions import Actor
from roomloop.auth.tokens import create_api_key
from roomloop.booking import create_display
from roomloop.extensions import db
from roomloop.models import Facility
from roomloop.outbox.webhooks import create_endpoint
from roomloop.sqlite import writing

from .accessibility import axe_violations
from .conftest import DESKTOP, PHONE, free_cell, grid_path, settled, sign_in

pytestmark = pytest.mark.browser

SIZES = {"desktop": {"width": 1280, "height": 800}, "phone": PHONE}
SCHEMES = ("light", "dark")
ACCOUNTS_CSV = "email,name,department,role\nann.lee@school.example,Ann Lee,Maths,teacher\n"
TIMETABLE_CSV = (
    "facility_id,user_email,weekdays,cycle_week,start_slot,end_slot,first_date,until,purpose\n"
    "lab-beta,ada.park@school.example,{weekday},,4,5,{day},{day},Year 9 Physics\n"
)


def open_booking_form(page, school):
    free_cell(page, "STEM Lab Alpha", 3).click()
    expect(page.get_by_role("heading", name="Book STEM Lab Alpha")).to_be_focused()


def open_the_filters(page, school):
    """On a phone, unfold the filters (on a desktop they show already)."""
    toggle = page.get_by_role("button", name=re.compile(r"^Filters \("))
    if toggle.is_visible():
        toggle.click()
    expect(page.get_by_label("Building")).to_be_visible()


def open_the_menu(page, school):
    """On a phone, unfold the main menu (on a desktop it shows already)."""
    toggle = page.get_by_role("button", name="Menu")
    if toggle.is_visible():
        toggle.click()
    expect(page.get_by_role("link", name="Webhooks")).to_be_visible()


def check_a_file(content):
    """Upload ``content`` as a CSV and check it: the import's preview table shows."""

    def upload(page, school):
        page.get_by_label("CSV file").set_input_files(
            {"name": "upload.csv", "mimeType": "text/csv", "buffer": content(school).encode()}
        )
        page.get_by_role("button", name="Check the file").click()
        expect(page.get_by_role("heading", name="Preview of upload.csv")).to_be_visible()

    return upload


def timetable(school):
    day = school["day"] + timedelta(days=7)
    return TIMETABLE_CSV.format(weekday=f"{day:%a}".lower(), day=day)


# name: (path, what to do once it shows). Paths are formatted with the sweep's school.
TEACHER_PAGES = {
    "grid": ("/?date={day}", None),
    "booking-form": ("/?date={day}", open_booking_form),
    "grid-filters": ("/?date={day}&type=lab", open_the_filters),
    "book-page": ("/book?facility_id=f1&date={day}&start_slot=3", None),
    "my-reservations": ("/my", None),
    "find-room": ("/find?date={day}&start_slot=3&end_slot=3", None),
    "week-view": ("/week?week={day}&start_slot=2&end_slot=3", None),
    "facility-week": ("/facilities/f1", None),
    "reservation": ("/reservations/{reservation}", None),
    "account": ("/account", None),
    "notifications": ("/account/notifications", None),
    "docs": ("/docs", None),
    "not-allowed": ("/admin/settings", None),  # the 403 page
    "not-found": ("/rooms/no-such-page", None),  # the 404 page
}
SIGNED_OUT_PAGES = {
    "sign-in": ("/login", None),
    "not-found-signed-out": ("/rooms/no-such-page", None),
}
ADMIN_PAGES = {
    "admin-approvals": ("/admin/approvals", None),
    "admin-reports": ("/admin/reports?from={month_ago}&to={today}", None),
    "admin-facilities": ("/admin/facilities", None),
    "admin-facility-new": ("/admin/facilities/new", None),
    "admin-facility-edit": ("/admin/facilities/f1/edit", None),
    "admin-displays": ("/admin/facilities/f1/displays", None),
    "admin-display-revoke": ("/admin/facilities/f1/displays/{display}/revoke", None),
    "admin-accounts": ("/admin/accounts", None),
    "admin-account-edit": ("/admin/accounts/{ada}/edit", None),
    "admin-accounts-import": ("/admin/accounts/import", check_a_file(lambda _: ACCOUNTS_CSV)),
    "admin-timetable-import": ("/admin/timetable/import", check_a_file(timetable)),
    "admin-settings": ("/admin/settings", None),
    "admin-api-keys": ("/admin/keys", None),
    "admin-webhooks": ("/admin/webhooks", None),
    "admin-webhook-deliveries": ("/admin/webhooks/{webhook}/deliveries", None),
    "admin-webhook-rotate": ("/admin/webhooks/{webhook}/rotate", None),
    "admin-webhook-delete": ("/admin/webhooks/{webhook}/delete", None),
    "admin-grid": ("/?date={day}", None),
    "admin-menu": ("/admin/settings", open_the_menu),
}


@pytest.fixture
def sweep(school, create_account, create_reservation):
    """Something on every page: Ada's bookings (one pending), last month's use, an admin with
    a key, a door display and a webhook."""
    day, lab, ada = school["day"], school["lab"], school["ada"]
    hall = db.session.scalar(db.select(Facility).where(Facility.code == "auditorium"))
    mine = create_reservation(lab, ada, day, start_slot=4, end_slot=5, purpose="Year 9 titration")
    create_reservation(hall, ada, day, start_slot=6, status="pending", purpose="Year 11 assembly")
    today = date.today()
    create_reservation(lab, ada, today - timedelta(days=3), start_slot=1, purpose="Revision")
    create_reservation(lab, school["ben"], today - timedelta(days=10), start_slot=5)
    admin = create_account(role="admin", name="Dee Okafor")
    with writing():  # as conftest.store(): the server under test writes meanwhile
        actor = Actor.for_account(admin)
        create_api_key(admin, label="Timetable sync")
        display, _ = create_display(actor, lab, "Front door")
        hook = create_endpoint(
            actor, "https://displays.school.example/hooks", ["reservation.created"], "Displays"
        )
        db.session.commit()
    found = {
        "day": day,
        "today": today,
        "month_ago": today - timedelta(days=29),
        "reservation": mine.public_id,
        "ada": ada.public_id,
        "display": display.public_id,
        "webhook": hook.public_id,
    }
    db.session.rollback()  # those reads began a transaction: it must not hold the database
    return found


# The outermost elements reaching past the screen's right edge: what makes a page too wide.
WIDEST = """() => [...document.querySelectorAll('body *')].filter(el =>
    el.getBoundingClientRect().right > innerWidth + 1 &&
    !el.parentElement.closest('.table-scroll, pre') &&
    el.parentElement.getBoundingClientRect().right <= innerWidth + 1
  ).slice(0, 3).map(el => el.tagName.toLowerCase() + '.' + el.className)"""


def page_problems(page, size, scheme):
    """What is wrong with the page as it shows now: serious axe findings, and at phone size a
    page wider than the screen."""
    problems = [
        (size, scheme, v["id"], [n["target"] for n in v["nodes"]][:5])
        for v in axe_violations(page)
        if v["impact"] in ("serious", "critical")
    ]
    width = page.evaluate("document.documentElement.scrollWidth")
    if width > page.viewport_size["width"]:
        problems.append((size, scheme, "wider than the screen", width, page.evaluate(WIDEST)))
    return problems


def screenshot(page, name, size):
    folder = os.environ.get("ROOMLOOP_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        path = Path(folder) / f"{name}-{size}.jpg"
        # The top of a very long page (the API docs, settings) is enough to see how it looks.
        height = min(page.evaluate("document.documentElement.scrollHeight"), 2000)
        clip = {"x": 0, "y": 0, "width": page.viewport_size["width"], "height": height}
        page.screenshot(
            path=path, full_page=True, clip=clip, type="jpeg", quality=30, caret="initial"
        )


def visit_everywhere(page, name, path, action, school):
    """Open the page at each size and scheme; return every problem found."""
    problems = []
    for size, viewport in SIZES.items():
        page.set_viewport_size(viewport)
        for scheme in SCHEMES:
            page.emulate_media(color_scheme=scheme)
            page.goto(path.format(**school))
            page.wait_for_load_state("load")
            if action:
                action(page, school)
                settled(page)
            if scheme == "light":
                screenshot(page, name, size)
            elif os.environ.get("ROOMLOOP_SCREENSHOTS_DARK"):
                screenshot(page, name, f"{size}-dark")
            problems += page_problems(page, size, scheme)
    return problems


@pytest.mark.parametrize("name", TEACHER_PAGES)
def test_teacher_page(name, page, server, sweep):
    path, action = TEACHER_PAGES[name]
    sign_in(page, "Ada Park")
    problems = visit_everywhere(page, name, path, action, sweep)
    assert not problems, "\n".join(map(str, problems))


@pytest.mark.parametrize("name", SIGNED_OUT_PAGES)
def test_signed_out_page(name, page, server, sweep):
    path, action = SIGNED_OUT_PAGES[name]
    problems = visit_everywhere(page, name, path, action, sweep)
    assert not problems, "\n".join(map(str, problems))


@pytest.mark.parametrize("name", ADMIN_PAGES)
def test_admin_page(name, page, server, sweep):
    path, action = ADMIN_PAGES[name]
    sign_in(page, "Dee Okafor", role="admin")
    problems = visit_everywhere(page, name, path, action, sweep)
    assert not problems, "\n".join(map(str, problems))


def test_admin_menu_opens_and_closes_by_keyboard(page, server, sweep):
    """On a phone the nine admin links fold into one Menu button, worked with Enter/Escape."""
    sign_in(page, "Dee Okafor", "/admin/settings", role="admin")
    page.set_viewport_size(PHONE)
    nav = page.get_by_role("navigation", name="Main")
    menu = nav.get_by_role("button", name="Menu")
    expect(menu).to_have_attribute("aria-expanded", "false")
    expect(nav.get_by_role("link", name="Webhooks")).to_be_hidden()

    menu.focus()
    page.keyboard.press("Enter")
    expect(menu).to_have_attribute("aria-expanded", "true")
    page.keyboard.press("Tab")
    expect(nav.get_by_role("link", name="Book a room")).to_be_focused()
    expect(nav.get_by_role("link", name="Webhooks")).to_be_visible()
    page.keyboard.press("Escape")
    expect(menu).to_have_attribute("aria-expanded", "false")
    expect(menu).to_be_focused()
    expect(nav.get_by_role("link", name="Webhooks")).to_be_hidden()

    page.keyboard.press("Space")
    expect(menu).to_have_attribute("aria-expanded", "true")
    nav.get_by_role("link", name="Webhooks").focus()
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile("/admin/webhooks$"))

    page.set_viewport_size(DESKTOP)  # wide enough: every link shows, no Menu button
    expect(nav.get_by_role("button", name="Menu")).to_be_hidden()
    expect(nav.get_by_role("link", name="Webhooks")).to_be_visible()


def test_grid_filters_fold_behind_one_button_on_a_phone(page, server, sweep):
    """On a phone the filters fold behind one button with the count of filters in use."""
    day = sweep["day"]
    sign_in(page, "Ada Park", grid_path(day) + "&type=lab&capacity=20")
    page.set_viewport_size(PHONE)
    toggle = page.get_by_role("button", name="Filters (2)")
    expect(toggle).to_have_attribute("aria-expanded", "false")
    expect(page.get_by_label("Building")).to_be_hidden()
    expect(page.get_by_label("Date")).to_be_visible()  # the day is not a filter: it stays

    toggle.focus()
    page.keyboard.press("Enter")
    expect(toggle).to_have_attribute("aria-expanded", "true")
    expect(page.get_by_label("Building")).to_be_visible()
    page.get_by_label("Type").select_option("")
    expect(page).to_have_url(re.compile(r"type=&"))
    expect(page.get_by_role("button", name="Filters (1)")).to_be_visible()
    page.keyboard.press("Escape")
    expect(page.get_by_role("button", name="Filters (1)")).to_be_focused()
    expect(page.get_by_label("Building")).to_be_hidden()

    page.set_viewport_size(DESKTOP)  # wide enough: the filters show, no button
    expect(page.get_by_label("Building")).to_be_visible()


def test_grid_filters_without_javascript_on_a_phone(open_page, server, sweep):
    """Without JavaScript there is no button to fold them: the filters show and work."""
    page = open_page(javascript=False)
    page.set_viewport_size(PHONE)
    sign_in(page, "Ada Park", grid_path(sweep["day"]))
    expect(page.get_by_role("button", name=re.compile("^Filters"))).to_be_hidden()
    page.get_by_label("Type").select_option("auditorium")
    page.get_by_role("button", name="Show").click()
    expect(page).to_have_url(re.compile(r"type=auditorium"))
    expect(page.get_by_role("rowheader", name=re.compile("Main Auditorium"))).to_be_visible()
    expect(page.get_by_role("rowheader", name=re.compile("STEM Lab Alpha"))).to_have_count(0)


def test_filters_button_still_works_on_a_page_restored_from_history(page, server, sweep):
    """Back to a day htmx restores from its history: the Filters button still unfolds them."""
    sign_in(page, "Ada Park", grid_path(sweep["day"]))
    page.set_viewport_size(PHONE)
    page.get_by_role("link", name="Day ›").click()
    expect(page).to_have_url(re.compile(r"date=" + str(sweep["day"] + timedelta(days=1))))
    settled(page)
    page.go_back()
    expect(page).to_have_url(re.compile(r"date=" + str(sweep["day"]) + "$"))
    page.get_by_role("button", name="Filters (0)").click()
    expect(page.get_by_label("Building")).to_be_visible()
