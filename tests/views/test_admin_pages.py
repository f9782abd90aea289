"""The admin pages through the test client: who sees them, facilities, the approvals queue.

Each test starts a fresh app with dev login (``site``), signs in the way a person does, and
posts forms with the CSRF token scraped from the page, as a browser would send it (helpers
in ``page_client.py``). The
settings page has its own file, ``test_admin_settings_pages.py``.
"""

import re

import pytest
from sqlalchemy import func, select

from roomloop.extensions import db
from roomloop.models import Event, Facility, HeldSlot, Reservation

from conftest import school_day
from page_client import csrf_token, fresh, post_form, signed_in_as, site, text

__all__ = ["site"]  # a fixture of page_client.py

ADMIN_PAGES = {
    "/admin/approvals": ("Approvals", "reservations:approve"),
    "/admin/reports": ("Reports", "reports:read"),
    "/admin/facilities": ("Facilities", "facilities:manage"),
    "/admin/settings": ("Settings", "settings:manage"),
    "/admin/keys": ("API keys", "keys:manage"),
}
HTMX = {"HX-Request": "true"}


@pytest.fixture
def school(create_account, create_facility):
    """Facility f1, and a teacher, an approver and an admin."""
    people = {
        role: create_account(role=role, name=name)
        for role, name in (("teacher", "Ada Park"), ("approver", "Ben Ito"), ("admin", "Cy Diaz"))
    }
    return {"lab": create_facility(code="f1", name="STEM Lab Alpha"), **people}


def nav_links(client):
    """The main navigation's links, by their words."""
    html = client.get("/").get_data(as_text=True)
    nav = re.search(r'<nav class="site-nav".*?</nav>', html, re.S).group()
    links = re.findall(r'<a href="([^"]+)"[^>]*>(.*?)</a>', nav, re.S)
    return {re.sub(r"<[^>]+>", "", inner).strip(): href for href, inner in links}  # no icons


def count(model, *where):
    fresh()
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


# --- Who sees what ----------------------------------------------------------------------


def test_teacher_gets_403_on_every_admin_page_and_sees_no_admin_links(site, school):
    """A teacher is refused each admin page (naming the capability) and each admin form post."""
    client = signed_in_as(site, school["teacher"])
    for path, (_, capability) in ADMIN_PAGES.items():
        response = client.get(path)
        assert response.status_code == 403, path
        assert capability in text(response)
    assert list(nav_links(client)) == ["Book a room", "Find a room", "My reservations"]

    token = csrf_token(client.get("/").get_data(as_text=True))
    posts = {
        "/admin/facilities/new": {"id": "x1", "name": "X", "type": "lab", "capacity": "3"},
        "/admin/facilities/f1/edit": {"name": "Renamed", "type": "lab", "capacity": "3"},
        "/admin/settings/rules": {"max_consecutive_slots": "1"},
        "/admin/settings/blackouts": {"start_date": school_day().isoformat()},
    }
    for path, fields in posts.items():
        assert client.post(path, data={"csrf_token": token, **fields}).status_code == 403, path
    assert count(Facility) == 1
    assert db.session.get(Facility, school["lab"].id).name == "STEM Lab Alpha"


def test_approver_sees_approvals_and_reports_only(site, school):
    """An approver's nav adds Approvals and Reports; the other admin pages stay out of reach."""
    client = signed_in_as(site, school["approver"])
    assert list(nav_links(client)) == [
        "Book a room",
        "Find a room",
        "My reservations",
        "Approvals",
        "Reports",
    ]
    assert client.get("/admin/approvals").status_code == 200
    assert client.get("/admin/reports").status_code == 200
    for path in ("/admin/facilities", "/admin/settings", "/admin/keys"):
        assert client.get(path).status_code == 403, path


def test_admin_sees_every_admin_page_in_the_nav(site, school):
    """An admin's nav links to each admin page, and each opens with its heading."""
    client = signed_in_as(site, school["admin"])
    links = nav_links(client)
    for path, (words, _) in ADMIN_PAGES.items():
        assert links[words] == path
        assert f"<h1>{words}</h1>" in text(client.get(path))


