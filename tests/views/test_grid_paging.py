"""The availability grid in pages of 50 rooms, through the Flask test client.

Rooms are ordered by building, then name; the pager below the table says which rooms show
and links to the rooms before and after, keeping the day and the filters.
"""

import html
import random
import re
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from test_pages import HX, page_text, signed_in, site, text

from conftest import school_day

__all__ = ["site"]  # a fixture shared with test_pages.py

ROW_NAME = re.compile(r'<th scope="row" class="facility-name">\s*<a [^>]*>([^<]*)</a>')
PAGER = re.compile(r'<nav class="pager" aria-label="More rooms">(.*?)</nav>', re.S)
LINK = re.compile(r"<a ([^>]*)>([^<]*)</a>")
ATTRIBUTE = re.compile(r'([\w-]+)="([^"]*)"')
# Building first: the Annex's "Zeta" rooms come before the Main Building's "Alpha" rooms.
ROOMS = [f"Zeta {n:03d}" for n in range(1, 61)] + [f"Alpha {n:03d}" for n in range(1, 61)]
BAD_PAGE = "Some filters were not understood and were ignored: page"


@pytest.fixture
def teacher(site, create_account):
    """A client signed in as the teacher Ada Park."""
    return signed_in(site, create_account(name="Ada Park"))


@pytest.fixture
def rooms(create_facility):
    """Store the 120 rooms of ``ROOMS``, in shuffled order so that storing order cannot help."""
    stored = [(name, "Annex" if name.startswith("Zeta") else "Main Building") for name in ROOMS]
    random.Random(7).shuffle(stored)
    for n, (name, building) in enumerate(stored):
        create_facility(code=f"r{n}", name=name, building=building, type="classroom")


def rows(response):
    """The rooms' names in the grid's row headers, top to bottom."""
    return [html.unescape(name) for name in ROW_NAME.findall(text(response))]


def links(fragment):
    """Each link of an HTML fragment by its text: its attributes, entities decoded."""
    return {
        html.unescape(label).strip(): {k: html.unescape(v) for k, v in ATTRIBUTE.findall(attrs)}
        for attrs, label in LINK.findall(fragment)
    }


def pager(response):
    """The pager's links by their text, or None when the page has no pager."""
    match = PAGER.search(text(response))
    return match and links(match.group(1))


def query_of(href):
    """A link's path and its query as a plain dict."""
    parts = urlsplit(href)
    return parts.path, {name: values[0] for name, values in parse_qs(parts.query).items()}


def follow(client, link):
    """Open a pager link as a browser without JavaScript would; htmx asks the same address."""
    assert link["hx-get"] == link["href"]
    return client.get(link["href"])


def test_pages_list_the_rooms_by_building_then_name(teacher, rooms):
    """Page 1 shows rooms 1–50 with only Next; Next shows 51–100 with both; the last 20 no Next."""
    first = teacher.get(f"/?date={school_day().isoformat()}")

    assert first.status_code == 200
    assert rows(first) == ROOMS[:50]
    assert "Rooms 1–50 of 120" in page_text(first)
    assert set(pager(first)) == {"Next rooms ›"}
    assert pager(first)["Next rooms ›"]["rel"] == "next"

    second = follow(teacher, pager(first)["Next rooms ›"])
    assert rows(second) == ROOMS[50:100]
    assert "Rooms 51–100 of 120" in page_text(second)
    assert set(pager(second)) == {"‹ Previous rooms", "Next rooms ›"}
    assert pager(second)["‹ Previous rooms"]["rel"] == "prev"

    third = follow(teacher, pager(second)["Next rooms ›"])
    assert rows(third) == ROOMS[100:]
    assert "Rooms 101–120 of 120" in page_text(third)
    assert set(pager(third)) == {"‹ Previous rooms"}
    assert rows(follow(teacher, pager(third)["‹ Previous rooms"])) == ROOMS[50:100]
    assert rows(follow(teacher, pager(second)["‹ Previous rooms"])) == ROOMS[:50]


