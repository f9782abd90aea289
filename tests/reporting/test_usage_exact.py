"""The usage report, exact to the period on random data: every figure equals the one a
straightforward count over the reservations and held slots gives, for ranges, filters,
blackouts, a closed facility, weekend bookings, a shortened day and another school week.
"""

import random
from collections import Counter
from datetime import date, timedelta

import pytest

from roomloop.booking import get_schedule, school_days
from roomloop.booking.settings import DEFAULT_BELL_SCHEDULE, set_setting
from roomloop.extensions import db
from roomloop.models import BlackoutDate, HeldSlot, Reservation

USAGE = "/v1/reports/usage"
FIRST = date(2027, 1, 4)  # a Monday
SPAN = 120  # days with bookings
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


@pytest.fixture
def school(freeze, create_account, create_facility, auth_headers):
    """Six facilities (one closed, one under maintenance), accounts in three departments,
    school-wide and facility blackouts, and about 1,500 random reservations: every status,
    no-shows, weekend bookings, and bookings of periods 7 and 8."""
    freeze(2026, 12, 1, 9, 0)
    rng = random.Random(2027)
    statuses = ["active"] * 4 + ["closed", "maintenance"]
    facilities = [
        create_facility(code=f"r{n}", name=f"Room {n}", building=rng.choice("NSEW"), status=status)
        for n, status in enumerate(statuses)
    ]
    accounts = [
        create_account(department=rng.choice(["Science", "Maths", "Arts"])) for _ in range(9)
    ]
    blackouts = []
    for _ in range(3):
        start = FIRST + timedelta(days=rng.randrange(SPAN))
        blackouts.append(
            BlackoutDate(start_date=start, end_date=start + timedelta(days=rng.randrange(5)))
        )
    for facility in rng.sample(facilities, 3):
        start = FIRST + timedelta(days=rng.randrange(SPAN))
        end = start + timedelta(days=rng.randrange(8))
        blackouts.append(BlackoutDate(start_date=start, end_date=end, facility=facility))
    db.session.add_all(blackouts)
    number = 0
    for facility in facilities:
        for offset in range(SPAN):
            day = FIRST + timedelta(days=offset)
            slot = rng.randint(1, 3)
            while slot <= 8:
                end = min(8, slot + rng.randrange(3))
                number += 1
                status = rng.choices(["confirmed", "pending", "cancelled"], [8, 1, 1])[0]
                account = rng.choice(accounts)
                reservation = Reservation(
                    public_id=f"res_{number:010x}",
                    facility_id=facility.id,
                    account_id=account.id,
                    date=day,
                    start_slot=slot,
                    end_slot=end,
                    purpose="Lesson",
                    status=status,
                    rules={},
                    cancel_reason=rng.choice([None, "no_show", "Trip"])
                    if status == "cancelled"
                    else None,
                )
                if status != "cancelled":
                    reservation.held_slots = [
                        HeldSlot(facility_id=facility.id, account_id=account.id, date=day, slot=s)
                        for s in range(slot, end + 1)
                    ]
                db.session.add(reservation)
                slot = end + 1 + rng.randrange(3)
    db.session.commit()
    return {
        "facilities": facilities,
        "accounts": accounts,
        "headers": auth_headers(create_account(role="approver", department="Office")),
    }


