"""A series waiting for approval on the approvals queue, through the test client: one
request with Confirm all and Reject all (``update_series``), and its dates decided one by
one with the single reservations' buttons.

The clock stands on Monday 1 June 2026, 07:00 UTC. Ada Park asks for the Main Hall, which
needs approval, on the five Tuesdays of June.
"""

import re
from datetime import date, timedelta
from html import unescape

import pytest
from sqlalchemy import select
from test_admin_pages import HTMX, count, fresh, post_form, signed_in_as, site, text

from roomloop.booking.settings import set_setting
from roomloop.extensions import db
from roomloop.models import BlackoutDate, Event, HeldSlot, Reservation, Series
from roomloop.sqlite import writing

__all__ = ["site"]  # the fixture, shared with test_admin_pages

TUESDAYS = [date(2026, 6, 2) + timedelta(weeks=n) for n in range(5)]


@pytest.fixture
def school(freeze, create_account, create_facility, auth_headers):
    freeze(2026, 6, 1, 7, 0)
    names = (("teacher", "Ada Park"), ("approver", "Cy Diaz"), ("admin", "Dee Okafor"))
    people = {role: create_account(role=role, name=name) for role, name in names}
    hall = create_facility(code="hall", name="Main Hall", requires_approval=True)
    return {"hall": hall, **people, "keys": {r: auth_headers(a) for r, a in people.items()}}


def ask(client, school, who="teacher", **changes):
    """A weekly request for the hall, periods 2-3, to the end of June, through the API."""
    body = {"facility_id": "hall", "first_date": "2026-06-02", "until": "2026-06-30",
            "repeat": {"weekdays": ["tue"]}, "start_slot": 2, "end_slot": 3,
            "purpose": "Year 11 assembly", **changes}  # fmt: skip
    response = client.post("/v1/series", json=body, headers=school["keys"][who])
    assert response.status_code == 201, response.json
    return response.json


@pytest.fixture
def request_(client, school):
    return ask(client, school)


def item_of(response, series):
    found = re.search(rf'<li id="approval-{series["id"]}".*?</details>\s*</li>', text(response),
                      re.S)  # fmt: skip
    assert found, "the series is not on the page"
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", found.group())).split())


def statuses():
    fresh()
    return [s for (s,) in db.session.execute(select(Reservation.status).order_by("date"))]


def decide_series(client, series, action, headers=None):
    path = f"/admin/approvals/series/{series['id']}/{action}"
    return post_form(client, "/admin/approvals", path, _h=headers or {})


def test_a_pending_series_is_one_request_with_its_dates_under_it(site, school, request_):
    page = signed_in_as(site, school["approver"]).get("/admin/approvals")

    words = item_of(page, request_)
    assert words.startswith(
        "Main Hall Repeats 5 dates waiting Every Tuesday, periods 2–3, to 30 Jun (10:00–11:50) "
        "5 dates asked for: Tue 2 Jun 2026 to Tue 30 Jun 2026 Ada Park · Science"
    )
    assert "Year 11 assembly Confirm all Reason (optional) Reject all Decide the dates" in words
    assert "1 request waiting." in text(page)
    dates = re.findall(r'<li id="approval-(res_\w+)"', text(page))
    assert len(dates) == 5  # each with its own Confirm and Reject
    assert text(page).count("Ada Park’s request for Main Hall on") == 10


def test_confirm_all_confirms_every_date_in_place(site, school, request_):
    client = signed_in_as(site, school["approver"])

    response = decide_series(client, request_, "confirm", HTMX)

    html = text(response).strip()
    assert html.startswith(f'<li id="approval-{request_["id"]}"') and "<html" not in html
    words = item_of(response, request_)
    assert "Confirmed 5 dates: Ada Park has Main Hall as requested." in words
    assert "Confirm all" not in words and "Reject all" not in words
    assert '<p id="queue-count" hx-swap-oob="true">Nothing else waiting for approval.</p>' in html
    assert statuses() == ["confirmed"] * 5
    assert count(Event, Event.type == "reservation.confirmed") == 5


