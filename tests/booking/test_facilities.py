"""``/v1/facilities``: list with filters and pagination, read, create, update.

Everything goes through the real test client and checks what an API client relies on:
statuses, the documented JSON shapes, headers, and that a refused change changed nothing.
A facility's availability is in ``test_facilities_availability.py``; what both share is in
``facilities_support.py``.
"""

import base64
import json

import pytest

from conftest import assert_error, school_day
from facilities_support import assert_field_error, campus, teacher, teacher_headers

__all__ = ["campus", "teacher", "teacher_headers"]  # fixtures of facilities_support.py

FACILITY_FIELDS = {
    "id",
    "name",
    "type",
    "building",
    "capacity",
    "amenities",
    "status",
    "requires_approval",
    "description",
    "restrictions",
}
RESTRICTION_FIELDS = {"departments", "roles", "max_slots_per_booking"}


def assert_facility_shape(facility):
    """Check that ``facility`` has the documented fields with the documented types."""
    assert set(facility) >= FACILITY_FIELDS
    assert isinstance(facility["id"], str)
    assert isinstance(facility["capacity"], int)
    assert isinstance(facility["amenities"], list)
    assert facility["status"] in ("active", "maintenance", "closed")
    assert isinstance(facility["requires_approval"], bool)
    assert set(facility["restrictions"]) == RESTRICTION_FIELDS
    assert isinstance(facility["restrictions"]["departments"], list)
    assert isinstance(facility["restrictions"]["roles"], list)


def cursor_of(values):
    """Encode ``values`` the way the API encodes its cursors (to forge one)."""
    return base64.urlsafe_b64encode(json.dumps(values).encode()).decode().rstrip("=")


def walk(client, headers, **params):
    """Follow ``next_cursor`` to the end; return every page's body."""
    pages = []
    cursor = None
    while True:
        query = {**params, **({"cursor": cursor} if cursor else {})}
        response = client.get("/v1/facilities", query_string=query, headers=headers)
        assert response.status_code == 200, response.get_data(as_text=True)
        pages.append(response.json)
        cursor = response.json["next_cursor"]
        assert response.json["has_more"] is (cursor is not None)
        if cursor is None:
            return pages
        assert len(pages) < 100, "pagination does not end"


@pytest.fixture
def admin_headers(create_account, auth_headers):
    """Return an admin's ``Authorization`` header."""
    return auth_headers(create_account(role="admin"))


def new_facility(**changes):
    """A valid ``POST /v1/facilities`` body, with ``changes`` applied."""
    body = {
        "id": "lab-gamma",
        "name": "Lab Gamma",
        "type": "lab",
        "building": "East",
        "capacity": 28,
        "amenities": ["sinks"],
        "requires_approval": True,
        "description": "Biology lab",
        "restrictions": {"departments": ["Science"], "roles": [], "max_slots_per_booking": 3},
    }
    body.update(changes)
    return body


# --- List --------------------------------------------------------------------------------


def test_list_returns_envelope_with_full_facilities(client, teacher_headers, campus):
    """The list is ``{"data", "has_more", "next_cursor"}`` and each facility has every field."""
    response = client.get("/v1/facilities", headers=teacher_headers)
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    body = response.json
    assert set(body) == {"data", "has_more", "next_cursor"}
    assert body["has_more"] is False
    assert body["next_cursor"] is None
    assert {f["id"] for f in body["data"]} == {"f1", "f2", "gym", "aud", "old"}
    for facility in body["data"]:
        assert_facility_shape(facility)
    alpha = next(f for f in body["data"] if f["id"] == "f1")
    assert alpha["name"] == "STEM Lab Alpha"
    assert alpha["capacity"] == 24
    assert alpha["amenities"] == ["fume hood", "projector"]
    assert alpha["restrictions"] == {
        "departments": ["Science"],
        "roles": ["teacher"],
        "max_slots_per_booking": 2,
    }


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"type": "lab"}, {"f1", "f2"}),
        ({"type": "gym"}, {"gym"}),
        ({"building": "South"}, {"f2", "gym"}),
        ({"status": "maintenance"}, {"aud"}),
        ({"status": "closed"}, {"old"}),
        ({"status": "active"}, {"f1", "f2", "gym"}),
        ({"type": "lab", "building": "South"}, {"f2"}),
        ({"type": "pool"}, set()),
        ({"unknown_param": "x"}, {"f1", "f2", "gym", "aud", "old"}),
    ],
)
def test_list_filters(client, teacher_headers, campus, query, expected):
    """``?type``, ``?building`` and ``?status`` narrow the list, alone and together."""
    response = client.get("/v1/facilities", query_string=query, headers=teacher_headers)
    assert response.status_code == 200
    assert {f["id"] for f in response.json["data"]} == expected


