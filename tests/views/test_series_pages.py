"""Series on the pages, through the test client: the booking form's Repeat (every date's
outcome before anything is written), and a series on My reservations (one item; cancel one
date, from a date on, or all; a new purpose for all).

The clock stands on Monday 1 June 2026, 07:00 UTC, as in ``tests/booking/test_series_api``:
until admins set terms, the summer term runs from 1 April to 31 August. Ben Ito holds period
3 of STEM Lab Alpha on the fourth Tuesday, 23 June.
"""

import html
import re
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select
from test_pages import HX, csrf_token, fresh, page_text, signed_in, site, text

from roomloop.booking.settings import set_setting
from roomloop.extensions import db
from roomloop.models import Reservation, Series
from roomloop.sqlite import writing

from conftest import stored

__all__ = ["site"]  # the fixture, shared with test_pages

TUESDAYS = [date(2026, 6, 2) + timedelta(weeks=n) for n in range(13)]  # to 25 August
CLASH = TUESDAYS[3]
HIDDEN_INPUT = re.compile(r"<input[^>]*\btype=\"hidden\"[^>]*>")


@pytest.fixture
def school(freeze, create_account, create_facility, create_reservation, auth_headers):
    freeze(2026, 6, 1, 7, 0)
    lab = create_facility(code="f1", name="STEM Lab Alpha")
    ada, ben = create_account(name="Ada Park"), create_account(name="Ben Ito")
    create_reservation(lab, ben, CLASH, start_slot=3, purpose="Year 10 mock exam")
    return {
        "lab": lab,
        "hall": create_facility(code="hall", name="Main Hall", requires_approval=True),
        "ada": ada,
        "ben": ben,
        "ada_key": auth_headers(ada),
        "ben_key": auth_headers(ben),
    }


def settings(**values):
    with writing():
        for key, value in values.items():
            set_setting(key, value)
        db.session.commit()


CELL = {"facility_id": "f1", "date": "2026-06-02", "start_slot": "2", "end_slot": "2"}


def open_form(client, **query):
    """The booking form as a free cell opens it: Tuesday 2 June, period 2."""
    response = client.get("/book", query_string={**CELL, **query})
    assert response.status_code == 200
    return response


def check_dates(client, headers=None, **fields):
    """Fill in the form for a weekly series of periods 2-3 to the end of term, and send it."""
    data = {**CELL, "end_slot": "3", "purpose": "Grade 10 Chemistry", "repeat": "weekly",
            "weekdays": ["tue"], "until": "2026-08-31", **fields}  # fmt: skip
    token = csrf_token(open_form(client))
    return client.post("/book", data={"csrf_token": token, **data}, headers=headers or {})


def press_book(client, preview, headers=None):
    """Press the preview's button: post its form's hidden fields, as a browser does."""
    form = re.search(r'<form method="post" action="/book".*?</form>', text(preview), re.S).group()
    data = {}
    for tag in HIDDEN_INPUT.findall(form):
        name = re.search(r'name="([^"]*)"', tag).group(1)
        value = html.unescape(re.search(r'value="([^"]*)"', tag).group(1))
        data.setdefault(name, []).append(value)
    return client.post("/book", data=data, headers=headers or {})


def series_rows():
    fresh()
    return db.session.scalars(select(Series)).all()


def booked_dates():
    fresh()
    return db.session.scalars(
        select(Reservation.date).where(Reservation.series_id.is_not(None)).order_by("date")
    ).all()


# --- The booking form's Repeat ---------------------------------------------------------------


def test_the_form_offers_repeat_with_the_cells_weekday_and_the_term_end(site, school):
    form = text(open_form(signed_in(site, school["ada"])))

    repeat = re.search(r'<select[^>]* id="repeat".*?</select>', form, re.S).group()
    assert re.findall(r">([^<]+)</option>", repeat) == [
        "Does not repeat",
        "Every week",
        "Every 2 weeks",
    ]
    assert re.search(r'<option selected value="">Does not repeat', repeat)
    ticked = re.findall(r'<input checked id="weekdays-\d" name="weekdays" type="checkbox" '
                        r'value="(\w+)"', form)  # fmt: skip
    assert ticked == ["tue"]
    assert re.findall(r'name="weekdays" type="checkbox" value="(\w+)"', form) == [
        "mon", "tue", "wed", "thu", "fri",
    ]  # fmt: skip
    assert re.search(r'id="until"[^>]*value="2026-08-31"', form)
    assert "Summer 2026 ends on Mon 31 Aug 2026." in form


