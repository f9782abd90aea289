"""``/v1/reports/usage``: totals and breakdowns checked against numbers worked out by hand
on one fixed week, the filters, who may read reports, and how a bad range is refused.
"""

from datetime import date, timedelta

import pytest

from roomloop.booking.settings import DEFAULT_BELL_SCHEDULE, set_setting
from roomloop.extensions import db
from roomloop.models import BlackoutDate
from roomloop.reporting.usage import MAX_REPORT_DAYS

from conftest import assert_error

USAGE = "/v1/reports/usage"
ENDPOINTS = (USAGE, "/v1/reports/export.csv", "/v1/reports/export.xlsx")
WEEK = {"from": "2027-03-01", "to": "2027-03-07"}
MON, TUE, WED, THU, FRI, SAT, SUN = (date(2027, 3, day) for day in range(1, 8))


@pytest.fixture
def week(freeze, create_account, create_facility, create_reservation, auth_headers):
    """Bookings of Monday 1 to Sunday 7 March 2027 in three facilities by two departments.

    f1 and f2 are open, f3 is closed. Wednesday is a school-wide blackout (f1 also has its
    own blackout that day, which must not count twice); f2 is blacked out from Friday to the
    Monday after the week.
    """
    freeze(2027, 2, 15, 9, 0)
    f1 = create_facility(code="f1", name="Lab A", building="North")
    f2 = create_facility(code="f2", name="Gym", building="South")
    f3 = create_facility(code="f3", name="Old Hall", building="East", status="closed")
    ada = create_account(name="Ada Park", department="Science")
    bob = create_account(name="Bob Roy", department="Science")
    eve = create_account(name="Eve Stone", department="Maths")
    db.session.add_all(
        [
            BlackoutDate(start_date=WED, end_date=WED, reason="Staff training"),
            BlackoutDate(start_date=WED, end_date=WED, reason="Exams", facility=f1),
            BlackoutDate(start_date=FRI, end_date=date(2027, 3, 8), reason="Works", facility=f2),
        ]
    )
    db.session.commit()
    book = create_reservation
    book(f1, ada, MON, 1, 2)  # 2 slots
    book(f1, bob, TUE, 3, 5, status="pending")  # 3 slots
    book(f1, eve, THU, 8)  # 1 slot
    book(f2, eve, MON, 2, 5)  # 4 slots
    book(f2, ada, FRI, 1, 2)  # 2 slots on f2's own blackout
    book(f1, bob, WED, 4)  # 1 slot on the school-wide blackout
    book(f3, ada, TUE, 6, 7)  # 2 slots in the closed facility
    book(f1, ada, TUE, 6, 8, status="cancelled")  # holds no slot
    book(f1, bob, SAT, 3)  # 1 slot on a weekend
    book(f1, ada, date(2027, 2, 28), 1)  # the Sunday before the week
    book(f1, eve, date(2027, 3, 8), 1)  # the Monday after the week
    return {
        "f1": f1,
        "f2": f2,
        "f3": f3,
        "ada": ada,
        "bob": bob,
        "eve": eve,
        "approver": auth_headers(create_account(role="approver", department="Office")),
        "admin": auth_headers(create_account(role="admin", department="")),
        "teacher": auth_headers(ada),
    }


def get(client, path, query, headers=None):
    """GET ``path`` and read the whole body, as a download would."""
    response = client.get(path, query_string=query, headers=headers)
    response.get_data()
    response.close()
    return response


def usage(client, headers, **query):
    response = get(client, USAGE, {**WEEK, **query}, headers)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.headers["Cache-Control"] == "no-store"
    return response.get_json()


def measures(reservations, slots_booked, cancellations, bookable_slots, utilization, no_shows=0):
    return {
        "reservations": reservations,
        "slots_booked": slots_booked,
        "cancellations": cancellations,
        "no_shows": no_shows,
        "bookable_slots": bookable_slots,
        "utilization": utilization,
    }


# --- The whole week ----------------------------------------------------------------------


