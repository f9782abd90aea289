"""The events each change sends to webhooks, made the way people make them: through the API,
the teacher pages and the admin account pages (forms and CSV import).

Each test subscribes a receiver on 127.0.0.1, makes a change, runs the real sender and checks
the verified payload: its ``type``, and ``data``, the resource as the API shows it.
"""

import html
import io
import re

import pytest

from roomloop.extensions import db
from roomloop.outbox.sender import deliver_due

from conftest import book, make_app, school_day
from webhook_receiver import register_webhook

CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


@pytest.fixture
def school(create_account, create_facility, auth_headers):
    """A teacher, an approver and an admin with keys; lab f1, and f2 which needs approval."""
    people = {
        role: create_account(role=role, name=name)
        for role, name in (("teacher", "Ada Park"), ("approver", "Ben Ito"), ("admin", "Cy Diaz"))
    }
    create_facility(code="f1", name="STEM Lab Alpha")
    create_facility(code="f2", name="Drama Studio", requires_approval=True)
    keys = {role: auth_headers(account) for role, account in people.items()}
    known = {role: {"id": a.public_id, "email": a.email} for role, a in people.items()}
    db.session.rollback()  # hold no transaction (on SQLite, a lock) while the pages write
    return {**known, "day": school_day(), "keys": keys}


@pytest.fixture
def hook(client, school, receiver):
    """An endpoint subscribed to every reservation and account event."""
    return register_webhook(client, school["keys"]["admin"], receiver.url)


def booked(client, school, facility, start_slot=2):
    """Book ``facility`` as the teacher through the API; return the reservation."""
    response = book(client, school["keys"]["teacher"], facility, school["day"], start_slot)
    assert response.status_code == 201, response.get_data(as_text=True)
    return response.get_json()


def received(receiver, hook):
    """Send what is due, then return every payload the receiver verified, oldest first."""
    sent = deliver_due()
    return [a.verify(hook["secret"]) for a in receiver.wait_for(sent)]


def shown(client, school, path):
    response = client.get(path, headers=school["keys"]["admin"])
    assert response.status_code == 200
    return response.get_json()


# --- Reservations through the API --------------------------------------------------------


def test_booking_sends_reservation_created(client, school, receiver, hook):
    """A booking sends reservation.created carrying the reservation as GET shows it."""
    reservation = booked(client, school, "f1", 3)

    [event] = received(receiver, hook)

    assert event["type"] == "reservation.created"
    assert event["data"] == shown(client, school, f"/v1/reservations/{reservation['id']}")
    assert (event["data"]["status"], event["data"]["user"]["id"]) == (
        "confirmed",
        school["teacher"]["id"],
    )


def test_changing_the_purpose_sends_reservation_updated(client, school, receiver, hook):
    """PATCH purpose sends reservation.updated with the new purpose."""
    reservation = booked(client, school, "f1")
    path = f"/v1/reservations/{reservation['id']}"

    changed = client.patch(path, json={"purpose": "Mock exam"}, headers=school["keys"]["teacher"])

    assert changed.status_code == 200
    created, updated = received(receiver, hook)
    assert (created["type"], updated["type"]) == ("reservation.created", "reservation.updated")
    assert updated["data"] == changed.get_json()
    assert (updated["data"]["id"], updated["data"]["purpose"]) == (reservation["id"], "Mock exam")


def test_an_approver_confirming_sends_reservation_confirmed(client, school, receiver, hook):
    """Confirming a pending booking sends reservation.confirmed after reservation.created."""
    reservation = booked(client, school, "f2")
    assert reservation["status"] == "pending"

    confirmed = client.patch(
        f"/v1/reservations/{reservation['id']}",
        json={"status": "confirmed"},
        headers=school["keys"]["approver"],
    )

    assert confirmed.status_code == 200, confirmed.get_data(as_text=True)
    events = received(receiver, hook)
    assert [(e["type"], e["data"]["id"], e["data"]["status"]) for e in events] == [
        ("reservation.created", reservation["id"], "pending"),
        ("reservation.confirmed", reservation["id"], "confirmed"),
    ]


def test_cancelling_sends_reservation_cancelled(client, school, receiver, hook):
    """PATCH status cancelled sends reservation.cancelled with status cancelled."""
    reservation = booked(client, school, "f1")

    client.patch(
        f"/v1/reservations/{reservation['id']}",
        json={"status": "cancelled"},
        headers=school["keys"]["teacher"],
    )

    cancelled = received(receiver, hook)[-1]
    assert cancelled["type"] == "reservation.cancelled"
    assert (cancelled["data"]["id"], cancelled["data"]["status"]) == (
        reservation["id"],
        "cancelled",
    )


