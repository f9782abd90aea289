"""Recurring series over ``/v1/series``: every date decided by the rules engine, written in
one transaction or not at all, and changed afterwards as a whole or one date at a time.

The clock stands on Monday 1 June 2026, 07:00 UTC. Until admins set terms, the summer term
runs from 1 April to 31 August; the booking window is 60 days (to Friday 31 July).
"""

from datetime import date, timedelta

import pytest
from sqlalchemy import event, func, select

from roomloop.booking.settings import set_setting
from roomloop.extensions import db
from roomloop.models import BlackoutDate, Event, HeldSlot, Reservation, Series
from roomloop.sqlite import writing

from conftest import stored

TUESDAYS = [date(2026, 6, 2) + timedelta(weeks=n) for n in range(13)]  # to 25 August


@pytest.fixture
def school(freeze, create_account, create_facility, auth_headers):
    freeze(2026, 6, 1, 7, 0)
    ada, ben = create_account(name="Ada Park"), create_account(name="Ben Ito")
    return {
        "ada": ada,
        "ben": ben,
        "lab": create_facility(code="lab", name="STEM Lab Alpha"),
        "hall": create_facility(code="hall", name="Main Hall", requires_approval=True),
        "headers": {
            "ada": auth_headers(ada),
            "ben": auth_headers(ben),
            "approver": auth_headers(create_account(role="approver")),
            "admin": auth_headers(create_account(role="admin")),
        },
    }


def series_body(**changes):
    return {
        "facility_id": "lab",
        "first_date": "2026-06-02",
        "repeat": {"weekdays": ["tue"]},
        "start_slot": 2,
        "end_slot": 3,
        "purpose": "Grade 10 Chemistry",
        **changes,
    }


def post(client, headers, **changes):
    return client.post("/v1/series", json=series_body(**changes), headers=headers)


def settings(**values):
    with writing():
        for key, value in values.items():
            set_setting(key, value)
        db.session.commit()


def dates_of(resource):
    return [r["date"] for r in resource["reservations"]]


def event_types():
    db.session.rollback()
    return [e.type for e in db.session.scalars(select(Event).order_by(Event.id))]


# --- Booking a series ------------------------------------------------------------------------


def test_a_weekly_series_books_every_date_to_the_end_of_term(client, school):
    """No ``until``: the series runs to the end of the term that holds its first date, past
    the 60-day booking window (R-05 stops at the term's end for a series)."""
    response = post(client, school["headers"]["ada"])

    assert response.status_code == 201, response.json
    body = response.json
    assert response.headers["Location"] == f"/v1/series/{body['id']}"
    assert body["id"].startswith("ser_") and body["status"] == "active"
    assert (body["first_date"], body["until"]) == ("2026-06-02", "2026-08-31")
    assert body["repeat"] == {"weekdays": ["tue"], "every_weeks": 1, "cycle_week": None}
    assert body["slots"] == ["10:00–10:50", "11:00–11:50"]
    assert body["counts"] == {"confirmed": 13, "pending": 0, "cancelled": 0, "skipped": 0}
    assert dates_of(body) == [d.isoformat() for d in TUESDAYS]
    assert max(TUESDAYS) > date(2026, 7, 31)  # beyond the booking window
    assert stored()[:2] == (13, 26)
    listed = client.get(
        "/v1/reservations", query_string={"series_id": body["id"]}, headers=school["headers"]["ada"]
    ).json["data"]
    assert [r["date"] for r in listed] == dates_of(body)
    assert {r["series_id"] for r in listed} == {body["id"]}
    assert event_types() == ["series.created"] + ["reservation.created"] * 13


def test_beyond_the_term_the_booking_window_holds(client, school):
    """With an ``until`` after the term's end, the dates past both are refused by R-05."""
    response = post(client, school["headers"]["ada"], until="2026-09-15", on_conflict="skip")

    assert response.status_code == 201
    skipped = {s["date"]: s["error"]["rule"] for s in response.json["skipped"]}
    assert skipped == {"2026-09-01": "R-05", "2026-09-08": "R-05", "2026-09-15": "R-05"}


def test_series_to_term_end_off_keeps_the_booking_window(client, school):
    settings(series_to_term_end=False)
    response = post(client, school["headers"]["ada"], on_conflict="skip")
    assert [s["date"] for s in response.json["skipped"]] == [
        d.isoformat() for d in TUESDAYS if d > date(2026, 7, 31)
    ]


