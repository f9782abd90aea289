"""Find a free room and the week view, through the Flask test client.

The clock stands on Monday 2 November 2026 at 07:00 (UTC, the tests' school time): the
default terms put that week in the autumn term, which ends on Thursday 31 December, so a
weekly search from Thursday 5 November covers nine Thursdays.
"""

import html
import re
from datetime import date, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from test_pages import HX, signed_in, site, text

from roomloop.booking.settings import set_setting
from roomloop.extensions import db
from roomloop.sqlite import writing

__all__ = ["site"]  # a fixture shared with test_pages.py

THURSDAY = date(2026, 11, 5)
ROOM_NAME = re.compile(r'<h3 class="room-name">([^<]*)</h3>')
BOOK_LINK = re.compile(r'<a class="button primary" href="([^"]+)">')
UNBOOKABLE = re.compile(r'<details class="unbookable">(.*?)</details>', re.S)


@pytest.fixture(autouse=True)
def monday_morning(freeze):
    freeze(2026, 11, 2, 7, 0)


@pytest.fixture
def ada(create_account):
    return create_account(name="Ada Park", department="Science")


@pytest.fixture
def teacher(site, ada):
    """A client signed in as the teacher Ada Park."""
    return signed_in(site, ada)


def find(client, headers=None, **query):
    """Search as the form does: every field in the query string, amenities repeated."""
    query = {"date": THURSDAY.isoformat(), "start_slot": 3, "end_slot": 3} | query
    return client.get("/find", query_string=query, headers=headers)


def free_rooms(response):
    """The names of the rooms offered, in the order shown."""
    return [html.unescape(name) for name in ROOM_NAME.findall(text(response))]


def book_links(response):
    """Each offered room's Book link as its path and query."""
    links = []
    for href in BOOK_LINK.findall(text(response)):
        parts = urlsplit(html.unescape(href))
        links.append((parts.path, {k: v[0] for k, v in parse_qs(parts.query).items()}))
    return links


def words_of(fragment):
    """A fragment's words, tags removed and spaces squeezed, as a page reads."""
    words = " ".join(html.unescape(re.sub(r"<[^>]+>", " ", fragment)).split())
    return re.sub(r" ([:,.])", r"\1", words)


def set_aside(response):
    """The words of the list of matching rooms that cannot be booked ("" when none)."""
    match = UNBOOKABLE.search(text(response))
    return words_of(match.group(1)) if match else ""


def page_words(response):
    return words_of(text(response))


def test_the_form_opens_without_results_on_the_grids_day(teacher, create_facility):
    """Before a search the page shows the form only: the grid's default day, period 1."""
    create_facility(name="Lab 1", amenities=["projector"])

    page = teacher.get("/find")

    assert page.status_code == 200
    assert 'value="2026-11-02"' in text(page)  # today still has its periods to come
    assert 'id="find-results"' not in text(page)
    assert 'value="projector"' in text(page)  # an amenity to tick


def test_rooms_need_every_amenity_and_the_seats_smallest_first(teacher, create_facility):
    """All the ticked amenities, at least that many seats, in that building; smallest first."""
    both = ["projector", "fume hood"]
    create_facility(name="Small lab", capacity=20, amenities=both)
    create_facility(name="Big lab", capacity=40, amenities=both)
    create_facility(name="Mid lab", capacity=32, amenities=["fume hood", "projector", "sink"])
    create_facility(name="Projector room", capacity=30, amenities=["projector"])
    create_facility(name="South lab", capacity=31, amenities=both, building="South")

    everywhere = find(teacher, seats=30, amenity=both)
    north = find(teacher, seats=30, amenity=both, building="North")

    assert free_rooms(everywhere) == ["South lab", "Mid lab", "Big lab"]
    assert free_rooms(north) == ["Mid lab", "Big lab"]
    assert "2 rooms free on Thu 5 Nov 2026, period 3 (11:00–11:50)" in page_words(north)