def test_an_admin_deleting_sends_reservation_deleted_with_what_it_was(
    client, school, receiver, hook
):
    """DELETE by an admin sends reservation.deleted carrying the reservation as it was."""
    reservation = booked(client, school, "f1")
    path = f"/v1/reservations/{reservation['id']}"
    before = shown(client, school, path)

    deleted = client.delete(path, headers=school["keys"]["admin"])

    assert deleted.status_code == 204
    assert client.get(path, headers=school["keys"]["admin"]).status_code == 404
    event = received(receiver, hook)[-1]
    assert event["type"] == "reservation.deleted"
    assert event["data"] == before
    assert (event["data"]["id"], event["data"]["status"]) == (reservation["id"], "confirmed")


# --- Accounts through the API ------------------------------------------------------------


def test_provisioning_sends_account_created(client, school, receiver, hook):
    """POST /v1/accounts sends account.created carrying the new account."""
    body = {"email": "dan@school.example", "name": "Dan Roe", "department": "Music"}
    created = client.post("/v1/accounts", json=body, headers=school["keys"]["admin"])

    [event] = received(receiver, hook)

    assert event["type"] == "account.created"
    assert event["data"] == created.get_json()
    assert (event["data"]["email"], event["data"]["status"]) == ("dan@school.example", "active")


def test_changing_an_account_sends_account_updated(client, school, receiver, hook):
    """PATCH department sends account.updated with the new department."""
    path = f"/v1/accounts/{school['teacher']['id']}"

    changed = client.patch(path, json={"department": "Maths"}, headers=school["keys"]["admin"])

    [event] = received(receiver, hook)
    assert event["type"] == "account.updated"
    assert event["data"] == changed.get_json()
    assert (event["data"]["id"], event["data"]["department"]) == (
        school["teacher"]["id"],
        "Maths",
    )


def test_disabling_an_account_sends_account_disabled_only(client, school, receiver, hook):
    """PATCH status disabled sends account.disabled (and no account.updated)."""
    path = f"/v1/accounts/{school['teacher']['id']}"

    client.patch(path, json={"status": "disabled"}, headers=school["keys"]["admin"])

    [event] = received(receiver, hook)
    assert event["type"] == "account.disabled"
    assert (event["data"]["id"], event["data"]["status"]) == (
        school["teacher"]["id"],
        "disabled",
    )


def test_a_csv_import_sends_created_updated_and_disabled(client, school, receiver, hook):
    """POST /v1/accounts/bulk sends one event per change: created, updated, disabled."""
    teacher, approver = school["teacher"]["email"], school["approver"]["email"]
    csv = (
        "email,name,department,role,status\n"
        f"{teacher},Ada Park,Maths,teacher,active\n"
        f"{approver},Ben Ito,Science,approver,disabled\n"
        "new@school.example,New Person,Art,teacher,active\n"
    )
    response = client.post(
        "/v1/accounts/bulk",
        data={"file": (io.BytesIO(csv.encode()), "staff.csv")},
        headers=school["keys"]["admin"],
    )
    assert response.status_code == 200, response.get_data(as_text=True)

    events = received(receiver, hook)

    assert sorted((e["type"], e["data"]["email"]) for e in events) == [
        ("account.created", "new@school.example"),
        ("account.disabled", approver),
        ("account.updated", teacher),
    ]
    updated = next(e for e in events if e["type"] == "account.updated")
    assert updated["data"]["department"] == "Maths"


def test_an_account_subscriber_gets_no_reservation_events(client, school, receivers):
    """An endpoint for account.* gets account events only; one for reservation.* the others."""
    accounts, bookings = receivers(), receivers()
    admin = school["keys"]["admin"]
    account_hook = register_webhook(client, admin, accounts.url, ["account.*"])
    booking_hook = register_webhook(client, admin, bookings.url, ["reservation.*"])

    reservation = booked(client, school, "f1")
    client.post("/v1/accounts", json={"email": "dan@school.example", "name": "Dan"}, headers=admin)
    assert deliver_due() == 2

    [account_event] = [a.verify(account_hook["secret"]) for a in accounts.wait_for(1)]
    [booking_event] = [a.verify(booking_hook["secret"]) for a in bookings.wait_for(1)]
    assert account_event["type"] == "account.created"
    assert booking_event["type"] == "reservation.created"
    assert booking_event["data"]["id"] == reservation["id"]
    assert len(accounts.arrivals) == len(bookings.arrivals) == 1


# --- Through the pages -------------------------------------------------------------------