def test_dry_run_says_what_each_date_would_get_and_writes_nothing(
    client, school, create_reservation
):
    create_reservation(school["lab"], school["ben"], TUESDAYS[3], 3)
    before = stored()

    response = post(client, school["headers"]["ada"], dry_run=True)

    assert response.status_code == 200
    body = response.json
    assert body["id"] is None and body["counts"]["confirmed"] == 12
    outcomes = {o["date"]: o for o in body["occurrences"]}
    assert len(outcomes) == 13
    refused = outcomes[TUESDAYS[3].isoformat()]
    assert refused["outcome"] == "refused"
    assert refused["error"]["code"] == "slot_conflict" and refused["error"]["rule"] == "R-03"
    assert "Ben Ito" in refused["error"]["message"]
    assert outcomes[TUESDAYS[0].isoformat()] == {"date": "2026-06-02", "outcome": "confirmed"}
    assert stored() == before


def test_fail_refuses_the_whole_series_and_lists_every_date(client, school, create_reservation):
    create_reservation(school["lab"], school["ben"], TUESDAYS[5], 2)
    before = stored()

    response = post(client, school["headers"]["ada"])

    assert response.status_code == 409
    error = response.json["error"]
    assert error["code"] == "slot_conflict" and error["rule"] == "R-03"
    assert "Nothing was booked" in error["message"]
    assert error["conflicts"][0]["reservation"]["user"]["name"] == "Ben Ito"
    assert [o["outcome"] for o in error["occurrences"]] == ["confirmed"] * 5 + ["refused"] + [
        "confirmed"
    ] * 7
    assert stored() == before


def test_skip_books_the_free_dates_and_lists_the_refused_ones(client, school, create_reservation):
    create_reservation(school["lab"], school["ben"], TUESDAYS[5], 2)
    with writing():
        db.session.add(
            BlackoutDate(start_date=TUESDAYS[7], end_date=TUESDAYS[7], reason="Sports day")
        )
        db.session.commit()

    response = post(client, school["headers"]["ada"], on_conflict="skip")

    assert response.status_code == 201
    body = response.json
    assert body["counts"] == {"confirmed": 11, "pending": 0, "cancelled": 0, "skipped": 2}
    assert [(s["date"], s["error"]["rule"]) for s in body["skipped"]] == [
        (TUESDAYS[5].isoformat(), "R-03"),
        (TUESDAYS[7].isoformat(), "R-07"),
    ]
    assert "Sports day" in body["skipped"][1]["error"]["message"]
    assert TUESDAYS[5].isoformat() not in dates_of(body)
    shown = client.get(f"/v1/series/{body['id']}", headers=school["headers"]["ada"]).json
    assert shown["skipped"] == body["skipped"]


def test_a_series_reads_who_is_in_its_way_once_and_names_each(
    client, school, create_reservation, create_facility
):
    """Three dates taken by Ben in the lab, one where Ada is in another room: each skipped
    date names whoever is in its way, read in one query for the whole series."""
    for week in (1, 4, 6):
        create_reservation(school["lab"], school["ben"], TUESDAYS[week], 3)
    create_reservation(create_facility(code="gym", name="Gym"), school["ada"], TUESDAYS[9], 2)
    statements = []

    def record(_conn, _cursor, statement, *_):
        statements.append(" ".join(statement.split()))

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        response = post(client, school["headers"]["ada"], on_conflict="skip")
    finally:
        event.remove(db.engine, "before_cursor_execute", record)

    skipped = {s["date"]: s["error"] for s in response.json["skipped"]}
    assert [skipped[TUESDAYS[n].isoformat()]["rule"] for n in (1, 4, 6, 9)] == ["R-03"] * 3 + [
        "R-10"
    ]
    assert all("Ben Ito" in skipped[TUESDAYS[n].isoformat()]["message"] for n in (1, 4, 6))
    assert "Gym" in skipped[TUESDAYS[9].isoformat()]["message"]
    holders = [
        s for s in statements if s.startswith("SELECT reservations.id, reservations.public_id")
    ]
    assert len(holders) == 1


def test_skip_with_every_date_refused_writes_nothing(client, school):
    """A facility under maintenance refuses every date: 422, nothing written."""
    before = stored()
    response = post(client, school["headers"]["ada"], facility_id="hall", on_conflict="skip",
                    attendees=10_000)  # fmt: skip

    assert response.status_code == 422
    error = response.json["error"]
    assert error["code"] == "rule_violation" and error["rule"] == "R-09"
    assert {o["outcome"] for o in error["occurrences"]} == {"refused"}
    assert stored() == before


