"""My reservations: what is still booked under its day, editors closed until asked for, the
cancelled and the past in sections of their own, and a word for each empty list."""

import re
from datetime import date, timedelta

from conftest import school_day
from page_client import signed_in_as, site, text

__all__ = ["site"]  # a fixture of page_client.py


def section(html, title_id):
    """The HTML of the <section> labelled by ``title_id``, up to the next top-level one."""
    match = re.search(
        rf'<section aria-labelledby="{title_id}".*?(?=<section aria-labelledby="(?!day-)|$)',
        html,
        re.S,
    )
    return match.group()


def test_upcoming_bookings_sit_under_their_day_and_cancelled_ones_apart(
    site, create_account, create_facility, create_reservation
):
    ada = create_account(name="Ada Park")
    lab, hall = create_facility(name="STEM Lab Alpha"), create_facility(name="Main Hall")
    first, second = school_day(), school_day() + timedelta(days=1)
    while second.weekday() >= 5:
        second += timedelta(days=1)
    create_reservation(lab, ada, first, 2, purpose="Titration")
    create_reservation(hall, ada, first, 4, purpose="Assembly")
    create_reservation(lab, ada, second, 3, purpose="Revision")
    create_reservation(hall, ada, second, 5, status="cancelled", purpose="Choir")
    create_reservation(lab, ada, date.today() - timedelta(days=3), 2, purpose="Old lesson")

    html = text(signed_in_as(site, ada).get("/my"))

    upcoming = section(html, "upcoming-title")
    headings = re.findall(r'<h3 id="day-([\d-]+)"', upcoming)
    assert headings == [first.isoformat(), second.isoformat()]
    days = re.split(r'<h3 id="day-', upcoming)[1:]
    assert "Titration" in days[0] and "Assembly" in days[0] and "Revision" not in days[0]
    assert "Revision" in days[1] and "Choir" not in upcoming
    # Each editor is there but closed: a <details> with "Change", and Cancel… asks first.
    assert upcoming.count('<details class="editor">') == 3
    assert '<details class="editor" open' not in upcoming
    assert upcoming.count(">Cancel…</a>") == 3

    cancelled = section(html, "cancelled-title")
    assert "Choir" in cancelled and "Show 1 cancelled booking</summary>" in cancelled
    assert '<details class="cancelled-list">' in cancelled  # collapsed
    assert "Old lesson" in section(html, "past-title")
    assert 'id="calendar"' in html  # the subscribe section stays


def test_each_list_says_when_it_is_empty(site, create_account):
    html = text(signed_in_as(site, create_account()).get("/my"))

    assert "Nothing booked from today on. Find a free room." in re.sub(r"<[^>]+>", "", html)
    assert "No cancelled bookings ahead." in html
    assert "No past reservations." in html


def test_a_refused_purpose_comes_back_with_its_editor_open(
    site, create_account, create_facility, create_reservation
):
    ada = create_account()
    booking = create_reservation(create_facility(), ada, school_day(), 2)
    client = signed_in_as(site, ada)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', text(client.get("/my"))).group(1)

    refused = client.post(
        f"/my/{booking.public_id}/purpose",
        data={"csrf_token": token, "purpose": " "},
        headers={"HX-Request": "true"},
    )

    assert '<details class="editor" open>' in text(refused)
    assert 'role="alert"' in text(refused)
