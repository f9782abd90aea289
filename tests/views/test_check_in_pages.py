"""Check-in on the pages, on a frozen clock: the page a door display's QR code opens (after
sign-in), and the Check in button on My reservations.

The default bell schedule, in UTC here: period 2 is 10:00–10:50, so checking in to a booking
of it opens at 09:50 and, with ``release_after_minutes`` 15, closes at 10:15.
"""

from datetime import date, datetime

import pytest

from roomloop.booking import NO_SHOW
from roomloop.extensions import db
from roomloop.sqlite import writing

from page_client import csrf_token, fresh, post_form, signed_in_as, site, text

__all__ = ["site"]  # a fixture of page_client.py

WEDNESDAY = date(2026, 6, 10)


@pytest.fixture
def school(freeze, create_account, create_facility, create_reservation):
    """Lab 2 (check-in required) and Lab 3 (not), Ada Park's booking of Lab 2's periods 2-3
    on Wednesday; the clock at 10:05 that day."""
    freeze(2026, 6, 10, 10, 5)
    lab = create_facility(code="lab-2", name="Lab 2", check_in_required=True)
    plain = create_facility(code="lab-3", name="Lab 3")
    ada = create_account(name="Ada Park")
    booking = create_reservation(lab, ada, WEDNESDAY, 2, 3, purpose="Year 10 titration")
    return {"lab": lab, "plain": plain, "ada": ada, "booking": booking}


def checked_in_at(reservation):
    fresh()
    return db.session.get(type(reservation), reservation.id).checked_in_at


def release(reservation):
    """Cancel ``reservation`` as the release of a booking nobody checked in does."""
    with writing():
        reservation.status, reservation.cancel_reason = "cancelled", NO_SHOW
        reservation.held_slots = []
        db.session.commit()


def check_in_at_door(client, reservation):
    page = "/check-in/lab-2"
    return post_form(client, page, page, reservation=reservation.public_id)


# --- The page the QR code opens -----------------------------------------------------------


def test_the_check_in_page_asks_to_sign_in_and_comes_back(site, school):
    client = site()

    asked = client.get("/check-in/lab-2")
    login = client.get(asked.headers["Location"])
    signed_in = client.post(
        "/login/dev",
        data={
            "csrf_token": csrf_token(text(login)),
            "account_id": school["ada"].public_id,
            "next": "/check-in/lab-2",
        },
    )

    assert asked.status_code == 302
    assert asked.headers["Location"] == "/login?next=%2Fcheck-in%2Flab-2"
    assert signed_in.headers["Location"] == "/check-in/lab-2"
    page = text(client.get("/check-in/lab-2"))
    assert "Year 10 titration" in page and ">Check in</button>" in page
    assert "Check in by 10:15, or the room is released for others to book." in page


def test_checking_in_at_the_door(site, school):
    client = signed_in_as(site, school["ada"])

    done = check_in_at_door(client, school["booking"])
    after = text(client.get(done.headers["Location"]))

    assert done.status_code == 303 and done.headers["Location"] == "/check-in/lab-2"
    assert "Checked in to Lab 2 until 11:50." in after
    assert "Checked in at 10:05. The room is yours until 11:50." in after
    assert ">Check in</button>" not in after
    assert checked_in_at(school["booking"]) == datetime(2026, 6, 10, 10, 5)


def test_checking_in_needs_the_form_s_csrf_token(site, school):
    client = signed_in_as(site, school["ada"])

    refused = client.post("/check-in/lab-2", data={"reservation": school["booking"].public_id})
    from_my = client.post(f"/my/{school['booking'].public_id}/check-in")

    assert refused.status_code == 400
    assert from_my.status_code == 400
    assert checked_in_at(school["booking"]) is None