def test_a_facility_that_needs_approval_books_the_dates_pending(client, school):
    response = post(client, school["headers"]["ada"], facility_id="hall")
    assert response.json["counts"]["pending"] == 13
    assert {r["status"] for r in response.json["reservations"]} == {"pending"}


def test_r06_counts_the_series_own_dates_in_each_week(client, school, create_reservation):
    """Quota 5 a week: Ada holds 1 period on Wednesday 3 June; a Monday-and-Tuesday series
    of two periods a date fits in every week but the first, where Tuesday would make 5+...
    Her own dates in one week count against her quota together."""
    settings(weekly_quota_slots=5)
    create_reservation(school["lab"], school["ada"], date(2026, 6, 3), 5)

    response = post(
        client,
        school["headers"]["ada"],
        first_date="2026-06-01",
        until="2026-06-12",
        repeat={"weekdays": ["mon", "tue", "thu"]},
        on_conflict="skip",
    )

    assert response.status_code == 201, response.json
    skipped = [(s["date"], s["error"]["rule"]) for s in response.json["skipped"]]
    # Week 1: Monday (2) + Tuesday (2) + the Wednesday held (1) = 5; Thursday would be 7.
    # Monday 1 June 07:00: period 2 starts at 10:00, still to come.
    assert skipped == [("2026-06-04", "R-06"), ("2026-06-11", "R-06")]
    assert dates_of(response.json) == ["2026-06-01", "2026-06-02", "2026-06-08", "2026-06-09"]


def test_r04_and_r10_are_decided_per_date(client, school, create_reservation):
    """Ada holds another room on 16 June in period 3: that date alone is refused (R-10)."""
    create_reservation(school["hall"], school["ada"], TUESDAYS[2], 3)

    response = post(client, school["headers"]["ada"], on_conflict="skip")

    assert [(s["date"], s["error"]["rule"]) for s in response.json["skipped"]] == [
        (TUESDAYS[2].isoformat(), "R-10")
    ]


def test_every_other_week(client, school):
    response = post(
        client, school["headers"]["ada"], repeat={"weekdays": ["tue"], "every_weeks": 2}
    )
    assert dates_of(response.json) == [d.isoformat() for d in TUESDAYS[::2]]


def test_a_cycle_week_books_only_that_timetable_week(client, school):
    settings(cycle={"weeks": 2, "start": "2026-06-01"})  # week A starts Monday 1 June

    week_b = post(client, school["headers"]["ada"], repeat={"weekdays": ["tue"], "cycle_week": 2})

    assert dates_of(week_b.json) == [d.isoformat() for d in TUESDAYS[1::2]]
    assert week_b.json["repeat"]["cycle_week"] == 2


def test_at_most_200_dates(client, school):
    response = post(
        client,
        school["headers"]["admin"],
        first_date="2026-06-01",
        until="2027-06-01",
        repeat={"weekdays": ["mon", "tue", "wed", "thu", "fri"]},
        dry_run=True,
    )
    assert response.status_code == 400
    assert "at most 200 dates" in response.json["error"]["fields"]["until"]


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"facility_id": "nowhere"}, "facility_id"),
        ({"first_date": "2026-06-31"}, "first_date"),
        ({"first_date": "9999-01-01"}, "first_date"),
        ({"until": "2026-05-01"}, "until"),
        ({"repeat": {"weekdays": []}}, "repeat.weekdays"),
        ({"repeat": {"weekdays": ["tuesday"]}}, "repeat.weekdays"),
        ({"repeat": {"weekdays": ["tue", "tue"]}}, "repeat.weekdays"),
        ({"repeat": {"weekdays": ["tue"], "every_weeks": 5}}, "repeat.every_weeks"),
        ({"repeat": {"weekdays": ["tue"], "cycle_week": 2}}, "repeat.cycle_week"),
        ({"repeat": {"weekdays": ["tue"], "extra": 1}}, "repeat.extra"),
        ({"repeat": "weekly"}, "repeat"),
        ({"start_slot": 0}, "start_slot"),
        ({"start_slot": 3, "end_slot": 2}, "end_slot"),
        ({"end_slot": 12}, "end_slot"),
        ({"purpose": ""}, "purpose"),
        ({"attendees": 0}, "attendees"),
        ({"on_conflict": "maybe"}, "on_conflict"),
        ({"dry_run": "yes"}, "dry_run"),
        ({"override": ["R-03"]}, "override"),
        ({"colour": "red"}, "colour"),
        ({"until": "2026-06-02", "repeat": {"weekdays": ["mon"]}}, "repeat"),
    ],
)
def test_malformed_series_are_400_naming_the_field(client, school, changes, field):
    before = stored()
    response = post(client, school["headers"]["ada"], **changes)
    assert response.status_code == 400, response.json
    assert field in response.json["error"]["fields"], response.json
    assert stored() == before


