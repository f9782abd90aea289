"""Every operation of the OpenAPI document, driven by generated requests, keeps to it.

Schemathesis reads ``roomloop/api/openapi.yaml`` and, for each operation, sends the
documented examples, requests built to cover each parameter's limits (the coverage phase)
and random ones, valid and invalid, to the app on the test database. Every response must
pass all of Schemathesis's default checks: no server error, a documented status and
content type, a body and headers that match the document, invalid data refused, auth
enforced, an undocumented method answered 405.

One check is narrowed: a request the document calls valid may still be refused because of
what the database holds, which no schema can say (``facility_id`` naming a facility that
does not exist, a slot beyond today's bell schedule, a cursor from no list, an email that
is taken), because of a rule between two fields or the items of a list that JSON Schema
cannot state (``to`` before ``from``, terms that overlap) or has no words for (a date that
is a Monday), or because the rules engine refuses it (422 ``rule_violation``, which the
reference defines as a refusal of a well-formed request). ``STATE_DEPENDENT`` lists, per
operation, the only fields such a 400 may name (``*`` standing for a number, in fields of a
list's items); any other refusal of valid data fails.
"""

import re
from datetime import timedelta

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.config import SchemathesisConfig
from schemathesis.openapi.checks import RejectedPositiveData
from schemathesis.specs.openapi.checks import ignored_auth, positive_data_acceptance

from roomloop.api.openapi import DOCUMENT
from roomloop.auth.tokens import hash_token
from roomloop.booking.school_calendar import WEEKDAYS
from roomloop.extensions import db
from roomloop.models import (
    Account,
    ApiToken,
    Event,
    Facility,
    HeldSlot,
    Reservation,
    Series,
    WebhookDelivery,
    WebhookEndpoint,
)
from roomloop.outbox.webhooks import new_secret

from conftest import school_day

# An admin's API key, stored by the ``seed`` fixture; Schemathesis sends it as the document's
# bearer scheme asks, and leaves it out where it tests that a call without it is refused.
ADMIN_KEY = "sk_live_schemathesis-admin-key-for-the-test-database-only"
schema = schemathesis.openapi.from_path(
    DOCUMENT,
    config=SchemathesisConfig.from_dict(
        {
            "seed": 20260610,
            "auth": {"openapi": {"bearerAuth": {"bearer": ADMIN_KEY}}},
            # Its WSGI calls hand back the body as sent, undecoded: ask for it uncompressed
            # (compression is tested in tests/views/test_compression_and_caching.py).
            "headers": {"Accept-Encoding": "identity"},
        }
    ),
)

# The ids the document gives as its path parameters' examples; the seed below makes them real.
FACILITY_ID = "f1"
RESERVATION_ID = "res_8f3e21a90c"
SERIES_ID = "ser_1a2b3c4d5e"
ACCOUNT_ID = "usr_4b1c09d2e7"
WEBHOOK_ID = "wh_5d2c8e1f3a"
DELIVERY_ID = "dlv_7a1e0c4b92"

CURSOR = {"cursor"}
STATE_DEPENDENT = {
    "GET /v1/facilities": CURSOR,
    "POST /v1/facilities": {"id"},  # taken
    # Unknown ids; slots beyond the bell schedule, or the end before the start.
    "POST /v1/reservations": {"facility_id", "user_id", "start_slot", "end_slot"},
    "GET /v1/reservations": CURSOR | {"to"},  # 'to' before 'from'
    "PATCH /v1/reservations/{id}": {"status"},  # already cancelled, or already started
    # Unknown ids or a disabled account; slots beyond the bell schedule, or the end before
    # the start; 'until' before 'first_date', a first date in no term (the terms) without
    # 'until', or over 200 dates; no date of the range in the pattern; a 'cycle_week' the
    # school's timetable cycle does not have.
    "POST /v1/series": {
        "facility_id",
        "user_id",
        "start_slot",
        "end_slot",
        "until",
        "repeat",
        "repeat.cycle_week",
    },
    "GET /v1/series": CURSOR,
    # Periods that upcoming bookings hold (the day as a whole), or out of order; terms that
    # overlap or end before they start; a cycle's first week starting on another day than
    # Monday.
    "PATCH /v1/school": {
        "bell_schedule",
        "*.start",
        "*.end",
        "terms.*.start",
        "terms.*.end",
        "cycle.start",
    },
    "GET /v1/accounts": CURSOR,
    "POST /v1/accounts": {"email"},  # taken
    "POST /v1/accounts/bulk": {"file"},  # the file's rows
    # The file's lines: the rooms, people and dates they name, which may be taken or past.
    "POST /v1/series/bulk": {"file"},
    "GET /v1/reports/usage": {"facility_id", "user_id", "to"},  # unknown ids; over 731 days
    "GET /v1/reports/export.csv": {"facility_id", "user_id", "to"},
    "GET /v1/reports/export.xlsx": {"facility_id", "user_id", "to"},
    "POST /v1/webhooks": {"url"},  # at most 50 endpoints (in production: public targets)
    "GET /v1/webhooks": CURSOR,
    "GET /v1/webhooks/{id}/deliveries": CURSOR,
}