@pytest.mark.parametrize("status", ["open", "ACTIVE", "cancelled", ""])
def test_list_refuses_unknown_status_filter(client, teacher_headers, campus, status):
    """An unknown ``?status`` is a 400 naming ``status``, not an empty list."""
    response = client.get(
        "/v1/facilities", query_string={"status": status}, headers=teacher_headers
    )
    assert_field_error(response, "status")


def test_list_limit_defaults_to_50(client, teacher_headers, create_facility):
    """Without ``?limit`` a page holds 50 facilities; the 51st is on the next page."""
    for n in range(51):
        create_facility(code=f"room-{n:03d}")
    first = client.get("/v1/facilities", headers=teacher_headers).json
    assert len(first["data"]) == 50
    assert first["has_more"] is True
    assert first["next_cursor"]
    second = client.get(
        "/v1/facilities", query_string={"cursor": first["next_cursor"]}, headers=teacher_headers
    ).json
    assert [f["id"] for f in second["data"]] == ["room-050"]
    assert second["has_more"] is False
    assert second["next_cursor"] is None


def test_list_limit_500_is_allowed(client, teacher_headers, campus):
    """``?limit=500`` (the maximum) is accepted."""
    response = client.get("/v1/facilities?limit=500", headers=teacher_headers)
    assert response.status_code == 200
    assert len(response.json["data"]) == 5


@pytest.mark.parametrize("limit", ["501", "0", "-1", "x", "2.5", "", "1e3"])
def test_list_refuses_bad_limit(client, teacher_headers, campus, limit):
    """A ``?limit`` outside 1..500 or not a whole number is a 400 naming ``limit``."""
    response = client.get("/v1/facilities", query_string={"limit": limit}, headers=teacher_headers)
    assert_field_error(response, "limit")


