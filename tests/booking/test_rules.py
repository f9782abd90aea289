"""The rules engine R-01..R-11, as an API user meets it through ``POST /v1/reservations``:
the rules are checked in order and the first that fails is reported, and a booking that
passes answers the documented resource.

The rules one by one are in ``test_rules_time.py`` (R-01, R-05, R-07),
``test_rules_room.py`` (R-02, R-03, R-08, R-09, R-11) and ``test_rules_limits.py`` (R-04,
R-06, R-10). Every refusal is checked for its status, ``error.code``, ``error.rule``, a
message that names the problem, and that nothing was committed (``rules_support.py``).
"""

import re
from datetime import date

import pytest

from conftest import book, stored
from rules_support import ALL_RULES, MON, SAT, assert_refused

TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")


# Order and the successful answer --------------------------------------------------------


@pytest.mark.parametrize(
    ("facility_fields", "day", "slots", "expected"),
    [
        ({"status": "maintenance"}, SAT, (2, 2), "R-02"),
        ({"status": "closed"}, date(2026, 6, 1), (2, 2), "R-01"),
        ({"capacity": 5}, MON, (1, 6), "R-04"),
        ({}, date(2026, 9, 5), (1, 6), "R-04"),  # and R-07 (a Saturday)
        ({}, date(2026, 9, 5), (2, 2), "R-05"),
    ],
)
def test_the_first_failing_rule_is_reported(
    client,
    freeze,
    create_account,
    create_facility,
    auth_headers,
    facility_fields,
    day,
    slots,
    expected,
):
    """A request breaking several rules is refused by the first of them in R-01..R-11 order."""
    freeze(2026, 6, 4, 7, 0)
    lab = create_facility(**facility_fields)
    response = book(client, auth_headers(create_account()), lab, day, *slots, attendees=10)
    assert_refused(response, expected)


def test_the_reference_example_answers_the_documented_resource(
    client, freeze, create_account, create_facility, auth_headers
):
    """The API reference's example request answers 201 with exactly the canonical resource."""
    freeze(2026, 6, 8, 9, 14)
    ada = create_account(name="Ada Park", email="ada@school.example")
    create_facility(code="f1", name="STEM Lab Alpha")
    response = client.post(
        "/v1/reservations",
        json={
            "facility_id": "f1",
            "date": "2026-06-10",
            "start_slot": 2,
            "end_slot": 3,
            "purpose": "Grade 10 Chemistry — titration lab",
        },
        headers=auth_headers(ada),
    )

    assert response.status_code == 201
    body = response.json
    assert set(body) == {
        "id",
        "status",
        "facility",
        "user",
        "date",
        "start_slot",
        "end_slot",
        "slots",
        "purpose",
        "attendees",
        "rules",
        "series_id",
        "cancel_reason",
        "cancelled_by",
        "checked_in_at",
        "created_at",
        "updated_at",
    }
    assert re.fullmatch(r"res_[0-9a-f]{10}", body["id"])
    assert body["series_id"] is None
    assert body["cancel_reason"] is None and body["cancelled_by"] is None
    assert body["status"] == "confirmed"
    assert body["facility"] == {"id": "f1", "name": "STEM Lab Alpha"}
    assert body["user"] == {"id": ada.public_id, "name": "Ada Park", "email": "ada@school.example"}
    assert body["date"] == "2026-06-10"
    assert (body["start_slot"], body["end_slot"]) == (2, 3)
    assert body["slots"] == ["10:00–10:50", "11:00–11:50"]
    assert body["purpose"] == "Grade 10 Chemistry — titration lab"
    assert body["attendees"] is None
    assert body["rules"] == {"outcome": "confirmed", "checked": ALL_RULES, "overridden": []}
    assert TIMESTAMP.match(body["created_at"]) and TIMESTAMP.match(body["updated_at"])
    assert body["created_at"] == body["updated_at"] == "2026-06-08T09:14:00Z"
    assert response.headers["Location"].endswith(f"/v1/reservations/{body['id']}")
    assert client.get(response.headers["Location"], headers=auth_headers(ada)).json == body
    assert stored() == (1, 2, 1)