def expected_report(school, start, end, facility=None, account=None, department=None):
    """The report counted the long way: every reservation and held slot, one by one."""
    schedule = get_schedule()  # the school's settings, as the pages show them
    slots = [slot.number for slot in schedule.slots]
    school_weekdays = sorted(day + 1 for day in school_days())  # Monday is 0 there
    department_of = {a.id: a.department for a in school["accounts"]}

    def in_scope(row):
        return (
            start <= row.date <= end
            and (facility is None or row.facility_id == facility.id)
            and (account is None or row.account_id == account.id)
            and (department is None or department_of.get(row.account_id) == department)
        )

    everyone = db.session.query(Reservation).all()
    reservations = [r for r in everyone if in_scope(r)]
    held = [h for h in db.session.query(HeldSlot).all() if in_scope(h)]
    blackouts = db.session.query(BlackoutDate).all()

    def blacked_out(facility_id, day):
        return any(
            b.start_date <= day <= b.end_date and b.facility_id in (None, facility_id)
            for b in blackouts
        )

    facilities = [facility] if facility else sorted(school["facilities"], key=lambda f: f.code)
    status_of = {f.id: f.status for f in school["facilities"]}
    days = [start + timedelta(days=n) for n in range((end - start).days + 1)]

    def bookable_day(facility_id, day):
        return (
            status_of[facility_id] != "closed"
            and day.isoweekday() in school_weekdays
            and not blacked_out(facility_id, day)
        )

    bookable = Counter()  # (facility id, weekday) -> bookable days
    for f in facilities:
        for day in days:
            if bookable_day(f.id, day):
                bookable[f.id, day.isoweekday()] += 1

    def counts(rows, slots_of):
        held_here = [h for h in held if slots_of(h)]
        return {
            "reservations": sum(1 for r in rows if r.status != "cancelled"),
            "slots_booked": len(held_here),
            "cancellations": sum(1 for r in rows if r.status == "cancelled"),
            "no_shows": sum(1 for r in rows if r.cancel_reason == "no_show"),
            "on_bookable": sum(
                1 for h in held_here if h.slot in slots and bookable_day(h.facility_id, h.date)
            ),
        }

    def figures(rows, slots_of, bookable_slots, with_reservations=True):
        c = counts(rows, slots_of)
        result = {
            "slots_booked": c["slots_booked"],
            "bookable_slots": bookable_slots,
            "utilization": round(c["on_bookable"] / bookable_slots, 4) if bookable_slots else None,
        }
        if with_reservations:
            result.update(
                reservations=c["reservations"],
                cancellations=c["cancellations"],
                no_shows=c["no_shows"],
            )
        return result

    def days_on(weekday):
        return sum(n for (_, w), n in bookable.items() if w == weekday)

    all_days = sum(bookable.values())
    departments = sorted({department_of[r.account_id] for r in reservations})
    by_department = [
        {
            "department": name,
            "reservations": sum(
                1
                for r in reservations
                if department_of[r.account_id] == name and r.status != "cancelled"
            ),
            "slots_booked": sum(1 for h in held if department_of[h.account_id] == name),
            "cancellations": sum(
                1
                for r in reservations
                if department_of[r.account_id] == name and r.status == "cancelled"
            ),
            "no_shows": sum(
                1
                for r in reservations
                if department_of[r.account_id] == name and r.cancel_reason == "no_show"
            ),
        }
        for name in departments
    ]
    by_department.sort(key=lambda row: (-row["slots_booked"], row["department"]))
    return {
        "from": start.isoformat(),
        "to": end.isoformat(),
        "facility_id": facility.code if facility else None,
        "user_id": account.public_id if account else None,
        "department": department,
        "totals": figures(reservations, lambda h: True, all_days * len(slots)),
        "by_facility": [
            {
                "facility": {"id": f.code, "name": f.name},
                "building": f.building,
                "status": f.status,
                **figures(
                    [r for r in reservations if r.facility_id == f.id],
                    lambda h, f=f: h.facility_id == f.id,
                    sum(n for (fid, _), n in bookable.items() if fid == f.id) * len(slots),
                ),
            }
            for f in facilities
        ],
        "by_department": by_department,
        "by_weekday": [
            {
                "weekday": w,
                "name": WEEKDAYS[w - 1],
                **figures(
                    [r for r in reservations if r.date.isoweekday() == w],
                    lambda h, w=w: h.date.isoweekday() == w,
                    days_on(w) * len(slots),
                ),
            }
            for w in range(1, 8)
        ],
        "by_slot": [
            {
                "slot": s,
                "label": label,
                **figures([], lambda h, s=s: h.slot == s, all_days, with_reservations=False),
            }
            for s, label in ((slot.number, slot.label) for slot in schedule.slots)
        ],
        "by_weekday_slot": [
            {
                "weekday": w,
                "slot": s,
                **figures(
                    [],
                    lambda h, w=w, s=s: h.date.isoweekday() == w and h.slot == s,
                    days_on(w),
                    with_reservations=False,
                ),
            }
            for w in school_weekdays
            for s in slots
        ],
    }


def report(client, headers, start, end, **filters):
    query = {"from": start.isoformat(), "to": end.isoformat(), **filters}
    response = client.get(USAGE, query_string=query, headers=headers)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()


RANGES = [
    (FIRST, FIRST + timedelta(days=SPAN - 1)),  # everything
    (FIRST - timedelta(days=10), FIRST + timedelta(days=40)),  # starts before the bookings
    (FIRST + timedelta(days=33), FIRST + timedelta(days=33 + 91)),  # a term, past the end
    (FIRST + timedelta(days=19), FIRST + timedelta(days=19)),  # one day
    (FIRST + timedelta(days=54), FIRST + timedelta(days=61)),  # a week and a day
]


@pytest.mark.parametrize("start, end", RANGES)
def test_usage_equals_the_long_count(client, school, start, end):
    """Every figure of the report, for ranges of a day to a term, equals the long count."""
    assert report(client, school["headers"], start, end) == expected_report(school, start, end)


def test_usage_filters_equal_the_long_count(client, school):
    """One facility (open and closed), one person, one department: each as counted by hand."""
    start, end = RANGES[0]
    open_one, closed_one = school["facilities"][0], school["facilities"][4]
    person = school["accounts"][3]
    for filters, expected in (
        ({"facility_id": open_one.code}, {"facility": open_one}),
        ({"facility_id": closed_one.code}, {"facility": closed_one}),
        ({"user_id": person.public_id}, {"account": person}),
        ({"department": "Maths"}, {"department": "Maths"}),
        (
            {"department": "Maths", "facility_id": open_one.code},
            {"department": "Maths", "facility": open_one},
        ),
    ):
        got = report(client, school["headers"], start, end, **filters)
        assert got == expected_report(school, start, end, **expected), filters


def test_usage_after_the_day_was_shortened_and_the_week_changed(client, school):
    """Six periods a day and a Monday-to-Thursday-and-Saturday week: periods 7 and 8 and the
    Friday bookings still count as booked, never as bookable."""
    set_setting("bell_schedule", DEFAULT_BELL_SCHEDULE[:6])
    set_setting("school_days", ["mon", "tue", "wed", "thu", "sat"])
    db.session.commit()

    for start, end in RANGES[:3]:
        got = report(client, school["headers"], start, end)
        assert len(got["by_slot"]) == 6
        assert [row["weekday"] for row in got["by_weekday_slot"][::6]] == [1, 2, 3, 4, 6]
        assert got == expected_report(school, start, end)