@pytest.mark.parametrize("limit", [1, 2, 3, 7, 8])
def test_pagination_walks_every_facility_once(client, teacher_headers, create_facility, limit):
    """Following ``next_cursor`` visits every facility exactly once, in a stable order."""
    codes = {create_facility(code=code).code for code in ("a", "b", "c1", "c2", "d", "e-1", "z")}
    pages = walk(client, teacher_headers, limit=limit)
    seen = [f["id"] for page in pages for f in page["data"]]
    assert len(seen) == len(set(seen)), "a facility appeared twice"
    assert set(seen) == codes
    assert all(len(page["data"]) <= limit for page in pages)
    assert len(pages) == max(1, -(-len(codes) // limit))


def test_pagination_keeps_filters(client, teacher_headers, campus, create_facility):
    """Walking a filtered list with a small limit yields exactly the filtered facilities."""
    create_facility(code="f3", type="lab")
    create_facility(code="f4", type="lab")
    pages = walk(client, teacher_headers, limit=1, type="lab")
    assert [f["id"] for page in pages for f in page["data"]] == ["f1", "f2", "f3", "f4"]


@pytest.mark.parametrize(
    "cursor",
    [
        pytest.param("garbage", id="garbage"),
        pytest.param("!!!", id="not-base64"),
        pytest.param(base64.urlsafe_b64encode(b"not json").decode(), id="not-json"),
        pytest.param(cursor_of(["f1"]), id="too-short"),
        pytest.param(cursor_of({"code": "f1", "id": 1}), id="object"),
        pytest.param(cursor_of(["f1", "x"]), id="id-not-int"),
        pytest.param(cursor_of(["f1", None]), id="id-null"),
        pytest.param(cursor_of(["f1", float("inf")]), id="id-infinity"),
        pytest.param(cursor_of(["f1", 10**30]), id="id-huge"),
        pytest.param(cursor_of(["f1", -(10**30)]), id="id-huge-negative"),
        pytest.param("x" * 501, id="too-long"),
    ],
)
def test_list_refuses_garbage_cursor(client, teacher_headers, campus, cursor):
    """A cursor this list did not issue is a 400 naming ``cursor``, never a 500."""
    response = client.get(
        "/v1/facilities", query_string={"cursor": cursor}, headers=teacher_headers
    )
    assert_field_error(response, "cursor")


# --- Read --------------------------------------------------------------------------------


def test_show_facility(client, teacher_headers, campus):
    """``GET /v1/facilities/:id`` returns the facility, as it appears in the list."""
    response = client.get("/v1/facilities/f1", headers=teacher_headers)
    assert response.status_code == 200
    assert_facility_shape(response.json)
    assert response.json["id"] == "f1"
    listed = client.get("/v1/facilities?type=lab", headers=teacher_headers).json["data"]
    assert response.json == next(f for f in listed if f["id"] == "f1")


def test_show_unknown_facility_is_404(client, teacher_headers, campus):
    """An unknown facility id is a 404 not_found."""
    assert_error(client.get("/v1/facilities/nope", headers=teacher_headers), 404, "not_found")


# --- Create ------------------------------------------------------------------------------


def test_admin_creates_facility(client, admin_headers, teacher_headers):
    """An admin's POST answers 201 with a ``Location`` that then shows the new facility."""
    response = client.post("/v1/facilities", json=new_facility(), headers=admin_headers)
    assert response.status_code == 201
    created = response.json
    assert_facility_shape(created)
    assert created["id"] == "lab-gamma"
    assert created["status"] == "active"  # the default
    assert created["requires_approval"] is True
    assert created["restrictions"] == {
        "departments": ["Science"],
        "roles": [],
        "max_slots_per_booking": 3,
    }
    location = response.headers["Location"]
    assert location.endswith("/v1/facilities/lab-gamma")
    shown = client.get(location, headers=teacher_headers)
    assert shown.status_code == 200
    assert shown.json == created
    listed = client.get("/v1/facilities", headers=teacher_headers).json["data"]
    assert [f["id"] for f in listed] == ["lab-gamma"]


def test_create_with_only_required_fields_uses_defaults(client, admin_headers):
    """Only ``id``, ``name`` and ``type`` are required; the rest take documented defaults."""
    body = {"id": "room-9", "name": "Room 9", "type": "classroom"}
    response = client.post("/v1/facilities", json=body, headers=admin_headers)
    assert response.status_code == 201
    assert response.json["amenities"] == []
    assert response.json["status"] == "active"
    assert response.json["requires_approval"] is False
    assert response.json["restrictions"] == {
        "departments": [],
        "roles": [],
        "max_slots_per_booking": None,
    }


def test_create_duplicate_id_is_refused(client, admin_headers, teacher_headers, campus):
    """Creating an id that exists is a 400 naming ``id``, and the existing facility is kept."""
    response = client.post("/v1/facilities", json=new_facility(id="f1"), headers=admin_headers)
    assert_field_error(response, "id")
    kept = client.get("/v1/facilities/f1", headers=teacher_headers).json
    assert kept["name"] == "STEM Lab Alpha"


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        pytest.param({"id": "F 1"}, "id", id="id-space"),
        pytest.param({"id": "F1"}, "id", id="id-uppercase"),
        pytest.param({"id": "-f1"}, "id", id="id-leading-dash"),
        pytest.param({"id": "f.1"}, "id", id="id-dot"),
        pytest.param({"id": ""}, "id", id="id-empty"),
        pytest.param({"id": "a" * 65}, "id", id="id-65-chars"),
        pytest.param({"id": 7}, "id", id="id-number"),
        pytest.param({"name": ""}, "name", id="name-empty"),
        pytest.param({"name": None}, "name", id="name-null"),
        pytest.param({"type": "Lab Room"}, "type", id="type-pattern"),
        pytest.param({"capacity": -1}, "capacity", id="capacity-negative"),
        pytest.param({"capacity": "30"}, "capacity", id="capacity-string"),
        pytest.param({"capacity": True}, "capacity", id="capacity-bool"),
        pytest.param({"amenities": "wifi"}, "amenities", id="amenities-string"),
        pytest.param({"status": "open"}, "status", id="status-unknown"),
        pytest.param({"requires_approval": "yes"}, "requires_approval", id="approval-text"),
        pytest.param({"restrictions": {"roles": ["boss"]}}, "restrictions.roles", id="role"),
        pytest.param(
            {"restrictions": {"max_slots_per_booking": 0}},
            "restrictions.max_slots_per_booking",
            id="max-slots-0",
        ),
        pytest.param({"colour": "blue"}, "colour", id="unknown-field"),
    ],
)
def test_create_refuses_invalid_fields(client, admin_headers, teacher_headers, changes, field):
    """An invalid field on create is a 400 naming it, and no facility is created."""
    response = client.post("/v1/facilities", json=new_facility(**changes), headers=admin_headers)
    assert_field_error(response, field)
    assert client.get("/v1/facilities", headers=teacher_headers).json["data"] == []


