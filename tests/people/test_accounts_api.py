"""``/v1/accounts``: list, provision, read, change and disable accounts, and who may.

Through the real test client, as an API client would: statuses, the documented shapes, the
events each change writes to the outbox, and that a refused change changed nothing.
"""

import io

import pytest
from sqlalchemy import func, select

from roomloop.auth.tokens import create_api_key, create_session_token
from roomloop.extensions import db
from roomloop.models import ApiToken, Event

from conftest import account_events as events
from conftest import accounts_table, assert_error

NEW_ACCOUNT_CSV = b"email,name,department,role\nnew@school.example,New,Arts,teacher\n"
ACCOUNT_FIELDS = {"id", "email", "name", "department", "role", "status", "created_at"}


def bearer(token):
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def people(create_account):
    """An admin, an approver and two teachers in two departments."""
    return {
        "admin": create_account(
            role="admin", name="Cy Diaz", email="cy@school.example", department=""
        ),
        "approver": create_account(
            role="approver", name="Ben Ito", email="ben@school.example", department="Office"
        ),
        "ada": create_account(name="Ada Park", email="ada@school.example", department="Science"),
        "eve": create_account(name="Eve Stone", email="eve@school.example", department="Maths"),
    }


@pytest.fixture
def admin_headers(people, auth_headers):
    return auth_headers(people["admin"])


# --- List and read -----------------------------------------------------------------------


def test_list_shows_every_account_by_email_in_the_documented_shape(client, people, admin_headers):
    """GET /v1/accounts answers the list envelope, accounts ordered by email."""
    response = client.get("/v1/accounts", headers=admin_headers)

    assert response.status_code == 200
    body = response.get_json()
    assert body["has_more"] is False
    assert body["next_cursor"] is None
    assert [a["email"] for a in body["data"]] == [
        "ada@school.example",
        "ben@school.example",
        "cy@school.example",
        "eve@school.example",
    ]
    ada = body["data"][0]
    assert set(ada) == ACCOUNT_FIELDS
    assert ada["id"] == people["ada"].public_id
    assert (ada["name"], ada["department"], ada["role"], ada["status"]) == (
        "Ada Park",
        "Science",
        "teacher",
        "active",
    )
    assert ada["created_at"].endswith("Z")


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"department": "Science"}, ["ada"]),
        ({"role": "teacher"}, ["ada", "eve", "zed"]),
        ({"role": "admin"}, ["cy"]),
        ({"status": "disabled"}, ["zed"]),
        ({"status": "active", "department": "Maths"}, ["eve"]),
        ({"q": "PARK"}, ["ada"]),  # part of the name, any case
        ({"q": "ben@"}, ["ben"]),  # part of the email
        ({"q": "%"}, []),  # a literal percent sign, not a wildcard
    ],
)
def test_list_filters(client, people, admin_headers, create_account, params, expected):
    """?department, ?role, ?status and ?q narrow the list, and combine."""
    create_account(name="Zed Old", email="zed@school.example", department="Arts", status="disabled")

    response = client.get("/v1/accounts", query_string=params, headers=admin_headers)

    assert response.status_code == 200, response.get_data(as_text=True)
    assert [a["email"].split("@")[0] for a in response.get_json()["data"]] == expected


def test_list_pages_with_a_cursor(client, people, admin_headers):
    """?limit=3 gives pages of three, and next_cursor leads to the rest without repeats."""
    first = client.get("/v1/accounts?limit=3", headers=admin_headers).get_json()
    assert first["has_more"] is True
    second = client.get(
        "/v1/accounts",
        query_string={"limit": 3, "cursor": first["next_cursor"]},
        headers=admin_headers,
    ).get_json()

    emails = [a["email"] for a in first["data"] + second["data"]]
    assert emails == sorted(emails) and len(set(emails)) == 4
    assert second["has_more"] is False


@pytest.mark.parametrize(
    "query", ["role=wizard", "status=gone", "limit=0", "cursor=nonsense", "q=" + "x" * 101]
)
def test_list_refuses_bad_parameters(client, people, admin_headers, query):
    """A bad filter, limit or cursor is a 400 naming the parameter."""
    response = client.get(f"/v1/accounts?{query}", headers=admin_headers)
    error = assert_error(response, 400, "validation_error")
    assert query.split("=")[0] in error["fields"]


def test_show_account(client, people, admin_headers):
    """GET /v1/accounts/:id shows one account; an unknown or malformed id is 404."""
    response = client.get(f"/v1/accounts/{people['eve'].public_id}", headers=admin_headers)

    assert response.status_code == 200
    assert response.get_json()["email"] == "eve@school.example"
    assert_error(client.get("/v1/accounts/usr_0000000000", headers=admin_headers), 404, "not_found")
    assert_error(client.get("/v1/accounts/%00x", headers=admin_headers), 404, "not_found")


# --- Provision ---------------------------------------------------------------------------


