"""A teacher's recurring bookings in Chromium: a term of weekly lessons booked from the grid,
one clash shown before anything is written and left out; then one date cancelled for an
exam from My reservations.

The browser talks to a live server, whose clock cannot be stopped: the term is set around
the test's day (a week before it to nine weeks after), so the series has ten dates.
"""

import re
from datetime import timedelta

import pytest
import requests
from playwright.sync_api import expect

from roomloop.booking.settings import set_setting
from roomloop.extensions import db
from roomloop.models import Reservation, Series
from roomloop.sqlite import writing

from .conftest import assert_same_origin_and_quiet, free_cell, grid_path, settled, shoot, sign_in
from .test_teacher_pages import key_to_cell, outline_style, tab_to

pytestmark = pytest.mark.browser


@pytest.fixture
def term(school, create_reservation):
    """A term around the test's day, and Ben's lesson in period 3 two weeks on: the clash."""
    day = school["day"]
    end = day + timedelta(weeks=9)
    with writing():  # as conftest.store(): the server under test writes meanwhile
        terms = [{"name": "Winter term", "start": (day - timedelta(weeks=1)).isoformat(),
                  "end": end.isoformat()}]  # fmt: skip
        set_setting("terms", terms)
        db.session.commit()
    clash = day + timedelta(weeks=2)
    create_reservation(school["lab"], school["ben"], clash, start_slot=3, purpose="Year 11 mock")
    return {"end": end, "clash": clash, "dates": [day + timedelta(weeks=n) for n in range(10)]}


def open_the_form(page, day):
    """Sign Ada in on the grid of ``day`` and open the booking form of period 3 in the lab."""
    sign_in(page, "Ada Park", grid_path(day))
    free_cell(page, "STEM Lab Alpha", 3).click()
    panel = page.locator("#booking-panel")  # in place, or the booking page's own
    expect(panel.get_by_role("heading", name="Book STEM Lab Alpha")).to_be_visible()
    return panel


def series_dates():
    db.session.rollback()  # read what the server committed
    return db.session.scalars(
        db.select(Reservation.date)
        .where(Reservation.series_id.is_not(None), Reservation.status != "cancelled")
        .order_by(Reservation.date)
    ).all()


def test_book_a_term_of_weekly_lessons_with_one_clash(page, server, school, term):
    """Repeat every week to the end of term: every date's outcome first (the clash names Ben
    Ito), then "Book the 9 free dates" books them, and the grid shows the first as hers."""
    day = school["day"]
    panel = open_the_form(page, day)
    expect(panel.get_by_role("heading", name="Book STEM Lab Alpha")).to_be_focused()
    expect(panel.get_by_label("Repeat until")).to_be_hidden()  # until it repeats

    panel.get_by_label("Purpose").fill("Year 9 chemistry")
    panel.get_by_label("Repeat", exact=True).select_option(label="Every week")
    expect(panel.get_by_role("checkbox", name=f"{day:%a}")).to_be_checked()
    expect(panel.get_by_label("Repeat until")).to_have_value(term["end"].isoformat())
    expect(panel).to_contain_text(f"Winter term ends on {term['end']:%a %-d %b %Y}.")
    shoot(page, "series-form")
    panel.get_by_role("button", name="Book").click()

    expect(panel.get_by_role("heading", name="Check the dates: STEM Lab Alpha")).to_be_focused()
    expect(panel).to_contain_text("9 of 10 dates are free; 1 cannot be booked (below).")
    clash = panel.get_by_role("listitem").filter(has_text=f"{term['clash']:%a %-d %b %Y}")
    expect(clash).to_contain_text("Taken: booked by Ben Ito (period 3) Rule R-03")
    assert series_dates() == []  # nothing written yet
    shoot(page, "series-check")

    settled(page)
    panel.get_by_role("button", name="Book the 9 free dates").click()
    expect(panel.get_by_role("status")).to_contain_text(
        f"Booked STEM Lab Alpha on 9 dates: Every {day:%A}, period 3, to"
    )
    expect(panel.get_by_role("heading", name="Booked 9 dates")).to_be_focused()
    mine = page.get_by_role("cell", name=re.compile(r"^STEM Lab Alpha, period 3, .*, yours$"))
    expect(mine).to_have_text("★ Yours")
    shoot(page, "series-booked")
    assert series_dates() == [d for d in term["dates"] if d != term["clash"]]
    assert_same_origin_and_quiet(page, server)