@pytest.mark.parametrize("missing", ["id", "name", "type"])
def test_create_requires_id_name_and_type(client, admin_headers, missing):
    """Leaving out ``id``, ``name`` or ``type`` is a 400 naming it."""
    body = new_facility()
    del body[missing]
    assert_field_error(client.post("/v1/facilities", json=body, headers=admin_headers), missing)


@pytest.mark.parametrize("role", ["teacher", "approver"])
def test_create_needs_facilities_manage(client, create_account, auth_headers, role):
    """Teachers and approvers get 403 with ``capability: facilities:manage``."""
    headers = auth_headers(create_account(role=role))
    response = client.post("/v1/facilities", json=new_facility(), headers=headers)
    error = assert_error(response, 403, "forbidden")
    assert error["capability"] == "facilities:manage"
    assert client.get("/v1/facilities", headers=headers).json["data"] == []


def test_admin_key_without_manage_scope_cannot_create(client, create_account, auth_headers):
    """An admin's key scoped to ``facilities:read`` gets 403 on create."""
    headers = auth_headers(create_account(role="admin"), scopes=["facilities:read"])
    response = client.post("/v1/facilities", json=new_facility(), headers=headers)
    assert assert_error(response, 403, "forbidden")["capability"] == "facilities:manage"


# --- Update ------------------------------------------------------------------------------


def test_patch_changes_only_sent_fields(client, admin_headers, teacher_headers, campus):
    """A PATCH changes the fields it sends and leaves every other field as it was."""
    before = client.get("/v1/facilities/f1", headers=teacher_headers).json
    response = client.patch(
        "/v1/facilities/f1", json={"capacity": 30, "name": "STEM Lab A"}, headers=admin_headers
    )
    assert response.status_code == 200
    assert response.json["capacity"] == 30
    assert response.json["name"] == "STEM Lab A"
    after = client.get("/v1/facilities/f1", headers=teacher_headers).json
    assert after == response.json
    ignored = {"capacity", "name", "updated_at"}
    assert {k: v for k, v in after.items() if k not in ignored} == {
        k: v for k, v in before.items() if k not in ignored
    }


