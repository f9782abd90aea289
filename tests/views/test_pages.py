"""Teacher pages through the Flask test client: rendering, fragments, CSRF, ownership, and the
same answer from the page and the API for the same booking.

Each test signs in the way a browser does (the dev sign-in form and its CSRF token) on a
fresh app, whose requests each run in their own app context as on a server.
"""

import html
import re
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from roomloop.extensions import db
from roomloop.models import Reservation

from conftest import book, make_app, school_day, stored

CSRF_INPUT = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
HX = {"HX-Request": "true"}
# htmx names the page it asks from: the grid, whose row an answer may refresh.
HX_FROM_GRID = HX | {"HX-Current-URL": "http://localhost/"}


@pytest.fixture
def site(app, database_url):
    """Return a function that starts a fresh app with dev login on and returns its client."""
    apps = []

    def open_site():
        apps.append(make_app(database_url, DEV_LOGIN=True))
        return apps[-1].test_client()

    yield open_site
    for site_app in apps:
        with site_app.app_context():
            db.engine.dispose()


@pytest.fixture
def school(create_account, create_facility, create_reservation, auth_headers):
    """Store two labs, Ada Park and Ben Ito (who holds period 2 of STEM Lab Alpha), and keys."""
    day = school_day()
    lab = create_facility(code="f1", name="STEM Lab Alpha", capacity=30)
    create_facility(code="lab-beta", name="STEM Lab Beta", capacity=30)
    ada = create_account(name="Ada Park")
    ben = create_account(name="Ben Ito")
    held = create_reservation(lab, ben, day, start_slot=2, purpose="Year 10 electrolysis")
    return {
        "day": day,
        "lab": lab,
        "ada": ada,
        "ben": ben,
        "held": held,
        "ada_key": auth_headers(ada),
        "ben_key": auth_headers(ben),
    }


def text(response):
    return response.get_data(as_text=True)


def csrf_token(response):
    """The CSRF token of the first form on a page, as a browser would submit it."""
    match = CSRF_INPUT.search(text(response))
    assert match, "the page has no form with a CSRF token"
    return match.group(1)


def signed_in(site, account):
    """A client signed in as ``account`` through the dev sign-in form."""
    client = site()
    token = csrf_token(client.get("/login"))
    response = client.post(
        "/login/dev", data={"csrf_token": token, "account_id": account.public_id, "next": "/"}
    )
    assert response.status_code == 302 and response.headers["Location"] == "/"
    return client


def page_book(client, day, start_slot, facility="f1", headers=None, **fields):
    """Open the booking form for a cell, then submit it with its CSRF token."""
    query = {"facility_id": facility, "date": day.isoformat(), "start_slot": start_slot}
    form = client.get("/book", query_string={**query, "end_slot": start_slot})
    assert form.status_code == 200
    data = {**query, "end_slot": start_slot, "purpose": "Year 9 titration", **fields}
    return client.post("/book", data={"csrf_token": csrf_token(form), **data}, headers=headers)


def page_text(response):
    """The page's text with tags removed and entities decoded, whitespace squeezed."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", text(response))).split())


def fresh():
    """End the test's own transaction, so it reads what the requests committed."""
    db.session.rollback()


# --- Rendering ---------------------------------------------------------------------------


def test_grid_renders_for_a_signed_in_teacher(site, school):
    """The grid names the day, its rooms, who holds a slot, and offers free cells by name."""
    day = school["day"]
    response = signed_in(site, school["ada"]).get(f"/?date={day.isoformat()}")

    assert response.status_code == 200
    body = text(response)
    assert "<html" in body and "Ada Park" in body
    assert f"{day:%A %-d %B %Y}" in body
    assert 'aria-label="STEM Lab Alpha, period 3, 11:00–11:50, free. Book it"' in body
    assert 'aria-label="STEM Lab Alpha, period 2, 10:00–10:50, booked by Ben Ito"' in body
    assert "STEM Lab Beta" in body


@pytest.mark.parametrize("path", ["/", "/my", "/book?facility_id=f1", "/facilities/f1"])
def test_signed_out_pages_send_to_sign_in(site, school, path):
    """Every teacher page sends a signed-out visitor to /login, to come back afterwards."""
    response = site().get(path)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")


