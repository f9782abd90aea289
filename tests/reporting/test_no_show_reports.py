"""No-shows in the usage report and the exports: a booking released because nobody checked
in counts as a cancellation and a no-show, and its periods count as free."""

import csv
import io
from datetime import date

from roomloop.booking import release_no_shows

from conftest import book

WED = date(2026, 6, 10)
WEEK = {"from": "2026-06-08", "to": "2026-06-14"}


def test_a_released_booking_is_a_no_show_of_its_facility_and_department(
    client, freeze, create_account, create_facility, auth_headers
):
    freeze(2026, 6, 1, 8, 0)
    lab = create_facility(code="lab-c", name="Lab C", check_in_required=True)
    kept_by = create_account(department="Science")
    missed_by = create_account(department="Maths")
    kept = book(client, auth_headers(kept_by), lab, WED, start_slot=2).json
    missed = book(client, auth_headers(missed_by), lab, WED, start_slot=3, end_slot=4).json
    freeze(2026, 6, 10, 9, 55)
    check = client.post(f"/v1/reservations/{kept['id']}/check-in", headers=auth_headers(kept_by))
    assert check.status_code == 200, check.json
    freeze(2026, 6, 10, 12, 0)
    assert release_no_shows() == 1
    approver = auth_headers(create_account(role="approver"))

    report = client.get("/v1/reports/usage", query_string=WEEK, headers=approver).json

    assert report["totals"]["no_shows"] == 1
    assert report["totals"]["cancellations"] == 1
    assert report["totals"]["slots_booked"] == 1  # the released periods are free
    (row,) = report["by_facility"]
    assert (row["facility"]["id"], row["no_shows"], row["slots_booked"]) == ("lab-c", 1, 1)
    departments = {d["department"]: d["no_shows"] for d in report["by_department"]}
    assert departments == {"Science": 0, "Maths": 1}

    export = client.get("/v1/reports/export.csv", query_string=WEEK, headers=approver)
    rows = list(csv.DictReader(io.StringIO(export.get_data(as_text=True).lstrip("\ufeff"))))
    reasons = {r["id"]: (r["status"], r["cancel_reason"]) for r in rows}
    assert reasons == {kept["id"]: ("confirmed", ""), missed["id"]: ("cancelled", "no_show")}
    checked_in = {r["id"]: r["checked_in_at"] for r in rows}
    assert checked_in[kept["id"]] == "2026-06-10T09:55:00Z"
