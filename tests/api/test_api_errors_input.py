"""No request, however malformed, yields a 500 or an HTML page under ``/v1``: malformed
booking bodies, odd values in paths, queries and cursors, and what the generated requests of
``test_schemathesis.py`` found.

Every check goes through the real test client and looks at what an API client sees: the
status, the JSON content type, the ``{"error": {...}}`` envelope with its ``code`` and
``request_id``, and that nothing was written. Routing, tokens, request ids and unexpected
exceptions are in ``test_api_errors.py``; what both share is in ``api_errors_support.py``.
"""

import base64
import json

import pytest

from api_errors_support import (
    MISSING,
    NOTHING_STORED,
    reservation_body,
    stored_rows,
    teacher_headers,
)
from conftest import assert_error

__all__ = ["teacher_headers"]  # a fixture of api_errors_support.py


def assert_not_server_error(response):
    """A ``/v1`` answer is never a 500 and never HTML."""
    assert response.status_code < 500, response.get_data(as_text=True)
    assert response.mimetype == "application/json"


def cursor_of(values):
    """Encode ``values`` the way the API encodes its cursors (to forge one)."""
    return base64.urlsafe_b64encode(json.dumps(values).encode()).decode().rstrip("=")


# --- POST /v1/reservations: malformed bodies ---------------------------------------------


def test_valid_booking_is_accepted(client, teacher_headers):
    """The control case: the unmodified body books (so the refusals below are about the input)."""
    response = client.post("/v1/reservations", json=reservation_body(), headers=teacher_headers)
    assert response.status_code == 201
    assert stored_rows()["reservations"] == 1


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        pytest.param({"facility_id": MISSING}, "facility_id", id="missing-facility_id"),
        pytest.param({"date": MISSING}, "date", id="missing-date"),
        pytest.param({"start_slot": MISSING}, "start_slot", id="missing-start_slot"),
        pytest.param({"end_slot": MISSING}, "end_slot", id="missing-end_slot"),
        pytest.param({"purpose": MISSING}, "purpose", id="missing-purpose"),
        pytest.param({"start_slot": "2"}, "start_slot", id="start_slot-string"),
        pytest.param({"start_slot": 2.5}, "start_slot", id="start_slot-float"),
        pytest.param({"start_slot": True}, "start_slot", id="start_slot-bool"),
        pytest.param({"start_slot": None}, "start_slot", id="start_slot-null"),
        pytest.param({"end_slot": "3"}, "end_slot", id="end_slot-string"),
        pytest.param({"start_slot": 10**30, "end_slot": 10**30}, "start_slot", id="slot-huge"),
        pytest.param({"date": 20260610}, "date", id="date-int"),
        pytest.param({"date": "2026-02-30"}, "date", id="date-feb-30"),
        pytest.param({"date": "10/06/2026"}, "date", id="date-dmy"),
        pytest.param({"date": ""}, "date", id="date-empty"),
        pytest.param({"date": None}, "date", id="date-null"),
        pytest.param({"start_slot": 3, "end_slot": 2}, "end_slot", id="end-before-start"),
        pytest.param({"start_slot": 0, "end_slot": 3}, "start_slot", id="start_slot-0"),
        pytest.param({"start_slot": -1, "end_slot": 3}, "start_slot", id="start_slot-neg"),
        pytest.param({"start_slot": 9, "end_slot": 9}, "start_slot", id="start_slot-9"),
        pytest.param({"start_slot": 100, "end_slot": 100}, "start_slot", id="start_slot-100"),
        pytest.param({"start_slot": 2, "end_slot": 9}, "end_slot", id="end_slot-9"),
        pytest.param({"start_slot": 2, "end_slot": 100}, "end_slot", id="end_slot-100"),
        pytest.param({"purpose": ""}, "purpose", id="purpose-empty"),
        pytest.param({"purpose": "   "}, "purpose", id="purpose-blank"),
        pytest.param({"purpose": "x" * 201}, "purpose", id="purpose-201"),
        pytest.param({"purpose": 42}, "purpose", id="purpose-number"),
        pytest.param({"attendees": 0}, "attendees", id="attendees-0"),
        pytest.param({"attendees": "ten"}, "attendees", id="attendees-text"),
        pytest.param({"attendees": -5}, "attendees", id="attendees-neg"),
        pytest.param({"colour": "red"}, "colour", id="unknown-field"),
        pytest.param({"facility_id": "nope"}, "facility_id", id="unknown-facility"),
        pytest.param({"facility_id": ""}, "facility_id", id="facility_id-empty"),
        pytest.param({"facility_id": 1}, "facility_id", id="facility_id-number"),
        pytest.param({"override": ["R-03"]}, "override", id="override-not-allowed"),
    ],
)
def test_malformed_booking_field_is_named(client, teacher_headers, changes, field):
    """A bad or missing field gets 400 validation_error naming it, and nothing is written."""
    response = client.post(
        "/v1/reservations", json=reservation_body(**changes), headers=teacher_headers
    )
    error = assert_error(response, 400, "validation_error")
    assert field in error["fields"]
    assert isinstance(error["fields"][field], str) and error["fields"][field]
    assert stored_rows() == NOTHING_STORED


