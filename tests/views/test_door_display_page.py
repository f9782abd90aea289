"""The door display page through the test client, on a frozen clock: opened with a display
token of its room only, the fragment htmx polls for, "switched off" once revoked, and no
holder's name unless the school allows it.

The default bell schedule, in UTC here: period 2 is 10:00–10:50, period 3 11:00–11:50.
"""

import re
from datetime import date

import pytest

from roomloop.auth.permissions import Actor
from roomloop.booking import create_display, revoke_display
from roomloop.booking.settings import set_setting
from roomloop.extensions import db
from roomloop.sqlite import writing
from roomloop.views.qr import qr_svg

from page_client import text

WEDNESDAY = date(2026, 6, 10)
HTMX = {"HX-Request": "true"}


@pytest.fixture
def door(freeze, create_account, create_facility, create_reservation):
    """Lab 2 (check-in required), Ben Ito's booking of periods 2-3 on Wednesday, and a
    display token of the lab; the clock at 10:05 on Wednesday."""
    freeze(2026, 6, 10, 10, 5)
    lab = create_facility(code="lab-2", name="Lab 2", check_in_required=True)
    other = create_facility(code="lab-3", name="Lab 3")
    admin = create_account(role="admin")
    ben = create_account(name="Ben Ito")
    create_reservation(lab, ben, WEDNESDAY, 2, 3, purpose="Year 10 titration")
    actor = Actor.for_account(admin)
    display, token = create_display(actor, lab, "Front door")
    return {"lab": lab, "other": other, "actor": actor, "display": display, "token": token}


def show(client, code, token, headers=None):
    return client.get(f"/display/{code}", query_string={"token": token}, headers=headers or {})


def test_the_display_shows_the_room_now_and_the_rest_of_the_day(client, door):
    page = show(client, "lab-2", door["token"])
    words = text(page)

    assert page.status_code == 200
    assert page.headers["Cache-Control"] == "no-store"
    assert '<h1 class="door-room">Lab 2</h1>' in words
    assert re.search(r'class="door-status">In use<.*class="door-until">until 11:50<', words, re.S)
    assert "Year 10 titration" in words
    assert "Check in by 10:15 or the room is released" in words
    assert "Wed 10 Jun" in words and ">10:05</time>" in words
    assert words.count('<li class="door-period') == 8
    # It refreshes itself: htmx every 30 s with its token, and a meta refresh without JS.
    assert f'hx-get="/display/lab-2?token={door["token"]}"' in words
    assert 'hx-trigger="every 30s, refresh"' in words
    assert '<noscript><meta http-equiv="refresh" content="60"></noscript>' in words
    # Nothing from another site; no inline script or style.
    assert not re.search(r'(src|href)="(https?:)?//', words)
    assert "<script>" not in words and "style=" not in words


def test_the_qr_code_opens_the_check_in_page(client, door):
    words = text(show(client, "lab-2", door["token"]))

    title = "QR code: scan to check in, or to book this room on your phone"
    assert str(qr_svg("http://localhost/check-in/lab-2", title)) in words
    assert "Scan to check in, or to book this room" in words


def test_a_room_without_check_in_has_a_qr_code_to_book_it(client, door):
    _, token = create_display(door["actor"], door["other"], "")

    words = text(show(client, "lab-3", token))

    title = "QR code: scan to book this room on your phone"
    assert str(qr_svg("http://localhost/facilities/lab-3", title)) in words
    assert re.search(r'door-status">Free<.*door-until">for the rest of the day<', words, re.S)


def test_only_a_token_of_this_room_opens_it(client, door):
    _, other_token = create_display(door["actor"], door["other"], "")

    assert show(client, "lab-2", other_token).status_code == 404
    assert show(client, "lab-2", "").status_code == 404
    assert show(client, "nowhere", door["token"]).status_code == 404
    assert show(client, "lab-3", other_token).status_code == 200


def test_htmx_gets_the_display_alone(client, door):
    fragment = show(client, "lab-2", door["token"], HTMX)
    words = text(fragment)

    assert fragment.status_code == 200
    assert "<html" not in words
    assert re.match(r'\s*<main id="door" class="door door-in-use"', words)
    assert "Year 10 titration" in words


def test_a_revoked_display_says_it_is_switched_off(client, door):
    revoke_display(door["actor"], door["lab"], door["display"].public_id)

    polled = show(client, "lab-2", door["token"], HTMX)
    reloaded = show(client, "lab-2", door["token"])

    assert polled.status_code == 404
    assert "This display has been switched off" in text(polled)
    assert "hx-get" not in text(polled)  # the tablet stops asking
    assert "Year 10 titration" not in text(polled)
    assert reloaded.status_code == 404 and "<html" in text(reloaded)
    assert "This display has been switched off" in text(reloaded)


def test_names_show_only_where_the_school_allows(client, door):
    hidden = text(show(client, "lab-2", door["token"]))
    with writing():
        set_setting("door_display_names", True)
        db.session.commit()
    shown = text(show(client, "lab-2", door["token"]))

    assert "Ben Ito" not in hidden
    assert "Ben Ito" in shown
