"""No request, however malformed, yields a 500 or an HTML page under ``/v1``.

Every check goes through the real test client and looks at what an API client sees: the
status, the JSON content type, the ``{"error": {...}}`` envelope with its ``code`` and
``request_id``, the headers a client relies on, and that nothing was written.
"""

import base64
import json
import logging
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from roomloop.auth.tokens import create_api_key
from roomloop.extensions import db
from roomloop.models import Event, HeldSlot, Reservation, utcnow

from conftest import assert_error, school_day

MISSING = object()

# Every endpoint of the reference that exists so far (plus the reservation read that the
# booking answer's Location header points at).
ENDPOINTS = [
    ("GET", "/v1/facilities"),
    ("POST", "/v1/facilities"),
    ("GET", "/v1/facilities/f1"),
    ("PATCH", "/v1/facilities/f1"),
    ("GET", "/v1/facilities/f1/availability?date=2026-06-10"),
    ("POST", "/v1/reservations"),
    ("GET", "/v1/reservations"),
    ("GET", "/v1/reservations/res_x"),
    ("PATCH", "/v1/reservations/res_x"),
    ("DELETE", "/v1/reservations/res_x"),
]


def assert_not_server_error(response):
    """A ``/v1`` answer is never a 500 and never HTML."""
    assert response.status_code < 500, response.get_data(as_text=True)
    assert response.mimetype == "application/json"


def stored_rows():
    """How many reservations, held slots and outbox events the database holds."""
    return {
        model.__tablename__: db.session.scalar(select(func.count()).select_from(model))
        for model in (Reservation, HeldSlot, Event)
    }


NOTHING_STORED = {"reservations": 0, "held_slots": 0, "events": 0}


def reservation_body(**changes):
    """A valid booking request for ``f1``, with ``changes`` applied (``MISSING`` drops a key)."""
    body = {
        "facility_id": "f1",
        "date": school_day().isoformat(),
        "start_slot": 2,
        "end_slot": 3,
        "purpose": "Grade 10 Chemistry — titration lab",
    }
    for name, value in changes.items():
        if value is MISSING:
            body.pop(name)
        else:
            body[name] = value
    return body


def cursor_of(values):
    """Encode ``values`` the way the API encodes its cursors (to forge one)."""
    return base64.urlsafe_b64encode(json.dumps(values).encode()).decode().rstrip("=")


@pytest.fixture
def teacher_headers(create_account, create_facility, auth_headers):
    """Create facility ``f1`` and a teacher; return the teacher's ``Authorization`` header."""
    create_facility(code="f1", name="STEM Lab Alpha")
    return auth_headers(create_account(name="Ada Park"))


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


# --- Size, routing and methods -----------------------------------------------------------


def test_body_over_max_content_length_is_413(app, client, teacher_headers):
    """A body over ``MAX_CONTENT_LENGTH`` gets 413 payload_too_large in JSON, nothing written."""
    app.config["MAX_CONTENT_LENGTH"] = 1000
    body = reservation_body(purpose="x" * 5000)
    response = client.post("/v1/reservations", json=body, headers=teacher_headers)
    assert_error(response, 413, "payload_too_large")
    assert stored_rows() == NOTHING_STORED


@pytest.mark.parametrize("path", ["/v1/nope", "/v1", "/v1/", "/v1/facilities/f1/nope"])
def test_unknown_api_route_is_json_404(client, teacher_headers, path):
    """An unknown path under ``/v1`` gets 404 not_found in JSON."""
    assert_error(client.get(path, headers=teacher_headers), 404, "not_found")


@pytest.mark.parametrize("path", ["/v1/nope", "/v1", "/v1/facilities/f1/nope"])
def test_unknown_api_route_without_a_key_is_401(client, path):
    """Without a key, no path under ``/v1`` reveals whether it exists: 401 for all."""
    assert_error(client.get(path), 401, "unauthorized")


def test_unknown_facility_is_json_404(client, teacher_headers):
    """A facility id that does not exist gets 404 not_found in JSON."""
    error = assert_error(
        client.get("/v1/facilities/zzz", headers=teacher_headers), 404, "not_found"
    )
    assert "zzz" in error["message"]


