"""The grid decided for the person looking at it, through the Flask test client.

A free-looking cell she cannot book says why in two words, with the rules engine's own
message in its accessible name; her quota left shows above the grid; a booking of several
periods is one cell; blackout cells say the blackout's reason; the day links skip weekends.
"""

import html
import re
from datetime import timedelta

from sqlalchemy import event
from sqlalchemy.engine import Engine
from test_pages import HX, HX_FROM_GRID, page_book, page_text, signed_in, site, text

from roomloop.models import BlackoutDate, Setting

from conftest import book, school_day, store

__all__ = ["site"]  # a fixture shared with test_pages.py

CELL = re.compile(
    r'<td class="cell cell-(\w+)"(?: colspan="(\d+)")? data-when="([^"]*)" '
    r'aria-label="([^"]+)">(.*?)</td>'
)


def cells(response):
    """The grid's cells that are not links: their kind, span, accessible name, and words
    (after the periods they cover, which a narrow screen shows before them)."""
    return [
        (kind, int(span or 1), html.unescape(label), page_words(f"{when} {inner}"))
        for kind, span, when, label, inner in CELL.findall(text(response))
    ]


def page_words(fragment):
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", fragment)).split())


def named(response, start):
    """The one non-link cell whose accessible name starts with ``start``."""
    found = [c for c in cells(response) if c[2].startswith(start)]
    assert len(found) == 1, (start, found)
    return found[0]


def grid_of(client, day):
    return client.get(f"/?date={day.isoformat()}")


def test_a_free_cell_in_a_period_she_holds_elsewhere_says_where(
    site, create_account, create_facility, create_reservation, auth_headers
):
    """R-10: her booking of Lab 2 in period 3 turns Lab 1's free period 3 into "You're in
    Lab 2", named with the message the API answers for the same request."""
    day = school_day()
    create_facility(code="lab-1", name="Lab 1")
    lab2 = create_facility(code="lab-2", name="Lab 2")
    ada = create_account(name="Ada Park")
    create_reservation(lab2, ada, day, start_slot=3)
    client = signed_in(site, ada)

    kind, _, label, words = named(grid_of(client, day), "Lab 1, period 3,")

    api = book(client, auth_headers(ada), "lab-1", day, start_slot=3).get_json()["error"]
    assert (kind, api["rule"]) == ("refused", "R-10")
    assert words.startswith("P3 · 11:00 You're in Lab 2 ")
    assert label == f"Lab 1, period 3, 11:00–11:50, You're in Lab 2: {api['message']}"
    assert words.endswith(f"{api['message']} R-10")  # shown on hover or focus
    # The other periods of Lab 1 stay links to the booking form.
    assert 'aria-label="Lab 1, period 4, 12:00–12:50, free. Book it"' in text(grid_of(client, day))


def test_a_used_up_quota_shows_on_every_free_cell_and_in_the_header(
    site, create_account, create_facility, create_reservation, auth_headers
):
    """R-06: with a quota of 2 and two periods held, every free cell says "Quota used"; the
    header says none are left. One period held: 1 of 2 left, and the cells are links."""
    day = school_day()
    store(Setting(key="weekly_quota_slots", value=2))
    create_facility(code="lab-1", name="Lab 1")
    lab2 = create_facility(code="lab-2", name="Lab 2")
    ada = create_account(name="Ada Park")
    create_reservation(lab2, ada, day, start_slot=1)
    client = signed_in(site, ada)
    # A week from today is never this week: the header names its Monday.
    week = f"in the week of {day - timedelta(days=day.weekday()):%-d %B}"

    assert f"You have 1 of 2 periods left {week}." in page_text(grid_of(client, day))
    assert "Lab 1, period 5, 13:00–13:50, free. Book it" in text(grid_of(client, day))

    create_reservation(lab2, ada, day + timedelta(days=1 if day.weekday() < 4 else -1))
    page = grid_of(client, day)

    assert f"You have 0 of 2 periods left {week}." in page_text(page)
    api = book(client, auth_headers(ada), "lab-1", day, start_slot=5).get_json()["error"]
    assert api["rule"] == "R-06"
    kind, _, label, words = named(page, "Lab 1, period 5,")
    assert (kind, label) == (
        "refused",
        f"Lab 1, period 5, 13:00–13:50, Quota used: {api['message']}",
    )
    assert words == f"P5 · 13:00 Quota used {api['message']} R-06"
    assert "free. Book it" not in text(page)


def test_a_room_for_another_department_says_whose_it_is(site, create_account, create_facility):
    """R-08: a room for Art only says "Art only" to a Science teacher, and is a link for Art."""
    day = school_day()
    create_facility(code="studio", name="Art Studio", allowed_departments=["Art"])
    science = signed_in(site, create_account(name="Ada Park", department="Science"))
    art = signed_in(site, create_account(name="Cy Art", department="Art"))

    kind, _, _, words = named(grid_of(science, day), "Art Studio, period 1,")
    assert (kind, words) == ("refused", "P1 · 09:00 Art only Art Studio is only for Art. R-08")
    assert "free. Book it" in text(grid_of(art, day))


