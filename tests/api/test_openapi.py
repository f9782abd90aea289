"""The OpenAPI document: valid OpenAPI 3.1, served in public, and the same API as the app
and the customer's reference.

Routes and documented operations are compared both ways, so a route added without its
documentation (or documentation left behind by a removed route) fails here. The request
schemas' fields, required-ness and limits are compared with the pydantic schemas that
enforce them, and the enums with the constants the code uses.
"""

import itertools
import re

import pytest
from openapi_spec_validator import validate
from werkzeug.exceptions import MethodNotAllowed, NotFound

from roomloop import schemas
from roomloop.api.errors import HTTP_CODES
from roomloop.api.openapi import openapi_document
from roomloop.booking.school_calendar import MAX_TERMS, WEEKDAYS
from roomloop.booking.settings import MAX_PERIODS
from roomloop.models import (
    ACCOUNT_STATUSES,
    ENDPOINT_STATUSES,
    FACILITY_STATUSES,
    RESERVATION_STATUSES,
    ROLES,
    SERIES_STATUSES,
)
from roomloop.outbox.webhooks import EVENT_PATTERNS, EVENT_TYPES, TEST_EVENT

from conftest import REPO_ROOT

METHODS = ("get", "post", "patch", "delete", "put")
REFERENCE = REPO_ROOT.parent / "shared" / "seed" / "api-reference-v1.txt"
REFERENCE_COPY = REPO_ROOT / "docs" / "api-reference-v1.txt"


@pytest.fixture
def document():
    return openapi_document()


def documented_operations(document):
    return {
        (method.upper(), path)
        for path, item in document["paths"].items()
        for method in item
        if method in METHODS
    }


def template(path):
    """``/v1/facilities/{}`` for ``/v1/facilities/<code>``, ``{id}`` or ``:id``."""
    return re.sub(r"<[^>]+>|\{[^}]+\}|:\w+", "{}", path)


def example_path(document, path):
    """``path`` with each parameter replaced by the example the document gives for it."""
    item = document["paths"][path]
    parameters = [resolve(document, p) for p in item.get("parameters", [])]
    examples = {p["name"]: p["example"] for p in parameters if p["in"] == "path"}
    return re.sub(r"\{(\w+)\}", lambda m: examples[m.group(1)], path)


def resolve(document, node):
    """``node``, or the part of the document its ``$ref`` points at."""
    while "$ref" in node:
        target = document
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        node = target
    return node


def test_the_document_is_valid_openapi_3_1(document):
    validate(document)
    assert document["openapi"].startswith("3.1.")


def test_the_document_is_served_as_json_without_a_key(client, document):
    response = client.get("/v1/openapi.json")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert response.get_json() == document
    assert "RateLimit-Limit" not in response.headers  # public and static: not rate limited
    assert response.headers["X-Request-ID"]