def positive_data_accepted(ctx, response, case):
    """Valid data is accepted, unless the rules engine or the database's state refuses it."""
    try:
        return positive_data_acceptance(ctx, response, case)
    except RejectedPositiveData:
        if response.status_code == 422:
            return None
        if response.status_code == 400:
            fields = set(response.json()["error"]["fields"])
            allowed = STATE_DEPENDENT.get(case.operation.label, set())
            if fields and all(_named(field, allowed) for field in fields):
                return None
        raise


def _named(field, allowed):
    """Whether ``field`` is one of ``allowed``, where ``*`` stands for an item's number."""
    return any(re.fullmatch(re.escape(name).replace(r"\*", r"\d+"), field) for name in allowed)


@pytest.fixture
def app_config():
    return {
        "RATE_LIMIT": "1000000/minute",
        "AUTH_RATE_LIMIT": "1000000/minute",
        # Nothing listens there: a Google ID token is refused at once, without the network.
        "GOOGLE_METADATA_URL": "http://127.0.0.1:9/.well-known/openid-configuration",
    }


@pytest.fixture
def seed(app):
    """Return a function that (re)stores the admin's key and what the document's example ids
    name, whatever the previous calls changed or deleted."""
    admin = _add(Account(email="admin@school.example", name="Grace Admin", role="admin"))
    key = _add(ApiToken(account=admin, token_hash=hash_token(ADMIN_KEY), prefix=ADMIN_KEY[:12]))
    day = school_day()

    def ensure():
        db.session.rollback()  # see what the requests committed
        key.revoked_at = None  # POST /v1/auth/logout revokes the key it is called with
        db.session.commit()
        facility = _get(Facility, Facility.code, FACILITY_ID) or _add(
            Facility(code=FACILITY_ID, name="STEM Lab Alpha", type="lab", capacity=30)
        )
        ada = _get(Account, Account.public_id, ACCOUNT_ID) or _add(
            Account(
                public_id=ACCOUNT_ID,
                email="ada.park@school.example",
                name="Ada Park",
                department="Science",
            )
        )
        if _get(Reservation, Reservation.public_id, RESERVATION_ID) is None:
            _free(facility, day, (2, 3))
            purpose = "Grade 10 Chemistry — titration lab"
            _add(_booking(facility, ada, day, (2, 3), purpose, public_id=RESERVATION_ID))
        if _get(Series, Series.public_id, SERIES_ID) is None:
            _free(facility, day, (5, 6))
            series = _add(
                Series(
                    public_id=SERIES_ID,
                    facility=facility,
                    account=ada,
                    start_slot=5,
                    end_slot=6,
                    purpose="Grade 10 Chemistry",
                    weekdays=[WEEKDAYS[day.weekday()]],  # one date: ``day``
                    first_date=day,
                    until=day,
                )
            )
            _add(_booking(facility, ada, day, (5, 6), series.purpose, series_id=series.id))
        endpoint = _get(WebhookEndpoint, WebhookEndpoint.public_id, WEBHOOK_ID) or _add(
            WebhookEndpoint(
                public_id=WEBHOOK_ID,
                url="http://127.0.0.1:9/hooks/roomloop",
                events=["reservation.*"],
                secret=new_secret(),
            )
        )
        if _get(WebhookDelivery, WebhookDelivery.public_id, DELIVERY_ID) is None:
            event = Event(type="reservation.created", data={"id": RESERVATION_ID})
            _add(WebhookDelivery(public_id=DELIVERY_ID, endpoint=endpoint, event=event))

    return ensure