def test_book_opens_the_booking_form_prefilled(teacher, create_facility):
    """Each result's Book link is the booking form for that room, day and periods."""
    create_facility(code="lab-1", name="Lab 1")

    found = find(teacher, start_slot=2, end_slot=4, seats=25)
    [(path, query)] = book_links(found)
    form = teacher.get(path, query_string=query)

    assert query == {
        "facility_id": "lab-1",
        "date": "2026-11-05",
        "start_slot": "2",
        "end_slot": "4",
        "attendees": "25",
    }
    assert form.status_code == 200
    assert "Book Lab 1" in text(form)
    assert re.search(r'<option selected value="4">|<option value="4" selected>', text(form))


def test_a_room_booked_in_one_of_the_periods_is_not_free(
    teacher, create_facility, create_account, create_reservation
):
    """A booking in period 3 of a search for periods 2-4 leaves the room out, and says why."""
    taken = create_facility(name="Lab 1")
    create_facility(name="Lab 2")
    create_reservation(taken, create_account(name="Ben Ito"), THURSDAY, start_slot=3)

    found = find(teacher, start_slot=2, end_slot=4)
    before = find(teacher, start_slot=1, end_slot=2)

    assert free_rooms(found) == ["Lab 2"]
    assert "Lab 1 (30 seats): Already booked in period 3." in set_aside(found)
    assert free_rooms(before) == ["Lab 1", "Lab 2"]


def test_every_week_leaves_out_a_room_taken_in_one_week(
    teacher, create_facility, create_account, create_reservation
):
    """A weekly search wants every Thursday to the end of term: one taken week is enough to
    leave the room out; its Book link opens the form repeating weekly until the term's end."""
    taken = create_facility(name="Lab 1")
    create_facility(code="lab-2", name="Lab 2")
    create_reservation(taken, create_account(), THURSDAY + timedelta(weeks=3), start_slot=3)

    one_day = find(teacher)
    weekly = find(teacher, weekly="1")

    assert free_rooms(one_day) == ["Lab 1", "Lab 2"]
    assert free_rooms(weekly) == ["Lab 2"]
    assert "every Thursday from 5 Nov to 31 Dec 2026 (9 dates)" in page_words(weekly)
    assert "Lab 1 (30 seats): Thu 26 Nov: Already booked in period 3." in set_aside(weekly)
    [(_, query)] = book_links(weekly)
    assert query["repeat"] == "weekly"
    assert query["weekdays"] == "thu"
    assert query["until"] == "2026-12-31"
    form = teacher.get("/book", query_string=query)
    assert re.search(
        r'<option selected value="weekly">|<option value="weekly" selected>', text(form)
    )
    assert 'value="2026-12-31"' in text(form)


def test_a_room_reserved_for_another_department_is_not_offered(teacher, create_facility):
    """R-08: a Maths-only room is listed apart for a Science teacher, with the reason."""
    create_facility(name="Maths room", allowed_departments=["Maths"])
    create_facility(name="Lab 1")

    found = find(teacher)

    assert free_rooms(found) == ["Lab 1"]
    assert "Maths room" in set_aside(found)
    assert "Maths" in set_aside(found).split("Maths room", 1)[1]


def test_your_booking_elsewhere_then_makes_no_room_free(
    teacher, ada, create_facility, create_reservation
):
    """R-10: holding Lab 2 in period 3 leaves nothing to book in period 3, and the page says so."""
    create_facility(name="Lab 1")
    mine = create_facility(name="Lab 2")
    create_reservation(mine, ada, THURSDAY, start_slot=3)

    found = find(teacher)
    later = find(teacher, start_slot=4, end_slot=4)

    assert free_rooms(found) == []
    words = page_words(found)
    assert "No room is free on Thu 5 Nov 2026" in words
    assert "You cannot book any room then." in words
    assert "Lab 2" in words.split("You cannot book any room then.", 1)[1]
    assert free_rooms(later) == ["Lab 1", "Lab 2"]