def test_create_account(client, people, admin_headers):
    """POST /v1/accounts is 201 with a Location; the email is stored lower-case; one event."""
    body = {"email": " Noor.Ali@School.Example ", "name": "Noor Ali", "department": "Arts"}

    response = client.post("/v1/accounts", json=body, headers=admin_headers)

    assert response.status_code == 201, response.get_data(as_text=True)
    account = response.get_json()
    assert response.headers["Location"] == f"/v1/accounts/{account['id']}"
    assert account["id"].startswith("usr_")
    assert (account["email"], account["role"], account["status"]) == (
        "noor.ali@school.example",
        "teacher",
        "active",
    )
    assert client.get(response.headers["Location"], headers=admin_headers).get_json() == account
    assert events() == [("account.created", "noor.ali@school.example")]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"email": "ADA@school.example", "name": "Another Ada"}, "email"),  # taken, any case
        ({"email": "not-an-email", "name": "Someone"}, "email"),
        ({"email": "<svg/onload=alert(1)>@school.example", "name": "Someone"}, "email"),
        ({"email": "x@y.z,admin", "name": "Someone"}, "email"),
        ({"email": "a b@school.example", "name": "Someone"}, "email"),
        ({"email": "x@school..example", "name": "Someone"}, "email"),
        ({"email": "x@school.example"}, "name"),
        ({"email": "x@school.example", "name": "  "}, "name"),
        ({"email": "x@school.example", "name": "X", "role": "wizard"}, "role"),
        ({"email": "x@school.example", "name": "X", "department": "d" * 81}, "department"),
        ({"email": "x@school.example", "name": "X", "status": "disabled"}, "status"),  # unknown
        ({"email": "x@school.example", "name": "X\x00"}, "name"),
    ],
)
def test_create_refuses_bad_input_and_writes_nothing(client, people, admin_headers, body, field):
    """A duplicate email (case-insensitive), a bad email, a missing name... is a 400 naming it."""
    before = accounts_table()

    response = client.post("/v1/accounts", json=body, headers=admin_headers)

    assert field in assert_error(response, 400, "validation_error")["fields"]
    assert accounts_table() == before
    assert events() == []


# --- Change and disable ------------------------------------------------------------------


def test_update_changes_the_fields_sent_and_emits_one_event(client, people, admin_headers):
    """PATCH changes name, department and role; the others stay; account.updated is written."""
    url = f"/v1/accounts/{people['ada'].public_id}"

    response = client.patch(
        url, json={"name": "Ada Park-Lee", "role": "approver"}, headers=admin_headers
    )

    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.get_json()["name"] == "Ada Park-Lee"
    assert (
        "ada@school.example",
        "Ada Park-Lee",
        "Science",
        "approver",
        "active",
    ) in accounts_table()
    assert events() == [("account.updated", "ada@school.example")]


def test_update_that_changes_nothing_writes_no_event(client, people, admin_headers):
    """Sending the values an account already has answers 200 and records nothing."""
    url = f"/v1/accounts/{people['ada'].public_id}"
    response = client.patch(
        url, json={"name": "Ada Park", "department": "Science"}, headers=admin_headers
    )
    assert response.status_code == 200
    assert events() == []


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": None}, "name"),
        ({"email": "new@school.example"}, "email"),  # the email is the key; it does not change
        ({"status": "archived"}, "status"),
        ({"name": ""}, "name"),
    ],
)
def test_update_refuses_bad_input(client, people, admin_headers, body, field):
    before = accounts_table()
    response = client.patch(
        f"/v1/accounts/{people['ada'].public_id}", json=body, headers=admin_headers
    )
    assert field in assert_error(response, 400, "validation_error")["fields"]
    assert accounts_table() == before


def test_disabling_revokes_keys_and_sessions(client, people, admin_headers):
    """Disabling writes account.disabled and revokes every key and session of the account."""
    ada = people["ada"]
    _, key = create_api_key(ada)
    _, session_token = create_session_token(ada)
    _, others_key = create_api_key(people["eve"])
    assert client.get("/v1/facilities", headers=bearer(key)).status_code == 200

    response = client.patch(
        f"/v1/accounts/{ada.public_id}", json={"status": "disabled"}, headers=admin_headers
    )

    assert response.status_code == 200
    assert response.get_json()["status"] == "disabled"
    assert events() == [("account.disabled", "ada@school.example")]
    for token in (key, session_token):
        assert_error(client.get("/v1/facilities", headers=bearer(token)), 401, "unauthorized")
    assert client.get("/v1/facilities", headers=bearer(others_key)).status_code == 200
    revoked = db.session.scalars(select(ApiToken.revoked_at).where(ApiToken.account_id == ada.id))
    assert all(revoked)


def test_enabling_again_does_not_bring_keys_back(client, people, admin_headers):
    """Re-enabling is account.updated; the keys revoked when it was disabled stay revoked."""
    ada = people["ada"]
    _, key = create_api_key(ada)
    url = f"/v1/accounts/{ada.public_id}"
    client.patch(url, json={"status": "disabled"}, headers=admin_headers)

    response = client.patch(url, json={"status": "active"}, headers=admin_headers)

    assert response.get_json()["status"] == "active"
    assert [t for t, _ in events()] == ["account.disabled", "account.updated"]
    assert_error(client.get("/v1/facilities", headers=bearer(key)), 401, "unauthorized")