def test_the_default_day_is_a_school_day(site, school, freeze):
    """On a Saturday the grid opens on Monday; after the last period, on the next school day."""
    freeze(2026, 6, 10, 15, 30)  # Wednesday, period 8 is still to come
    client = signed_in(site, school["ada"])  # the session cookie is dated: time only moves on
    assert "Wednesday 10 June 2026" in text(client.get("/"))
    freeze(2026, 6, 12, 16, 30)  # Friday, period 8 (16:00) has begun
    assert "Monday 15 June 2026" in text(client.get("/"))
    freeze(2026, 6, 13, 10, 0)  # Saturday
    assert "Monday 15 June 2026" in text(client.get("/"))


@pytest.mark.parametrize("query", ["capacity=abc", "date=not-a-date", "capacity=-5"])
def test_bad_filter_values_are_ignored_with_a_message(site, school, query):
    """A filter that cannot be understood is ignored with a message; the grid still shows."""
    response = signed_in(site, school["ada"]).get(f"/?{query}")

    assert response.status_code == 200
    assert "Some filters were not understood and were ignored" in text(response)
    assert "STEM Lab Alpha" in text(response)


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("/?date=9999-12-31", "Some filters were not understood and were ignored: date"),
        ("/?date=0001-01-01", "Some filters were not understood and were ignored: date"),
        ("/?date=2101-01-01", "Some filters were not understood and were ignored: date"),
        ("/facilities/f1?week=9999-12-31", "That week was not understood; showing this week."),
        ("/facilities/f1?week=0001-01-01", "That week was not understood; showing this week."),
        ("/facilities/f1?week=tuesday", "That week was not understood; showing this week."),
    ],
)
def test_dates_outside_2000_to_2100_show_the_page_with_a_message(site, school, path, message):
    """A day or week outside 2000-2100 (where a week on would overflow) shows the normal page
    on the default day, saying what was ignored, never a 500."""
    response = signed_in(site, school["ada"]).get(path)

    assert response.status_code == 200
    assert message in page_text(response)
    assert "Use a date from 2000-01-01 to 2100-12-31." in page_text(response) or "?date" in path
    assert "STEM Lab Alpha" in page_text(response)


def test_a_filter_matching_nothing_says_so(site, school):
    """No room with a thousand seats: a friendly empty state, no table."""
    response = signed_in(site, school["ada"]).get("/?capacity=1000")
    assert "No rooms match these filters." in text(response)
    assert "<table" not in text(response)


@pytest.mark.parametrize(
    ("path", "marker"),
    [
        ("/", 'id="grid-region"'),
        ("/book?facility_id=f1&date={day}&start_slot=3&end_slot=3", "Book STEM Lab Alpha"),
        ("/my/{held}/cancel", "Yes, cancel it"),
    ],
)
def test_htmx_requests_get_fragments_and_others_full_pages(site, school, path, marker):
    """With HX-Request the answer is only the fragment; without it, the whole page."""
    path = path.format(day=school["day"].isoformat(), held=school["held"].public_id)
    client = signed_in(site, school["ben"] if path.startswith("/my/") else school["ada"])

    fragment, full = client.get(path, headers=HX), client.get(path)

    assert (fragment.status_code, full.status_code) == (200, 200)
    assert marker in text(fragment) and marker in text(full)
    assert "<html" not in text(fragment) and "<body" not in text(fragment)
    assert "<html" in text(full) and "Sign out" in text(full)


def test_htmx_booking_answers_the_confirmation_and_the_row(site, school):
    """Booking from the grid answers the confirmation and the facility's row, out of band."""
    response = page_book(signed_in(site, school["ada"]), school["day"], 3, headers=HX_FROM_GRID)

    assert response.status_code == 200
    body = text(response)
    assert "<html" not in body
    assert f"Booked STEM Lab Alpha for {school['day']:%a %-d %b}, 11:00–11:50." in body
    assert 'id="row-f1" hx-swap-oob="true"' in body
    assert 'aria-label="STEM Lab Alpha, period 3, 11:00–11:50, yours"' in body


