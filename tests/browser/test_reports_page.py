"""The Reports page in Chromium: an approver picks a range and a facility, reads the bars and
the heatmap, and downloads the reservations; the same with the keyboard alone, and without
JavaScript.
"""

import csv
import io
import re
from datetime import UTC, datetime, timedelta

import pytest
from openpyxl import load_workbook
from playwright.sync_api import expect

from .conftest import assert_same_origin_and_quiet, shoot, sign_in

pytestmark = pytest.mark.browser


def weekday_before(day, days):
    """The weekday at least ``days`` days before ``day``."""
    day -= timedelta(days=days)
    while day.weekday() >= 5:
        day -= timedelta(days=1)
    return day


@pytest.fixture
def usage(school, create_account, create_reservation):
    """Cy Diaz approves; in the last 30 days Ada (Science) and Max (Maths) booked both labs."""
    from roomloop.extensions import db
    from roomloop.models import Facility

    today = datetime.now(UTC).date()
    recent, earlier = weekday_before(today, 3), weekday_before(today, 12)
    beta = db.session.scalar(db.select(Facility).where(Facility.code == "lab-beta"))
    maths = create_account(name="Max Rowe", department="Maths")
    lab, ada = school["lab"], school["ada"]
    create_reservation(lab, ada, recent, start_slot=1, end_slot=2, purpose="Titration")
    create_reservation(lab, maths, earlier, start_slot=4, purpose="Statistics")
    create_reservation(beta, maths, earlier, start_slot=3, purpose="Probability")
    create_reservation(beta, ada, recent, start_slot=5, status="cancelled", purpose="Dropped")
    return {
        "approver": create_account(role="approver", name="Cy Diaz"),
        "first": today - timedelta(days=29),
        "today": today,
    }


def long_date(day):
    return f"{day:%a %-d %b %Y}"


def results(page):
    return page.locator("#report")


def bars(page):
    return page.get_by_role("table", name="Utilization by facility, highest first")


def test_approver_picks_a_range_and_a_facility_and_downloads_the_csv(usage, page, server):
    first, today = usage["first"], usage["today"]
    sign_in(page, "Cy Diaz", "/admin/reports", role="approver")
    expect(page.get_by_role("link", name="Reports", exact=True)).to_have_attribute(
        "aria-current", "page"
    )
    expect(page.get_by_role("heading", level=1)).to_have_text("Reports")
    page.evaluate("window.stillTheSamePage = true")

    page.get_by_role("link", name="Last 30 days").click()
    expect(page).to_have_url(re.compile(rf"from={first}&to={today}$"))
    expect(page.get_by_role("heading", level=2)).to_have_text(
        f"{long_date(first)} – {long_date(today)}"
    )
    expect(page.get_by_role("link", name="Last 30 days")).to_have_attribute("aria-current", "true")
    expect(page.get_by_label("From", exact=True)).to_have_value(first.isoformat())
    totals = page.locator(".report-totals")
    expect(totals).to_contain_text("Reservations3")
    expect(totals).to_contain_text("Periods booked4")
    expect(totals).to_contain_text("Cancellations1")

    rows = bars(page).locator("tbody tr")
    expect(rows.first).to_contain_text("STEM Lab Alpha")
    expect(rows.nth(1)).to_contain_text("STEM Lab Beta")
    expect(rows.first.locator("svg.bar")).to_be_visible()
    expect(rows.first.locator(".bar-value")).to_have_text(re.compile(r"^(<1|\d+)%$"))

    heatmap = page.get_by_role("table", name=re.compile("^Utilization by weekday and period"))
    expect(heatmap).to_be_visible()
    expect(heatmap.get_by_role("columnheader")).to_contain_text(
        ["Day", "Period 1 09:00–09:50", "Period 2 10:00–10:50"]
    )
    expect(heatmap.get_by_role("rowheader")).to_contain_text(
        ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Mon–Fri"]
    )
    expect(heatmap.locator("td.heat-0").first).to_have_text("0%")
    assert heatmap.locator("td.heat-1, td.heat-2, td.heat-3, td.heat-4").count() >= 3
    departments = page.get_by_role("table", name=re.compile("^Departments by periods booked"))
    expect(departments.locator("tbody tr").first).to_contain_text("Maths")
    shoot(page, "admin-reports")

    page.get_by_label("Facility", exact=True).select_option(label="STEM Lab Beta")
    page.get_by_role("button", name="Show report").click()
    expect(page).to_have_url(re.compile(r"facility_id=lab-beta"))
    expect(results(page).get_by_text("STEM Lab Beta · all departments")).to_be_visible()
    expect(bars(page).locator("tbody tr")).to_have_count(1)
    expect(totals).to_contain_text("Reservations1")
    assert page.evaluate("window.stillTheSamePage") is True  # htmx swapped the region only

    with page.expect_download() as info:
        page.get_by_role("link", name="Download CSV").click()
    download = info.value
    assert download.suggested_filename == (f"roomloop-reservations-lab-beta-{first}-to-{today}.csv")
    with open(download.path(), encoding="utf-8-sig") as file:
        rows = list(csv.DictReader(file))
    assert [(r["facility_id"], r["purpose"], r["status"]) for r in rows] == [
        ("lab-beta", "Probability", "confirmed"),
        ("lab-beta", "Dropped", "cancelled"),
    ]

    with page.expect_download() as info:
        page.get_by_role("link", name="Download XLSX").click()
    sheet = load_workbook(io.BytesIO(info.value.path().read_bytes())).active
    assert [row[14] for row in sheet.iter_rows(min_row=2, values_only=True)] == [
        "Probability",
        "Dropped",
    ]
    shoot(page, "admin-reports-facility")
    assert_same_origin_and_quiet(page, server)


