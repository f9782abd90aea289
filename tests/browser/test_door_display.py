"""The door display and check-in in Chromium, on the live server's real clock: the school's
day is set so that period 2 is under way now.

The display is shown landscape (1280×800) and portrait (800×1280), free, in use, offline
(its polls aborted) and back, and switched off once its token is revoked. A teacher checks
in from My reservations and from the page the display's QR code opens; an admin adds and
revokes a display on the Facilities page.
"""

import re
from datetime import UTC, datetime

import pytest
from playwright.sync_api import expect

from roomloop.auth.permissions import Actor
from roomloop.booking import create_display, revoke_display
from roomloop.booking.settings import set_setting
from roomloop.extensions import db
from roomloop.sqlite import writing

from .accessibility import assert_accessible
from .conftest import SCREENSHOTS, sign_in

pytestmark = pytest.mark.browser

LANDSCAPE = {"width": 1280, "height": 800}
PORTRAIT = {"width": 800, "height": 1280}
# What Chromium logs on its own when a poll fails or answers 404, and htmx after it.
EXPECTED_ERRORS = ("ERR_FAILED", "status of 404", "htmx:sendError", "htmx:afterRequest")


def hhmm(minute):
    return f"{minute // 60:02d}:{minute % 60:02d}"


@pytest.fixture
def day_now(school):
    """Make today a school day of short periods around now, the one under way having begun
    ten minutes ago and ending in twenty; return its number, start and end ("HH:MM")."""
    now = datetime.now(UTC)
    minute = now.hour * 60 + now.minute
    if not 1 <= minute <= 24 * 60 - 22:
        pytest.skip("a day of periods around now does not fit before midnight (UTC)")
    start, end = max(0, minute - 10), minute + 20
    before = [(s, s + 10) for s in range(start - 15, -1, -15)][:3][::-1]
    after = [(s, s + 10) for s in range(end + 5, 24 * 60 - 10, 15)][:4]
    periods = [{"start": hhmm(a), "end": hhmm(b)} for a, b in [*before, (start, end), *after]]
    with writing():
        set_setting("bell_schedule", periods)
        set_setting("school_days", ["mon", "tue", "wed", "thu", "fri", "sat", "sun"])
        db.session.commit()
    return {"period": len(before) + 1, "start": hhmm(start), "end": hhmm(end)}


@pytest.fixture
def door_lab(create_facility, create_account, day_now):
    """Lab 2, which asks for check-in, with a door display; its token and an admin."""
    lab = create_facility(code="lab-2", name="Lab 2", building="Curie", check_in_required=True)
    admin = Actor.for_account(create_account(role="admin", name="Dee Okafor"))
    display, token = create_display(admin, lab, "Front door")
    return {"lab": lab, "admin": admin, "display": display, "token": token}


