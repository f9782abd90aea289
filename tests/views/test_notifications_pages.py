"""The Notifications page, and the one-click unsubscribe that needs no sign-in.

Each test starts a fresh app with dev login and signs in as a person does (helpers in
``page_client.py``); the unsubscribe links are the ones the emails carry.
"""

import email
import re
from email import policy

import pytest
from sqlalchemy import select

from roomloop.auth.unsubscribe_tokens import unsubscribe_token
from roomloop.extensions import db
from roomloop.models import Account
from roomloop.outbox import send_due_mail

from conftest import book, school_day
from page_client import fresh, post_form, signed_in_as, site, text

__all__ = ["site"]  # a fixture of page_client.py


@pytest.fixture
def app_config(tmp_path):
    return {"MAIL_FOLDER": str(tmp_path)}  # the emails of this test alone


@pytest.fixture
def people(create_account):
    return {
        "ada": create_account(name="Ada Park", email="ada@school.example"),
        "ben": create_account(name="Ben Ito", email="ben@school.example"),
        "val": create_account(role="approver", name="Val Ortiz", email="val@school.example"),
    }


def choices(account):
    fresh()
    return db.session.scalar(select(Account.notifications).where(Account.id == account.id))


def ticked(html):
    return re.findall(
        r'<input checked id="kinds-\d+" name="kinds" type="checkbox" value="(\w+)"', html
    )


def test_the_account_page_links_to_notifications(site, people):
    page = text(signed_in_as(site, people["ada"]).get("/account"))

    assert "every kind of email is on" in page
    assert 'href="/account/notifications"' in page


def test_a_teacher_turns_a_kind_off_and_it_stays_off(site, people):
    client = signed_in_as(site, people["ada"])
    page = text(client.get("/account/notifications"))
    assert ticked(page) == [
        "confirmed",
        "pending",
        "approved",
        "rejected",
        "cancelled",
        "series_booked",
        "blackout_added",
    ]
    assert "digest_hour" not in page and "new_request" not in page
    assert "Your booking is confirmed, with a calendar invite attached." in page

    kept = ["confirmed", "pending", "approved", "rejected", "cancelled", "blackout_added"]
    # A teacher's form has no digest choice to send.
    response = post_form(client, "/account/notifications", "/account/notifications", kinds=kept)

    assert response.status_code == 303
    page = text(client.get("/account/notifications"))
    assert "Your email choices are saved." in page
    assert ticked(page) == kept
    assert choices(people["ada"])["series_booked"] is False
    assert choices(people["ben"]) is None
    assert "1 of 7 kinds are off" in text(client.get("/account"))


def test_an_approver_chooses_a_daily_digest(site, people):
    client = signed_in_as(site, people["val"])
    page = text(client.get("/account/notifications"))
    assert "A request is waiting for your decision" in page
    assert '<option selected value="">An email for each request, as it arrives</option>' in page

    post_form(
        client,
        "/account/notifications",
        "/account/notifications",
        kinds=["new_request"],
        digest_hour="7",
    )

    fresh()
    assert db.session.get(Account, people["val"].id).digest_hour == 7
    page = text(client.get("/account/notifications"))
    assert '<option selected value="7">One email a day, at 07:00</option>' in page


def test_saving_needs_the_pages_csrf_token_and_a_sign_in(site, people):
    client = signed_in_as(site, people["ada"])
    assert client.post("/account/notifications", data={"kinds": []}).status_code == 400
    assert choices(people["ada"]) is None

    signed_out = site().get("/account/notifications")
    assert signed_out.status_code == 302 and "/login" in signed_out.location


def test_an_unknown_hour_is_refused_and_nothing_is_saved(site, people):
    client = signed_in_as(site, people["val"])

    response = post_form(
        client, "/account/notifications", "/account/notifications", kinds=[], digest_hour="25"
    )

    assert response.status_code == 400
    assert "Nothing was saved." in text(response)
    assert choices(people["val"]) is None


# --- Unsubscribe --------------------------------------------------------------------------


def test_an_unsubscribe_link_asks_then_turns_off_its_kind_without_a_sign_in(site, people):
    client = site()  # signed out
    link = f"/unsubscribe?t={unsubscribe_token(people['ada'], 'cancelled')}"

    page = text(client.get(link))
    assert "ada@school.example" in page
    assert "Someone else cancelled your booking, saying who and why." in page
    assert f'action="{link}"' in page.replace("&amp;", "&")
    assert choices(people["ada"]) is None  # asking changes nothing

    done = client.post(link)  # the button: no CSRF token, the signed link is the proof
    assert done.status_code == 200
    assert "gets no more of these emails" in text(done)
    assert choices(people["ada"]) == {"cancelled": False}
    assert choices(people["ben"]) is None


def test_a_mail_clients_one_click_post_unsubscribes(site, people):
    """RFC 8058: the client POSTs ``List-Unsubscribe=One-Click`` to the header's URL."""
    link = f"/unsubscribe?t={unsubscribe_token(people['val'], 'new_request')}"

    response = site().post(link, data={"List-Unsubscribe": "One-Click"})

    assert response.status_code == 200
    assert choices(people["val"]) == {"new_request": False}


def test_a_bad_link_says_so_and_changes_nothing(site, people):
    client = site()
    good = unsubscribe_token(people["ada"], "confirmed")
    for token in ("", "nonsense", good[:-3] + "abc", good.replace(".", "x.", 1)):
        for response in (
            client.get(f"/unsubscribe?t={token}"),
            client.post(f"/unsubscribe?t={token}"),
        ):
            assert response.status_code == 404
            assert "This unsubscribe link is not valid." in text(response)
    assert choices(people["ada"]) is None


def test_the_links_in_an_email_lead_to_the_pages(
    app, client, site, people, create_facility, auth_headers, tmp_path
):
    """The List-Unsubscribe URL of a real email unsubscribes with one click; its footer
    links to the Notifications page."""
    book(client, auth_headers(people["ada"]), create_facility(), school_day())
    send_due_mail()
    [written] = tmp_path.iterdir()
    message = email.message_from_bytes(written.read_bytes(), policy=policy.default)
    body = message.get_body(("plain",)).get_content()
    assert "Choose which emails you get: http://127.0.0.1:5000/account/notifications" in body

    url = str(message["List-Unsubscribe"]).strip("<>")
    response = site().post(
        url.removeprefix("http://127.0.0.1:5000"), data={"List-Unsubscribe": "One-Click"}
    )

    assert response.status_code == 200
    assert choices(people["ada"]) == {"confirmed": False}