def test_with_a_timetable_cycle_the_form_offers_each_week_and_names_it(site, school):
    settings(cycle={"weeks": 2, "start": "2026-06-01"})
    client = signed_in(site, school["ada"])

    form = page_text(open_form(client, date="2026-06-09"))

    assert "Every 2 weeks Week A only Week B only" in form
    assert "Tuesday 9 June 2026 · Week B · from period 2" in form


def test_a_repeating_booking_shows_every_date_before_anything_is_written(site, school):
    """13 Tuesdays: 12 free, the fourth taken by Ben Ito; nothing is written yet."""
    client = signed_in(site, school["ada"])
    before = stored()

    preview = check_dates(client)

    assert preview.status_code == 200
    words = page_text(preview)
    assert "Check the dates: STEM Lab Alpha" in words
    assert "Every Tuesday, periods 2–3, to 31 Aug · Grade 10 Chemistry" in words
    assert "12 of 13 dates are free; 1 cannot be booked (below). Nothing is booked yet." in words
    dates = re.findall(r'<span class="occurrence-date">(\w{3} \d+ \w{3} \d{4})', text(preview))
    assert dates == [f"{d:%a %-d %b %Y}" for d in TUESDAYS]
    assert "Tue 2 Jun 2026 Free Tue 9 Jun 2026 Free" in words
    assert "Tue 23 Jun 2026 Taken: booked by Ben Ito (period 3) Rule R-03" in words
    assert "Book the 12 free dates" in words and "Book all" not in words
    change = re.search(r'href="([^"]+)"[^>]*>Change the pattern', text(preview)).group(1)
    assert "repeat=weekly" in html.unescape(change) and "weekdays=tue" in html.unescape(change)
    fresh()
    assert stored() == before


def test_the_page_and_the_api_see_the_same_outcome_for_each_date(site, school):
    client = signed_in(site, school["ada"])
    body = {"facility_id": "f1", "first_date": "2026-06-02", "repeat": {"weekdays": ["tue"]},
            "start_slot": 2, "end_slot": 3, "purpose": "Grade 10 Chemistry",
            "dry_run": True}  # fmt: skip
    by_api = client.post("/v1/series", json=body, headers=school["ada_key"]).json["occurrences"]

    on_page = page_text(check_dates(client))

    for occurrence in by_api:
        day = date.fromisoformat(occurrence["date"])
        outcome = "Free" if occurrence["outcome"] == "confirmed" else "Taken"
        assert f"{day:%a %-d %b %Y} {outcome}" in on_page


def test_booking_the_free_dates_writes_the_series_without_the_taken_one(site, school):
    client = signed_in(site, school["ada"])

    done = press_book(client, check_dates(client))

    assert done.status_code == 302 and done.headers["Location"] == "/my"
    assert booked_dates() == [d for d in TUESDAYS if d != CLASH]
    (series,) = series_rows()
    assert [s["date"] for s in series.skipped] == [CLASH.isoformat()]
    words = page_text(client.get("/my"))
    assert "Booked STEM Lab Alpha on 12 dates: Every Tuesday, periods 2–3, to 31 Aug." in words
    assert "Not booked: Tue 23 Jun: STEM Lab Alpha is already booked by Ben Ito" in words


def test_when_every_date_is_free_one_button_books_them_all(site, school):
    client = signed_in(site, school["ada"])
    preview = check_dates(client, start_slot="2", end_slot="2", until="2026-06-30")
    assert "All 5 dates are free." in page_text(preview)
    assert "Book all 5 dates" in page_text(preview)

    done = press_book(client, preview, headers=HX)

    assert done.status_code == 200 and "<html" not in text(done)
    assert "Booked 5 dates" in page_text(done)
    assert 'id="row-f1" hx-swap-oob="true"' in text(done)
    assert 'aria-label="STEM Lab Alpha, period 2, 10:00–10:50, yours"' in text(done)
    assert booked_dates() == TUESDAYS[:5]


