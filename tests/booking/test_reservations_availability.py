"""A facility's slot-by-slot availability over ``/v1`` as reservations, blackouts, the
facility's status and the school's clock fill it (past, booked, pending, closed, blackout),
and its answer to a bad date or an unknown facility.

The endpoint's checks on a campus of facilities are in ``test_facilities_availability.py``;
what the reservations tests share is in ``reservations_support.py``.
"""

from roomloop.extensions import db
from roomloop.models import BlackoutDate

from reservations_support import SAT, THU, TUE, WED, assert_error, slot_states

# Availability -------------------------------------------------------------------------


def test_availability_shows_each_slot_state(
    client, freeze, create_account, create_facility, create_reservation, auth_headers
):
    """At 10:30 on Wednesday: 1-2 past, 3 booked by Ada, 4 pending, the rest free."""
    freeze(2026, 6, 10, 10, 30)
    ada, ben = create_account(name="Ada Park"), create_account(name="Ben Ortiz")
    lab = create_facility(code="f1", name="STEM Lab Alpha")
    booked = create_reservation(lab, ada, WED, 3)
    pending = create_reservation(lab, ben, WED, 4, status="pending")
    response = client.get(
        "/v1/facilities/f1/availability",
        query_string={"date": "2026-06-10"},
        headers=auth_headers(ben),
    )

    assert response.status_code == 200
    body = response.json
    assert body["facility"] == {"id": "f1", "name": "STEM Lab Alpha"}
    assert body["date"] == "2026-06-10"
    assert [s["slot"] for s in body["slots"]] == list(range(1, 9))
    assert [s["status"] for s in body["slots"]] == [
        "past",
        "past",
        "booked",
        "pending",
        "free",
        "free",
        "free",
        "free",
    ]
    slot = body["slots"][2]
    assert (slot["label"], slot["start"], slot["end"]) == ("11:00–11:50", "11:00", "11:50")
    assert slot["reservation"] == {
        "id": booked.public_id,
        "user": {"name": "Ada Park"},
        "status": "confirmed",
    }
    assert body["slots"][3]["reservation"] == {
        "id": pending.public_id,
        "user": {"name": "Ben Ortiz"},
        "status": "pending",
    }
    assert body["slots"][0]["label"] == "09:00–09:50"
    assert all(s["reservation"] is None for s in body["slots"][4:])


def test_availability_past_follows_the_school_time_zone(
    app, client, freeze, create_account, create_facility, auth_headers
):
    """In New York at 13:30 UTC (09:30 local) only slot 1 is past."""
    app.config["TIMEZONE"] = "America/New_York"
    freeze(2026, 6, 10, 13, 30)
    lab = create_facility()
    states = slot_states(client, lab, WED, auth_headers(create_account()))
    assert [states[n]["status"] for n in (1, 2, 3)] == ["past", "free", "free"]


def test_availability_closed_facility(
    client, freeze, create_account, create_facility, auth_headers
):
    """A facility under maintenance shows every slot ``closed``."""
    freeze(2026, 6, 1, 7, 0)
    lab = create_facility(status="maintenance")
    states = slot_states(client, lab, WED, auth_headers(create_account()))
    assert {s["status"] for s in states.values()} == {"closed"}


def test_availability_blackouts_and_weekends(
    client, freeze, create_account, create_facility, auth_headers
):
    """School-wide and facility blackouts and weekends show ``blackout``; other rooms stay free."""
    freeze(2026, 6, 1, 7, 0)
    lab, other = create_facility(), create_facility()
    db.session.add(BlackoutDate(start_date=TUE, end_date=TUE, reason="Sports day"))
    db.session.add(BlackoutDate(start_date=THU, end_date=THU, reason="Refit", facility_id=lab.id))
    db.session.commit()
    headers = auth_headers(create_account())

    def statuses(facility, day):
        return {s["status"] for s in slot_states(client, facility, day, headers).values()}

    assert statuses(lab, TUE) == statuses(other, TUE) == {"blackout"}
    assert statuses(lab, THU) == {"blackout"}
    assert statuses(other, THU) == {"free"}
    assert statuses(lab, SAT) == {"blackout"}
    assert statuses(lab, WED) == {"free"}


def test_availability_needs_a_valid_date_and_a_known_facility(
    client, create_account, create_facility, auth_headers
):
    """A missing or malformed date is 400 naming ``date``; an unknown facility is 404."""
    lab = create_facility()
    headers = auth_headers(create_account())
    url = f"/v1/facilities/{lab.code}/availability"
    assert_error(client.get(url, headers=headers), 400, "validation_error", field="date")
    bad = client.get(url, query_string={"date": "tomorrow"}, headers=headers)
    assert_error(bad, 400, "validation_error", field="date")
    unknown = client.get(
        "/v1/facilities/nowhere/availability", query_string={"date": "2026-06-10"}, headers=headers
    )
    assert_error(unknown, 404, "not_found")