def test_too_late_to_check_in_is_said_in_words(site, school, freeze):
    client = signed_in_as(site, school["ada"])
    token = csrf_token(text(client.get("/check-in/lab-2")))
    freeze(2026, 6, 10, 10, 16)

    page = text(client.get("/check-in/lab-2"))
    refused = client.post(
        "/check-in/lab-2", data={"csrf_token": token, "reservation": school["booking"].public_id}
    )

    assert "Check-in closed at 10:15." in page and ">Check in</button>" not in page
    assert refused.status_code == 409
    assert "Check-in closed at 10:15." in text(refused)
    assert checked_in_at(school["booking"]) is None


def test_a_released_booking_says_so(site, school):
    release(school["booking"])
    client = signed_in_as(site, school["ada"])

    page = text(client.get("/check-in/lab-2"))

    assert "Released: nobody checked in in time. Book it again if it is free." in page


def test_with_no_booking_here_the_page_offers_to_book(site, school, create_account):
    client = signed_in_as(site, create_account(name="Ben Ito"))

    page = text(client.get("/check-in/lab-2"))
    someone_else_s = check_in_at_door(client, school["booking"])

    assert "You have no booking here now." in page
    assert 'href="/facilities/lab-2">Book Lab 2</a>' in page
    assert someone_else_s.status_code == 404
    assert checked_in_at(school["booking"]) is None


def test_a_room_without_check_in_says_the_booking_stands(site, school, create_reservation):
    create_reservation(school["plain"], school["ada"], WEDNESDAY, 4, purpose="Drop-in")
    client = signed_in_as(site, school["ada"])

    page = text(client.get("/check-in/lab-3"))

    assert "Lab 3 does not ask for check-in: your booking stands as it is." in page
    assert ">Check in</button>" not in page
    assert client.get("/check-in/nowhere").status_code == 404


# --- My reservations ----------------------------------------------------------------------


def test_my_reservations_has_a_check_in_button_while_it_is_open(
    site, school, freeze, create_reservation
):
    create_reservation(school["plain"], school["ada"], WEDNESDAY, 2, purpose="No check-in here")
    freeze(2026, 6, 10, 9, 45)  # before the window opens
    client = signed_in_as(site, school["ada"])
    early = text(client.get("/my"))
    freeze(2026, 6, 10, 10, 5)

    page = text(client.get("/my"))
    done = post_form(client, "/my", f"/my/{school['booking'].public_id}/check-in")
    after = text(client.get("/my"))

    assert "Check in to Lab 2" not in early
    assert page.count('aria-label="Check in to') == 1  # Lab 3 asks for no check-in
    assert 'aria-label="Check in to Lab 2">Check in</button>' in page
    assert done.status_code == 303 and done.headers["Location"] == "/my"
    assert "Checked in to Lab 2 until 11:50." in after
    assert "Checked in at 10:05" in after and "Check in to Lab 2" not in after


def test_my_reservations_says_when_nobody_checked_in(site, school):
    release(school["booking"])
    client = signed_in_as(site, school["ada"])

    page = text(client.get("/my"))

    assert "Released: nobody checked in" in page
    assert "Check in to Lab 2" not in page


def test_a_date_of_a_series_is_checked_in_from_my_reservations(
    site, school, client, auth_headers, freeze
):
    body = {
        "facility_id": "lab-2",
        "first_date": WEDNESDAY.isoformat(),
        "until": "2026-06-24",
        "repeat": {"weekdays": ["wed"]},
        "start_slot": 4,
        "end_slot": 4,
        "purpose": "Weekly lab",
    }
    created = client.post("/v1/series", json=body, headers=auth_headers(school["ada"]))
    assert created.status_code == 201, created.json
    today = next(r for r in created.json["reservations"] if r["date"] == WEDNESDAY.isoformat())
    freeze(2026, 6, 10, 11, 55)  # period 4 starts at 12:00
    browser = signed_in_as(site, school["ada"])

    page = text(browser.get("/my"))
    done = post_form(browser, "/my", f"/my/{today['id']}/check-in")

    assert page.count('aria-label="Check in to Lab 2">Check in</button>') == 1  # today's only
    assert "Checked in to Lab 2 until 12:50." in text(browser.get(done.headers["Location"]))