def test_usage_totals_match_the_hand_count(client, week):
    """The totals of the week: 8 reservations, 16 slots, 1 cancellation, 56 bookable slots."""
    body = usage(client, week["approver"])

    assert (body["from"], body["to"]) == ("2027-03-01", "2027-03-07")
    assert (body["facility_id"], body["user_id"], body["department"]) == (None, None, None)
    # Bookable: f1 on Mon, Tue, Thu, Fri (4 days) + f2 on Mon, Tue, Thu (3) = 7 days x 8 slots.
    # Booked on bookable slots: 2 + 3 + 1 (f1) + 4 (f2) = 10; the blackout (2 + 1), closed (2)
    # and weekend (1) slots count as booked only. 10 / 56 = 0.1786.
    assert body["totals"] == measures(8, 16, 1, 56, 0.1786)


def test_usage_by_facility_includes_the_closed_one(client, week):
    """Each facility in code order; the closed one has nothing bookable and no utilization."""
    body = usage(client, week["admin"])

    assert body["by_facility"] == [
        {
            "facility": {"id": "f1", "name": "Lab A"},
            "building": "North",
            "status": "active",
            # 4 days x 8 = 32 bookable; 2 + 3 + 1 on bookable slots, 6 / 32
            **measures(5, 8, 1, 32, 0.1875),
        },
        {
            "facility": {"id": "f2", "name": "Gym"},
            "building": "South",
            "status": "active",
            # 3 days x 8 = 24 bookable; the Friday booking is on its blackout: 4 / 24
            **measures(2, 6, 0, 24, 0.1667),
        },
        {
            "facility": {"id": "f3", "name": "Old Hall"},
            "building": "East",
            "status": "closed",
            **measures(1, 2, 0, 0, None),
        },
    ]


def test_usage_by_department_puts_most_slots_first(client, week):
    """Science (11 slots) comes before Maths (5), though M sorts before S."""
    body = usage(client, week["approver"])

    assert body["by_department"] == [
        # ada 2 + 2 + 2 and a cancellation, bob 3 + 1 + 1
        {
            "department": "Science",
            "reservations": 6,
            "slots_booked": 11,
            "cancellations": 1,
            "no_shows": 0,
        },
        # eve 1 + 4
        {
            "department": "Maths",
            "reservations": 2,
            "slots_booked": 5,
            "cancellations": 0,
            "no_shows": 0,
        },
    ]


def test_usage_by_weekday_has_seven_days_and_no_bookable_weekend(client, week):
    """Monday to Sunday; Wednesday (school-wide blackout) and the weekend have nothing bookable."""
    body = usage(client, week["approver"])

    assert body["by_weekday"] == [
        # Mon and Tue: f1 + f2 = 2 days x 8 = 16 bookable
        {"weekday": 1, "name": "Monday", **measures(2, 6, 0, 16, 0.375)},  # 6 / 16
        {"weekday": 2, "name": "Tuesday", **measures(2, 5, 1, 16, 0.1875)},  # 3 / 16, f3 closed
        {"weekday": 3, "name": "Wednesday", **measures(1, 1, 0, 0, None)},
        {"weekday": 4, "name": "Thursday", **measures(1, 1, 0, 16, 0.0625)},  # 1 / 16
        {"weekday": 5, "name": "Friday", **measures(1, 2, 0, 8, 0.0)},  # f1 only; f2 blacked out
        {"weekday": 6, "name": "Saturday", **measures(1, 1, 0, 0, None)},
        {"weekday": 7, "name": "Sunday", **measures(0, 0, 0, 0, None)},
    ]


