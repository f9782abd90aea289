"""A reservation's page and cancelling from the grid, through the test client: who sees the
page, who may cancel (with a reason) or confirm there, what the holder reads afterwards,
and the grid cell that opens the cancel form for approvers and admins.

The clock stands on Monday 1 June 2026, 07:00 UTC. On Wednesday 3 June Ada Park holds
STEM Lab Alpha for periods 2-3 (confirmed) and has asked for the Main Hall, period 4
(pending, it needs approval).
"""

import re
from datetime import date

import pytest
from sqlalchemy import select

from roomloop.booking import NO_SHOW
from roomloop.extensions import db
from roomloop.models import Event, Reservation

from conftest import store
from page_client import csrf_token, fresh, post_form, signed_in_as, site, text, words

__all__ = ["site"]  # a fixture of page_client.py

WED = date(2026, 6, 3)
HX = {"HX-Request": "true"}


@pytest.fixture
def school(freeze, create_account, create_facility, create_reservation):
    freeze(2026, 6, 1, 7, 0)
    lab = create_facility(code="f1", name="STEM Lab Alpha", building="Curie")
    hall = create_facility(code="hall", name="Main Hall", requires_approval=True)
    names = (("ada", "teacher", "Ada Park"), ("ben", "teacher", "Ben Ito"),
             ("cy", "approver", "Cy Diaz"), ("dee", "admin", "Dee Okafor"))  # fmt: skip
    people = {key: create_account(role=role, name=name) for key, role, name in names}
    lab_booking = create_reservation(lab, people["ada"], WED, 2, 3, purpose="Year 9 titration")
    request = create_reservation(hall, people["ada"], WED, 4, status="pending", purpose="Choir")
    return {**people, "lab": lab_booking, "hall": request}


def page_of(reservation):
    return f"/reservations/{reservation.public_id}"


def cancel(client, reservation, reason="", headers=None):
    return post_form(client, page_of(reservation), page_of(reservation) + "/cancel",
                     cancel_reason=reason, _h=headers or {})  # fmt: skip


def stored(reservation):
    fresh()
    return db.session.get(Reservation, reservation.id)


# --- Who sees it ----------------------------------------------------------------------------


def test_the_holder_sees_her_booking_and_another_teacher_gets_404(site, school):
    ada, ben = signed_in_as(site, school["ada"]), signed_in_as(site, school["ben"])

    shown = ada.get(page_of(school["lab"]))

    assert shown.status_code == 200
    page = words(shown)
    assert "STEM Lab Alpha, Wed 3 Jun 2026 Confirmed" in page
    assert "Facility STEM Lab Alpha · Curie Date Wednesday 3 June 2026" in page
    assert "Periods 2–3 (10:00–11:50) Booked by You Purpose Year 9 titration" in page
    assert "Cancel your booking" in page and "Confirm this request" not in page
    for path in (page_of(school["lab"]), page_of(school["lab"]) + "/cancel",
                 "/reservations/res_0000", "/reservations/nonsense"):  # fmt: skip
        assert ben.get(path).status_code == 404, path
    assert ben.get("/reservations/res_0000").status_code == 404


def test_an_approver_rejects_a_request_with_a_reason_and_the_holder_reads_why(site, school):
    cy = signed_in_as(site, school["cy"])
    asked = words(cy.get(page_of(school["hall"])))
    assert "Booked by Ada Park · Science" in asked
    assert "Confirm this request" in asked and "Cancel Ada Park’s booking" in asked

    response = cancel(cy, school["hall"], "  The hall is used for exams that week ")

    assert response.status_code == 303
    notice = text(cy.get(page_of(school["hall"])))
    assert "Cancelled Ada Park’s booking of Main Hall on Wed 3 Jun." in notice
    cancelled = stored(school["hall"])
    assert cancelled.status == "cancelled" and cancelled.cancelled_by_id == school["cy"].id
    assert cancelled.cancel_reason == "The hall is used for exams that week"
    event = db.session.scalar(select(Event).where(Event.type == "reservation.cancelled"))
    assert event.data["cancel_reason"] == "The hall is used for exams that week"
    ada = signed_in_as(site, school["ada"])
    page = words(ada.get(page_of(school["hall"])))
    assert "Cancelled Cancelled by Cy Diaz: The hall is used for exams that week" in page
    assert "Cancel your booking" not in page
    assert "Cancelled by Cy Diaz: The hall is used for exams that week" in words(ada.get("/my"))