@pytest.mark.parametrize(
    ("method", "path", "allowed"),
    [
        ("PUT", "/v1/reservations", {"GET", "POST"}),
        ("DELETE", "/v1/facilities", {"GET", "POST"}),
        ("POST", "/v1/facilities/f1", {"GET", "PATCH"}),
        ("PUT", "/v1/reservations/res_x", {"GET", "PATCH", "DELETE"}),
    ],
)
def test_wrong_method_is_json_405_with_allow(client, teacher_headers, method, path, allowed):
    """A method the route lacks gets 405 method_not_allowed in JSON with an ``Allow`` header."""
    response = client.open(path, method=method, headers=teacher_headers)
    error = assert_error(response, 405, "method_not_allowed")
    assert method in error["message"]
    allow = {m.strip() for m in response.headers["Allow"].split(",")}
    assert allowed <= allow
    assert method not in allow


def test_unknown_page_outside_api_stays_html_404(client):
    """Outside ``/v1`` a missing page is Flask's HTML 404, not the API's JSON."""
    response = client.get("/nope")
    assert response.status_code == 404
    assert response.mimetype == "text/html"
    assert not response.is_json


# --- Authentication ----------------------------------------------------------------------

BAD_AUTHORIZATION = [
    pytest.param(None, id="no-header"),
    pytest.param("Basic dXNlcjpwYXNz", id="basic"),
    pytest.param("Bearer ", id="bearer-empty"),
    pytest.param("Bearer", id="bearer-no-token"),
    pytest.param("Bearer sk_live_doesnotexist", id="unknown-token"),
    pytest.param("sk_live_doesnotexist", id="no-scheme"),
]


@pytest.mark.parametrize("authorization", BAD_AUTHORIZATION)
@pytest.mark.parametrize(("method", "path"), ENDPOINTS, ids=[f"{m} {p}" for m, p in ENDPOINTS])
def test_missing_or_bad_token_is_401(client, create_facility, method, path, authorization):
    """Every endpoint refuses a missing, malformed or unknown token with 401 and a challenge."""
    create_facility(code="f1")
    headers = {} if authorization is None else {"Authorization": authorization}
    response = client.open(path, method=method, headers=headers, json={})
    assert_error(response, 401, "unauthorized")
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_bearer_scheme_is_case_insensitive(client, create_account, auth_headers):
    """``bearer <key>`` works like ``Bearer <key>`` (the scheme is case-insensitive)."""
    key = auth_headers(create_account())["Authorization"].split(" ", 1)[1]
    response = client.get("/v1/facilities", headers={"Authorization": f"bearer {key}"})
    assert response.status_code == 200


@pytest.mark.parametrize("state", ["revoked", "expired", "account-disabled"])
def test_dead_key_is_401(client, create_account, state):
    """A revoked key, an expired key and a disabled account's key all get 401."""
    account = create_account()
    row, key = create_api_key(account)
    headers = {"Authorization": f"Bearer {key}"}
    assert client.get("/v1/facilities", headers=headers).status_code == 200  # alive first
    if state == "revoked":
        row.revoked_at = utcnow()
    elif state == "expired":
        row.expires_at = utcnow() - timedelta(minutes=1)
    else:
        account.status = "disabled"
    db.session.commit()
    response = client.get("/v1/facilities", headers=headers)
    assert_error(response, 401, "unauthorized")
    assert "WWW-Authenticate" in response.headers


def test_key_expiring_later_still_works(client, create_account):
    """A key whose ``expires_at`` is in the future is accepted."""
    row, key = create_api_key(create_account())
    row.expires_at = utcnow() + timedelta(hours=1)
    db.session.commit()
    response = client.get("/v1/facilities", headers={"Authorization": f"Bearer {key}"})
    assert response.status_code == 200


# --- Request ids -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", "/v1/facilities", 200),
        ("GET", "/v1/facilities/zzz", 404),
        ("POST", "/v1/reservations", 400),
        ("GET", "/v1/nope", 404),
        ("PUT", "/v1/reservations", 405),
    ],
)
def test_every_api_response_has_a_request_id(client, teacher_headers, method, path, status):
    """Successes and errors alike carry a non-empty ``X-Request-ID`` header."""
    response = client.open(path, method=method, headers=teacher_headers, data="")
    assert response.status_code == status
    assert response.headers["X-Request-ID"]