@pytest.fixture
def site(app, database_url):
    """Return a function that signs an account in on a fresh app with dev login, as a person
    does, and returns the client."""
    apps = []

    def signed_in(account):
        apps.append(make_app(database_url, DEV_LOGIN=True))
        client = apps[-1].test_client()
        response = client.post(
            "/login/dev", data={"csrf_token": token(client, "/login"), "account_id": account["id"]}
        )
        assert response.status_code == 302
        return client

    yield signed_in
    for site_app in apps:
        with site_app.app_context():
            db.engine.dispose()


def token(client, path):
    """The CSRF token of the page's first form."""
    return CSRF.search(client.get(path).get_data(as_text=True)).group(1)


def test_booking_and_cancelling_on_the_teacher_pages_send_events(
    client, site, school, receiver, hook
):
    """Booking on /book, then cancelling on /my, sends reservation.created, then .cancelled."""
    page = site(school["teacher"])
    day = school["day"].isoformat()
    cell = {"facility_id": "f1", "date": day, "start_slot": "4", "end_slot": "4"}
    form = "/book?" + "&".join(f"{k}={v}" for k, v in cell.items())

    booked = page.post("/book", data={"csrf_token": token(page, form), **cell, "purpose": "Choir"})
    assert booked.status_code == 302
    [reservation] = client.get("/v1/reservations", headers=school["keys"]["teacher"]).get_json()[
        "data"
    ]
    cancel = f"/my/{reservation['id']}/cancel"
    page.post(cancel, data={"csrf_token": token(page, cancel)})

    events = received(receiver, hook)
    assert [(e["type"], e["data"]["id"], e["data"]["status"]) for e in events] == [
        ("reservation.created", reservation["id"], "confirmed"),
        ("reservation.cancelled", reservation["id"], "cancelled"),
    ]
    assert events[0]["data"]["purpose"] == "Choir"
    assert events[0]["data"]["start_slot"] == 4


def test_adding_and_editing_on_the_account_pages_send_events(client, site, school, receiver, hook):
    """Adding, then editing, an account on the admin pages sends account.created, then .updated."""
    page = site(school["admin"])
    fields = {"email": "dan@school.example", "name": "Dan Roe", "department": "Music"}
    added = page.post(
        "/admin/accounts",
        data={"csrf_token": token(page, "/admin/accounts"), **fields, "role": "teacher"},
    )
    assert added.status_code == 303
    [dan] = client.get(
        "/v1/accounts?q=dan@school.example", headers=school["keys"]["admin"]
    ).get_json()["data"]
    edit = f"/admin/accounts/{dan['id']}/edit"
    saved = page.post(
        edit,
        data={
            "csrf_token": token(page, edit),
            **fields,
            "name": "Dan Roe-Smith",
            "role": "approver",
            "status": "active",
        },
    )
    assert saved.status_code == 303

    events = received(receiver, hook)

    assert [(e["type"], e["data"]["id"], e["data"]["name"], e["data"]["role"]) for e in events] == [
        ("account.created", dan["id"], "Dan Roe", "teacher"),
        ("account.updated", dan["id"], "Dan Roe-Smith", "approver"),
    ]


def test_a_csv_import_on_the_account_pages_sends_events(client, site, school, receiver, hook):
    """A CSV import on the admin pages sends account.created and account.updated, once each."""
    page = site(school["admin"])
    csv = (
        "email,name,department,role\n"
        f"{school['teacher']['email']},Ada Park-Lee,Science,teacher\n"
        f"{school['approver']['email']},Ben Ito,Science,approver\n"
        "eve@school.example,Eve Stone,Maths,teacher\n"
    )
    preview = page.post(
        "/admin/accounts/import",
        data={
            "csrf_token": token(page, "/admin/accounts/import"),
            "file": (io.BytesIO(csv.encode()), "staff.csv"),
        },
        content_type="multipart/form-data",
    )
    assert preview.status_code == 200
    text = preview.get_data(as_text=True)
    content = html.unescape(re.search(r'name="content"[^>]*value="([^"]+)"', text).group(1))
    assert received(receiver, hook) == []  # a preview changes nothing

    done = page.post(
        "/admin/accounts/import/confirm",
        data={
            "csrf_token": CSRF.search(text).group(1),
            "content": content,
            "filename": "staff.csv",
        },
    )

    assert done.status_code == 200
    events = received(receiver, hook)
    assert sorted((e["type"], e["data"]["email"], e["data"]["name"]) for e in events) == [
        ("account.created", "eve@school.example", "Eve Stone"),
        ("account.updated", school["teacher"]["email"], "Ada Park-Lee"),
    ]