def shoot_door(page, name, schemes=("light",)):
    """Screenshots of the display as a tablet shows it, landscape and portrait, in the
    screen's light or dark scheme."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for scheme in schemes:
        page.emulate_media(color_scheme=scheme)
        for size, label in ((LANDSCAPE, "landscape"), (PORTRAIT, "portrait")):
            page.set_viewport_size(size)
            page.screenshot(path=SCREENSHOTS / f"door-{name}-{label}-{scheme}.png")
    page.emulate_media(color_scheme="light")
    page.set_viewport_size(LANDSCAPE)


def poll_now(page):
    """Make the display poll at once rather than in 30 s."""
    page.evaluate("htmx.trigger(document.getElementById('door'), 'refresh')")


def poll_until(page, expectation):
    """Poll until ``expectation(timeout)`` holds. Each answer replaces the display's element,
    and a trigger sent before htmx has set the new one up is lost: so ask again."""
    for _ in range(10):
        poll_now(page)
        try:
            expectation(2_000)
            return
        except AssertionError:
            continue
    expectation(5_000)


def unexpected_errors(page):
    return [e for e in page.log.console_errors if not any(x in e for x in EXPECTED_ERRORS)]


def test_the_door_display_free_in_use_offline_and_back(
    page, server, door_lab, day_now, create_reservation, school
):
    page.set_viewport_size(LANDSCAPE)
    page.goto(f"/display/lab-2?token={door_lab['token']}")
    door = page.locator("#door")
    expect(page.get_by_role("heading", level=1)).to_have_text("Lab 2")
    expect(door.locator(".door-status")).to_have_text("Free")
    expect(door.locator(".door-until")).to_have_text("for the rest of the day")
    expect(door.locator(".door-clock")).to_have_text(re.compile(r"^\d\d:\d\d$"))
    expect(door.get_by_role("img", name=re.compile("QR code: scan to check in"))).to_be_visible()
    assert_accessible(page)
    shoot_door(page, "free")

    create_reservation(
        door_lab["lab"], school["ada"], datetime.now(UTC).date(), day_now["period"],
        purpose="Year 10 titration: acids and bases with the fume hood",
    )  # fmt: skip
    in_use = door.locator(".door-status")
    poll_until(page, lambda timeout: expect(in_use).to_have_text("In use", timeout=timeout))
    expect(door.locator(".door-until")).to_have_text(f"until {day_now['end']}")
    expect(door.locator(".door-purpose")).to_have_text(
        "Year 10 titration: acids and bases with the fume hood"
    )
    expect(door.locator(".door-check-in")).to_contain_text("or the room is released")
    expect(door).not_to_contain_text("Ada Park")  # names are off by default
    now_row = door.locator(".door-period.is-now")
    expect(now_row).to_contain_text(f"{day_now['start']}–{day_now['end']}")
    expect(now_row).to_contain_text("now")
    assert_accessible(page)
    shoot_door(page, "in-use", schemes=("light", "dark"))

    page.route(re.compile(r"/display/lab-2"), lambda route: route.abort())
    offline = door.locator(".door-offline")
    poll_until(page, lambda timeout: expect(offline).to_be_visible(timeout=timeout))
    expect(offline).to_have_text(
        re.compile(r"^Offline since \d\d:\d\d — showing what was known then$")
    )
    expect(door.locator(".door-status")).to_have_text("In use")  # what was known then
    assert_accessible(page)
    shoot_door(page, "offline")

    page.unroute(re.compile(r"/display/lab-2"))
    back = page.locator("#door .door-offline")
    poll_until(page, lambda timeout: expect(back).to_be_hidden(timeout=timeout))
    expect(page.locator("#door .door-status")).to_have_text("In use")

    revoke_display(door_lab["admin"], door_lab["lab"], door_lab["display"].public_id)
    off, shown = re.compile("This display has been switched off"), page.locator("#door")
    poll_until(page, lambda timeout: expect(shown).to_have_text(off, timeout=timeout))
    expect(page.locator("#door")).not_to_have_attribute("hx-get", re.compile("."))
    assert_accessible(page)
    shoot_door(page, "switched-off")
    assert [u for u in page.log.requests if not u.startswith(server + "/")] == []
    assert unexpected_errors(page) == []


def test_the_display_reloads_itself_without_javascript(open_page, server, door_lab):
    page = open_page(javascript=False)
    page.set_viewport_size(PORTRAIT)
    page.goto(f"/display/lab-2?token={door_lab['token']}")

    expect(page.locator(".door-status")).to_have_text("Free")
    refresh = page.locator('noscript meta[http-equiv="refresh"]')
    expect(refresh).to_have_attribute("content", "60")


def test_a_teacher_checks_in_from_my_reservations(
    page, server, door_lab, day_now, create_reservation, school
):
    today = datetime.now(UTC).date()
    create_reservation(door_lab["lab"], school["ada"], today, day_now["period"], purpose="Lab")
    sign_in(page, "Ada Park", "/my")
    item = page.get_by_role("listitem").filter(has_text="Lab 2")
    assert_accessible(page)
    page.screenshot(path=SCREENSHOTS / "my-reservations-check-in.png", full_page=True)

    item.get_by_role("button", name="Check in to Lab 2").click()

    expect(page.get_by_role("status").first).to_have_text(
        f"Checked in to Lab 2 until {day_now['end']}."
    )
    item = page.get_by_role("listitem").filter(has_text="Lab 2")
    expect(item).to_contain_text(re.compile(r"Checked in at \d\d:\d\d"))
    expect(item.get_by_role("button", name="Check in to Lab 2")).to_have_count(0)
    page.screenshot(path=SCREENSHOTS / "my-reservations-checked-in.png", full_page=True)
    assert unexpected_errors(page) == []


def test_the_qr_code_s_page_checks_in_after_sign_in(
    page, server, door_lab, day_now, create_reservation, school
):
    today = datetime.now(UTC).date()
    create_reservation(door_lab["lab"], school["ada"], today, day_now["period"], purpose="Lab")
    page.set_viewport_size({"width": 390, "height": 844})  # a phone

    sign_in(page, "Ada Park", "/check-in/lab-2")
    expect(page).to_have_url(re.compile(r"/check-in/lab-2$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Lab 2")
    assert_accessible(page)
    page.screenshot(path=SCREENSHOTS / "check-in-page-phone.png", full_page=True)
    page.get_by_role("button", name="Check in").click()

    expect(page.get_by_role("status").first).to_have_text(
        f"Checked in to Lab 2 until {day_now['end']}."
    )
    expect(page.get_by_text(re.compile(r"Checked in at \d\d:\d\d\."))).to_be_visible()
    page.screenshot(path=SCREENSHOTS / "check-in-page-done-phone.png", full_page=True)
    assert unexpected_errors(page) == []


def test_an_admin_adds_a_display_and_revokes_it(page, server, door_lab, open_page):
    sign_in(page, "Dee Okafor", "/admin/facilities", role="admin")
    page.get_by_role("link", name="Door displays of Lab 2").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Door displays of Lab 2")
    page.get_by_label("Where is it?").fill("Back door")
    page.get_by_role("button", name="Add a door display").click()

    address = page.get_by_label("Display address")
    expect(address).to_have_value(re.compile(r"/display/lab-2\?token=dsp_tok_"))
    expect(page.get_by_role("button", name="Copy")).to_be_visible()
    expect(page.get_by_role("img", name=re.compile("QR code of the address"))).to_be_visible()
    assert_accessible(page)
    page.screenshot(path=SCREENSHOTS / "facility-displays-added.png", full_page=True)
    tablet = open_page()
    tablet.goto(address.input_value())
    expect(tablet.locator(".door-status")).to_have_text("Free")

    page.goto("/admin/facilities/lab-2/displays")  # the address is shown once
    expect(page.get_by_label("Display address")).to_have_count(0)
    page.get_by_role("link", name="Revoke the display “Back door”").click()
    assert_accessible(page)
    page.get_by_role("button", name="Yes, revoke it").click()

    expect(page.get_by_role("status").first).to_contain_text("Revoked the display “Back door”")
    expect(page.get_by_role("row", name=re.compile("Back door"))).to_have_count(0)
    expect(page.get_by_role("row", name=re.compile("Front door"))).to_have_count(1)
    page.screenshot(path=SCREENSHOTS / "facility-displays-revoked.png", full_page=True)
    poll_until(
        tablet,
        lambda timeout: expect(tablet.locator("#door")).to_contain_text(
            "This display has been switched off", timeout=timeout
        ),
    )
    assert unexpected_errors(page) == []
