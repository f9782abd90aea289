"""The week view: rooms by weekday for a band of periods, through the Flask test client.

The clock stands on Wednesday 4 November 2026 at 10:30 (UTC, the tests' school time).
"""

import html
import re
from datetime import date

import pytest
from test_pages import HX, signed_in, site, text

from roomloop.models import BlackoutDate

from conftest import store

__all__ = ["site"]  # a fixture shared with test_pages.py

MONDAY = date(2026, 11, 2)
ROW = re.compile(
    r'<tr>\s*<th scope="row" class="facility-name">\s*<a [^>]*>([^<]*)</a>(.*?)</tr>', re.S
)
CELL = re.compile(r'<td class="week-cell cell-(\w+)">(.*?)</td>', re.S)


@pytest.fixture(autouse=True)
def wednesday_morning(freeze):
    freeze(2026, 11, 4, 10, 30)


@pytest.fixture
def ada(create_account):
    return create_account(name="Ada Park")


@pytest.fixture
def teacher(site, ada):
    return signed_in(site, ada)


def words(fragment):
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", fragment)).split())


def table(response):
    """Each room's row: its name, then (kind, words) for Monday to Friday."""
    return {
        html.unescape(name): [(kind, words(cell)) for kind, cell in CELL.findall(cells)]
        for name, cells in ROW.findall(text(response))
    }


def test_each_cell_says_its_state_for_the_band(
    teacher, ada, create_facility, create_account, create_reservation
):
    """Periods 3-4: Ben's booking of period 4 marks the band booked, Ada's hers, a blackout
    its reason, Monday and Tuesday are past, and the rest are free."""
    lab = create_facility(name="Lab 1")
    hall = create_facility(name="Hall")
    create_facility(name="Old lab", status="closed")
    create_facility(name="Gym", status="maintenance")
    create_reservation(lab, create_account(name="Ben Ito"), date(2026, 11, 5), start_slot=4)
    create_reservation(hall, ada, date(2026, 11, 5), start_slot=3)
    store(BlackoutDate(start_date=date(2026, 11, 6), end_date=date(2026, 11, 6), reason="Exams"))

    page = teacher.get(f"/week?week={MONDAY}&start_slot=3&end_slot=4")
    rows = table(page)

    assert page.status_code == 200
    assert "Week of 2 November 2026, periods 3–4 (11:00–12:50)" in words(text(page))
    assert rows["Lab 1"][:2] == [("past", "Past"), ("past", "Past")]
    assert rows["Lab 1"][2][0] == "free"  # Wednesday's period 3 starts at 11:00
    assert rows["Lab 1"][3] == ("booked", "Booked · Ben Ito")
    assert rows["Lab 1"][4] == ("blackout", "Blackout (Exams)")
    assert rows["Hall"][3] == ("mine", "Yours")
    assert rows["Old lab"][2] == ("closed", "Closed")
    assert rows["Gym"][2] == ("closed", "Maintenance")


def test_a_free_cell_opens_the_booking_form_for_the_band(teacher, create_facility):
    """A free cell links to the booking form for that room, day and periods."""
    create_facility(code="lab-1", name="Lab 1")

    page = teacher.get(f"/week?week={MONDAY}&start_slot=3&end_slot=4")
    link = re.search(r'<td class="week-cell cell-free"><a href="([^"]+)">Free', text(page))
    href = html.unescape(link.group(1))

    assert href == "/book?facility_id=lab-1&date=2026-11-04&start_slot=3&end_slot=4"
    form = teacher.get(href)
    assert form.status_code == 200 and "Book Lab 1" in text(form)


def test_filters_and_week_links_keep_the_band(teacher, create_facility):
    """The grid's filters choose the rooms; previous and next keep periods and filters."""
    create_facility(name="Lab 1", type="lab", capacity=30)
    create_facility(name="Room 101", type="classroom", capacity=30)
    create_facility(name="Small lab", type="lab", capacity=12)

    page = teacher.get("/week?week=2026-11-05&start_slot=2&end_slot=2&type=lab&capacity=20")

    assert list(table(page)) == ["Lab 1"]
    assert (
        "/week?week=2026-10-26&amp;start_slot=2&amp;end_slot=2&amp;type=lab&amp;capacity=20"
        in text(page)
    )
    assert (
        "/week?week=2026-11-09&amp;start_slot=2&amp;end_slot=2&amp;type=lab&amp;capacity=20"
        in text(page)
    )


def test_the_table_scrolls_in_a_labelled_focusable_region(teacher, create_facility):
    """The table has row and column headers, in a region the keyboard can reach."""
    create_facility(name="Lab 1")

    page = teacher.get(f"/week?week={MONDAY}")

    region = re.search(r'<div class="table-scroll" ([^>]*)>', html.unescape(text(page))).group(1)
    assert (
        region == 'role="region" aria-label="Rooms by weekday, period 1 (09:00–09:50)" tabindex="0"'
    )
    assert '<th scope="col">Mon 2 Nov</th>' in text(page)
    assert '<th scope="row" class="facility-name">' in text(page)


def test_a_wrong_band_or_week_is_said_and_replaced(teacher, create_facility):
    """Periods out of order show the first alone; a week not understood shows this week."""
    create_facility(name="Lab 1")

    page = teacher.get("/week?week=someday&start_slot=4&end_slot=2")

    assert "The last period was before the first: showing the first alone." in words(text(page))
    assert "That week was not understood; showing this week." in words(text(page))
    assert "Week of 2 November 2026, period 4 (12:00–12:50)" in words(text(page))


def test_htmx_gets_the_region(teacher, create_facility):
    create_facility(name="Lab 1")

    page = teacher.get(f"/week?week={MONDAY}", headers=HX | {"HX-Target": "week-region"})

    assert page.status_code == 200 and "<html" not in text(page)
    assert list(table(page)) == ["Lab 1"]
