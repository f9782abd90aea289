"""The API reference in Chromium: a reader opens /docs, follows the table of contents, and
runs the page's example booking against the live server exactly as the page shows it."""

import json
import re

import pytest
import requests
from openapi_schema_validator import OAS31Validator
from playwright.sync_api import expect

from roomloop.api.openapi import openapi_document

from .conftest import assert_same_origin_and_quiet, shoot
from conftest import school_day

pytestmark = pytest.mark.browser


def parse_http(text):
    """(method, path, headers, JSON body) of an HTTP request written out as on the page."""
    head, body = text.split("\n\n", 1)
    request_line, *header_lines = head.splitlines()
    method, path = request_line.split(" ")
    headers = dict(line.split(": ", 1) for line in header_lines)
    return method, path, headers, json.loads(body)


def test_a_reader_follows_the_contents_and_runs_the_booking_example(
    page, server, school, auth_headers
):
    page.goto("/docs")
    expect(page.get_by_role("heading", level=1, name="RoomLoop API reference")).to_be_visible()

    contents = page.get_by_role("navigation", name="Contents")
    contents.get_by_role("link", name="POST /v1/reservations", exact=True).click()
    expect(page).to_have_url(re.compile(r"/docs#op-createReservation$"))
    booking = page.locator("#op-createReservation")
    expect(booking.get_by_role("heading", level=3)).to_be_in_viewport()
    expect(booking).to_contain_text("Create a reservation. Runs the rules engine.")
    expect(booking.get_by_role("table", name="Responses of POST /v1/reservations")).to_contain_text(
        "slot_conflict"
    )

    contents.get_by_role("link", name="Example: create a reservation").click()
    example = page.locator("#example-request")
    expect(example).to_be_in_viewport()
    method, path, headers, body = parse_http(example.inner_text())
    assert (method, path) == ("POST", "/v1/reservations")
    assert body["facility_id"] == "f1" and (body["start_slot"], body["end_slot"]) == (2, 3)
    shoot(page, "docs")

    # The example's date (the reference's) has passed, and the rules engine refuses the past
    # the reader books the same request on a school day ahead, with a real key.
    body["date"] = school_day(14).isoformat()
    headers["Authorization"] = auth_headers(school["ada"])["Authorization"]
    response = requests.request(method, server + path, json=body, headers=headers, timeout=10)

    assert response.status_code == 201, response.text
    reservation = response.json()
    document = openapi_document()
    schema = {"$ref": "#/components/schemas/Reservation", "components": document["components"]}
    OAS31Validator(schema).validate(reservation)
    assert response.headers["Location"] == f"/v1/reservations/{reservation['id']}"
    shown = json.loads(page.locator("#example-response").inner_text())
    assert set(reservation) == set(shown)
    assert reservation["facility"] == {"id": "f1", "name": "STEM Lab Alpha"}
    assert reservation["slots"] == shown["slots"] == ["10:00–10:50", "11:00–11:50"]
    assert (reservation["status"], reservation["purpose"]) == ("confirmed", body["purpose"])
    assert_same_origin_and_quiet(page, server)