def test_usage_by_slot_counts_each_period_of_the_bell_schedule(client, week):
    """Eight periods with their labels; each had 7 facility-days to be booked."""
    body = usage(client, week["approver"])

    def slot(number, label, booked, utilization):
        return {
            "slot": number,
            "label": label,
            "slots_booked": booked,
            "bookable_slots": 7,
            "utilization": utilization,
        }

    assert body["by_slot"] == [
        slot(1, "09:00–09:50", 2, 0.1429),  # f1 Mon bookable, f2 Fri blacked out: 1 / 7
        slot(2, "10:00–10:50", 3, 0.2857),  # f1 Mon, f2 Mon, f2 Fri: 2 / 7
        slot(3, "11:00–11:50", 3, 0.2857),  # f1 Tue, f2 Mon, f1 Sat: 2 / 7
        slot(4, "12:00–12:50", 3, 0.2857),  # f1 Tue, f2 Mon, f1 Wed: 2 / 7
        slot(5, "13:00–13:50", 2, 0.2857),  # f1 Tue, f2 Mon
        slot(6, "14:00–14:50", 1, 0.0),  # f3, closed
        slot(7, "15:00–15:50", 1, 0.0),  # f3, closed
        slot(8, "16:00–16:50", 1, 0.1429),  # f1 Thu
    ]


def test_usage_by_weekday_slot_fills_the_school_week_grid(client, week):
    """Monday to Friday x 8 periods; each cell's bookable count is that weekday's open days."""
    body = usage(client, week["approver"])

    bookable_days = {1: 2, 2: 2, 3: 0, 4: 2, 5: 1}  # Wednesday is a school-wide blackout
    booked = {  # (weekday, slot): (slots booked, utilization)
        (1, 1): (1, 0.5),
        (1, 2): (2, 1.0),  # f1 and f2 both booked
        (1, 3): (1, 0.5),
        (1, 4): (1, 0.5),
        (1, 5): (1, 0.5),
        (2, 3): (1, 0.5),
        (2, 4): (1, 0.5),
        (2, 5): (1, 0.5),
        (2, 6): (1, 0.0),  # f3 is closed
        (2, 7): (1, 0.0),
        (3, 4): (1, None),
        (4, 8): (1, 0.5),
        (5, 1): (1, 0.0),  # f2's blackout
        (5, 2): (1, 0.0),
    }
    expected = []
    for weekday in range(1, 6):
        for number in range(1, 9):
            nothing = (0, 0.0 if bookable_days[weekday] else None)
            slots_booked, utilization = booked.get((weekday, number), nothing)
            expected.append(
                {
                    "weekday": weekday,
                    "slot": number,
                    "slots_booked": slots_booked,
                    "bookable_slots": bookable_days[weekday],
                    "utilization": utilization,
                }
            )
    assert body["by_weekday_slot"] == expected


def test_usage_of_a_weekend_has_nothing_bookable(client, week):
    """A range of Saturday and Sunday only: its booking counts, utilization is null."""
    body = usage(client, week["approver"], **{"from": "2027-03-06", "to": "2027-03-07"})

    assert body["totals"] == measures(1, 1, 0, 0, None)
    assert [row["utilization"] for row in body["by_facility"]] == [None, None, None]


def test_cancelling_moves_a_booking_to_cancellations(client, week):
    """After an admin cancels Eve's Monday booking in f2, its 4 slots are no longer booked."""
    query = {"facility_id": "f2", "from": "2027-03-01", "to": "2027-03-01"}
    [listed] = client.get("/v1/reservations", query_string=query, headers=week["admin"]).json[
        "data"
    ]
    cancel = client.patch(
        f"/v1/reservations/{listed['id']}", json={"status": "cancelled"}, headers=week["admin"]
    )
    assert cancel.status_code == 200, cancel.get_data(as_text=True)

    body = usage(client, week["approver"])

    assert body["totals"] == measures(7, 12, 2, 56, 0.1071)  # (10 - 4) / 56
    f2 = body["by_facility"][1]
    assert f2["facility"]["id"] == "f2"
    assert {key: f2[key] for key in body["totals"]} == measures(1, 2, 1, 24, 0.0)


def test_usage_after_the_day_was_shortened_to_six_periods(client, week):
    """Bookings in periods the schedule no longer has count as booked, never as bookable."""
    set_setting("bell_schedule", DEFAULT_BELL_SCHEDULE[:6])
    db.session.commit()

    body = usage(client, week["approver"])

    # 7 facility-days x 6 periods = 42 bookable; f1's Thursday period 8 leaves the 10: 9 / 42
    assert body["totals"] == measures(8, 16, 1, 42, 0.2143)
    assert [row["slot"] for row in body["by_slot"]] == [1, 2, 3, 4, 5, 6]
    assert len(body["by_weekday_slot"]) == 5 * 6