def test_unknown_facility_form_is_404(site, school):
    assert signed_in(site, school["ada"]).get("/book?facility_id=nope").status_code == 404


# --- The page and the API give the same answer -------------------------------------------


def test_booked_through_the_page_then_refused_by_the_api(site, school):
    """Ada books period 3 on the page; Ben asking the API for it gets 409 R-03 naming Ada."""
    client = signed_in(site, school["ada"])
    day = school["day"]

    booked = page_book(client, day, 3)
    refused = book(client, school["ben_key"], "f1", day, start_slot=3)

    assert booked.status_code == 302
    assert booked.headers["Location"] == f"/?date={day.isoformat()}"
    assert refused.status_code == 409
    error = refused.get_json()["error"]
    assert (error["code"], error["rule"]) == ("slot_conflict", "R-03")
    assert (
        error["message"]
        == "STEM Lab Alpha is already booked by Ada Park in period 3 (11:00–11:50)."
    )
    fresh()
    assert db.session.scalar(select(Reservation.purpose).where(Reservation.start_slot == 3)) == (
        "Year 9 titration"
    )


def test_booked_through_the_api_then_refused_by_the_page(site, school):
    """Ben books period 4 through the API; the page refuses Ada with the API's own words."""
    client = signed_in(site, school["ada"])
    day = school["day"]
    assert book(client, school["ben_key"], "f1", day, start_slot=4).status_code == 201

    on_page = page_book(client, day, 4)
    by_api = book(client, school["ada_key"], "f1", day, start_slot=4)

    assert on_page.status_code == by_api.status_code == 409
    message = by_api.get_json()["error"]["message"]
    assert message == "STEM Lab Alpha is already booked by Ben Ito in period 4 (12:00–12:50)."
    words = page_text(on_page)
    assert f"Already taken. {message} Rule R-03" in words
    assert "Period 4 (12:00–12:50): booked by Ben Ito" in words
    suggested = by_api.get_json()["error"]["suggestions"][0]
    suggested_day = date.fromisoformat(suggested["date"])
    assert f"{suggested['facility']['name']}, {suggested_day:%a %-d %b}" in words


@pytest.mark.parametrize(
    ("rule", "saturday", "fields"),
    [("R-09", False, {"attendees": "31"}), ("R-07", True, {})],
    ids=["R-09-over-capacity", "R-07-weekend"],
)
def test_a_rule_refusal_reads_the_same_on_the_page_and_in_the_api(
    site, school, rule, saturday, fields
):
    """Over capacity, or a Saturday: the page shows the rule and message the API returns."""
    day = school["day"]
    if saturday:
        day += timedelta(days=(5 - day.weekday()) % 7)  # that week's Saturday
        assert day.weekday() == 5
    client = signed_in(site, school["ada"])
    before = stored()

    on_page = page_book(client, day, 3, **fields)
    extra = {"attendees": int(fields["attendees"])} if fields else {}
    by_api = book(client, school["ada_key"], "f1", day, start_slot=3, **extra)

    assert on_page.status_code == by_api.status_code == 422
    error = by_api.get_json()["error"]
    assert (error["code"], error["rule"]) == ("rule_violation", rule)
    assert f"This booking is not allowed. {error['message']} Rule {rule}" in page_text(on_page)
    fresh()
    assert stored() == before


# --- CSRF, ownership, cancelling ---------------------------------------------------------


def test_booking_without_the_csrf_token_is_refused_and_writes_nothing(site, school):
    """A cross-site form post (no CSRF token) is 400 and books nothing."""
    client = signed_in(site, school["ada"])
    data = {"facility_id": "f1", "date": school["day"].isoformat(), "start_slot": "3",
            "end_slot": "3", "purpose": "Forged"}  # fmt: skip
    before = stored()

    missing = client.post("/book", data=data)
    forged = client.post("/book", data={**data, "csrf_token": "not-a-token"})

    assert (missing.status_code, forged.status_code) == (400, 400)
    fresh()
    assert stored() == before


