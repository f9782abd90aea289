"""Series under real concurrency: requests racing through gunicorn workers for the same
dates. No date is ever held twice, and each answer says which dates it got."""

from collections import Counter
from datetime import timedelta

import pytest
import requests
from sqlalchemy import func, select

from roomloop.extensions import db
from roomloop.models import HeldSlot, Reservation

from conftest import race, school_day


def first_tuesday():
    day = school_day(7)
    return day + timedelta(days=(1 - day.weekday()) % 7)


def series_body(first, **changes):
    return {
        "facility_id": "lab",
        "first_date": first.isoformat(),
        "until": (first + timedelta(weeks=5)).isoformat(),
        "repeat": {"weekdays": ["tue"]},
        "start_slot": 2,
        "end_slot": 3,
        "purpose": "Chemistry",
        **changes,
    }


def held_per_date():
    db.session.rollback()  # read what the server committed
    rows = db.session.execute(
        select(HeldSlot.date, HeldSlot.slot, func.count()).group_by(HeldSlot.date, HeldSlot.slot)
    ).all()
    return rows


@pytest.mark.server
@pytest.mark.parametrize("on_conflict", ["fail", "skip"])
def test_four_people_creating_the_same_series_at_once(
    start_server, create_account, create_facility, auth_headers, on_conflict
):
    """Fail: one series is booked, three are refused whole. Skip: the six dates are shared
    out, each to exactly one of them, and each answer lists the dates it got."""
    create_facility(code="lab", name="STEM Lab Alpha")
    headers = [auth_headers(create_account()) for _ in range(4)]
    url = start_server(workers=4, threads=4) + "/v1/series"
    body = series_body(first_tuesday(), on_conflict=on_conflict)

    answers = race(lambda i: requests.post(url, json=body, headers=headers[i], timeout=60), 4)

    statuses = Counter(a.status_code for a in answers)
    got = [{r["date"] for r in a.json()["reservations"]} for a in answers if a.status_code == 201]
    if on_conflict == "fail":
        assert statuses == {201: 1, 409: 3}, [a.text for a in answers]
        assert all(
            {o["outcome"] for o in a.json()["error"]["occurrences"]} >= {"refused"}
            for a in answers
            if a.status_code == 409
        )
    else:
        assert set(statuses) <= {201, 422}, [a.text for a in answers]
        for a in answers:
            if a.status_code == 201:
                skipped = {s["date"] for s in a.json()["skipped"]}
                mine = {r["date"] for r in a.json()["reservations"]}
                assert not skipped & mine and len(skipped | mine) == 6
    every_date = [d for dates in got for d in dates]
    assert len(every_date) == len(set(every_date)) == 6  # each date went to one series
    held = held_per_date()
    assert {count for *_, count in held} == {1}  # no period of any date held twice
    assert len(held) == 12


@pytest.mark.server
def test_a_series_racing_single_bookings_of_its_dates(
    start_server, create_account, create_facility, auth_headers
):
    """While a teacher books a six-week series (skip), six others each book one of its dates:
    every date ends held once, by the series or by the single booking that won it, and the
    series' answer lists exactly the dates it got and skipped."""
    create_facility(code="lab", name="STEM Lab Alpha")
    first = first_tuesday()
    dates = [first + timedelta(weeks=n) for n in range(6)]
    headers = [auth_headers(create_account()) for _ in range(7)]
    base = start_server(workers=4, threads=4)

    def call(i):
        if i == 0:
            body = series_body(first, on_conflict="skip")
            return requests.post(base + "/v1/series", json=body, headers=headers[0], timeout=60)
        body = {"facility_id": "lab", "date": dates[i - 1].isoformat(), "start_slot": 3,
                "end_slot": 3, "purpose": "Revision"}  # fmt: skip
        return requests.post(base + "/v1/reservations", json=body, headers=headers[i], timeout=60)

    answers = race(call, 7)

    series, singles = answers[0], answers[1:]
    assert series.status_code in (201, 422), series.text
    assert all(s.status_code in (201, 409) for s in singles), [s.text for s in singles]
    won_by_singles = {
        d.isoformat() for d, s in zip(dates, singles, strict=True) if s.status_code == 201
    }
    if series.status_code == 201:
        got = {r["date"] for r in series.json()["reservations"]}
        skipped = {s["date"] for s in series.json()["skipped"]}
        assert got.isdisjoint(won_by_singles)
        assert skipped == won_by_singles
        assert got | won_by_singles == {d.isoformat() for d in dates}
        assert all(s["error"]["rule"] == "R-03" for s in series.json()["skipped"])
    else:
        assert won_by_singles == {d.isoformat() for d in dates}
    held = held_per_date()
    assert {count for *_, count in held} == {1}
    db.session.rollback()
    per_date = Counter(
        db.session.scalars(select(Reservation.date).where(Reservation.status != "cancelled"))
    )
    assert set(per_date.values()) == {1} and set(per_date) == set(dates)


@pytest.mark.server
def test_one_teachers_series_racing_her_own_single_bookings(
    start_server, create_account, create_facility, auth_headers
):
    """While a teacher's series in the lab is decided, her own single bookings of the hall
    in the same period on its dates arrive: she never ends up in two rooms at once (R-10),
    whichever request each date went to."""
    create_facility(code="lab", name="STEM Lab Alpha")
    create_facility(code="hall", name="Main Hall")
    first = first_tuesday()
    dates = [first + timedelta(weeks=n) for n in range(6)]
    headers = auth_headers(create_account())
    base = start_server(workers=4, threads=4)

    def call(i):
        if i == 0:
            body = series_body(first, on_conflict="skip")
            return requests.post(base + "/v1/series", json=body, headers=headers, timeout=60)
        body = {"facility_id": "hall", "date": dates[i - 1].isoformat(), "start_slot": 2,
                "end_slot": 2, "purpose": "Assembly"}  # fmt: skip
        return requests.post(base + "/v1/reservations", json=body, headers=headers, timeout=60)

    answers = race(call, 7)

    assert answers[0].status_code in (201, 422), answers[0].text
    assert all(a.status_code in (201, 422) for a in answers[1:]), [a.text for a in answers]
    db.session.rollback()
    per_person_period = db.session.execute(
        select(HeldSlot.date, HeldSlot.slot, func.count())
        .group_by(HeldSlot.account_id, HeldSlot.date, HeldSlot.slot)
        .having(func.count() > 1)
    ).all()
    assert per_person_period == []
    hall_dates = {
        d.isoformat() for d, a in zip(dates, answers[1:], strict=True) if a.status_code == 201
    }
    if answers[0].status_code == 201:
        got = {r["date"] for r in answers[0].json()["reservations"]}
        assert got.isdisjoint(hall_dates)
        assert got | hall_dates == {d.isoformat() for d in dates}
