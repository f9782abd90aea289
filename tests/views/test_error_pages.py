"""The pages' errors: a page in the site's layout that says what happened and what to do,
not Werkzeug's bare text; a refused form saves nothing; an unhandled error gets a page of
its own with a reference to quote. The API's JSON errors are in tests/api/test_api_errors.py.
"""

import pytest
from sqlalchemy import select

from roomloop.extensions import db
from roomloop.models import Reservation

from conftest import school_day
from page_client import signed_in_as, site, words

__all__ = ["site"]  # a fixture of page_client.py


def test_an_unknown_address_gets_a_page_in_the_layout(site, create_account):
    client = signed_in_as(site, create_account(name="Ada Park"))

    response = client.get("/rooms/no-such-page")

    assert response.status_code == 404
    assert response.mimetype == "text/html"
    page = words(response)
    assert "Page not found There is no page at this address" in page
    assert "Book a room" in page and "Ada Park" in page  # the menu and who is signed in
    assert 'href="/">Back to the rooms</a>' in response.get_data(as_text=True)


def test_signed_out_an_unknown_address_gets_the_page_too(site):
    response = site().get("/rooms/no-such-page")

    assert response.status_code == 404
    assert "Page not found" in words(response)
    assert "Book a room" not in words(response)  # no menu for nobody


@pytest.mark.parametrize("token", [None, "forged"])
def test_a_form_without_its_token_says_it_expired_and_saves_nothing(
    site, create_account, create_facility, create_reservation, token
):
    ada = create_account(name="Ada Park")
    booking = create_reservation(create_facility(), ada, school_day(), 2, purpose="Titration")
    client = signed_in_as(site, ada)
    fields = {"purpose": "Changed"} | ({"csrf_token": token} if token else {})

    response = client.post(f"/my/{booking.public_id}/purpose", data=fields)

    assert response.status_code == 400
    assert "This form has expired" in words(response)
    assert "nothing was saved. Go back, reload the page for a fresh form" in words(response)
    db.session.rollback()
    stored = db.session.scalar(select(Reservation.purpose).where(Reservation.id == booking.id))
    assert stored == "Titration"


def test_a_wrong_method_gets_the_page_and_keeps_its_allow_header(site):
    response = site().delete("/login")

    assert response.status_code == 405
    assert set(response.headers["Allow"].split(", ")) == {"GET", "HEAD", "OPTIONS"}
    assert response.mimetype == "text/html"
    assert "That request does not work here" in words(response)


def test_an_unhandled_error_gets_a_page_of_its_own_with_a_reference(site):
    client = site(TESTING=False)  # as in production: the error is answered, not raised
    app = client.application

    @app.get("/test-only/failing")
    def failing():
        raise RuntimeError("the database went away")

    response = client.get("/test-only/failing", headers={"X-Request-ID": "req-4f2a9c"})

    assert response.status_code == 500
    assert response.mimetype == "text/html"
    page = words(response)
    assert "Something went wrong RoomLoop could not finish this request." in page
    assert "with this reference: req-4f2a9c" in page
    assert response.headers["X-Request-ID"] == "req-4f2a9c"
    assert "the database went away" not in page  # nothing of the cause leaks