def test_admin_pages_hold_no_inline_code(site, school):
    """No inline script, style attribute or event handler, which the CSP would block."""
    client = signed_in_as(site, school["admin"])
    for path in ("/admin/approvals", "/admin/reports", "/admin/facilities",
                 "/admin/facilities/new", "/admin/facilities/f1/edit",
                 "/admin/settings"):  # fmt: skip
        response = client.get(path)
        assert response.status_code == 200, path
        html = response.get_data(as_text=True)
        assert not re.search(r"<script(?![^>]*\bsrc=)|\sstyle=|\son[a-z]+=", html), path


def test_signed_out_admin_page_sends_to_sign_in(site):
    response = site().get("/admin/settings")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/login?next=%2Fadmin%2Fsettings")


# --- Facilities -------------------------------------------------------------------------

NEW_FACILITY = {
    "id": "gym-2",
    "name": "Small Gym",
    "type": "gym",
    "building": "Sports Hall",
    "capacity": "40",
    "amenities": "mats, wall bars ,",
    "status": "active",
    "requires_approval": "y",
    "description": "Upstairs.",
    "allowed_departments": "PE, Dance",
    "allowed_roles": ["teacher", "approver"],
    "max_slots_per_booking": "2",
}


def test_admin_creates_a_facility_with_its_restrictions(site, school):
    """The create form stores every field, lists split at commas; the list then shows it."""
    client = signed_in_as(site, school["admin"])

    response = post_form(client, "/admin/facilities/new", "/admin/facilities/new", **NEW_FACILITY)

    assert response.status_code == 303
    fresh()
    gym = db.session.scalar(select(Facility).where(Facility.code == "gym-2"))
    assert (gym.name, gym.type, gym.building, gym.capacity) == (
        "Small Gym",
        "gym",
        "Sports Hall",
        40,
    )
    assert gym.amenities == ["mats", "wall bars"]
    assert (gym.status, gym.requires_approval, gym.description) == ("active", True, "Upstairs.")
    assert (gym.allowed_departments, gym.allowed_roles) == (
        ["PE", "Dance"],
        ["teacher", "approver"],
    )
    assert gym.max_slots_per_booking == 2
    listing = text(client.get("/admin/facilities"))
    assert "Added Small Gym (gym-2)." in listing
    row = re.search(r'<tr id="facility-gym-2">.*?</tr>', listing, re.S).group()
    assert "Needs approval" in row and "PE, Dance, teacher, approver" in row


def test_admin_edits_a_facility(site, school):
    """The edit form opens filled in; saving changes status, approval flag and restrictions."""
    client = signed_in_as(site, school["admin"])
    form_page = text(client.get("/admin/facilities/f1/edit"))
    assert 'value="STEM Lab Alpha"' in form_page

    fields = {**NEW_FACILITY, "name": "STEM Lab A", "status": "maintenance", "allowed_roles": []}
    del fields["id"], fields["requires_approval"]  # an unticked box is not sent
    response = post_form(client, "/admin/facilities/f1/edit", "/admin/facilities/f1/edit", **fields)

    assert response.status_code == 303
    fresh()
    lab = db.session.get(Facility, school["lab"].id)
    assert (lab.code, lab.name, lab.status, lab.requires_approval) == (
        "f1", "STEM Lab A", "maintenance", False,
    )  # fmt: skip
    assert (lab.allowed_roles, lab.max_slots_per_booking) == ([], 2)


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"capacity": "lots"}, "capacity", "Enter a whole number."),
        ({"capacity": "-1"}, "capacity", "Must be 0 or more."),
        ({"id": "f1"}, "id", "A facility with id 'f1' already exists."),
        ({"id": "Gym 2"}, "id", "Use lower-case letters, digits, '-' or '_'."),
        ({"name": ""}, "name", "This cannot be empty."),
        ({"max_slots_per_booking": "0"}, "max_slots_per_booking", "Must be 1 or more."),
    ],
    ids=["capacity-text", "capacity-negative", "duplicate-id", "bad-id", "no-name", "max-0"],
)
def test_refused_facility_shows_why_next_to_the_field_and_saves_nothing(
    site, school, fields, field, message
):
    """A bad value: 400, the message under its field, and no facility stored."""
    client = signed_in_as(site, school["admin"])

    response = post_form(
        client, "/admin/facilities/new", "/admin/facilities/new", **{**NEW_FACILITY, **fields}
    )

    assert response.status_code == 400
    html = text(response)
    assert re.search(rf'<p class="field-error" id="{field}-error">[^<]*{re.escape(message)}', html)
    assert f'id="{field}"' in html and "Nothing was saved." in html
    assert count(Facility) == 1