def test_cancel_one_date_of_a_series_for_an_exam(page, server, school, term, auth_headers):
    """My reservations shows the series as one item; its dates open under it, and cancelling
    one (after confirming) frees that date alone."""
    day = school["day"]
    body = {"facility_id": "f1", "first_date": day.isoformat(), "start_slot": 3, "end_slot": 3,
            "repeat": {"weekdays": [f"{day:%a}".lower()]}, "purpose": "Year 9 chemistry",
            "on_conflict": "skip"}  # fmt: skip
    created = requests.post(
        f"{server}/v1/series", json=body, headers=auth_headers(school["ada"]), timeout=10
    )
    assert created.status_code == 201, created.text
    exam = term["dates"][4]
    sign_in(page, "Ada Park", "/my")
    page.evaluate("window.stillTheSamePage = true")

    item = page.get_by_role("listitem").filter(has_text="Repeats")
    expect(item).to_contain_text(f"Every {day:%A}, period 3, to")
    expect(item).to_contain_text(f"Next: {day:%a %-d %b %Y} · 9 booked · 1 not booked")
    shoot(page, "my-series")
    item.get_by_text("All 10 dates").click()
    expect(item.get_by_role("link", name=f"Cancel this date, {exam:%a %-d %b}")).to_be_visible()
    shoot(page, "my-series-dates")

    settled(page)
    item.get_by_role("link", name=f"Cancel this date, {exam:%a %-d %b}").click()
    confirm = item.get_by_role("group", name="Confirm cancelling")
    expect(confirm).to_contain_text(
        f"Cancel STEM Lab Alpha on {exam:%a %-d %b}? The slots go back to everyone. "
        "The other dates of the series stay booked."
    )
    shoot(page, "my-series-cancel-confirm")
    settled(page)
    confirm.get_by_role("button", name="Yes, cancel it").click()

    done = item.get_by_role("status")  # the item, answered again in place
    expect(done).to_have_text("Reservation cancelled; the slots are free again.")
    expect(done).to_be_focused()
    expect(item).to_contain_text("8 booked · 1 cancelled · 1 not booked")
    row = item.get_by_role("listitem").filter(has_text=f"{exam:%a %-d %b %Y}")
    expect(row).to_contain_text("Cancelled")
    expect(row.get_by_role("link", name=re.compile("^Cancel"))).to_have_count(0)
    expect(row.get_by_role("link")).to_have_text(f"{exam:%a %-d %b %Y}")  # its page
    shoot(page, "my-series-date-cancelled")
    assert page.evaluate("window.stillTheSamePage") is True
    assert exam not in series_dates()
    assert len(series_dates()) == 8
    db.session.rollback()
    assert db.session.scalar(db.select(Series.status)) == "active"
    page.goto(grid_path(exam))
    expect(free_cell(page, "STEM Lab Alpha", 3)).to_be_visible()
    assert_same_origin_and_quiet(page, server)


