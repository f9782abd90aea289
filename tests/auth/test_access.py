"""Who may do what over the API, and what never leaks: a token on every endpoint of the
reference, capabilities, revocation and logout, tokens stored only as hashes, no token in
any log.

Checks go through the test client as an API client would. The pages' side is in
``test_access_pages.py``; what both share is in ``access_support.py``.
"""

import hashlib
import itertools
import logging
import time

import pytest
import requests
from sqlalchemy import select

from roomloop.auth.tokens import create_api_key, create_session_token, revoke_token
from roomloop.extensions import db
from roomloop.models import ApiToken

from access_support import assert_api_error, bearer, fresh, school, snapshot
from conftest import REPO_ROOT, school_day

__all__ = ["school"]  # a fixture of access_support.py

REFERENCE = REPO_ROOT / "docs" / "api-reference-v1.txt"
HTTP_METHODS = {"GET", "POST", "PUT", "PATCH", "DELETE"}
PUBLIC = {("POST", "/v1/auth/google")}


def reference_endpoints():
    """Every ``METHOD`` line followed by a ``/v1/...`` line in the customer's API reference."""
    lines = [line.strip() for line in REFERENCE.read_text(encoding="utf-8").splitlines()]
    return [
        (m, p) for m, p in itertools.pairwise(lines) if m in HTTP_METHODS and p.startswith("/v1/")
    ]


ENDPOINTS = reference_endpoints()
PROTECTED = [e for e in ENDPOINTS if e not in PUBLIC]


# --- Every endpoint of the reference needs a token ---------------------------------------


def test_the_reference_is_read_whole():
    """The parser finds all 18 endpoints of the API reference, sign-in and deletion included."""
    assert len(ENDPOINTS) == 18
    assert ("POST", "/v1/auth/google") in ENDPOINTS
    assert ("DELETE", "/v1/reservations/:id") in ENDPOINTS
    assert ("GET", "/v1/reports/export.xlsx") in ENDPOINTS


@pytest.mark.parametrize(("method", "path"), PROTECTED, ids=[f"{m} {p}" for m, p in PROTECTED])
def test_every_reference_endpoint_answers_401_without_a_token(client, school, method, path):
    """Without a token every endpoint of the reference is 401 unauthorized and changes nothing."""
    path = path.replace("/facilities/:id", "/facilities/f1")
    path = path.replace("/reservations/:id", f"/reservations/{school['reservation'].public_id}")
    if path.endswith("/availability"):
        path += f"?date={school_day().isoformat()}"
    before = snapshot()

    response = client.open(path, method=method, json={"name": "Changed"})

    assert_api_error(response, 401, "unauthorized")
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert snapshot() == before


def test_google_sign_in_exchange_needs_no_token(client):
    """POST /v1/auth/google is the one endpoint that does not ask for a bearer token."""
    response = client.post("/v1/auth/google", json={})
    assert response.status_code != 401
    assert response.mimetype == "application/json"
    assert "WWW-Authenticate" not in response.headers


# --- Capabilities ------------------------------------------------------------------------

ADMIN_CALLS = [
    pytest.param(
        "POST", "/v1/facilities", {"id": "gym2", "name": "Gym 2", "type": "gym"},
        "facilities:manage", 201, id="create-facility",
    ),
    pytest.param(
        "PATCH", "/v1/facilities/f1", {"name": "Renamed"}, "facilities:manage", 200,
        id="update-facility",
    ),
    pytest.param(
        "DELETE", "/v1/reservations/{reservation}", None, "reservations:delete", 204,
        id="delete-reservation",
    ),
]  # fmt: skip