def test_a_first_date_between_terms_needs_until(client, school):
    settings(terms=[{"name": "Summer", "start": "2026-04-20", "end": "2026-07-17"}])
    response = post(client, school["headers"]["ada"], first_date="2026-07-21")
    assert response.status_code == 400
    assert "is in no term" in response.json["error"]["fields"]["until"]


def test_each_date_records_the_rules_it_passed(client, school):
    """Each date's reservation says what the rules engine checked, as a single booking's
    does; an overridden rule is listed as such (regression: ``checked`` was empty)."""
    every_rule = [f"R-{n:02d}" for n in range(1, 12)]
    ada = post(client, school["headers"]["ada"], until="2026-06-09").json
    admin = post(client, school["headers"]["admin"], until="2026-06-09", start_slot=5,
                 end_slot=5, user_id=school["ben"].public_id, override=["R-05"]).json  # fmt: skip

    def rules(series):
        listed = client.get("/v1/reservations", query_string={"series_id": series["id"]},
                            headers=school["headers"]["admin"]).json["data"]  # fmt: skip
        return [r["rules"] for r in listed]

    assert rules(ada) == [{"outcome": "confirmed", "checked": every_rule, "overridden": []}] * 2
    without_r05 = [r for r in every_rule if r != "R-05"]
    overridden = {"outcome": "confirmed", "checked": without_r05, "overridden": ["R-05"]}
    assert rules(admin) == [overridden] * 2


def test_a_teacher_books_a_series_for_herself_only(client, school):
    response = post(client, school["headers"]["ada"], user_id=school["ben"].public_id)
    assert response.status_code == 403
    admin = post(client, school["headers"]["admin"], user_id=school["ben"].public_id)
    assert admin.status_code == 201 and admin.json["user"]["name"] == "Ben Ito"


# --- Reading ---------------------------------------------------------------------------------


def test_teachers_see_only_their_own_series(client, school):
    ada = post(client, school["headers"]["ada"]).json
    ben = post(client, school["headers"]["ben"], facility_id="hall").json

    def listed(who, **query):
        response = client.get("/v1/series", query_string=query, headers=school["headers"][who])
        return [s["id"] for s in response.json["data"]]

    assert listed("ada") == [ada["id"]]
    assert listed("ben") == [ben["id"]]
    assert sorted(listed("approver")) == sorted([ada["id"], ben["id"]])
    assert listed("approver", facility_id="hall") == [ben["id"]]
    assert listed("admin", user_id=school["ada"].public_id) == [ada["id"]]
    shown = client.get(f"/v1/series/{ben['id']}", headers=school["headers"]["ada"])
    assert shown.status_code == 404
    refused = client.get(
        "/v1/series",
        query_string={"user_id": school["ben"].public_id},
        headers=school["headers"]["ada"],
    )
    assert refused.status_code == 403


# --- Changing --------------------------------------------------------------------------------


def patch(client, series_id, body, headers):
    return client.patch(f"/v1/series/{series_id}", json=body, headers=headers)


def test_cancelling_one_date_leaves_the_series_active(client, school):
    created = post(client, school["headers"]["ada"]).json
    exam_day = created["reservations"][4]["id"]

    client.patch(f"/v1/reservations/{exam_day}", json={"status": "cancelled"},
                 headers=school["headers"]["ada"])  # fmt: skip

    shown = client.get(f"/v1/series/{created['id']}", headers=school["headers"]["ada"]).json
    assert shown["status"] == "active"
    assert shown["counts"] == {"confirmed": 12, "pending": 0, "cancelled": 1, "skipped": 0}
    assert [r["status"] for r in shown["reservations"]][3:6] == [
        "confirmed",
        "cancelled",
        "confirmed",
    ]


def test_cancelling_from_a_date_leaves_the_earlier_dates(client, school):
    created = post(client, school["headers"]["ada"]).json

    response = patch(client, created["id"], {"status": "cancelled", "from": "2026-07-01"},
                     school["headers"]["ada"])  # fmt: skip

    assert response.status_code == 200, response.json
    statuses = {r["date"]: r["status"] for r in response.json["reservations"]}
    assert all(s == "confirmed" for d, s in statuses.items() if d < "2026-07-01")
    assert all(s == "cancelled" for d, s in statuses.items() if d >= "2026-07-01")
    assert response.json["status"] == "active"
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(HeldSlot)) == 2 * 5
    assert event_types().count("reservation.cancelled") == 8
    assert event_types()[-9] == "series.updated"