def test_refused_edit_changes_nothing_and_htmx_gets_the_form_back(site, school):
    """With htmx a refused edit answers 200 with just the form, its messages in place."""
    client = signed_in_as(site, school["admin"])
    fields = {"name": "Renamed", "type": "lab", "capacity": "many", "status": "active"}

    response = post_form(
        client, "/admin/facilities/f1/edit", "/admin/facilities/f1/edit", _h=HTMX, **fields
    )

    assert response.status_code == 200
    html = text(response).strip()
    assert html.startswith('<form id="facility-form"') and "<html" not in html
    assert "Enter a whole number." in html
    fresh()
    assert db.session.get(Facility, school["lab"].id).name == "STEM Lab Alpha"


def test_facilities_page_empty_state(site, create_account):
    client = signed_in_as(site, create_account(role="admin"))
    assert "No facilities yet." in text(client.get("/admin/facilities"))


# --- Approvals --------------------------------------------------------------------------


@pytest.fixture
def pending(school, create_facility, create_reservation):
    """Ada's pending request for the auditorium, which needs approval."""
    hall = create_facility(code="hall", name="Main Auditorium", requires_approval=True)
    return create_reservation(
        hall, school["teacher"], school_day(), start_slot=2, end_slot=3, status="pending",
        purpose="Year 11 assembly",
    )  # fmt: skip


def test_queue_lists_pending_requests_soonest_first(site, school, pending, create_reservation):
    """Each request shows facility, date, periods, who and purpose; the soonest is first."""
    later = create_reservation(
        pending.facility, school["approver"], school_day(14), status="pending", purpose="Concert"
    )
    html = text(signed_in_as(site, school["approver"]).get("/admin/approvals"))

    assert html.index(pending.public_id) < html.index(later.public_id)
    item = re.search(rf'<li id="approval-{pending.public_id}".*?</li>', html, re.S).group()
    for words in ("Main Auditorium", f"{pending.date:%a %-d %b %Y}", "periods 2–3",
                  "(10:00–11:50)", "Ada Park", "Year 11 assembly"):  # fmt: skip
        assert words in item
    assert "2 requests waiting." in html


def decide(client, reservation, action, headers=None):
    return post_form(
        client,
        "/admin/approvals",
        f"/admin/approvals/{reservation.public_id}/{action}",
        _h=headers or {},
    )


def events(kind):
    return count(Event, Event.type == kind)


def test_approver_confirms_a_pending_request(site, school, pending):
    """Confirm re-runs the rules, stores it confirmed with its event; the queue is empty."""
    client = signed_in_as(site, school["approver"])

    response = decide(client, pending, "confirm")

    assert response.status_code == 303
    fresh()
    assert db.session.get(Reservation, pending.id).status == "confirmed"
    assert events("reservation.confirmed") == 1
    queue = text(client.get("/admin/approvals"))
    assert "Main Auditorium, " in queue and "Confirmed: Ada Park has Main Auditorium" in queue
    assert "Nothing waiting for approval." in queue


def test_confirm_with_htmx_replaces_the_row_with_its_outcome(site, school, pending):
    client = signed_in_as(site, school["admin"])

    response = decide(client, pending, "confirm", HTMX)

    html = text(response).strip()
    assert response.status_code == 200
    assert html.startswith(f'<li id="approval-{pending.public_id}"') and "<html" not in html
    assert "Confirmed: Ada Park has Main Auditorium as requested." in html
    assert "<button" not in html
    assert '<p id="queue-count" hx-swap-oob="true">Nothing else waiting for approval.</p>' in html


def test_confirm_the_rules_now_refuse_shows_why_and_stays_pending(site, school, pending):
    """The auditorium went under maintenance: R-02's words on that row, nothing changes."""
    pending.facility.status = "maintenance"
    db.session.commit()
    client = signed_in_as(site, school["approver"])

    for headers, status in ((None, 422), (HTMX, 200)):
        response = decide(client, pending, "confirm", headers)
        assert response.status_code == status
        item = re.search(rf'<li id="approval-{pending.public_id}".*?</li>', text(response), re.S)
        assert "The rules now refuse it: Main Auditorium is under maintenance and cannot be " \
            "booked." in item.group()  # fmt: skip
        assert "Confirm</button>" in item.group()  # still there, to try again later
    fresh()
    assert db.session.get(Reservation, pending.id).status == "pending"
    assert events("reservation.confirmed") == 0