def test_a_date_taken_after_checking_refuses_book_all_and_says_so(site, school, create_reservation):
    """All 5 free when checked; Ben takes 16 June meanwhile: "Book all" writes nothing and the
    page shows each date's outcome now, naming the one taken."""
    client = signed_in(site, school["ada"])
    preview = check_dates(client, until="2026-06-30", end_slot="2")
    assert "Book all 5 dates" in page_text(preview)
    create_reservation(school["lab"], school["ben"], TUESDAYS[2], start_slot=2)
    before = stored()

    again = press_book(client, preview)

    assert again.status_code == 409
    words = page_text(again)
    assert "Nothing was booked. Since you checked, 1 date was taken or refused." in words
    assert "Tue 16 Jun 2026 Taken since you checked: booked by Ben Ito (period 2)" in words
    assert "Book the 4 free dates" in words
    fresh()
    assert stored() == before


def test_a_date_taken_after_checking_is_named_when_the_free_dates_are_booked(
    site, school, create_reservation
):
    client = signed_in(site, school["ada"])
    preview = check_dates(client, until="2026-07-14")  # 7 Tuesdays, the fourth taken
    create_reservation(school["lab"], school["ben"], TUESDAYS[1], start_slot=2)

    done = press_book(client, preview, headers=HX)

    words = page_text(done)
    assert "Booked STEM Lab Alpha on 5 dates" in words
    assert "Tue 9 Jun 2026 Taken since you checked: booked by Ben Ito (period 2)" in words
    assert "Tue 23 Jun 2026 Taken: booked by Ben Ito (period 3)" in words
    assert len(booked_dates()) == 5


def test_a_facility_that_needs_approval_requests_the_dates(site, school):
    client = signed_in(site, school["ada"])
    preview = check_dates(client, facility_id="hall", until="2026-06-16")
    assert "Free, waits for approval" in page_text(preview)
    assert "The dates you book wait for an approver." in page_text(preview)

    done = press_book(client, preview, headers=HX)

    assert "Requested 3 dates" in page_text(done)
    assert "They need approval and show as pending until then." in page_text(done)


@pytest.mark.parametrize(
    ("fields", "field_id", "message"),
    [
        ({"weekdays": []}, "weekdays", "Tick the days it repeats on."),
        ({"until": "2026-05-01"}, "until", "Must not be before the first date."),
        ({"until": "someday"}, "until", "Use a real date in the form YYYY-MM-DD."),
        ({"until": "2027-12-31", "weekdays": ["mon", "tue", "wed", "thu", "fri"]}, "until",
         "A series has at most 200 dates; this one would have more."),
        ({"repeat": "daily"}, "repeat", "Choose how it repeats from the list."),
        ({"repeat": "week-b"}, "repeat",
         "The school has no timetable cycle (week A, week B); leave cycle_week out."),
        ({"purpose": " "}, "purpose", "Say what it is for."),
        ({"until": "2026-06-07", "weekdays": ["mon"]}, "repeat",
         "No date from 2026-06-02 to 2026-06-07 matches this pattern."),
    ],
    ids=["no-day", "until-before", "until-not-a-date", "over-200", "unknown-repeat",
         "no-cycle", "no-purpose", "no-date-matches"],
)  # fmt: skip
def test_a_bad_pattern_is_refused_under_its_field_keeping_what_was_typed(
    site, school, fields, field_id, message
):
    client = signed_in(site, school["ada"])
    before = stored()

    response = check_dates(client, **fields)

    assert response.status_code == 400
    body = html.unescape(text(response))
    assert f'<p class="field-error" id="{field_id}-error">{message}</p>' in body
    assert re.search(r'id="purpose"[^>]*value="Grade 10 Chemistry"', body) or field_id == "purpose"
    assert re.search(r'<option selected value="[^"]*">', body)
    fresh()
    assert stored() == before


def test_change_the_pattern_reopens_the_form_as_it_was(site, school):
    client = signed_in(site, school["ada"])
    preview = check_dates(client, repeat="every-2-weeks", weekdays=["tue", "thu"])
    change = html.unescape(re.search(r'href="([^"]+)"[^>]*>Change the pattern', text(preview))[1])

    form = text(client.get(change))

    assert re.search(r'<option selected value="every-2-weeks">Every 2 weeks', form)
    assert re.findall(r'<input checked id="weekdays-\d" name="weekdays" type="checkbox" '
                      r'value="(\w+)"', form) == ["tue", "thu"]  # fmt: skip
    assert re.search(r'id="purpose"[^>]*value="Grade 10 Chemistry"', form)
    assert re.search(r'id="end_slot".*?<option selected value="3">', form, re.S)