def test_next_keeps_the_day_and_the_filters(teacher, create_facility):
    """With type and amenity chosen, the count is of matching rooms and Next keeps both."""
    day = school_day()
    classrooms = [f"Classroom {n:02d}" for n in range(1, 61)]
    for name in reversed(classrooms):
        create_facility(name=name, type="classroom", amenities=["projector"])
    for n in range(1, 4):
        create_facility(name=f"Classroom {n:02d}b", type="classroom")  # no projector
        create_facility(name=f"Classroom {n:02d}c", type="lab", amenities=["projector"])

    first = teacher.get(f"/?date={day.isoformat()}&type=classroom&amenity=projector")
    assert rows(first) == classrooms[:50]
    assert "Rooms 1–50 of 60" in page_text(first)
    path, query = query_of(pager(first)["Next rooms ›"]["href"])
    assert (path, query) == (
        "/",
        {"date": day.isoformat(), "type": "classroom", "amenity": "projector", "page": "2"},
    )

    second = follow(teacher, pager(first)["Next rooms ›"])
    assert rows(second) == classrooms[50:]
    assert "Rooms 51–60 of 60" in page_text(second)
    assert f"{day:%A %-d %B %Y}" in page_text(second)
    assert "Next rooms ›" not in pager(second)


def test_a_page_past_the_end_shows_the_last_page(teacher, rooms):
    """page=99 shows rooms 101–120 and no message."""
    response = teacher.get("/?page=99")

    assert rows(response) == ROOMS[100:]
    assert "Rooms 101–120 of 120" in page_text(response)
    assert "not understood" not in page_text(response)


@pytest.mark.parametrize("value", ["0", "abc", "-1", "10001"])
def test_a_page_that_is_not_a_page_number_is_ignored_with_a_message(teacher, rooms, value):
    """page=0 or page=abc: the message names the page, and the first 50 rooms show."""
    response = teacher.get(f"/?page={value}")

    assert response.status_code == 200
    assert BAD_PAGE in page_text(response)
    assert rows(response) == ROOMS[:50]
    assert "Rooms 1–50 of 120" in page_text(response)


@pytest.mark.parametrize("query", ["", "?page=2"])
def test_fifty_rooms_fit_on_one_page_without_a_pager(teacher, create_facility, query):
    """With exactly 50 rooms all show, and there is no pager, even when page 2 is asked for."""
    for n in range(50):
        create_facility(name=f"Room {n:02d}")

    response = teacher.get(f"/{query}")

    assert len(rows(response)) == 50
    assert pager(response) is None
    assert 'class="pager"' not in text(response) and "Rooms 1–" not in page_text(response)


def weekday_from(day, step):
    """The nearest weekday before (-1) or after (1) ``day``."""
    day += timedelta(days=step)
    while day.weekday() >= 5:
        day += timedelta(days=step)
    return day


def test_the_day_links_keep_the_page(teacher, rooms):
    """On page 2, « Week, ‹ Day, Day › and Week » each open their day on page 2; the day
    links step over the weekend."""
    day = school_day()
    response = teacher.get(f"/?date={day.isoformat()}&page=2")
    day_links = links(text(response))

    for label, other in (
        ("« Week", day - timedelta(days=7)),
        ("‹ Day", weekday_from(day, -1)),
        ("Day ›", weekday_from(day, 1)),
        ("Week »", day + timedelta(days=7)),
    ):
        link = day_links[label]
        assert link["hx-get"] == link["href"]
        assert query_of(link["href"]) == ("/", {"date": other.isoformat(), "page": "2"}), label
    next_day = follow(teacher, day_links["Day ›"])
    assert rows(next_day) == ROOMS[50:100]
    assert f"{weekday_from(day, 1):%A %-d %B %Y}" in page_text(next_day)


def test_htmx_asking_for_page_2_gets_only_the_grid_region(teacher, rooms):
    """An htmx request answers only #grid-region, with rooms 51–100 and the pager."""
    response = teacher.get(f"/?date={school_day().isoformat()}&page=2", headers=HX)

    assert response.status_code == 200
    body = text(response)
    assert body.lstrip().startswith('<div id="grid-region">')
    assert "<html" not in body and '<form id="filters"' not in body
    assert rows(response) == ROOMS[50:100]
    assert "Rooms 51–100 of 120" in page_text(response)
    assert set(pager(response)) == {"‹ Previous rooms", "Next rooms ›"}