def _get(model, column, value):
    return db.session.scalar(db.select(model).where(column == value))


def _add(row):
    db.session.add(row)
    db.session.commit()
    return row


def _booking(facility, account, day, slots, purpose, **fields):
    """A confirmed reservation of ``slots`` on ``day``, holding them."""
    return Reservation(
        facility=facility,
        account=account,
        date=day,
        start_slot=slots[0],
        end_slot=slots[-1],
        purpose=purpose,
        status="confirmed",
        rules={"outcome": "confirmed", "checked": [], "overridden": []},
        held_slots=[
            HeldSlot(facility_id=facility.id, account_id=account.id, date=day, slot=n)
            for n in slots
        ],
        **fields,
    )


def _free(facility, day, slots):
    """Cancel whatever a generated booking left in the seeded reservation's slots."""
    held = db.session.scalars(
        db.select(HeldSlot).where(
            HeldSlot.facility_id == facility.id, HeldSlot.date == day, HeldSlot.slot.in_(slots)
        )
    )
    for row in held:
        row.reservation.status = "cancelled"
        db.session.delete(row)
    db.session.commit()


@schema.parametrize()
@settings(
    max_examples=10,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_every_operation_keeps_to_the_document(case, app, seed):
    """Call the operation with generated data; every default check passes."""
    seed()
    # The checks that send probes of their own (auth enforced, ...) reach the app through the
    # schema: point it at this test's app.
    case.operation.schema.app = case.operation.app = app
    case.call_and_validate(
        excluded_checks=[positive_data_acceptance],
        additional_checks=[positive_data_accepted],
    )


def test_the_outcomes_generated_requests_rarely_reach_keep_to_the_document(
    app, create_account, create_facility, auth_headers
):
    """A booking, its conflict, a rule's refusal, a pending booking confirmed, a refused role,
    a series in each of its outcomes, the school's calendar changed, a new calendar address,
    a calendar feed unchanged (304), a CSV upload and its bad rows, a body too large and the
    rate limit, each checked against the document as the generated calls are."""
    create_facility(code="f1", name="STEM Lab Alpha")
    create_facility(code="hall", name="Main Hall", type="hall", requires_approval=True)
    ada = auth_headers(create_account(name="Ada Park"))
    approver = auth_headers(create_account(role="approver"))
    admin = auth_headers(create_account(role="admin"))
    day = school_day(14).isoformat()
    booking = {"facility_id": "f1", "date": day, "start_slot": 2, "end_slot": 3, "purpose": "Lab"}

    def call(method, path, expected, headers, excluded_checks=(), **data):
        operation = schema[path][method]
        schema.app = operation.app = app  # as in the generated calls, probes go to the app
        case = operation.Case(headers=headers | {"Accept-Encoding": "identity"}, **data)
        response = case.call_and_validate(app=app, excluded_checks=list(excluded_checks))
        assert response.status_code == expected, response.text
        return response.json()

    created = call("POST", "/v1/reservations", 201, ada, body=booking)
    assert created["status"] == "confirmed" and created["slots"] == ["10:00–10:50", "11:00–11:50"]
    conflict = call("POST", "/v1/reservations", 409, ada, body=booking)
    assert conflict["error"]["rule"] == "R-03"
    past = call("POST", "/v1/reservations", 422, ada, body={**booking, "date": "2026-06-10"})
    assert past["error"]["rule"] == "R-01"
    pending = call(
        "POST",
        "/v1/reservations",
        201,
        ada,
        body={**booking, "facility_id": "hall", "start_slot": 5, "end_slot": 5},
    )
    assert pending["status"] == "pending"
    confirmed = call(
        "PATCH",
        "/v1/reservations/{id}",
        200,
        approver,
        path_parameters={"id": pending["id"]},
        body={"status": "confirmed"},
    )
    assert confirmed["status"] == "confirmed"
    refused = call("GET", "/v1/accounts", 403, ada)
    assert refused["error"]["capability"] == "accounts:read"

    # A weekly series whose first date Ada has booked already, in each of its outcomes.
    first = school_day(14)
    weekly = {
        "facility_id": "f1",
        "first_date": first.isoformat(),
        "until": (first + timedelta(weeks=2)).isoformat(),
        "repeat": {"weekdays": [WEEKDAYS[first.weekday()]]},
        "start_slot": 2,
        "end_slot": 3,
        "purpose": "Lab",
    }
    failed = call("POST", "/v1/series", 409, ada, body=weekly)
    assert [o["outcome"] for o in failed["error"]["occurrences"]] == ["refused"] + ["confirmed"] * 2
    planned = call("POST", "/v1/series", 200, ada, body={**weekly, "dry_run": True})
    assert planned["id"] is None and planned["counts"]["skipped"] == 1
    too_many = {**weekly, "facility_id": "hall", "attendees": 1000, "on_conflict": "skip"}
    every_date = call("POST", "/v1/series", 422, ada, body=too_many)
    assert {o["error"]["rule"] for o in every_date["error"]["occurrences"]} == {"R-09"}
    series = call("POST", "/v1/series", 201, ada, body={**weekly, "on_conflict": "skip"})
    assert len(series["reservations"]) == 2 and series["skipped"][0]["error"]["rule"] == "R-03"
    listed = call("GET", "/v1/series", 200, ada)
    assert [s["id"] for s in listed["data"]] == [series["id"]]
    cancel_all = {"path_parameters": {"id": series["id"]}, "body": {"status": "cancelled"}}
    ended = call("PATCH", "/v1/series/{id}", 200, ada, **cancel_all)
    assert ended["status"] == "cancelled"
    cycle = {"weeks": 2, "start": "2026-08-31"}  # a Monday
    calendar = call("PATCH", "/v1/school", 200, admin, body={"cycle": cycle})
    assert calendar["cycle"]["weeks"] == 2
    address = call("GET", "/v1/me", 200, ada)["calendar_url"]
    assert call("POST", "/v1/me/calendar/reset", 200, ada)["calendar_url"] != address
    feed = schema["/v1/facilities/{id}/calendar.ics"]["GET"]
    schema.app = feed.app = app
    fetched = feed.Case(headers=ada, path_parameters={"id": "f1"}).call_and_validate(app=app)
    current = {**ada, "If-None-Match": fetched.headers["etag"][0]}
    unchanged = feed.Case(headers=current, path_parameters={"id": "f1"})
    assert unchanged.call_and_validate(app=app).status_code == 304

    good = b"email,name,department,role\nben.ito@school.example,Ben Ito,Maths,teacher\n"
    imported = call("POST", "/v1/accounts/bulk", 200, admin, body={"file": good})
    assert imported == {"created": 1, "updated": 0, "unchanged": 0, "dry_run": False}
    bad = b"email,name,department,role\nnobody,No One,Maths,wizard\n"
    rejected = call("POST", "/v1/accounts/bulk", 400, admin, body={"file": bad})
    assert {row["field"] for row in rejected["error"]["rows"]} == {"email", "role"}

    huge = {**booking, "purpose": "x" * (11 * 1024 * 1024)}
    call("POST", "/v1/reservations", 413, ada, body=huge)

    # Calls without a live token count against the address, so past the limit even they get
    # 429: the probe that leaves the token out would see that instead of 401.
    app.config["RATE_LIMIT"] = "2/minute"
    call("GET", "/v1/facilities", 200, ada, excluded_checks=[ignored_auth])
    call("GET", "/v1/facilities", 200, ada, excluded_checks=[ignored_auth])
    limited = call("GET", "/v1/facilities", 429, ada, excluded_checks=[ignored_auth])
    assert limited["error"]["code"] == "rate_limited"
