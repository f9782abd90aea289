"""Every ``/v1`` error in the JSON envelope: sizes, unknown routes and wrong methods,
missing and dead tokens, request ids, and unexpected exceptions.

Every check goes through the real test client and looks at what an API client sees: the
status, the JSON content type, the ``{"error": {...}}`` envelope with its ``code`` and
``request_id``, the headers a client relies on, and that nothing was written. Malformed
input is in ``test_api_errors_input.py``; what both share is in ``api_errors_support.py``.
"""

import logging
from datetime import timedelta

import pytest

from roomloop.auth.tokens import create_api_key
from roomloop.extensions import db
from roomloop.models import utcnow

from api_errors_support import NOTHING_STORED, reservation_body, stored_rows, teacher_headers
from conftest import assert_error

__all__ = ["teacher_headers"]  # a fixture of api_errors_support.py

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