def test_disabling_and_renaming_at_once_writes_both_events(client, people, admin_headers):
    url = f"/v1/accounts/{people['eve'].public_id}"
    client.patch(url, json={"status": "disabled", "name": "Eve Gone"}, headers=admin_headers)
    assert [t for t, _ in events()] == ["account.updated", "account.disabled"]


@pytest.mark.parametrize(
    ("body", "field"), [({"status": "disabled"}, "status"), ({"role": "teacher"}, "role")]
)
def test_admin_cannot_disable_or_demote_themselves(client, people, admin_headers, body, field):
    """So that a school is never left without an admin; another admin can do it."""
    before = accounts_table()

    response = client.patch(
        f"/v1/accounts/{people['admin'].public_id}", json=body, headers=admin_headers
    )

    error = assert_error(response, 400, "validation_error")
    assert "your own" in error["fields"][field]
    assert accounts_table() == before
    assert client.get("/v1/accounts", headers=admin_headers).status_code == 200  # key still works


def test_another_admin_may_disable_an_admin(client, people, admin_headers, create_account):
    other = create_account(role="admin", name="Dee Admin")
    response = client.patch(
        f"/v1/accounts/{other.public_id}", json={"status": "disabled"}, headers=admin_headers
    )
    assert response.status_code == 200


# --- Who may ----------------------------------------------------------------------------

ENDPOINTS = [
    ("GET", "/v1/accounts", "accounts:read"),
    ("GET", "/v1/accounts/{ada}", "accounts:read"),
    ("GET", "/v1/accounts/export", "accounts:read"),
    ("POST", "/v1/accounts", "accounts:manage"),
    ("PATCH", "/v1/accounts/{ada}", "accounts:manage"),
    ("POST", "/v1/accounts/bulk", "accounts:manage"),
    ("POST", "/v1/accounts/bulk?dry_run=true", "accounts:manage"),
]


@pytest.mark.parametrize("role", ["ada", "approver"])
@pytest.mark.parametrize(("method", "path", "capability"), ENDPOINTS)
def test_teachers_and_approvers_get_403_on_every_account_endpoint(
    client, people, auth_headers, role, method, path, capability
):
    """Every account endpoint is admin-only: 403 naming the capability, nothing changed."""
    path = path.format(ada=people["ada"].public_id)
    before = accounts_table()
    bodies = {
        "/v1/accounts": {"json": {"email": "new@school.example", "name": "New"}},
        "/v1/accounts/bulk": {"data": {"file": (io.BytesIO(NEW_ACCOUNT_CSV), "a.csv")}},
    }

    response = client.open(
        path,
        method=method,
        headers=auth_headers(people[role]),
        **(bodies.get(path.split("?")[0], {}) if method == "POST" else {"json": {"name": "X"}}),
    )

    error = assert_error(response, 403, "forbidden")
    assert error["capability"] == capability
    assert accounts_table() == before
    assert events() == []


def test_access_is_checked_before_the_body_is_read(client, people, auth_headers):
    """A teacher sending a broken body learns nothing about what the endpoint expects."""
    headers = auth_headers(people["ada"])
    response = client.post("/v1/accounts", data="{not json", headers=headers)
    assert assert_error(response, 403, "forbidden")["capability"] == "accounts:manage"
    response = client.post("/v1/accounts/bulk?dry_run=perhaps", headers=headers)
    assert assert_error(response, 403, "forbidden")["capability"] == "accounts:manage"


def test_key_scoped_to_accounts_read_reads_but_cannot_change(client, people, auth_headers):
    """An admin's key narrowed to accounts:read lists and exports, but gets 403 on changes."""
    headers = auth_headers(people["admin"], scopes=["accounts:read"])

    assert client.get("/v1/accounts", headers=headers).status_code == 200
    assert client.get("/v1/accounts/export", headers=headers).status_code == 200
    response = client.post(
        "/v1/accounts", json={"email": "n@school.example", "name": "N"}, headers=headers
    )
    assert assert_error(response, 403, "forbidden")["capability"] == "accounts:manage"


def test_every_account_endpoint_needs_a_token(client, people):
    for method, path, _ in ENDPOINTS:
        response = client.open(path.format(ada=people["ada"].public_id), method=method)
        assert_error(response, 401, "unauthorized")


def test_reads_write_nothing(client, people, admin_headers):
    """Listing, reading and exporting write nothing, not even an event."""
    client.get("/v1/accounts", headers=admin_headers)
    client.get(f"/v1/accounts/{people['ada'].public_id}", headers=admin_headers)
    client.get("/v1/accounts/export", headers=admin_headers).get_data()
    assert db.session.scalar(select(func.count()).select_from(Event)) == 0