def test_a_single_booking_is_unchanged_by_the_repeat_fields(site, school):
    """ "Does not repeat" books one date, whatever the days and end date say."""
    client = signed_in(site, school["ada"])
    response = check_dates(client, repeat="", end_slot="2")
    assert response.status_code == 302
    fresh()
    assert db.session.scalar(select(func.count()).select_from(Reservation)) == 2
    assert series_rows() == []


# --- My reservations -------------------------------------------------------------------------


@pytest.fixture
def ada_series(client, school):
    """Ada's weekly series of periods 2-3 on STEM Lab Alpha, booked through the API: 12
    Tuesdays, the fourth skipped (Ben holds it)."""
    body = {"facility_id": "f1", "first_date": "2026-06-02", "repeat": {"weekdays": ["tue"]},
            "start_slot": 2, "end_slot": 3, "purpose": "Grade 10 Chemistry",
            "on_conflict": "skip"}  # fmt: skip
    response = client.post("/v1/series", json=body, headers=school["ada_key"])
    assert response.status_code == 201, response.json
    return response.json


def item_of(response, series):
    """The series' item on the page, its words."""
    found = re.search(rf'<li id="ser-{series["id"]}".*?</details>\s*</li>', text(response), re.S)
    assert found, "no item for the series"
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", found.group())).split())


def statuses():
    fresh()
    return dict(db.session.execute(select(Reservation.date, Reservation.status)).all())


def test_my_reservations_shows_a_series_as_one_item(site, school, ada_series, create_reservation):
    create_reservation(school["hall"], school["ada"], date(2026, 6, 3), purpose="Assembly")
    page = signed_in(site, school["ada"]).get("/my")

    item = item_of(page, ada_series)
    assert item.startswith("STEM Lab Alpha Repeats Every Tuesday, periods 2–3, to 31 Aug")
    assert "(10:00–11:50) Next: Tue 2 Jun 2026 · 12 booked · 1 not booked" in item
    assert "All 13 dates" in item
    assert "Tue 2 Jun 2026 Confirmed Cancel this date… Cancel from here…" in item
    assert ("Tue 23 Jun 2026 Not booked STEM Lab Alpha is already booked by Ben Ito in period 3 "
            "(11:00–11:50). Rule R-03") in item  # fmt: skip
    body = text(page)
    assert body.count('<li id="ser-') == 1
    assert not any(f'id="res-{r["id"]}"' in body for r in ada_series["reservations"])
    assert "Assembly" in body  # a single reservation looks as before
    assert re.search(r'<li id="res-res_\w+" class="reservation status-confirmed">', body)


def test_cancelling_one_date_asks_first_and_keeps_the_others(site, school, ada_series):
    client = signed_in(site, school["ada"])
    exam_day = ada_series["reservations"][4]  # Tue 7 Jul

    asked = client.get(f"/my/{exam_day['id']}/cancel", headers=HX)
    assert f'hx-target="#ser-{ada_series["id"]}"' in text(asked)
    assert ("Cancel STEM Lab Alpha on Tue 7 Jul? The slots go back to everyone. The other dates "
            "of the series stay booked.") in page_text(asked)  # fmt: skip
    assert statuses()[date(2026, 7, 7)] == "confirmed"

    done = client.post(
        f"/my/{exam_day['id']}/cancel", data={"csrf_token": csrf_token(asked)}, headers=HX
    )

    assert done.status_code == 200 and "<html" not in text(done)
    words = item_of(done, ada_series)
    assert "Reservation cancelled; the slots are free again." in words
    assert "11 booked · 1 cancelled · 1 not booked" in words
    assert "Tue 7 Jul 2026 Cancelled" in words
    assert '<details class="series-dates" open>' in text(done)
    assert statuses()[date(2026, 7, 7)] == "cancelled"
    assert series_rows()[0].status == "active"


def test_cancelling_from_a_date_on_asks_then_cancels_those_dates(site, school, ada_series):
    client = signed_in(site, school["ada"])
    url = f"/my/series/{ada_series['id']}/cancel"

    asked = client.get(url, query_string={"from": "2026-07-07"})
    assert "Cancel STEM Lab Alpha on 8 dates from Tue 7 Jul on?" in page_text(asked)
    assert "<html" in text(asked)  # a page of its own without htmx
    done = client.post(url, data={"csrf_token": csrf_token(asked), "from": "2026-07-07"})

    assert done.status_code == 302 and done.headers["Location"] == "/my"
    assert "Cancelled 8 dates; the periods are free again." in page_text(client.get("/my"))
    now = statuses()
    assert {now[d] for d in TUESDAYS if d >= date(2026, 7, 7)} == {"cancelled"}
    assert {now[d] for d in TUESDAYS[:3]} == {"confirmed"}


