"""Reasons on the approvals queue and on My reservations, through the test client: Reject
takes a reason (for one request and for a series) that goes with the cancellation as
``cancel_reason`` does in the API, and the holder's list says who cancelled and why.

The clock stands on Monday 1 June 2026, 07:00 UTC. Ada Park asks for the Main Hall, which
needs approval.
"""

from datetime import date

import pytest
from sqlalchemy import select

from roomloop.extensions import db
from roomloop.models import Event, Reservation

from page_client import fresh, post_form, signed_in_as, site, text, words

__all__ = ["site"]  # a fixture of page_client.py

WED = date(2026, 6, 3)
HX = {"HX-Request": "true"}


@pytest.fixture
def school(freeze, create_account, create_facility, auth_headers):
    freeze(2026, 6, 1, 7, 0)
    hall = create_facility(code="hall", name="Main Hall", requires_approval=True)
    ada = create_account(name="Ada Park")
    cy = create_account(role="approver", name="Cy Diaz")
    return {"hall": hall, "ada": ada, "cy": cy, "ada_key": auth_headers(ada)}


def ask(client, school, **body):
    """Ada's request for the hall through the API: one date, or a series with ``repeat``."""
    path = "/v1/series" if "repeat" in body else "/v1/reservations"
    defaults = {"facility_id": "hall", "start_slot": 2, "end_slot": 2, "purpose": "Choir"}
    response = client.post(path, json=defaults | body, headers=school["ada_key"])
    assert response.status_code == 201, response.json
    return response.json


def cancelled():
    """Every reservation's status, reason and canceller's id, by date."""
    fresh()
    rows = db.session.execute(
        select(Reservation.status, Reservation.cancel_reason, Reservation.cancelled_by_id)
        .order_by(Reservation.date)
    )  # fmt: skip
    return [tuple(row) for row in rows]


def test_reject_takes_a_reason_that_the_teacher_then_reads(client, site, school):
    request = ask(client, school, date=WED.isoformat())
    cy = signed_in_as(site, school["cy"])
    queue = text(cy.get("/admin/approvals"))
    assert f'<label for="reason-approval-{request["id"]}">Reason' in queue

    response = post_form(cy, "/admin/approvals", f"/admin/approvals/{request['id']}/reject",
                         cancel_reason="The hall is an exam room that week", _h=HX)  # fmt: skip

    assert "Rejected: the periods are free again for everyone." in words(response)
    assert cancelled() == [("cancelled", "The hall is an exam room that week", school["cy"].id)]
    event = db.session.scalar(select(Event).where(Event.type == "reservation.cancelled"))
    assert event.data["cancel_reason"] == "The hall is an exam room that week"
    assert event.data["cancelled_by"]["name"] == "Cy Diaz"
    mine = words(signed_in_as(site, school["ada"]).get("/my"))
    assert "Cancelled by Cy Diaz: The hall is an exam room that week" in mine


def test_reject_without_a_reason_and_confirm_ignoring_one(client, site, school):
    first = ask(client, school, date=WED.isoformat())
    second = ask(client, school, date="2026-06-04")
    cy = signed_in_as(site, school["cy"])

    post_form(cy, "/admin/approvals", f"/admin/approvals/{first['id']}/reject")
    post_form(cy, "/admin/approvals", f"/admin/approvals/{second['id']}/confirm",
              cancel_reason="Not used")  # fmt: skip

    assert cancelled() == [("cancelled", None, school["cy"].id), ("confirmed", None, None)]


def test_a_refused_reason_stays_on_its_row(client, site, school):
    """Too long for the API's ``cancel_reason``: said on the row, kept, nothing rejected."""
    request = ask(client, school, date=WED.isoformat())
    cy = signed_in_as(site, school["cy"])
    reason = "x" * 501

    for headers in (HX, {}):
        response = post_form(cy, "/admin/approvals", f"/admin/approvals/{request['id']}/reject",
                             cancel_reason=reason, _h=headers)  # fmt: skip
        assert response.status_code == (200 if headers else 422)
        assert "String should have at most 500 characters" in text(response)
        assert f'value="{reason}"' in text(response)
    assert cancelled() == [("pending", None, None)]


def test_reject_all_gives_every_waiting_date_of_a_series_the_reason(client, site, school):
    series = ask(client, school, first_date="2026-06-02", until="2026-06-16",
                 repeat={"weekdays": ["tue"]})  # fmt: skip
    cy = signed_in_as(site, school["cy"])

    response = post_form(cy, "/admin/approvals", f"/admin/approvals/series/{series['id']}/reject",
                         cancel_reason="Assemblies move to the gym", _h=HX)  # fmt: skip

    assert "Rejected 3 dates" in words(response)
    assert cancelled() == [("cancelled", "Assemblies move to the gym", school["cy"].id)] * 3


def test_my_reservations_says_who_cancelled_only_when_someone_else_did(client, site, school):
    """Ada's own cancellation needs no words; the approver's does. Each item links to its
    page."""
    rejected = ask(client, school, date=WED.isoformat())
    withdrawn = ask(client, school, date="2026-06-04")
    cy = signed_in_as(site, school["cy"])
    post_form(cy, "/admin/approvals", f"/admin/approvals/{rejected['id']}/reject",
              cancel_reason="Exams")  # fmt: skip
    ada = signed_in_as(site, school["ada"])
    own = f"/reservations/{withdrawn['id']}"
    post_form(ada, own, own + "/cancel", cancel_reason="Choir is off")

    page = text(ada.get("/my"))

    assert page.count("Cancelled by") == 1
    assert "Cancelled by Cy Diaz: Exams" in page
    for reservation in (rejected, withdrawn):
        assert f'href="/reservations/{reservation["id"]}"' in page
    assert "Details of Main Hall on Wed 3 Jun" in page