def test_an_approver_may_not_cancel_a_confirmed_booking(site, school):
    """Approvers cancel what waits for approval; a confirmed booking is its holder's or an
    admin's to cancel: no form, and a forged post is refused in words."""
    cy = signed_in_as(site, school["cy"])
    page = words(cy.get(page_of(school["lab"])))
    assert "Booked by Ada Park" in page and "Cancel this booking" not in page

    response = cancel(cy, school["lab"], "Mine now")

    assert response.status_code == 422
    assert "Only the person who booked it or an admin may change this reservation." in words(
        response
    )
    assert stored(school["lab"]).status == "confirmed"


def test_an_admin_cancels_a_confirmed_booking_and_the_reason_is_optional(site, school):
    response = cancel(signed_in_as(site, school["dee"]), school["lab"])

    assert response.status_code == 303
    cancelled = stored(school["lab"])
    assert (cancelled.status, cancelled.cancel_reason) == ("cancelled", None)
    page = words(signed_in_as(site, school["ada"]).get(page_of(school["lab"])))
    assert "Cancelled by Dee Okafor." in page


def test_a_started_booking_offers_no_cancel(site, school, freeze):
    ada = signed_in_as(site, school["ada"])
    freeze(2026, 6, 3, 10, 30)  # period 2 began at 10:00

    page = words(ada.get(page_of(school["lab"])))
    refused = cancel(ada, school["lab"])

    assert "It has begun, so it can no longer be cancelled." in page
    assert "Cancel this booking" not in page
    assert refused.status_code == 422
    assert "This reservation has already started and can no longer be cancelled." in words(refused)
    assert stored(school["lab"]).status == "confirmed"


def test_cancelling_needs_the_csrf_token(site, school):
    dee = signed_in_as(site, school["dee"])
    path = page_of(school["lab"]) + "/cancel"

    missing = dee.post(path, data={"cancel_reason": "Forged"})
    forged = dee.post(path, data={"cancel_reason": "Forged", "csrf_token": "not-a-token"})

    assert (missing.status_code, forged.status_code) == (400, 400)
    assert stored(school["lab"]).status == "confirmed"


def test_a_refused_reason_says_why_and_keeps_what_was_typed(site, school):
    response = cancel(signed_in_as(site, school["dee"]), school["lab"], "Bell\x07 rang")

    assert response.status_code == 422
    html = text(response)
    assert '<p class="field-error" id="cancel_reason-error">Must not contain control' in html
    assert re.search(r'<textarea[^>]*aria-invalid="true"[^>]*>\s*Bell\x07 rang</textarea>', html)
    assert stored(school["lab"]).status == "confirmed"


def test_an_approver_confirms_a_request_on_its_page(site, school):
    cy = signed_in_as(site, school["cy"])
    response = post_form(cy, page_of(school["hall"]), page_of(school["hall"]) + "/confirm")

    assert response.status_code == 303
    assert "Confirmed Ada Park’s booking of Main Hall on Wed 3 Jun." in text(
        cy.get(response.headers["Location"])
    )
    assert stored(school["hall"]).status == "confirmed"
    teacher = signed_in_as(site, school["ben"])
    token = csrf_token(text(teacher.get("/")))
    forged = teacher.post(page_of(school["lab"]) + "/confirm", data={"csrf_token": token})
    assert forged.status_code == 404