def test_presets_and_downloads_are_reached_with_the_keyboard(usage, page, server):
    """Tab reaches each quick range and both downloads; Enter on a range shows it."""
    first, today = usage["first"], usage["today"]
    sign_in(page, "Cy Diaz", f"/admin/reports?from={first}&to={today}", role="approver")
    page.locator("#report-department").focus()
    seen = []
    for _ in range(12):
        page.keyboard.press("Tab")
        seen.append(page.evaluate("document.activeElement.textContent.trim()"))
        if seen[-1] == "Download XLSX":
            break
    assert seen[:6] == [
        "Show report",
        "This week",
        "Last 30 days",
        "This term",
        "Download CSV",
        "Download XLSX",
    ]

    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Shift+Tab")
    this_term = page.get_by_role("link", name="This term")
    expect(this_term).to_be_focused()
    page.keyboard.press("Enter")
    expect(this_term).to_have_attribute("aria-current", "true")
    expect(this_term).to_be_focused()  # focus stays where the person was
    expect(page).to_have_url(re.compile(r"/admin/reports\?from=\d{4}-(01|04|09)-01&to="))
    assert_same_origin_and_quiet(page, server)


def test_reversed_range_is_explained_next_to_the_field(usage, page, server):
    """The refusal sits by the field; a corrected range with nothing booked says so."""
    sign_in(page, "Cy Diaz", "/admin/reports", role="approver")
    page.get_by_label("From", exact=True).fill(usage["today"].isoformat())
    page.get_by_label("To", exact=True).fill(usage["first"].isoformat())
    page.get_by_role("button", name="Show report").click()
    expect(page.locator("#report-to-error")).to_have_text(
        "The last day is before the first day: swap them."
    )
    expect(page.get_by_label("To", exact=True)).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_role("alert")).to_contain_text("No report for these choices.")
    expect(page.get_by_role("link", name="Download CSV")).to_have_count(0)
    shoot(page, "admin-reports-refused")

    first, last = usage["today"] + timedelta(days=100), usage["today"] + timedelta(days=106)
    page.get_by_label("From", exact=True).fill(first.isoformat())
    page.get_by_label("To", exact=True).fill(last.isoformat())
    page.get_by_role("button", name="Show report").click()
    expect(page.get_by_text(f"No reservations between {long_date(first)} and")).to_be_visible()
    expect(page.get_by_role("alert")).to_have_count(0)
    expect(page.get_by_label("To", exact=True)).not_to_have_attribute("aria-invalid", "true")
    shoot(page, "admin-reports-empty")
    assert_same_origin_and_quiet(page, server)


def test_report_works_without_javascript(usage, open_page, server):
    page = open_page(javascript=False)
    sign_in(page, "Cy Diaz", "/admin/reports", role="approver")
    page.get_by_role("link", name="Last 30 days").click()
    page.get_by_label("Department", exact=True).select_option("Maths")
    page.get_by_role("button", name="Show report").click()
    expect(page).to_have_url(re.compile(r"department=Maths"))
    expect(page.get_by_text("All facilities · Maths")).to_be_visible()
    expect(page.locator(".report-totals")).to_contain_text("Reservations2")
