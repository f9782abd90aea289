"""What the reservations tests share: the week of 8 June 2026, a small school with five
reservations that week (``school``), and the checks of an error envelope, a list's ids and a
facility's slot states.
"""

from datetime import date

import pytest

MON, TUE, WED, THU, FRI, SAT = (date(2026, 6, d) for d in (8, 9, 10, 11, 12, 13))


def assert_error(response, status, code, field=None, capability=None):
    """Check the error envelope; ``field`` must be among ``fields``, ``capability`` match."""
    assert response.status_code == status, response.json
    error = response.json["error"]
    assert error["code"] == code
    assert error["message"]
    assert error["request_id"]
    if field is not None:
        assert field in error["fields"], error
    if capability is not None:
        assert error["capability"] == capability
    return error


def ids(response):
    assert response.status_code == 200, response.json
    return [r["id"] for r in response.json["data"]]


def slot_states(client, facility, day, headers):
    response = client.get(
        f"/v1/facilities/{facility.code}/availability",
        query_string={"date": day.isoformat()},
        headers=headers,
    )
    assert response.status_code == 200, response.json
    return {s["slot"]: s for s in response.json["slots"]}


@pytest.fixture
def school(freeze, create_account, create_facility, create_reservation, auth_headers):
    """On 1 June: two teachers, an approver, an admin, two rooms, five reservations that week."""
    freeze(2026, 6, 1, 7, 0)
    ada = create_account(name="Ada Park")
    ben = create_account(name="Ben Ortiz")
    lab, gym = create_facility(code="lab"), create_facility(code="gym", type="gym")
    made = {
        "ada_mon": create_reservation(lab, ada, MON, 2),
        "ada_wed": create_reservation(gym, ada, WED, 1, 2),
        "ada_fri_cancelled": create_reservation(lab, ada, FRI, 3, status="cancelled"),
        "ben_tue": create_reservation(lab, ben, TUE, 4),
        "ben_wed_pending": create_reservation(lab, ben, WED, 1, status="pending"),
    }
    return {
        "ada": ada,
        "ben": ben,
        "lab": lab,
        "gym": gym,
        "res": {name: r.public_id for name, r in made.items()},
        "headers": {
            "ada": auth_headers(ada),
            "ben": auth_headers(ben),
            "approver": auth_headers(create_account(role="approver")),
            "admin": auth_headers(create_account(role="admin")),
        },
    }
