"""Door displays on the Facilities page: added with the address shown once, listed, revoked
after asking; and the Settings page's switch for holders' names on the door."""

import re

import pytest
from sqlalchemy import select

from roomloop.booking import get_setting
from roomloop.extensions import db
from roomloop.models import DisplayToken

from page_client import fresh, post_form, signed_in_as, site, text

__all__ = ["site"]  # a fixture of page_client.py

PAGE = "/admin/facilities/lab-2/displays"


@pytest.fixture
def school(create_account, create_facility):
    return {
        "lab": create_facility(code="lab-2", name="Lab 2", check_in_required=True),
        "admin": create_account(role="admin", name="Cy Diaz"),
        "teacher": create_account(name="Ada Park"),
    }


def display_url(html):
    match = re.search(r'id="display-url" class="secret" value="([^"]+)"', html)
    return match and match.group(1)


def stored_displays():
    fresh()
    return db.session.scalars(select(DisplayToken)).all()


def test_an_admin_adds_a_display_and_sees_its_address_once(site, school):
    client = signed_in_as(site, school["admin"])

    added = post_form(client, PAGE, PAGE, label="Door by the stairs")
    url = display_url(text(added))
    again = text(client.get(PAGE))

    assert added.status_code == 200
    assert url.startswith("http://localhost/display/lab-2?token=dsp_tok_")
    assert "it is shown only this once" in text(added)
    assert '<svg role="img"' in text(added)  # a QR code of the address, for the tablet
    assert display_url(again) is None and url.split("token=")[1] not in again
    assert "Door by the stairs" in again and "never" in again
    token = url.split("token=")[1]
    assert client.get(f"/display/lab-2?token={token}").status_code == 200
    [display] = stored_displays()
    assert display.label == "Door by the stairs" and display.token_hash != token


def test_the_facilities_list_and_edit_page_lead_to_the_displays(site, school):
    client = signed_in_as(site, school["admin"])

    listed = text(client.get("/admin/facilities"))
    edited = text(client.get("/admin/facilities/lab-2/edit"))

    assert f'href="{PAGE}" aria-label="Door displays of Lab 2">Door displays</a>' in listed
    assert f'href="{PAGE}">add, see or revoke Lab 2\'s door displays</a>' in edited


def test_a_label_too_long_is_refused_beside_the_field(site, school):
    client = signed_in_as(site, school["admin"])

    refused = post_form(client, PAGE, PAGE, label="x" * 121)

    assert refused.status_code == 400
    assert 'class="field-error"' in text(refused) and display_url(text(refused)) is None
    assert stored_displays() == []


def test_revoking_asks_first_then_switches_the_display_off(site, school):
    client = signed_in_as(site, school["admin"])
    url = display_url(text(post_form(client, PAGE, PAGE, label="Front")))
    [display] = stored_displays()
    revoke = f"{PAGE}/{display.public_id}/revoke"

    asked = text(client.get(revoke))
    no_token = client.post(revoke)
    assert len(stored_displays()) == 1
    done = post_form(client, revoke, revoke)

    assert "Revoke the display “Front” of Lab 2?" in asked
    assert no_token.status_code == 400
    assert done.status_code == 303 and done.headers["Location"] == PAGE
    assert "Revoked the display “Front”" in text(client.get(PAGE))
    assert stored_displays() == []
    assert client.get(url).status_code == 404
    assert client.get(revoke).status_code == 404


def test_only_admins_manage_displays_on_the_pages(site, school):
    client = signed_in_as(site, school["teacher"])

    assert client.get(PAGE).status_code == 403
    assert post_form(client, "/my", PAGE, label="x").status_code == 403
    assert stored_displays() == []


def test_the_settings_page_switches_holders_names_on_the_door(site, school):
    client = signed_in_as(site, school["admin"])
    page = text(client.get("/admin/settings"))
    fields = {
        "max_consecutive_slots": "4",
        "booking_window_days": "60",
        "weekly_quota_slots": "20",
        "door_display_names": "y",
    }

    saved = post_form(client, "/admin/settings", "/admin/settings/rules", **fields)

    assert "Door displays show who booked the room" in page
    assert saved.status_code == 303
    fresh()
    assert get_setting("door_display_names") is True