def test_nothing_matching_says_what_to_try(teacher, create_facility):
    """No room with the amenities: the empty state suggests asking for less."""
    create_facility(name="Lab 1", amenities=["projector"])

    found = find(teacher, amenity=["projector", "piano"])

    assert free_rooms(found) == []
    assert "No room has all of that. Try fewer amenities" in page_words(found)


def test_wrong_values_are_named_and_kept(teacher, create_facility):
    """Each wrong field is named in the summary, linked, marked invalid; the values stay."""
    create_facility(name="Lab 1")

    refused = find(teacher, date="5/11/2026", start_slot=4, end_slot=2, seats="thirty")
    too_long = find(teacher, start_slot="9" * 5000, seats="9" * 5000)
    words = page_words(refused)

    assert refused.status_code == 400
    assert "Nothing was searched. Correct the fields marked below:" in words
    assert "Date: Enter a date as YYYY-MM-DD." in words
    assert "To period: The last period is before the first: choose a later one." in words
    assert "Seats at least: Enter a whole number of seats" in words
    assert 'href="#find-date"' in text(refused) and 'href="#find-seats"' in text(refused)
    assert 'value="5/11/2026" aria-invalid="true"' in text(refused)
    assert 'value="thirty" aria-invalid="true"' in text(refused)
    assert free_rooms(refused) == []
    assert "From period: Choose a period from 1 to 8." in page_words(too_long)
    assert "Seats at least: Enter a whole number" in page_words(too_long)


def test_htmx_gets_the_region_and_the_same_answer(teacher, create_facility):
    """With htmx the form's region comes back alone (200, so htmx swaps it), errors and all."""
    create_facility(name="Lab 1")

    found = find(teacher, headers=HX | {"HX-Target": "find-region"})
    refused = find(teacher, headers=HX | {"HX-Target": "find-region"}, seats="²")

    assert found.status_code == 200
    assert "<html" not in text(found)
    assert free_rooms(found) == ["Lab 1"]
    assert refused.status_code == 200 and "Seats at least: Enter a whole number" in page_words(
        refused
    )
    assert "HX-Request" in found.headers["Vary"]


def test_a_history_restore_of_a_refused_search_gets_the_page(teacher, create_facility):
    """htmx restores history only from a 2xx answer: the whole page, messages and all."""
    create_facility(name="Lab 1")

    restore = find(teacher, headers=HX | {"HX-History-Restore-Request": "true"}, seats="²")
    plain = find(teacher, seats="²")

    assert restore.status_code == 200
    assert "<html" in text(restore)
    assert "Seats at least: Enter a whole number" in page_words(restore)
    assert plain.status_code == 400


def test_your_booking_in_one_week_makes_no_room_free_every_week(
    teacher, ada, create_facility, create_reservation
):
    """R-10 in a weekly search: Ada's booking on the third Thursday leaves no room free for
    the series, and the page names that date."""
    create_facility(name="Lab 1")
    mine = create_facility(name="Lab 2")
    create_reservation(mine, ada, THURSDAY + timedelta(weeks=2), start_slot=3)

    weekly = find(teacher, weekly="1")

    assert free_rooms(weekly) == []
    assert "You cannot book any room then. On Thu 19 Nov:" in page_words(weekly)
    assert free_rooms(find(teacher)) == ["Lab 1", "Lab 2"]  # that Thursday alone is free


def test_a_weekly_search_from_a_day_in_no_term_says_so(teacher, create_facility):
    """Between the terms an admin set there is no end of term to repeat until."""
    create_facility(name="Lab 1")
    with writing():  # see conftest.store()
        set_setting("terms", [{"name": "Autumn", "start": "2026-09-01", "end": "2026-10-30"}])
        db.session.commit()

    refused = find(teacher, weekly="1")

    assert refused.status_code == 400
    assert "Every week: Thu 5 Nov 2026 is in no term: search that day alone." in page_words(refused)