def test_purpose_of_200_characters_is_accepted(client, teacher_headers):
    """200 characters is the longest purpose allowed (201 is refused above)."""
    body = reservation_body(purpose="x" * 200)
    response = client.post("/v1/reservations", json=body, headers=teacher_headers)
    assert response.status_code == 201
    assert response.json["purpose"] == "x" * 200


@pytest.mark.parametrize(
    "raw",
    [
        pytest.param('{"facility_id": "f1",', id="truncated-json"),
        pytest.param("not json at all", id="text"),
        pytest.param("[]", id="array"),
        pytest.param('[{"facility_id": "f1"}]', id="array-of-object"),
        pytest.param('"f1"', id="string"),
        pytest.param("42", id="number"),
        pytest.param("null", id="null"),
        pytest.param("", id="empty"),
        pytest.param("   \n", id="whitespace"),
        pytest.param(b"\xff\xfe\x00", id="not-utf8"),
        pytest.param("[" * 100_000, id="deeply-nested"),
    ],
)
def test_body_that_is_not_a_json_object_is_refused(client, teacher_headers, raw):
    """A body that is not a JSON object gets 400 naming ``body``, and nothing is written."""
    response = client.post(
        "/v1/reservations",
        data=raw,
        headers={**teacher_headers, "Content-Type": "application/json"},
    )
    error = assert_error(response, 400, "validation_error")
    assert "body" in error["fields"]
    assert stored_rows() == NOTHING_STORED


def test_form_encoded_body_is_refused_as_json(client, teacher_headers):
    """A form-encoded body (not JSON) gets a 400 JSON answer, not a form parse or a 500."""
    form = {k: str(v) for k, v in reservation_body().items()}
    response = client.post("/v1/reservations", data=form, headers=teacher_headers)
    assert response.request.content_type.startswith("application/x-www-form-urlencoded")
    error = assert_error(response, 400, "validation_error")
    assert "body" in error["fields"]
    assert stored_rows() == NOTHING_STORED


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        pytest.param({"facility_id": "f\x00"}, "facility_id", id="nul-in-facility_id"),
        pytest.param({"purpose": "Lab\x00work"}, "purpose", id="nul-in-purpose"),
    ],
)
def test_edge_values_are_refused_without_a_500(client, teacher_headers, changes, field):
    """Extreme but well-typed values get a 4xx JSON refusal naming the field, never a 500."""
    response = client.post(
        "/v1/reservations", json=reservation_body(**changes), headers=teacher_headers
    )
    assert_not_server_error(response)
    assert response.status_code in (400, 422)
    error = response.json["error"]
    if response.status_code == 400:
        assert field in error["fields"]
    else:
        assert error["code"] == "rule_violation"
    assert stored_rows() == NOTHING_STORED


@pytest.mark.parametrize(
    ("path", "status"),
    [
        pytest.param("/v1/facilities/%00", 404, id="facility-nul"),
        pytest.param("/v1/facilities/%00/availability?date=2026-06-10", 404, id="avail-nul"),
        pytest.param("/v1/facilities?type=%00", 400, id="type-filter-nul"),
        pytest.param("/v1/reservations?facility_id=%00", 400, id="res-filter-nul"),
        pytest.param("/v1/reservations/%00", 404, id="reservation-nul"),
        pytest.param("/v1/facilities/" + "x" * 5000, 404, id="facility-long-id"),
    ],
)
def test_odd_path_and_query_values_never_500(client, teacher_headers, path, status):
    """NUL bytes and absurd ids in paths and filters get an ordinary answer, never a 500."""
    response = client.get(path, headers=teacher_headers)
    assert_not_server_error(response)
    assert response.status_code == status