def test_patch_to_maintenance_blocks_booking_with_r02(
    client, admin_headers, teacher_headers, campus
):
    """After an admin sets ``maintenance``, booking the facility is a 422 naming R-02."""
    response = client.patch(
        "/v1/facilities/f2", json={"status": "maintenance"}, headers=admin_headers
    )
    assert response.status_code == 200
    assert response.json["status"] == "maintenance"
    booking = {
        "facility_id": "f2",
        "date": school_day().isoformat(),
        "start_slot": 2,
        "end_slot": 2,
        "purpose": "Physics",
    }
    refused = client.post("/v1/reservations", json=booking, headers=teacher_headers)
    assert assert_error(refused, 422, "rule_violation")["rule"] == "R-02"
    assert client.get("/v1/reservations", headers=teacher_headers).json["data"] == []
    reopened = client.patch("/v1/facilities/f2", json={"status": "active"}, headers=admin_headers)
    assert reopened.status_code == 200
    assert client.post("/v1/reservations", json=booking, headers=teacher_headers).status_code == 201


def test_patch_replaces_restrictions_as_a_whole(client, admin_headers, campus):
    """Sending ``restrictions`` replaces all of it: omitted parts return to their defaults."""
    response = client.patch(
        "/v1/facilities/f1", json={"restrictions": {"departments": ["Art"]}}, headers=admin_headers
    )
    assert response.status_code == 200
    assert response.json["restrictions"] == {
        "departments": ["Art"],
        "roles": [],
        "max_slots_per_booking": None,
    }
    assert response.json["amenities"] == ["fume hood", "projector"]  # untouched


@pytest.mark.parametrize(
    ("body", "field"),
    [
        pytest.param({"name": None}, "name", id="name-null"),
        pytest.param({"status": None}, "status", id="status-null"),
        pytest.param({"restrictions": None}, "restrictions", id="restrictions-null"),
        pytest.param({"name": ""}, "name", id="name-empty"),
        pytest.param({"status": "open"}, "status", id="status-unknown"),
        pytest.param({"status": "Maintenance"}, "status", id="status-case"),
        pytest.param({"capacity": "lots"}, "capacity", id="capacity-text"),
        pytest.param({"colour": "blue"}, "colour", id="unknown-field"),
        pytest.param({"id": "f9"}, "id", id="id-not-changeable"),
    ],
)
def test_patch_refuses_invalid_fields(client, admin_headers, teacher_headers, campus, body, field):
    """An invalid PATCH is a 400 naming the field, and the facility is unchanged."""
    before = client.get("/v1/facilities/f1", headers=teacher_headers).json
    response = client.patch("/v1/facilities/f1", json=body, headers=admin_headers)
    assert_field_error(response, field)
    assert client.get("/v1/facilities/f1", headers=teacher_headers).json == before


@pytest.mark.parametrize("raw", ["", "[]", '"x"', "{"])
def test_patch_refuses_body_that_is_not_an_object(client, admin_headers, campus, raw):
    """A PATCH body that is not a JSON object is a 400 naming ``body``."""
    response = client.patch(
        "/v1/facilities/f1",
        data=raw,
        headers={**admin_headers, "Content-Type": "application/json"},
    )
    assert_field_error(response, "body")


@pytest.mark.parametrize("role", ["teacher", "approver"])
def test_patch_needs_facilities_manage(
    client, create_account, auth_headers, teacher_headers, campus, role
):
    """Teachers and approvers get 403 with ``capability: facilities:manage``; nothing changes."""
    headers = auth_headers(create_account(role=role))
    response = client.patch("/v1/facilities/f1", json={"name": "Mine"}, headers=headers)
    assert assert_error(response, 403, "forbidden")["capability"] == "facilities:manage"
    assert client.get("/v1/facilities/f1", headers=teacher_headers).json["name"] == "STEM Lab Alpha"


def test_patch_unknown_facility_is_404(client, admin_headers, campus):
    """Patching an unknown facility is a 404 not_found."""
    response = client.patch("/v1/facilities/nope", json={"name": "X"}, headers=admin_headers)
    assert_error(response, 404, "not_found")