@pytest.mark.parametrize("role", ["teacher", "approver"])
@pytest.mark.parametrize(("method", "path", "body", "capability", "status"), ADMIN_CALLS)
def test_admin_endpoint_is_403_naming_the_capability(
    client, school, auth_headers, role, method, path, body, capability, status
):
    """A teacher or approver calling an admin endpoint gets 403 forbidden naming the capability."""
    path = path.format(reservation=school["reservation"].public_id)
    headers = auth_headers(school[role])
    before = snapshot()

    response = client.open(path, method=method, json=body, headers=headers)

    error = assert_api_error(response, 403, "forbidden")
    assert error["capability"] == capability
    assert capability in error["message"]
    assert snapshot() == before


@pytest.mark.parametrize(("method", "path", "body", "capability", "status"), ADMIN_CALLS)
def test_admin_may_call_the_admin_endpoints(
    client, school, auth_headers, method, path, body, capability, status
):
    """The control: an admin's key gets through where the teacher's was refused."""
    path = path.format(reservation=school["reservation"].public_id)
    response = client.open(path, method=method, json=body, headers=auth_headers(school["admin"]))
    assert response.status_code == status, response.get_data(as_text=True)


def test_key_scoped_to_facilities_read_can_only_read(client, school, auth_headers):
    """Even an admin's key scoped to facilities:read can read but not book or manage (403)."""
    headers = auth_headers(school["admin"], scopes=["facilities:read"])
    body = {"facility_id": "f1", "date": school_day().isoformat(), "start_slot": 4,
            "end_slot": 4, "purpose": "Staff meeting"}  # fmt: skip
    before = snapshot()

    assert client.get("/v1/facilities/f1", headers=headers).status_code == 200
    booking = client.post("/v1/reservations", json=body, headers=headers)
    renaming = client.patch("/v1/facilities/f1", json={"name": "Renamed"}, headers=headers)

    assert assert_api_error(booking, 403, "forbidden")["capability"] == "reservations:book"
    assert assert_api_error(renaming, 403, "forbidden")["capability"] == "facilities:manage"
    assert snapshot() == before


# --- Revocation and logout ---------------------------------------------------------------


def issue(kind, account):
    """Create an API key or a sign-in session token for ``account``; return row and token."""
    return create_api_key(account) if kind == "api_key" else create_session_token(account)


@pytest.mark.parametrize("kind", ["api_key", "session"])
def test_revoked_token_is_401(client, create_account, kind):
    """A key or session token revoked with revoke_token gets 401 from then on."""
    row, token = issue(kind, create_account())
    assert client.get("/v1/facilities", headers=bearer(token)).status_code == 200

    revoke_token(row)

    response = client.get("/v1/facilities", headers=bearer(token))
    assert_api_error(response, 401, "unauthorized")
    assert "WWW-Authenticate" in response.headers


@pytest.mark.parametrize("kind", ["api_key", "session"])
def test_logout_revokes_the_token_it_was_called_with(client, create_account, kind):
    """POST /v1/auth/logout is 204; that token then gets 401, the account's other still works."""
    account = create_account()
    row, token = issue(kind, account)
    _, other = create_api_key(account)

    response = client.post("/v1/auth/logout", headers=bearer(token))

    assert response.status_code == 204
    assert response.get_data() == b""
    assert_api_error(client.get("/v1/facilities", headers=bearer(token)), 401, "unauthorized")
    assert_api_error(client.post("/v1/auth/logout", headers=bearer(token)), 401, "unauthorized")
    assert client.get("/v1/facilities", headers=bearer(other)).status_code == 200
    fresh()
    assert db.session.get(ApiToken, row.id).revoked_at is not None


# --- Only hashes are stored --------------------------------------------------------------


def test_tokens_exist_in_the_database_only_as_hashes(app, create_account):
    """Keys from the CLI and the function, and session tokens: api_tokens holds hashes only."""
    admin = create_account(role="admin")
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["create-api-key", admin.email])
    assert result.exit_code == 0, result.output
    tokens = [
        result.output.splitlines()[-1],
        create_api_key(create_account(), label="door display")[1],
        create_session_token(create_account())[1],
    ]
    fresh()

    rows = db.session.execute(select(ApiToken.__table__)).mappings().all()

    assert len(rows) == 3
    assert {r["kind"] for r in rows} == {"api_key", "session"}
    hashes = {hashlib.sha256(t.encode()).hexdigest() for t in tokens}
    assert {r["token_hash"] for r in rows} == hashes
    for row in rows:
        for column, value in row.items():
            for token in tokens:
                assert token not in str(value), column
                assert token[-20:] not in str(value), column  # not even the secret tail
        assert len(row["prefix"]) <= 12 and any(t.startswith(row["prefix"]) for t in tokens)