@pytest.mark.parametrize(
    "values",
    [
        pytest.param(["2026-06-10", float("inf"), 1], id="infinity"),
        pytest.param(["2026-06-10", 10**30, 1], id="huge-int"),
        pytest.param(["2026-06-10", 2, -(10**30)], id="huge-negative-id"),
        pytest.param(["not-a-date", 2, 1], id="bad-date"),
        pytest.param([None, None, None], id="nulls"),
        pytest.param(["2026-06-10", 2], id="too-short"),
    ],
)
def test_forged_reservation_cursor_is_refused(client, teacher_headers, values):
    """A cursor that this list never issued gets 400 naming ``cursor``, never a 500."""
    response = client.get(
        "/v1/reservations", query_string={"cursor": cursor_of(values)}, headers=teacher_headers
    )
    error = assert_error(response, 400, "validation_error")
    assert "cursor" in error["fields"]


# --- Found by the generated requests of test_schemathesis.py ------------------------------


@pytest.fixture
def admin_headers(create_account, auth_headers):
    return auth_headers(create_account(role="admin", name="Grace Admin"))


def test_whole_numbers_written_with_a_fraction_are_integers(client, teacher_headers):
    """JSON has one number type: ``2.0`` is the slot 2, while ``2.5`` is refused."""
    body = reservation_body(start_slot=2.0, end_slot=3.0, attendees=12.0)
    response = client.post("/v1/reservations", json=body, headers=teacher_headers)
    assert response.status_code == 201, response.get_data(as_text=True)
    assert (response.json["start_slot"], response.json["attendees"]) == (2, 12)
    response = client.post(
        "/v1/reservations", json=reservation_body(start_slot=2.5), headers=teacher_headers
    )
    assert "start_slot" in assert_error(response, 400, "validation_error")["fields"]


@pytest.mark.parametrize(
    ("path", "field"),
    [
        pytest.param("/v1/facilities/f1/availability?date=0", "date", id="availability-0"),
        pytest.param("/v1/reservations?to=0", "to", id="list-to-0"),
        pytest.param("/v1/reservations?from=2026-06-10T00:00:00", "from", id="list-datetime"),
    ],
)
def test_query_dates_are_yyyy_mm_dd_only(client, teacher_headers, path, field):
    """``0`` is not a date, though a bare parser would read it as 1970-01-01."""
    response = client.get(path, headers=teacher_headers)
    assert field in assert_error(response, 400, "validation_error")["fields"]


def test_body_dates_are_yyyy_mm_dd_only(client, teacher_headers):
    response = client.post(
        "/v1/reservations", json=reservation_body(date="0"), headers=teacher_headers
    )
    error = assert_error(response, 400, "validation_error")
    assert error["fields"] == {"date": "Use a real date in the form YYYY-MM-DD."}
    assert stored_rows() == NOTHING_STORED


@pytest.mark.parametrize(
    "path",
    [
        "/v1/webhooks/%00",
        "/v1/webhooks/wh_%00/deliveries",
        "/v1/webhooks/%00/deliveries/dlv_%00/redeliver",
    ],
)
def test_odd_webhook_ids_never_500(client, admin_headers, path):
    """A webhook or delivery id that cannot be one is not looked up (PostgreSQL refuses NUL)."""
    method = "POST" if path.endswith("redeliver") else "GET"
    response = client.open(path, method=method, headers=admin_headers)
    assert_error(response, 404, "not_found")


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("GET", "/v1/accounts/bulk", {"POST"}),
        ("PATCH", "/v1/accounts/export", {"GET"}),
        ("GET", "/v1/series/bulk", {"POST"}),
        ("PATCH", "/v1/series/bulk", {"POST"}),
    ],
)
def test_wrong_method_on_upload_paths_is_405(client, admin_headers, method, path, allowed):
    """``bulk`` and ``export`` are not account or series ids: a wrong method there is 405,
    not 404 (or a 400 about a body it never wanted)."""
    response = client.open(path, method=method, headers=admin_headers)
    assert_error(response, 405, "method_not_allowed")
    assert allowed <= {m.strip() for m in response.headers["Allow"].split(",")}


@pytest.mark.parametrize("day", ["9999-12-31", "2101-01-01", "1999-12-31", "0001-01-01"])
def test_dates_outside_2000_to_2100_are_refused_even_with_an_override(client, admin_headers, day):
    """An admin overriding the booking window still books only from 2000 to 2100: such a
    date is a 400 naming ``date``, and nothing is stored (a day of 9999 once broke its grid)."""
    body = reservation_body(date=day, override=["R-05"])
    response = client.post("/v1/reservations", json=body, headers=admin_headers)
    error = assert_error(response, 400, "validation_error")
    assert error["fields"] == {"date": "Use a date from 2000-01-01 to 2100-12-31."}
    assert stored_rows() == NOTHING_STORED