def test_a_teacher_cannot_touch_someone_elses_reservation(site, school):
    """Ada changing or cancelling Ben's reservation through /my/<id>/... gets 404; nothing moves."""
    client = signed_in(site, school["ada"])
    token = csrf_token(client.get("/my"))
    held = school["held"].public_id

    responses = [
        client.post(f"/my/{held}/purpose", data={"csrf_token": token, "purpose": "Mine now"}),
        client.get(f"/my/{held}/cancel"),
        client.post(f"/my/{held}/cancel", data={"csrf_token": token}),
        client.post(f"/my/{held}/cancel", data={"csrf_token": token}, headers=HX),
    ]

    assert [r.status_code for r in responses] == [404, 404, 404, 404]
    fresh()
    reservation = db.session.scalar(select(Reservation).where(Reservation.public_id == held))
    assert (reservation.status, reservation.purpose) == ("confirmed", "Year 10 electrolysis")
    assert "Ben Ito" in text(client.get(f"/?date={school['day'].isoformat()}"))


def test_cancelling_asks_first_and_needs_a_post_with_the_csrf_token(site, school):
    """GET only asks; a POST without the token is 400; with it, the slots are free again."""
    client = signed_in(site, school["ben"])
    held = school["held"].public_id

    def status():
        fresh()
        return db.session.scalar(select(Reservation.status).where(Reservation.public_id == held))

    asked = client.get(f"/my/{held}/cancel")
    assert asked.status_code == 200
    assert "Cancel STEM Lab Alpha on" in text(asked) and status() == "confirmed"
    assert client.post(f"/my/{held}/cancel").status_code == 400
    assert status() == "confirmed"

    done = client.post(f"/my/{held}/cancel", data={"csrf_token": csrf_token(asked)})

    assert done.status_code == 302 and done.headers["Location"] == "/my"
    assert status() == "cancelled"
    grid = text(client.get(f"/?date={school['day'].isoformat()}"))
    assert 'aria-label="STEM Lab Alpha, period 2, 10:00–10:50, free. Book it"' in grid


def test_purpose_is_saved_in_place_for_htmx_and_with_a_redirect_otherwise(site, school):
    """The htmx answer is the changed item saying "Purpose saved."; a form post redirects."""
    client = signed_in(site, school["ben"])
    held = school["held"].public_id
    token = csrf_token(client.get("/my"))

    in_place = client.post(
        f"/my/{held}/purpose", data={"csrf_token": token, "purpose": "Mock exam"}, headers=HX
    )
    plain = client.post(f"/my/{held}/purpose", data={"csrf_token": token, "purpose": "Revision"})
    empty = client.post(
        f"/my/{held}/purpose", data={"csrf_token": token, "purpose": " "}, headers=HX
    )
    bell = client.post(
        f"/my/{held}/purpose", data={"csrf_token": token, "purpose": "Bell\x07"}, headers=HX
    )

    assert in_place.status_code == 200 and "<html" not in text(in_place)
    assert f'id="res-{held}"' in text(in_place) and "Purpose saved." in text(in_place)
    assert plain.status_code == 302 and plain.headers["Location"] == "/my"
    assert "The purpose must be 1 to 200 characters." in text(empty)
    assert "Must not contain control characters." in text(bell)  # as the API refuses them
    fresh()
    assert db.session.scalar(select(Reservation.purpose).where(Reservation.public_id == held)) == (
        "Revision"
    )


def test_my_reservations_lists_upcoming_and_past_with_their_status(
    site, school, create_reservation
):
    """Upcoming (with pending shown clearly) and past reservations, each with its status."""
    ada = school["ada"]
    create_reservation(school["lab"], ada, school["day"], start_slot=5, status="pending")
    create_reservation(school["lab"], ada, date(2024, 3, 4), start_slot=1, purpose="Old lesson")

    words = page_text(signed_in(site, ada).get("/my"))

    upcoming, past = words.split("Past", 1)
    assert "STEM Lab Alpha Pending approval" in upcoming
    assert f"{school['day']:%a %-d %b %Y} · period 5 (13:00–13:50)" in upcoming
    assert "Mon 4 Mar 2024 · period 1 Confirmed Old lesson" in past