# --- From the grid ------------------------------------------------------------------------


def cell_links(client):
    """The grid's links to reservations, by their accessible names."""
    html = text(client.get(f"/?date={WED.isoformat()}"))
    found = re.findall(r'<a href="/reservations/(res_\w+)" hx-get="/reservations/\1/cancel" '
                       r'hx-target="#booking-panel" aria-label="([^"]+)">', html)  # fmt: skip
    return {label: public_id for public_id, label in found}


def test_the_grid_links_others_bookings_only_where_the_viewer_may_cancel(site, school):
    lab, hall = school["lab"].public_id, school["hall"].public_id

    assert cell_links(signed_in_as(site, school["dee"])) == {
        "Booked · Ada Park, STEM Lab Alpha, periods 2–3, 10:00–11:50. Cancel it": lab,
        "Pending · Ada Park, Main Hall, period 4, 12:00–12:50. Cancel it": hall,
    }
    assert cell_links(signed_in_as(site, school["cy"])) == {
        "Pending · Ada Park, Main Hall, period 4, 12:00–12:50. Cancel it": hall,
    }
    assert cell_links(signed_in_as(site, school["ben"])) == {}
    assert cell_links(signed_in_as(site, school["ada"])) == {}  # her own: "Yours"


def test_an_admin_cancels_from_the_grid_panel_and_the_row_updates(site, school):
    dee = signed_in_as(site, school["dee"])
    path = page_of(school["lab"]) + "/cancel"

    panel = dee.get(path, headers=HX)

    assert "<html" not in text(panel)
    assert "Cancel Ada Park’s booking" in words(panel) and "Year 9 titration" in words(panel)
    assert f'hx-post="{path}" hx-target="#booking-panel"' in text(panel)
    token = csrf_token(text(panel))
    done = dee.post(path, data={"csrf_token": token, "cancel_reason": "Safety check"}, headers=HX)

    assert done.status_code == 200
    assert "Cancelled Ada Park’s booking of STEM Lab Alpha on Wed 3 Jun." in words(done)
    row = re.search(r'<tr id="row-f1" hx-swap-oob="true">.*?</tr>', text(done), re.S).group()
    assert 'aria-label="STEM Lab Alpha, period 2, 10:00–10:50, free. Book it"' in row
    assert stored(school["lab"]).cancel_reason == "Safety check"


def test_a_refusal_in_the_grid_panel_is_shown_there(site, school, freeze):
    """Begun meanwhile: the answer is still the panel (htmx swaps only 2xx), saying why."""
    dee = signed_in_as(site, school["dee"])
    path = page_of(school["lab"]) + "/cancel"
    freeze(2026, 6, 3, 9, 55)
    token = csrf_token(text(dee.get(path, headers=HX)))
    freeze(2026, 6, 3, 10, 30)

    refused = dee.post(path, data={"csrf_token": token, "cancel_reason": "Late"}, headers=HX)

    assert refused.status_code == 200
    assert "This reservation has already started and can no longer be cancelled." in words(refused)
    assert "hx-swap-oob" not in text(refused)


def test_a_booking_that_has_begun_is_no_link_in_the_grid(site, school, freeze):
    """Period 3 has not begun at 10:30, but the booking began with period 2."""
    dee = signed_in_as(site, school["dee"])
    freeze(2026, 6, 3, 10, 30)

    assert list(cell_links(dee).values()) == [school["hall"].public_id]


def test_a_released_booking_says_nobody_checked_in(site, school):
    """Released by the no-show job: no canceller, the reason ``no_show`` said in words."""
    released = school["lab"]
    released.status, released.cancel_reason = "cancelled", NO_SHOW
    store(released)
    ada = signed_in_as(site, school["ada"])

    assert "Cancelled Released: nobody checked in in time." in words(ada.get(page_of(released)))
    assert "Released: nobody checked in in time." in words(ada.get("/my"))