def test_a_booking_of_several_periods_is_one_cell(
    site, create_account, create_facility, create_reservation
):
    """Ben's periods 2–4 are one cell spanning three columns, named with periods 2–4."""
    day = school_day()
    lab = create_facility(code="lab-1", name="Lab 1")
    ben = create_account(name="Ben Ito")
    create_reservation(lab, ben, day, start_slot=2, end_slot=4)
    page = grid_of(signed_in(site, create_account(name="Ada Park")), day)

    kind, span, label, words = named(page, "Lab 1, periods 2–4,")
    assert (kind, span, label) == (
        "booked",
        3,
        "Lab 1, periods 2–4, 10:00–12:50, booked by Ben Ito",
    )
    assert words == "P2–4 · 10:00 Booked · Ben Ito"
    assert len(re.findall(r'<td class="cell ', text(page))) == 6  # 8 periods, 3 in one


def test_blackout_cells_say_the_reason_and_the_day_links_skip_the_weekend(
    site, create_account, create_facility
):
    """A Friday's blackout "Sports day" shows in its cells; Day › on Friday goes to Monday."""
    friday = school_day() + timedelta(days=(4 - school_day().weekday()))
    create_facility(code="lab-1", name="Lab 1")
    store(BlackoutDate(start_date=friday, end_date=friday, reason="Sports day"))
    client = signed_in(site, create_account(name="Ada Park"))
    page = grid_of(client, friday)

    kind, _, label, words = named(page, "Lab 1, period 2,")
    assert (kind, label, words) == (
        "blackout",
        "Lab 1, period 2, 10:00–10:50, blackout: Sports day",
        "P2 · 10:00 Sports day",
    )
    monday = (friday + timedelta(days=3)).isoformat()
    thursday = (friday - timedelta(days=1)).isoformat()
    assert re.search(rf'<a href="/\?date={monday}"[^>]*>Day ›</a>', text(page))
    assert re.search(rf'<a href="/\?date={thursday}"[^>]*>‹ Day</a>', text(page))
    following = grid_of(client, friday + timedelta(days=3))
    assert re.search(rf'<a href="/\?date={friday.isoformat()}"[^>]*>‹ Day</a>', text(following))


def test_the_whole_grid_is_decided_in_a_few_queries_whatever_its_size(
    site, create_account, create_facility, create_reservation
):
    """Forty rooms, two of them held by her: the page's queries do not grow with its cells."""

    def queries_for(client, day):
        count = []
        listener = lambda *args: count.append(1)  # noqa: E731
        event.listen(Engine, "before_cursor_execute", listener)
        try:
            assert grid_of(client, day).status_code == 200
        finally:
            event.remove(Engine, "before_cursor_execute", listener)
        return len(count)

    day = school_day()
    ada = create_account(name="Ada Park")
    rooms = [create_facility(code=f"r{n}", name=f"Room {n:02d}") for n in range(40)]
    client = signed_in(site, ada)
    grid_of(client, day)  # settings and facilities read into the process's copy
    few = queries_for(client, day)
    create_reservation(rooms[0], ada, day, start_slot=1)
    create_reservation(rooms[1], ada, day, start_slot=5)
    with_refusals = queries_for(client, day)

    assert "You're in Room 00" in page_text(grid_of(client, day))
    # A query reads what R-10's message says of the room she holds: once for each period
    # she holds, not once for each of the 78 cells refused.
    assert with_refusals <= few + 2


def test_a_booking_in_place_updates_the_quota_and_its_row(site, create_account, create_facility):
    """The htmx answer to a booking carries the quota line and the room's row, decided anew."""
    day = school_day()
    create_facility(code="f1", name="Lab 1")
    client = signed_in(site, create_account(name="Ada Park"))
    assert "You have 20 of 20 periods left" in page_text(grid_of(client, day))

    answer = page_book(client, day, 3, headers=HX_FROM_GRID)

    assert answer.status_code == 200
    assert re.search(r'<p class="quota" id="quota" hx-swap-oob="true">', text(answer))
    assert "You have 19 of 20 periods left" in page_text(answer)
    assert 'aria-label="Lab 1, period 3, 11:00–11:50, yours"' in text(answer)


def test_a_booking_from_its_own_page_carries_no_grid_parts(site, create_account, create_facility):
    """The booking form on a page of its own (a Find result's Book) has no grid: its answer
    carries no row or quota line for htmx to look for."""
    day = school_day()
    create_facility(code="f1", name="Lab 1")
    client = signed_in(site, create_account(name="Ada Park"))
    on_own_page = HX | {"HX-Current-URL": f"http://localhost/book?facility_id=f1&date={day}"}

    answer = page_book(client, day, 3, headers=on_own_page)

    assert answer.status_code == 200
    assert "Booked Lab 1" in page_text(answer)
    assert "hx-swap-oob" not in text(answer)