# --- Filters -----------------------------------------------------------------------------


def test_usage_for_one_facility(client, week):
    """facility_id=f1: only f1, its 32 bookable slots, and who booked it."""
    body = usage(client, week["approver"], facility_id="f1")

    assert body["facility_id"] == "f1"
    assert body["totals"] == measures(5, 8, 1, 32, 0.1875)
    assert [row["facility"]["id"] for row in body["by_facility"]] == ["f1"]
    assert body["by_department"] == [
        # ada 2 and a cancellation, bob 3 + 1 + 1
        {
            "department": "Science",
            "reservations": 4,
            "slots_booked": 7,
            "cancellations": 1,
            "no_shows": 0,
        },
        {
            "department": "Maths",
            "reservations": 1,
            "slots_booked": 1,
            "cancellations": 0,
            "no_shows": 0,
        },
    ]
    assert [row["bookable_slots"] for row in body["by_weekday"]] == [8, 8, 0, 8, 8, 0, 0]
    assert [row["bookable_slots"] for row in body["by_slot"]] == [4] * 8


def test_usage_for_one_closed_facility(client, week):
    """facility_id=f3 (closed): its booking counts, nothing is bookable."""
    body = usage(client, week["approver"], facility_id="f3")

    assert body["totals"] == measures(1, 2, 0, 0, None)
    assert [row["utilization"] for row in body["by_slot"]] == [None] * 8


def test_usage_for_one_user(client, week):
    """user_id=Ada: her bookings against everything that was bookable."""
    body = usage(client, week["approver"], user_id=week["ada"].public_id)

    assert body["user_id"] == week["ada"].public_id
    # f1 Mon 2 (bookable), f2 Fri 2 (blackout), f3 Tue 2 (closed), a cancellation: 2 / 56
    assert body["totals"] == measures(3, 6, 1, 56, 0.0357)
    assert [
        (row["facility"]["id"], row["reservations"], row["slots_booked"], row["utilization"])
        for row in body["by_facility"]
    ] == [("f1", 1, 2, 0.0625), ("f2", 1, 2, 0.0), ("f3", 1, 2, None)]
    assert body["by_department"] == [
        {
            "department": "Science",
            "reservations": 3,
            "slots_booked": 6,
            "cancellations": 1,
            "no_shows": 0,
        }
    ]


def test_usage_for_one_department(client, week):
    """department=Maths: Eve's two bookings, both on bookable slots: 5 / 56."""
    body = usage(client, week["approver"], department="Maths")

    assert body["department"] == "Maths"
    assert body["totals"] == measures(2, 5, 0, 56, 0.0893)
    assert body["by_department"] == [
        {
            "department": "Maths",
            "reservations": 2,
            "slots_booked": 5,
            "cancellations": 0,
            "no_shows": 0,
        }
    ]
    assert [row["slots_booked"] for row in body["by_slot"]] == [0, 1, 1, 1, 1, 0, 0, 1]


def test_usage_filters_combine(client, week):
    """facility_id=f2 and department=Maths: Eve's Monday booking, 4 / 24."""
    body = usage(client, week["approver"], facility_id="f2", department="Maths")

    assert body["totals"] == measures(1, 4, 0, 24, 0.1667)


def test_usage_for_a_department_nobody_is_in_is_empty(client, week):
    """An unknown department is no error: nothing was booked by it."""
    body = usage(client, week["approver"], department="Art")

    assert body["totals"] == measures(0, 0, 0, 56, 0.0)
    assert body["by_department"] == []


def test_empty_filters_mean_any(client, week):
    """Empty form fields (facility_id=&user_id=&department=) give the whole school's report."""
    body = usage(client, week["approver"], facility_id="", user_id="", department="")

    assert (body["facility_id"], body["user_id"], body["department"]) == (None, None, None)
    assert body["totals"] == measures(8, 16, 1, 56, 0.1786)