def test_cancelling_all_cancels_the_series(site, school, ada_series):
    client = signed_in(site, school["ada"])
    url = f"/my/series/{ada_series['id']}/cancel"

    asked = client.get(url, headers=HX)
    assert "Cancel all 12 dates still to come of STEM Lab Alpha?" in page_text(asked)
    assert "<html" not in text(asked)
    done = client.post(url, data={"csrf_token": csrf_token(asked), "from": ""}, headers=HX)

    words = item_of(done, ada_series)
    assert "Cancelled 12 dates; the periods are free again." in words
    assert "Repeats Cancelled" in words and "No date still to come" in words
    assert "Cancel all…" not in words and "Change for all…" not in words
    assert series_rows()[0].status == "cancelled"


def test_a_new_purpose_for_all_asks_first_then_changes_every_date_to_come(site, school, ada_series):
    client = signed_in(site, school["ada"])
    url = f"/my/series/{ada_series['id']}/purpose"

    asked = client.get(url, query_string={"purpose": "Year 10 Biology"}, headers=HX)
    assert ("Change the purpose of the 12 dates still to come to “Year 10 Biology”?"
            in page_text(asked))  # fmt: skip
    fresh()
    assert db.session.scalar(select(Series.purpose)) == "Grade 10 Chemistry"
    done = client.post(
        url, data={"csrf_token": csrf_token(asked), "purpose": "Year 10 Biology"}, headers=HX
    )

    assert "Purpose changed for 12 dates." in item_of(done, ada_series)
    fresh()
    assert set(db.session.scalars(select(Reservation.purpose).where(
        Reservation.series_id.is_not(None)))) == {"Year 10 Biology"}  # fmt: skip


@pytest.mark.parametrize(
    ("purpose", "message"),
    [(" ", "The purpose must be 1 to 200 characters."),
     ("Bell\x07", "Must not contain control characters."),
     ("x" * 201, "The purpose must be 1 to 200 characters.")],
    ids=["empty", "control-character", "too-long"],
)  # fmt: skip
def test_a_bad_purpose_for_all_says_why_and_changes_nothing(
    site, school, ada_series, purpose, message
):
    client = signed_in(site, school["ada"])
    response = client.get(
        f"/my/series/{ada_series['id']}/purpose", query_string={"purpose": purpose}, headers=HX
    )
    assert message in page_text(response)
    fresh()
    assert db.session.scalar(select(Series.purpose)) == "Grade 10 Chemistry"


def test_someone_elses_series_is_not_found_and_unchanged(site, school, ada_series):
    client = signed_in(site, school["ben"])
    token = csrf_token(client.get("/my"))
    url = f"/my/series/{ada_series['id']}"

    responses = [
        client.get(f"{url}/cancel"),
        client.post(f"{url}/cancel", data={"csrf_token": token}),
        client.get(f"{url}/purpose", query_string={"purpose": "Mine"}),
        client.post(f"{url}/purpose", data={"csrf_token": token, "purpose": "Mine"}),
        client.get("/my/series/ser_0000000000/cancel"),
    ]

    assert [r.status_code for r in responses] == [404] * 5
    assert set(statuses().values()) == {"confirmed"}


def test_changing_a_series_needs_the_csrf_token(site, school, ada_series):
    client = signed_in(site, school["ada"])
    url = f"/my/series/{ada_series['id']}"
    assert client.post(f"{url}/cancel").status_code == 400
    assert client.post(f"{url}/purpose", data={"purpose": "Forged"}).status_code == 400
    assert set(statuses().values()) == {"confirmed"}


def test_dates_already_begun_are_left_as_they_were(site, school, ada_series, freeze):
    freeze(2026, 6, 16, 10, 30)  # the third Tuesday's period 2 has begun
    client = signed_in(site, school["ada"])

    page = client.get("/my")

    words = item_of(page, ada_series)
    assert "Next: Tue 30 Jun 2026" in words
    assert "Tue 16 Jun 2026 Confirmed begun Tue 23 Jun" in words
    asked = client.get(f"/my/series/{ada_series['id']}/cancel")
    assert "Cancel all 9 dates still to come of STEM Lab Alpha?" in page_text(asked)