def test_reject_all_cancels_the_waiting_dates_and_leaves_those_confirmed(site, school, request_):
    client = signed_in_as(site, school["approver"])
    first = request_["reservations"][0]["id"]
    one = post_form(client, "/admin/approvals", f"/admin/approvals/{first}/confirm", _h=HTMX)
    assert "Confirmed: Ada Park has Main Hall as requested." in text(one)
    assert "4 dates waiting" in item_of(client.get("/admin/approvals"), request_)

    response = decide_series(client, request_, "reject")

    assert response.status_code == 303
    assert "Rejected 4 dates: the periods are free again for everyone." in text(
        client.get("/admin/approvals")
    )
    assert statuses() == ["confirmed"] + ["cancelled"] * 4
    assert count(HeldSlot) == 2
    fresh()
    assert db.session.scalar(select(Series.status)) == "active"


def test_confirm_all_refused_on_one_date_confirms_none(site, school, request_):
    """A blackout added on 16 June since the request: Confirm all names that date and the
    rule, confirms nothing, and the page shows every date still waiting."""
    with writing():
        db.session.add(BlackoutDate(start_date=TUESDAYS[2], end_date=TUESDAYS[2],
                                    reason="Sports day"))  # fmt: skip
        db.session.commit()
    client = signed_in_as(site, school["approver"])

    for headers, status in ((HTMX, 200), (None, 422)):
        response = decide_series(client, request_, "confirm", headers)
        assert response.status_code == status
        words = item_of(response, request_)
        assert "The rules now refuse Tue 16 Jun:" in words and "(Sports day)" in words
        assert "(Sports day). Nothing was confirmed; decide the dates one by one below." in words
        assert "5 dates waiting" in words and "Confirm all" in words
        assert words.count("Waiting") == 5
        assert '<details class="series-dates" open>' in text(response)
    assert statuses() == ["pending"] * 5
    assert count(Event, Event.type == "reservation.confirmed") == 0


def test_an_approver_cannot_confirm_their_own_series(site, school, client):
    own = ask(client, school, who="approver")
    approver = signed_in_as(site, school["approver"])

    words = item_of(approver.get("/admin/approvals"), own)
    assert "Your own request: another approver or an admin confirms it." in words
    assert "Confirm all" not in words and "Reject all" in words
    refused = decide_series(approver, own, "confirm", HTMX)
    assert "Another approver or an admin must confirm your own request." in text(refused)
    assert statuses() == ["pending"] * 5

    with writing():
        set_setting("approvers_confirm_own", True)
        db.session.commit()
    assert "Confirm all" in item_of(approver.get("/admin/approvals"), own)
    assert "Confirmed 5 dates" in text(decide_series(approver, own, "confirm", HTMX))
    assert statuses() == ["confirmed"] * 5


def test_series_and_single_requests_are_counted_as_requests(
    site, school, request_, create_reservation
):
    create_reservation(school["hall"], school["admin"], TUESDAYS[0], start_slot=5,
                       status="pending", purpose="Governors")  # fmt: skip
    page = text(signed_in_as(site, school["approver"]).get("/admin/approvals"))
    assert "2 requests waiting." in page
    assert page.index(f'id="approval-{request_["id"]}"') < page.index("Governors")


def test_only_approvers_decide_a_series(site, school, request_):
    teacher = signed_in_as(site, school["teacher"])
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', text(teacher.get("/"))).group(1)
    path = f"/admin/approvals/series/{request_['id']}/confirm"
    assert teacher.post(path, data={"csrf_token": token}).status_code == 403
    approver = signed_in_as(site, school["approver"])
    assert approver.post(path).status_code == 400  # no CSRF token
    unknown = post_form(approver, "/admin/approvals", "/admin/approvals/series/ser_00/confirm")
    assert unknown.status_code == 404
    assert statuses() == ["pending"] * 5