@pytest.mark.parametrize("path", ENDPOINTS)
@pytest.mark.parametrize(
    ("field", "value"), [("facility_id", "nope"), ("user_id", "usr_0000000000")]
)
def test_unknown_facility_or_user_is_a_validation_error(client, week, path, field, value):
    """A facility or user id that does not exist is refused, naming the field."""
    response = get(client, path, {**WEEK, field: value}, week["approver"])

    error = assert_error(response, 400, "validation_error")
    assert set(error["fields"]) == {field}
    assert value in error["fields"][field]


# --- Who may read reports ----------------------------------------------------------------


@pytest.mark.parametrize("path", ENDPOINTS)
def test_teacher_may_not_read_reports(client, week, path):
    """A teacher gets 403 forbidden naming reports:read, even with a bad range."""
    for query in (WEEK, {}):
        response = get(client, path, query, week["teacher"])
        error = assert_error(response, 403, "forbidden")
        assert error["capability"] == "reports:read"


@pytest.mark.parametrize("path", ENDPOINTS)
@pytest.mark.parametrize("role", ["approver", "admin"])
def test_approver_and_admin_read_reports(client, week, path, role):
    """Approvers and admins get each report."""
    response = get(client, path, WEEK, week[role])

    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.headers["Cache-Control"] == "no-store"


@pytest.mark.parametrize("path", ENDPOINTS)
def test_reports_need_a_token(client, week, path):
    """Without a token each report is 401 unauthorized."""
    assert_error(get(client, path, WEEK), 401, "unauthorized")


@pytest.mark.parametrize("path", ENDPOINTS)
def test_admin_key_without_the_reports_scope_is_forbidden(
    client, create_account, auth_headers, path
):
    """An admin key scoped to facilities:read is refused reports; one with reports:read is not."""
    admin = create_account(role="admin")
    narrow = auth_headers(admin, scopes=["facilities:read"])
    reports = auth_headers(admin, scopes=["reports:read"])

    error = assert_error(get(client, path, WEEK, narrow), 403, "forbidden")
    assert error["capability"] == "reports:read"
    assert get(client, path, WEEK, reports).status_code == 200


# --- The range ---------------------------------------------------------------------------


@pytest.mark.parametrize("path", ENDPOINTS)
@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"to": "2027-03-07"}, "from"),
        ({"from": "2027-03-01"}, "to"),
        ({"from": "2027-02-30", "to": "2027-03-07"}, "from"),
        ({"from": "2027-03-01", "to": "x"}, "to"),
        ({"from": "2027-03-07", "to": "2027-03-01"}, "to"),
    ],
    ids=["no-from", "no-to", "february-30", "not-a-date", "reversed"],
)
def test_a_bad_range_is_a_validation_error(client, week, path, query, field):
    """A missing, impossible or reversed date is refused, naming the field."""
    response = get(client, path, query, week["approver"])

    error = assert_error(response, 400, "validation_error")
    assert set(error["fields"]) == {field}


def test_a_one_day_range_is_fine(client, week):
    """from == to reports that one day: Monday's two bookings, 16 bookable slots."""
    body = usage(client, week["approver"], **{"from": "2027-03-01", "to": "2027-03-01"})

    assert body["totals"] == measures(2, 6, 0, 16, 0.375)


def test_usage_range_is_capped_but_exports_are_not(client, week):
    """A usage report covers at most MAX_REPORT_DAYS days; the exports take any range."""
    first = date(2027, 1, 1)
    longest = {"from": first.isoformat(), "to": str(first + timedelta(MAX_REPORT_DAYS - 1))}
    too_long = {"from": first.isoformat(), "to": str(first + timedelta(MAX_REPORT_DAYS))}
    headers = week["approver"]

    assert get(client, USAGE, longest, headers).status_code == 200
    error = assert_error(get(client, USAGE, too_long, headers), 400, "validation_error")
    assert set(error["fields"]) == {"to"}
    assert str(MAX_REPORT_DAYS) in error["fields"]["to"]
    for path in ENDPOINTS[1:]:
        response = get(client, path, too_long, headers)
        assert response.status_code == 200, path
