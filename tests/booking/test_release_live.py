"""The no-show release end to end, on a live server with its own sender and the real clock.

The school's day is set so that its first period starts two minutes from now (in a time
zone where it is around noon, so the day never wraps past midnight); two rooms require
check-in and release a booking one minute after its first period starts. One booking is
checked in, one is not: within the release time and a minute more, the second is
cancelled "no_show" and its second period can be booked, while the first stays confirmed.
"""

import time
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import requests

from roomloop.auth.tokens import create_api_key
from roomloop.extensions import db

WEEKDAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]


def midday_zone():
    """An ``Etc/GMT`` zone where the time now is between 11:00 and 13:00."""
    offset = 12 - datetime.now(UTC).hour  # hours to add to UTC to reach about noon
    offset = max(-12, min(14, offset))
    # The POSIX sign: Etc/GMT-3 is three hours ahead of UTC.
    return f"Etc/GMT{'-' if offset >= 0 else '+'}{abs(offset)}"


def test_an_unchecked_booking_is_released_on_time_and_a_checked_in_one_stays(
    start_server, create_account, create_facility
):
    zone_name = midday_zone()
    now = datetime.now(ZoneInfo(zone_name)).replace(second=0, microsecond=0)
    first = now + timedelta(minutes=2)
    periods = [
        {"start": f"{first + timedelta(minutes=15 * n):%H:%M}"}
        | {"end": f"{first + timedelta(minutes=15 * n + 10):%H:%M}"}
        for n in range(3)
    ]
    admin, kept_by, missed_by, later = (
        create_account(role="admin"),
        create_account(),
        create_account(),
        create_account(),
    )
    for code in ("lab-kept", "lab-missed"):
        create_facility(code=code, check_in_required=True, release_after_minutes=1)
    keys = {a: create_api_key(a)[1] for a in (admin, kept_by, missed_by, later)}
    db.session.commit()
    url = start_server(
        workers=1,
        threads=4,
        TIMEZONE=zone_name,
        WEBHOOK_SENDER="thread",
        BACKGROUND_TASK_SECONDS=5,
    )

    def call(method, path, account, **body):
        headers = {"Authorization": f"Bearer {keys[account]}"}
        return requests.request(method, url + path, json=body or None, headers=headers, timeout=30)

    school = call("PATCH", "/v1/school", admin, periods=periods, school_days=WEEKDAYS)
    assert school.status_code == 200, school.text
    today = now.date().isoformat()
    booking = {"date": today, "start_slot": 1, "end_slot": 2, "purpose": "Lesson"}
    kept = call("POST", "/v1/reservations", kept_by, facility_id="lab-kept", **booking)
    missed = call("POST", "/v1/reservations", missed_by, facility_id="lab-missed", **booking)
    assert kept.status_code == 201, kept.text
    assert missed.status_code == 201, missed.text
    checked_in = call("POST", f"/v1/reservations/{kept.json()['id']}/check-in", kept_by)
    assert checked_in.status_code == 200, checked_in.text

    release_by = first + timedelta(minutes=1 + 1)  # release_after_minutes, and a minute more
    path = f"/v1/reservations/{missed.json()['id']}"
    while True:
        state = call("GET", path, missed_by).json()
        if state["status"] == "cancelled" or datetime.now(UTC) > release_by:
            break
        time.sleep(2)
    released_at = datetime.now(UTC)

    assert state["status"] == "cancelled", state
    assert state["cancel_reason"] == "no_show"
    assert released_at >= first + timedelta(minutes=1) - timedelta(seconds=1)
    second_period = call(
        "POST",
        "/v1/reservations",
        later,
        facility_id="lab-missed",
        date=today,
        start_slot=2,
        end_slot=2,
        purpose="Free now",
    )
    assert second_period.status_code == 201, second_period.text
    kept_now = call("GET", f"/v1/reservations/{kept.json()['id']}", kept_by).json()
    assert kept_now["status"] == "confirmed"
    assert kept_now["checked_in_at"] is not None
