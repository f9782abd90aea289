"""The rules of when, through ``POST /v1/reservations``: R-01 (a slot that has started),
R-05 (the booking window) and R-07 (weekends and blackout dates), in the school's time zone.

Every refusal is checked for its status, ``error.code``, ``error.rule``, a message that names
the problem, and that nothing was committed.
"""

from datetime import date

import pytest

from roomloop.booking.settings import set_setting
from roomloop.extensions import db
from roomloop.models import BlackoutDate

from conftest import book, stored
from rules_support import MON, NEXT_THU, SAT, SUN, TUE, WED, assert_booked, assert_refused

# R-01 ---------------------------------------------------------------------------------


def test_r01_refuses_a_slot_that_already_started_today(
    client, freeze, create_account, create_facility, auth_headers
):
    """At 10:30 slot 2 (10:00) of today is refused with R-01; slot 3 (11:00) is booked."""
    freeze(2026, 6, 10, 10, 30)
    headers = auth_headers(create_account())
    lab = create_facility()
    before = stored()

    refused = book(client, headers, lab, WED, 2)

    assert_refused(refused, "R-01", "already started", "10:00–10:50", "Wed 10 Jun 2026")
    assert stored() == before
    assert_booked(book(client, headers, lab, WED, 3))


def test_r01_refuses_a_slot_starting_this_very_minute(
    client, freeze, create_account, create_facility, auth_headers
):
    """A slot whose start time is now has begun: R-01 refuses it."""
    freeze(2026, 6, 10, 10, 0)
    refused = book(client, auth_headers(create_account()), create_facility(), WED, 2)
    assert_refused(refused, "R-01")


def test_r01_refuses_a_past_date(client, freeze, create_account, create_facility, auth_headers):
    """A date before today is refused with R-01 even for its last slot."""
    freeze(2026, 6, 10, 7, 0)
    before = stored()
    refused = book(client, auth_headers(create_account()), create_facility(), TUE, 8)
    assert_refused(refused, "R-01", "already started", "Tue 9 Jun 2026")
    assert stored() == before


def test_r01_uses_the_school_time_zone(
    app, client, freeze, create_account, create_facility, auth_headers
):
    """In New York, 13:30 UTC is 09:30: slot 1 (09:00) has started, slot 2 (10:00) has not."""
    app.config["TIMEZONE"] = "America/New_York"
    freeze(2026, 6, 10, 13, 30)
    headers = auth_headers(create_account())
    lab = create_facility()

    assert_refused(book(client, headers, lab, WED, 1), "R-01")
    assert_booked(book(client, headers, lab, WED, 2))

    # The same instant in a UTC school: 10:00 is long gone.
    app.config["TIMEZONE"] = "UTC"
    assert_refused(book(client, headers, create_facility(), WED, 3), "R-01")


# R-05 ---------------------------------------------------------------------------------


def test_r05_refuses_a_date_beyond_the_booking_window(
    client, freeze, create_account, create_facility, auth_headers
):
    """On Thu 4 Jun, 61 days ahead (Tue 4 Aug) is refused with R-05; 60 days ahead is booked."""
    freeze(2026, 6, 4, 7, 0)
    headers = auth_headers(create_account())
    lab = create_facility()
    before = stored()
    error = assert_refused(
        book(client, headers, lab, date(2026, 8, 4)), "R-05", "60 days", "3 Aug 2026"
    )
    assert error["last_bookable_date"] == "2026-08-03"
    assert stored() == before
    assert_booked(book(client, headers, lab, date(2026, 8, 3)))


def test_r05_follows_the_booking_window_setting(
    client, freeze, create_account, create_facility, auth_headers
):
    """With a 10-day window, 11 days ahead is refused; widening it to 11 admits the same request."""
    freeze(2026, 6, 4, 7, 0)
    headers = auth_headers(create_account())
    lab = create_facility()
    set_setting("booking_window_days", 10)
    db.session.commit()
    assert_refused(book(client, headers, lab, date(2026, 6, 15)), "R-05", "10 days", "14 Jun 2026")
    set_setting("booking_window_days", 11)
    db.session.commit()
    assert_booked(book(client, headers, lab, date(2026, 6, 15)))


def test_r05_counts_from_the_school_date(
    app, client, freeze, create_account, create_facility, auth_headers
):
    """At 02:00 UTC on 5 Jun it is still 4 Jun in New York, so the window ends on 3 Aug."""
    app.config["TIMEZONE"] = "America/New_York"
    freeze(2026, 6, 5, 2, 0)
    response = book(client, auth_headers(create_account()), create_facility(), date(2026, 8, 4))
    assert_refused(response, "R-05", "3 Aug 2026")


def test_r05_admin_override(client, freeze, create_account, create_facility, auth_headers):
    """An admin may book beyond the window with ``override: ["R-05"]``."""
    freeze(2026, 6, 4, 7, 0)
    admin = create_account(role="admin")
    response = book(
        client, auth_headers(admin), create_facility(), date(2026, 9, 1), override=["R-05"]
    )
    assert assert_booked(response)["rules"]["overridden"] == ["R-05"]


# R-07 ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "name"), [(SAT, "Saturday 13 Jun 2026"), (SUN, "Sunday 14 Jun 2026")]
)
def test_r07_refuses_a_weekend(
    client, freeze, create_account, create_facility, auth_headers, day, name
):
    """Saturdays and Sundays are refused with R-07, suggesting the same slot on Monday."""
    freeze(2026, 6, 4, 7, 0)
    headers = auth_headers(create_account())
    lab = create_facility()
    before = stored()
    error = assert_refused(book(client, headers, lab, day), "R-07", name, "weekend")
    assert stored() == before
    first = error["suggestions"][0]
    assert (first["facility"]["id"], first["date"], first["start_slot"], first["end_slot"]) == (
        lab.code,
        "2026-06-15",
        2,
        2,
    )
    assert_booked(book(client, headers, lab, date(2026, 6, 15), 2))


def test_r07_refuses_a_school_wide_blackout_with_its_reason(
    client, freeze, create_account, create_facility, auth_headers
):
    """A school-wide blackout (8-10 June, "Exam week") refuses every facility, ends inclusive."""
    freeze(2026, 6, 4, 7, 0)
    db.session.add(BlackoutDate(start_date=MON, end_date=WED, reason="Exam week"))
    db.session.commit()
    headers = auth_headers(create_account())
    lab, gym = create_facility(), create_facility(type="gym")
    before = stored()
    assert_refused(book(client, headers, lab, TUE), "R-07", "The school", "Exam week", "Tue 9 Jun")
    assert_refused(book(client, headers, gym, WED), "R-07", "Exam week")
    assert stored() == before
    assert_booked(book(client, headers, lab, NEXT_THU))


def test_r07_a_facility_blackout_affects_only_that_facility(
    client, freeze, create_account, create_facility, auth_headers
):
    """A blackout for one facility refuses it with its reason; another facility is bookable."""
    freeze(2026, 6, 4, 7, 0)
    lab = create_facility(name="Chem Lab")
    other = create_facility(name="Physics Lab")
    db.session.add(
        BlackoutDate(start_date=TUE, end_date=TUE, reason="Floor refit", facility_id=lab.id)
    )
    db.session.commit()
    headers = auth_headers(create_account())
    assert_refused(book(client, headers, lab, TUE), "R-07", "Chem Lab", "Floor refit")
    assert_booked(book(client, headers, other, TUE))
    assert_booked(book(client, headers, lab, WED))