def test_reject_cancels_and_frees_the_periods(site, school, pending):
    client = signed_in_as(site, school["approver"])

    response = decide(client, pending, "reject", HTMX)

    assert "Rejected: the periods are free again for everyone." in text(response)
    fresh()
    assert db.session.get(Reservation, pending.id).status == "cancelled"
    assert count(HeldSlot, HeldSlot.reservation_id == pending.id) == 0
    assert events("reservation.cancelled") == 1


def test_deciding_twice_says_it_is_already_decided(site, school, pending):
    client = signed_in_as(site, school["approver"])
    decide(client, pending, "reject")

    response = decide(client, pending, "confirm", HTMX)

    assert "Already cancelled; nothing changed." in text(response)
    fresh()
    assert db.session.get(Reservation, pending.id).status == "cancelled"


def test_teacher_cannot_confirm_from_the_queue(site, school, pending):
    client = signed_in_as(site, school["teacher"])
    token = csrf_token(client.get("/").get_data(as_text=True))
    response = client.post(
        f"/admin/approvals/{pending.public_id}/confirm", data={"csrf_token": token}
    )
    assert response.status_code == 403
    fresh()
    assert db.session.get(Reservation, pending.id).status == "pending"


def test_empty_queue_says_so(site, school):
    html = text(signed_in_as(site, school["approver"]).get("/admin/approvals"))
    assert "Nothing waiting for approval." in html


@pytest.fixture
def own_request(school, create_facility, create_reservation):
    """The approver's own pending request for the auditorium."""
    hall = create_facility(code="hall", name="Main Auditorium", requires_approval=True)
    return create_reservation(hall, school["approver"], school_day(), status="pending")


def test_an_approver_cannot_confirm_their_own_request(site, school, own_request, auth_headers):
    """The queue shows an approver's own request without Confirm; posting it anyway, or
    PATCHing it through the API, is refused and it stays pending. Another approver, or an
    admin, confirms it."""
    client = signed_in_as(site, school["approver"])
    item = re.search(rf'<li id="approval-{own_request.public_id}".*?</li>',
                     text(client.get("/admin/approvals")), re.S).group()  # fmt: skip
    assert "Your own request: another approver or an admin confirms it." in item
    assert "Confirm</button>" not in item and "Reject</button>" in item

    response = decide(client, own_request, "confirm")
    assert response.status_code == 422
    assert "Another approver or an admin must confirm your own request." in text(response)
    api = site().patch(
        f"/v1/reservations/{own_request.public_id}",
        json={"status": "confirmed"},
        headers=auth_headers(school["approver"]),
    )
    assert api.status_code == 403
    assert api.json["error"]["capability"] == "reservations:manage"
    fresh()
    assert db.session.get(Reservation, own_request.id).status == "pending"
    assert events("reservation.confirmed") == 0

    assert decide(signed_in_as(site, school["admin"]), own_request, "confirm").status_code == 303
    fresh()
    assert db.session.get(Reservation, own_request.id).status == "confirmed"


def test_a_school_may_let_approvers_confirm_their_own_requests(
    site, school, own_request, auth_headers
):
    """With the Settings page's "Approvers may confirm their own requests" ticked, they can."""
    admin = signed_in_as(site, school["admin"])
    fields = {"max_consecutive_slots": "4", "booking_window_days": "60", "weekly_quota_slots": "20"}
    saved = post_form(admin, "/admin/settings", "/admin/settings/rules",
                      approvers_confirm_own="y", **fields)  # fmt: skip
    assert saved.status_code == 303
    checkbox = re.search(
        r"<input[^>]*approvers_confirm_own[^>]*>", text(admin.get("/admin/settings"))
    )
    assert "checked" in checkbox.group()

    response = site().patch(
        f"/v1/reservations/{own_request.public_id}",
        json={"status": "confirmed"},
        headers=auth_headers(school["approver"]),
    )
    assert response.status_code == 200
    assert response.json["status"] == "confirmed"