def test_cancelling_all_cancels_the_series(client, school):
    created = post(client, school["headers"]["ada"]).json
    response = patch(client, created["id"], {"status": "cancelled"}, school["headers"]["ada"])
    assert response.json["status"] == "cancelled"
    assert response.json["counts"]["cancelled"] == 13
    assert "series.cancelled" in event_types()


def test_cancelling_the_last_date_one_at_a_time_cancels_the_series(client, school):
    created = post(client, school["headers"]["ada"], until="2026-06-09").json
    for reservation in created["reservations"]:
        client.patch(f"/v1/reservations/{reservation['id']}", json={"status": "cancelled"},
                     headers=school["headers"]["ada"])  # fmt: skip
    shown = client.get(f"/v1/series/{created['id']}", headers=school["headers"]["ada"]).json
    assert shown["status"] == "cancelled"
    assert event_types().count("series.cancelled") == 1


def test_renaming_a_cancelled_series_is_an_update(client, school):
    """Regression: the change was sent as a second ``series.cancelled``."""
    created = post(client, school["headers"]["ada"], until="2026-06-09").json
    patch(client, created["id"], {"status": "cancelled"}, school["headers"]["ada"])

    response = patch(client, created["id"], {"purpose": "Lab (cancelled)"},
                     school["headers"]["ada"])  # fmt: skip

    assert response.json["status"] == "cancelled"
    assert [t for t in event_types() if t.startswith("series.")] == [
        "series.created",
        "series.cancelled",
        "series.updated",
    ]


def test_a_new_purpose_skips_dates_already_begun(client, school, freeze):
    created = post(client, school["headers"]["ada"]).json
    freeze(2026, 6, 16, 10, 30)  # the third Tuesday's period 2 has begun

    response = patch(
        client, created["id"], {"purpose": "Year 10 Biology"}, school["headers"]["ada"]
    )

    assert response.status_code == 200
    db.session.rollback()
    purposes = dict(
        db.session.execute(
            select(Reservation.date, Reservation.purpose).order_by(Reservation.date)
        ).all()
    )
    assert [purposes[d] for d in TUESDAYS[:3]] == ["Grade 10 Chemistry"] * 3
    assert {purposes[d] for d in TUESDAYS[3:]} == {"Year 10 Biology"}
    assert db.session.scalar(select(Series.purpose)) == "Year 10 Biology"


def test_only_the_owner_or_an_admin_changes_a_series(client, school):
    created = post(client, school["headers"]["ada"]).json
    assert (
        patch(client, created["id"], {"purpose": "Mine"}, school["headers"]["ben"]).status_code
        == 404
    )
    refused = patch(client, created["id"], {"status": "cancelled"}, school["headers"]["approver"])
    assert refused.status_code == 403  # confirmed dates are not the approver's to cancel
    assert (
        patch(client, created["id"], {"purpose": "Staff"}, school["headers"]["admin"]).status_code
        == 200
    )


def test_an_approver_does_not_rename_someone_elses_series(client, school, freeze):
    """Regression: once none of its dates was left to change, the per-date check had
    nothing to refuse, and an approver's new purpose was taken, with its event."""
    created = post(client, school["headers"]["ada"], until="2026-06-09").json
    freeze(2026, 6, 10, 7, 0)  # both dates are past

    response = patch(client, created["id"], {"purpose": "Staff meeting"},
                     school["headers"]["approver"])  # fmt: skip

    assert response.status_code == 403
    shown = client.get(f"/v1/series/{created['id']}", headers=school["headers"]["ada"]).json
    assert shown["purpose"] == "Grade 10 Chemistry"
    assert "series.updated" not in event_types()


def test_an_approver_confirms_a_pending_series(client, school):
    created = post(client, school["headers"]["ada"], facility_id="hall").json
    response = patch(client, created["id"], {"status": "confirmed"}, school["headers"]["approver"])
    assert response.status_code == 200
    assert response.json["counts"]["confirmed"] == 13


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "body"),
        ({"status": "pending"}, "status"),
        ({"from": "2026-07-01"}, "from"),
        ({"status": "cancelled", "from": "July"}, "from"),
        ({"purpose": ""}, "purpose"),
    ],
)
def test_malformed_series_changes_are_400(client, school, body, field):
    created = post(client, school["headers"]["ada"]).json
    response = patch(client, created["id"], body, school["headers"]["ada"])
    assert response.status_code == 400
    assert field in response.json["error"]["fields"]