# --- No bearer token in any log ----------------------------------------------------------


@pytest.fixture
def broken_facility_view(monkeypatch):
    """Make ``GET /v1/facilities/<id>`` fail with an unexpected error (a 500)."""

    def boom(facility):
        raise RuntimeError("simulated failure")

    monkeypatch.setattr("roomloop.api.facilities.facility_resource", boom)


def test_no_log_line_contains_a_bearer_token(client, caplog, school, broken_facility_view):
    """Valid, invalid and revoked tokens, 401/403/404/400/500 answers: no token in any log line."""
    caplog.set_level(logging.DEBUG)
    _, key = create_api_key(school["teacher"])
    _, session_token = create_session_token(school["teacher"])
    revoked, revoked_key = create_api_key(school["teacher"])
    revoke_token(revoked)
    forged = "sk_live_" + "x" * 43
    calls = [
        ("GET", "/v1/reservations", bearer(key), 200),
        ("GET", "/v1/reservations", bearer(session_token), 200),
        ("GET", "/v1/facilities", bearer(forged), 401),
        ("GET", "/v1/facilities", bearer(revoked_key), 401),
        ("GET", "/v1/facilities", {"Authorization": f"Token {key}"}, 401),
        ("GET", "/v1/nope", bearer(key), 404),
        ("POST", "/v1/facilities", bearer(key), 403),
        ("POST", "/v1/reservations", bearer(key), 400),
        ("GET", "/v1/facilities/f1", bearer(key), 500),
        ("POST", "/v1/auth/logout", bearer(session_token), 204),
        ("GET", "/v1/facilities", bearer(session_token), 401),
    ]
    for method, path, headers, status in calls:
        response = client.open(path, method=method, headers=headers, json={})
        assert response.status_code == status, (method, path)

    assert any(r.exc_info for r in caplog.records), "the 500 was not logged: capture is broken"
    for token in (key, session_token, revoked_key, forged):
        assert token not in caplog.text
        assert token[-20:] not in caplog.text


@pytest.mark.server
def test_gunicorn_output_contains_no_bearer_token(start_server, capfd, monkeypatch, school):
    """Under gunicorn with its access log on, neither stdout nor stderr carries a token."""
    _, key = create_api_key(school["teacher"])
    _, session_token = create_session_token(school["teacher"])
    revoked, revoked_key = create_api_key(school["teacher"])
    revoke_token(revoked)
    forged = "sk_live_" + "y" * 43
    monkeypatch.setenv("GUNICORN_CMD_ARGS", "--access-logfile -")
    url = start_server(workers=1, threads=1)
    calls = [
        ("GET", "/v1/facilities", key, 200),
        ("GET", "/v1/facilities/nope", key, 404),
        ("GET", "/v1/facilities", forged, 401),
        ("GET", "/v1/facilities", revoked_key, 401),
        ("POST", "/v1/facilities", key, 403),
        ("POST", "/v1/auth/logout", session_token, 204),
        ("GET", "/v1/facilities", session_token, 401),
    ]
    for method, path, token, status in calls:
        response = requests.request(method, url + path, headers=bearer(token), json={}, timeout=30)
        assert response.status_code == status, (method, path, response.text)
    time.sleep(0.5)  # let the access log lines reach the captured output

    out, err = capfd.readouterr()

    assert "/v1/facilities/nope" in out, "no access log captured"
    for token in (key, session_token, revoked_key, forged):
        assert token not in out + err
        assert token[-20:] not in out + err