def test_unauthenticated_response_has_a_request_id(client):
    """A 401 carries ``X-Request-ID`` too, in the header and the error body."""
    response = client.get("/v1/facilities")
    error = assert_error(response, 401, "unauthorized")
    assert len(error["request_id"]) >= 16


def test_each_request_gets_its_own_request_id(client, create_account, auth_headers):
    """Two requests without a caller id get two different request ids."""
    headers = auth_headers(create_account())
    first = client.get("/v1/facilities", headers=headers)
    second = client.get("/v1/facilities/zzz", headers=headers)
    assert first.headers["X-Request-ID"] != second.headers["X-Request-ID"]
    assert second.json["error"]["request_id"] == second.headers["X-Request-ID"]


@pytest.mark.parametrize("given", ["abc-123_XYZ", "0f8e" * 16, "req_1"])
def test_sane_caller_request_id_is_echoed(client, given):
    """A caller's sane ``X-Request-ID`` comes back in the header and in the error body."""
    response = client.get("/v1/facilities", headers={"X-Request-ID": given})
    error = assert_error(response, 401, "unauthorized")
    assert response.headers["X-Request-ID"] == given
    assert error["request_id"] == given


@pytest.mark.parametrize(
    "given",
    [
        pytest.param("a" * 200, id="200-chars"),
        pytest.param("a" * 65, id="65-chars"),
        pytest.param("has spaces in it", id="spaces"),
        pytest.param("abc;rm -rf", id="punctuation"),
        pytest.param("<script>", id="markup"),
    ],
)
def test_insane_caller_request_id_is_replaced(client, given):
    """An overlong or odd ``X-Request-ID`` is replaced by a fresh id, in header and body."""
    response = client.get("/v1/facilities", headers={"X-Request-ID": given})
    error = assert_error(response, 401, "unauthorized")
    assert response.headers["X-Request-ID"] != given
    assert error["request_id"] == response.headers["X-Request-ID"]
    assert response.headers["X-Request-ID"].isalnum()


def test_caller_request_ids_are_echoed_per_request(client):
    """Consecutive requests each echo their own caller id, not the first one's."""
    first = client.get("/v1/facilities", headers={"X-Request-ID": "first-1"})
    second = client.get("/v1/facilities", headers={"X-Request-ID": "second-2"})
    assert first.headers["X-Request-ID"] == "first-1"
    assert second.headers["X-Request-ID"] == "second-2"
    assert second.json["error"]["request_id"] == "second-2"


# --- Unexpected exceptions ---------------------------------------------------------------


@pytest.fixture
def broken_facility_view(monkeypatch):
    """Make ``GET /v1/facilities/<id>`` fail with an unexpected ``RuntimeError``."""

    def boom(facility):
        raise RuntimeError("simulated failure while rendering a facility")

    monkeypatch.setattr("roomloop.api.facilities.facility_resource", boom)


def test_unexpected_exception_is_json_500(client, teacher_headers, broken_facility_view):
    """An unexpected exception in a view becomes 500 internal_error in the JSON envelope."""
    response = client.get("/v1/facilities/f1", headers=teacher_headers)
    error = assert_error(response, 500, "internal_error")
    assert "simulated failure" not in error["message"]  # internals stay internal


def test_unexpected_exception_is_logged(client, caplog, teacher_headers, broken_facility_view):
    """The unexpected exception is logged with its traceback and request id, without the token."""
    caplog.set_level(logging.ERROR)
    response = client.get(
        "/v1/facilities/f1", headers={**teacher_headers, "X-Request-ID": "trace-me-42"}
    )
    assert response.status_code == 500
    records = [r for r in caplog.records if r.levelno >= logging.ERROR and r.exc_info]
    assert records, "the unexpected exception was not logged"
    record = records[0]
    assert record.exc_info[0] is RuntimeError
    assert "trace-me-42" in record.getMessage()
    token = teacher_headers["Authorization"].split(" ", 1)[1]
    assert token not in caplog.text


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
    [("GET", "/v1/accounts/bulk", {"POST"}), ("PATCH", "/v1/accounts/export", {"GET"})],
)
def test_wrong_method_on_account_files_is_405(client, admin_headers, method, path, allowed):
    """``bulk`` and ``export`` are not account ids: a wrong method there is 405, not 404."""
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