def test_keyboard_only_repeating_booking_and_cancelling_from_a_date(page, server, school, term):
    """Tab, the arrow keys and Enter alone: repeat weekly, check, book the free dates; then
    on My reservations open the dates and cancel the last five, from the sixth on."""
    day = school["day"]
    sign_in(page, "Ada Park", grid_path(day))
    key_to_cell(
        page, "/^STEM Lab Alpha, period 3, .*, free. Book it$/.test(el.getAttribute('aria-label'))"
    )
    page.keyboard.press("Enter")
    panel = page.locator("#booking-panel")
    expect(panel.get_by_role("heading", name="Book STEM Lab Alpha")).to_be_focused()
    tab_to(page, "el.name === 'purpose'", limit=5)
    page.keyboard.type("Year 9 chemistry")
    tab_to(page, "el.name === 'repeat'", limit=5)
    page.keyboard.press("ArrowDown")  # Does not repeat -> Every week
    expect(panel.get_by_label("Repeat until")).to_be_visible()
    tab_to(page, "el.textContent === 'Book'", limit=12)
    assert outline_style(page) != "none"
    page.keyboard.press("Enter")
    expect(panel.get_by_role("heading", name="Check the dates: STEM Lab Alpha")).to_be_focused()
    tab_to(page, "el.textContent.startsWith('Book the 9 free dates')", limit=5)
    page.keyboard.press("Enter")
    expect(panel.get_by_role("heading", name="Booked 9 dates")).to_be_focused()

    page.goto("/my")
    tab_to(page, "el.tagName === 'SUMMARY' && el.textContent.startsWith('All ')")
    assert outline_style(page) != "none"
    page.keyboard.press("Enter")
    sixth = term["dates"][5]
    tab_to(page, f"el.getAttribute('aria-label') === 'Cancel from here, {sixth:%a %-d %b} on'")
    page.keyboard.press("Enter")
    expect(page.get_by_role("group", name="Confirm cancelling")).to_contain_text(
        f"Cancel STEM Lab Alpha on 5 dates from {sixth:%a %-d %b} on?"
    )
    tab_to(page, "el.textContent === 'Yes, cancel them'", limit=5)
    page.keyboard.press("Enter")
    done = page.get_by_role("status")
    expect(done).to_have_text("Cancelled 5 dates; the periods are free again.")
    expect(done).to_be_focused()
    assert series_dates() == [d for d in term["dates"][:5] if d != term["clash"]]
    assert_same_origin_and_quiet(page, server)


def test_repeating_booking_without_javascript(open_page, server, school, term):
    """With scripts off the same form posts: the dates' outcomes come as a page, and booking
    them lands on My reservations with what was booked and what was not."""
    page = open_page(javascript=False)
    open_the_form(page, school["day"])
    page.get_by_label("Purpose").fill("Year 9 chemistry")
    page.get_by_label("Repeat", exact=True).select_option(label="Every week")
    page.get_by_role("button", name="Book").click()

    expect(page.get_by_role("heading", name="Check the dates: STEM Lab Alpha")).to_be_visible()
    page.get_by_role("button", name="Book the 9 free dates").click()

    expect(page).to_have_url(re.compile(r"/my$"))
    expect(page.get_by_text(re.compile(r"^Booked STEM Lab Alpha on 9 dates"))).to_be_visible()
    expect(page.get_by_role("listitem").filter(has_text="Repeats")).to_contain_text("9 booked")
    assert len(series_dates()) == 9


def test_approver_confirms_a_repeating_request_at_once(
    page, server, school, term, create_account, auth_headers
):
    """A weekly request for the auditorium is one row of the queue; Confirm all confirms
    every date in place."""
    day = school["day"]
    create_account(role="approver", name="Cy Diaz")
    body = {"facility_id": "auditorium", "first_date": day.isoformat(), "start_slot": 4,
            "end_slot": 5, "repeat": {"weekdays": [f"{day:%a}".lower()]},
            "until": (day + timedelta(weeks=3)).isoformat(),
            "purpose": "Year 11 assembly"}  # fmt: skip
    created = requests.post(
        f"{server}/v1/series", json=body, headers=auth_headers(school["ada"]), timeout=10
    )
    assert created.status_code == 201, created.text
    sign_in(page, "Cy Diaz", "/admin/approvals", role="approver")

    expect(page.get_by_text("1 request waiting.")).to_be_visible()
    item = page.locator(f"#approval-{created.json()['id']}")
    expect(item).to_contain_text(f"Every {day:%A}, periods 4–5, to")
    expect(item).to_contain_text("4 dates waiting")
    item.get_by_text("Decide the dates one by one (4)").click()
    shoot(page, "approvals-series")

    settled(page)
    item.get_by_role("button", name=re.compile("^Confirm all 4 dates")).click()
    expect(item.get_by_role("status")).to_have_text(
        "Confirmed 4 dates: Ada Park has Main Auditorium as requested."
    )
    expect(item.get_by_role("status")).to_be_focused()
    expect(page.get_by_text("Nothing else waiting for approval.")).to_be_visible()
    shoot(page, "approvals-series-confirmed")
    db.session.rollback()
    statuses = db.session.scalars(db.select(Reservation.status).where(
        Reservation.series_id.is_not(None))).all()  # fmt: skip
    assert statuses == ["confirmed"] * 4
    assert_same_origin_and_quiet(page, server)
