"""The bookings a new blackout covers, on the Settings page through the test client: listed
after the blackout is added (the first 50, and how many in all), and cancelled together
with one reason, prefilled from the blackout's.

The clock stands on Monday 1 June 2026, 07:00 UTC; the blackouts fall on Wednesday 3 June.
"""

import re
from datetime import date

import pytest
from sqlalchemy import func, select

from roomloop.extensions import db
from roomloop.models import BlackoutDate, Event, Reservation

from page_client import csrf_token, fresh, post_form, signed_in_as, site, text, words

__all__ = ["site"]  # a fixture of page_client.py

WED = date(2026, 6, 3)
HX = {"HX-Request": "true"}


@pytest.fixture
def school(freeze, create_account, create_facility, create_reservation):
    freeze(2026, 6, 1, 7, 0)
    lab = create_facility(code="f1", name="STEM Lab Alpha")
    room = create_facility(code="m101", name="Room 101")
    ada, ben = create_account(name="Ada Park"), create_account(name="Ben Ito")
    create_reservation(lab, ada, WED, 2, 3, purpose="Year 9 titration")
    create_reservation(room, ben, WED, 5, status="pending", purpose="Debate club")
    return {"lab": lab, "room": room, "ada": ada,
            "admin": create_account(role="admin", name="Dee Okafor")}  # fmt: skip


def add_blackout(client, headers=None, **fields):
    fields = {"start_date": WED.isoformat(), "reason": "Exam day", **fields}
    return post_form(client, "/admin/settings", "/admin/settings/blackouts", _h=headers or {},
                     **fields)  # fmt: skip


def blackout_id():
    fresh()
    return db.session.scalar(select(BlackoutDate.id))


def statuses():
    fresh()
    rows = db.session.execute(select(Reservation.status, Reservation.cancel_reason)
                              .order_by(Reservation.start_slot))  # fmt: skip
    return [tuple(row) for row in rows]


def test_adding_a_blackout_lists_the_bookings_it_covers_with_the_cancel_form(site, school):
    client = signed_in_as(site, school["admin"])

    section = add_blackout(client, HX)

    page = words(section)
    assert "2 bookings already made for those days stay booked." in page
    assert "Bookings during Whole school, Wed 3 Jun 2026 (Exam day) 2 bookings hold periods" in page
    assert ("STEM Lab Alpha Wed 3 Jun 2026 2–3 Ada Park Year 9 titration Confirmed "
            "Room 101 Wed 3 Jun 2026 5 Ben Ito Debate club Pending") in page  # fmt: skip
    assert re.search(r'<textarea[^>]*name="cancel_reason"[^>]*>\s*Exam day</textarea>',
                     text(section))  # fmt: skip
    assert "Cancel these 2 bookings and tell their owners" in page
    assert statuses() == [("confirmed", None), ("pending", None)]


def test_without_htmx_the_page_comes_back_with_the_list_and_keeps_it(site, school):
    """After the redirect the list is there, and the blackouts table links back to it."""
    client = signed_in_as(site, school["admin"])

    response = add_blackout(client)

    assert response.status_code == 303
    location = response.headers["Location"]
    assert location == f"/admin/settings?covered={blackout_id()}#blackouts"
    assert "Cancel these 2 bookings and tell their owners" in words(client.get(location))
    plain = text(client.get("/admin/settings"))
    assert "Cancel these" not in plain
    assert f'href="/admin/settings?covered={blackout_id()}#blackout-bookings"' in plain


def test_cancelling_them_takes_one_reason_and_says_what_happened(site, school):
    client = signed_in_as(site, school["admin"])
    add_blackout(client, HX)
    action = f"/admin/settings/blackouts/{blackout_id()}/cancel-bookings"
    page = f"/admin/settings?covered={blackout_id()}"

    response = post_form(client, page, action, cancel_reason="Exam day: rooms are exam halls",
                         _h=HX)  # fmt: skip

    assert ("Cancelled 2 bookings on the days of Whole school, Wed 3 Jun 2026 (Exam day); "
            "their owners are told.") in words(response)  # fmt: skip
    assert "Cancel these" not in words(response)
    reason = "Exam day: rooms are exam halls"
    assert statuses() == [("cancelled", reason), ("cancelled", reason)]
    events = db.session.scalars(select(Event).where(Event.type == "reservation.cancelled"))
    assert [e.data["cancel_reason"] for e in events] == [reason, reason]
    again = signed_in_as(site, school["ada"]).get("/my")
    assert f"Cancelled by Dee Okafor: {reason}" in words(again)


def test_a_facility_blackout_lists_that_facility_only(site, school):
    client = signed_in_as(site, school["admin"])

    page = words(add_blackout(client, HX, facility="m101"))

    assert "Debate club" in page and "Year 9 titration" not in page
    assert "Cancel this booking and tell its owner" in page


def test_many_bookings_show_the_first_50_and_the_count(site, school, create_facility,
                                                        create_reservation):  # fmt: skip
    for n in range(7):
        room = create_facility(code=f"r{n}", name=f"Room {n}")
        for slot in range(1, 9):
            create_reservation(room, school["ada"], WED, slot, purpose=f"Lesson {n}.{slot}")
    client = signed_in_as(site, school["admin"])

    section = add_blackout(client, HX)

    html = text(section)
    assert "58 bookings hold periods on these days. The first 50 are listed." in words(section)
    assert len(re.findall(r'<th scope="row"><a href="/reservations/', html)) == 50
    assert "Cancel these 58 bookings and tell their owners" in html


def test_only_admins_may_cancel_them(site, school, create_account):
    client = signed_in_as(site, school["admin"])
    add_blackout(client)
    teacher = signed_in_as(site, school["ada"])
    token = csrf_token(text(teacher.get("/")))

    refused = teacher.post(f"/admin/settings/blackouts/{blackout_id()}/cancel-bookings",
                           data={"csrf_token": token, "cancel_reason": "Mine"})  # fmt: skip

    assert refused.status_code == 403
    assert statuses() == [("confirmed", None), ("pending", None)]
    assert db.session.scalar(select(func.count()).select_from(Event)) == 0