def test_every_v1_route_is_documented_and_every_documented_operation_is_routed(app, document):
    routed = {
        (method, template(rule.rule))
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/v1/")
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    documented = {(method, template(path)) for method, path in documented_operations(document)}
    assert routed == documented
    adapter = app.url_map.bind("roomloop.test")
    for method, path in documented_operations(document):
        endpoint, _ = adapter.match(example_path(document, path), method=method)
        assert endpoint.startswith("api."), (method, path, endpoint)


def reference_operations():
    """The METHOD and path of every endpoint the customer's reference lists, parsed from it."""
    reference = REFERENCE if REFERENCE.exists() else REFERENCE_COPY
    lines = [line.strip() for line in reference.read_text(encoding="utf-8").splitlines()]
    return [
        (line, following)
        for line, following in itertools.pairwise(lines)
        if line in {"GET", "POST", "PATCH", "DELETE"} and following.startswith("/v1/")
    ]


def test_every_endpoint_of_the_reference_is_documented_and_routed(app, document):
    operations = reference_operations()
    assert len(operations) == 18
    adapter = app.url_map.bind("roomloop.test")
    for method, reference_path in operations:
        path = re.sub(r":(\w+)", r"{\1}", reference_path)
        assert method.lower() in document["paths"][path], (method, reference_path)
        try:
            endpoint, _ = adapter.match(example_path(document, path), method=method)
        except (NotFound, MethodNotAllowed):
            pytest.fail(f"{method} {reference_path} is not routed")
        assert endpoint.startswith("api.")


def test_only_the_sign_in_exchange_and_the_document_are_public(document):
    assert document["security"] == [{"bearerAuth": []}]
    public = {
        (method.upper(), path)
        for path, item in document["paths"].items()
        for method, operation in item.items()
        if method in METHODS and operation.get("security") == []
    }
    assert public == {("POST", "/v1/auth/google"), ("GET", "/v1/openapi.json")}


def test_the_error_codes_are_those_the_api_answers_with(document):
    codes = document["components"]["schemas"]["ErrorCode"]["enum"]
    extra = {"internal_error", "https_required", "check_in_refused"}
    assert set(codes) == {*HTTP_CODES.values(), *extra}


def test_the_enums_are_the_codes(document):
    schemas_ = document["components"]["schemas"]
    assert schemas_["FacilityStatus"]["enum"] == list(FACILITY_STATUSES)
    assert schemas_["ReservationStatus"]["enum"] == list(RESERVATION_STATUSES)
    assert schemas_["Role"]["enum"] == list(ROLES)
    assert schemas_["AccountStatus"]["enum"] == list(ACCOUNT_STATUSES)
    assert schemas_["SeriesStatus"]["enum"] == list(SERIES_STATUSES)
    assert schemas_["Weekday"]["enum"] == list(WEEKDAYS)
    assert schemas_["WebhookEndpoint"]["properties"]["status"]["enum"] == list(ENDPOINT_STATUSES)
    assert schemas_["EventType"]["enum"] == [*EVENT_TYPES, TEST_EVENT]
    assert set(schemas_["EventPattern"]["enum"]) == {*EVENT_PATTERNS, *EVENT_TYPES}
    assert set(document["webhooks"]) == {*EVENT_TYPES, TEST_EVENT}


REQUEST_SCHEMAS = {
    "GoogleTokenExchange": schemas.GoogleTokenExchange,
    "ReservationCreate": schemas.ReservationCreate,
    "ReservationUpdate": schemas.ReservationUpdate,
    "Restrictions": schemas.RestrictionsInput,
    "FacilityCreate": schemas.FacilityCreate,
    "FacilityUpdate": schemas.FacilityUpdate,
    "AccountCreate": schemas.AccountCreate,
    "AccountUpdate": schemas.AccountUpdate,
    "WebhookCreate": schemas.WebhookCreate,
    "WebhookUpdate": schemas.WebhookUpdate,
    "SeriesCreate": schemas.SeriesCreate,
    "SeriesRepeat": schemas.SeriesRepeat,
    "SeriesUpdate": schemas.SeriesUpdate,
    "SchoolUpdate": schemas.SchoolUpdate,
    "PeriodInput": schemas.PeriodInput,
    "DisplayCreate": schemas.DisplayCreate,
}
# PATCH /v1/school's lists are capped loosely by the schema (the body's size) and exactly by
# the Settings page's own checks, which the document states: settings.validate_bell_schedule,
# school_calendar.validate_terms and validate_school_days.
CHECKED_BY_THE_SETTINGS = {
    ("SchoolUpdate", "periods"): {"minItems": 1, "maxItems": MAX_PERIODS, "items": {}},
    ("SchoolUpdate", "terms"): {"maxItems": MAX_TERMS, "items": {}},
    ("SchoolUpdate", "school_days"): {"minItems": 1, "maxItems": len(WEEKDAYS), "items": {}},
}
LIMITS = ("minLength", "maxLength", "minimum", "maximum", "minItems", "maxItems")
# Pydantic writes a constraint on a type with a validator of its own in its Python spelling.
SPELLINGS = {"ge": "minimum", "le": "maximum"}


def limits(schema, definitions):
    """The length and range limits of a JSON schema, looking through ``$ref``, nullable
    ``anyOf`` and array items."""
    while "$ref" in schema:
        schema = definitions[schema["$ref"].rsplit("/", 1)[1]]
    if "anyOf" in schema:
        (schema,) = [s for s in schema["anyOf"] if s.get("type") != "null"]
        return limits(schema, definitions)
    schema = {SPELLINGS.get(key, key): value for key, value in schema.items()}
    found = {key: schema[key] for key in LIMITS if key in schema}
    if "items" in schema:
        found["items"] = limits(schema["items"], definitions)
    return found


@pytest.mark.parametrize("name", REQUEST_SCHEMAS)
def test_request_schemas_match_the_validation(document, name):
    """Fields, required fields, unknown fields refused, and every limit, as pydantic enforces."""
    documented = document["components"]["schemas"][name]
    model = REQUEST_SCHEMAS[name].model_json_schema()
    definitions = {**document["components"]["schemas"], **model.get("$defs", {})}
    assert documented["additionalProperties"] is False
    assert set(documented["properties"]) == set(model["properties"])
    assert set(documented.get("required", [])) == set(model.get("required", []))
    for field, schema in documented["properties"].items():
        enforced = limits(model["properties"][field], definitions)
        if field == "events":
            # The list's entries are checked by webhooks.check_patterns: known types only
            # (each within the schema's length limit), and at least one.
            events = resolve(document, schema["items"])["enum"]
            assert all(len(event) <= enforced["items"]["maxLength"] for event in events)
            assert (schema["minItems"], schema["maxItems"]) == (1, enforced["maxItems"])
            continue
        if (name, field) in CHECKED_BY_THE_SETTINGS:
            checked = CHECKED_BY_THE_SETTINGS[name, field]
            assert limits(schema, definitions) == checked, field
            assert enforced["maxItems"] >= checked["maxItems"], field
            continue
        assert limits(schema, definitions) == enforced, field


QUERY_SCHEMAS = {
    ("GET", "/v1/facilities"): schemas.FacilityListQuery,
    ("GET", "/v1/facilities/{id}/availability"): schemas.AvailabilityQuery,
    ("GET", "/v1/reservations"): schemas.ReservationListQuery,
    ("GET", "/v1/series"): schemas.SeriesListQuery,
    ("GET", "/v1/accounts"): schemas.AccountListQuery,
    ("POST", "/v1/accounts/bulk"): schemas.AccountImportQuery,
    ("POST", "/v1/series/bulk"): schemas.TimetableImportQuery,
    ("GET", "/v1/reports/usage"): schemas.ReportQuery,
    ("GET", "/v1/reports/export.csv"): schemas.ReportQuery,
    ("GET", "/v1/reports/export.xlsx"): schemas.ReportQuery,
    ("GET", "/v1/webhooks"): schemas.Page,
    ("GET", "/v1/webhooks/{id}/deliveries"): schemas.Page,
}


@pytest.mark.parametrize(("method", "path"), QUERY_SCHEMAS)
def test_query_parameters_match_the_validation(document, method, path):
    operation = document["paths"][path][method.lower()]
    parameters = [resolve(document, p) for p in operation.get("parameters", [])]
    query = {p["name"]: p for p in parameters if p["in"] == "query"}
    model = QUERY_SCHEMAS[method, path].model_json_schema(by_alias=True)
    definitions = {**document["components"]["schemas"], **model.get("$defs", {})}
    assert set(query) == set(model["properties"])
    assert {n for n, p in query.items() if p.get("required")} == set(model.get("required", []))
    for name, parameter in query.items():
        documented = limits(parameter["schema"], definitions)
        assert documented == limits(model["properties"][name], definitions), name
