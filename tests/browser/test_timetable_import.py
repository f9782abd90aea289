"""The timetable import in Chromium: an admin uploads a timetable whose two lines want the
same room at the same time, sees which lines to correct and that nothing was booked, uploads
the corrected file, checks the preview and confirms it: every series is booked."""

import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import func, select

from roomloop.extensions import db
from roomloop.models import Reservation, Series

from .conftest import assert_same_origin_and_quiet, shoot, sign_in
from conftest import school_day

pytestmark = pytest.mark.browser

HEADER = "facility_id,user_email,weekdays,cycle_week,start_slot,end_slot,first_date,until,purpose\n"
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@pytest.fixture
def admin(school, create_account):
    return create_account(role="admin", name="Dee Okafor")


def booked():
    db.session.rollback()  # read what the server committed
    series = db.session.scalar(select(func.count()).select_from(Series))
    dates = db.session.scalar(
        select(func.count()).select_from(Reservation).where(Reservation.series_id.is_not(None))
    )
    return series, dates


def timetable(*lines):
    first = school_day(8)  # one date each, next week: until is the first date
    rows = [
        f"{room},{email},{DAYS[first.weekday()]},,{start},{end},{first},{first},{purpose}"
        for room, email, start, end, purpose in lines
    ]
    return HEADER + "\n".join(rows) + "\n"


def test_a_timetable_with_a_clash_is_refused_then_the_fixed_file_is_booked(
    page, admin, server, tmp_path
):
    sign_in(page, "Dee Okafor", "/admin/settings", role="admin")
    page.get_by_role("link", name="Import timetable").first.click()
    expect(page.get_by_role("heading", name="Import a timetable")).to_be_visible()

    clashing = tmp_path / "timetable.csv"
    clashing.write_text(
        timetable(
            ("lab-beta", "ada.park@school.example", 4, 5, "Year 9 Physics"),
            ("lab-beta", "ben.ito@school.example", 5, 5, "Year 11 Chemistry"),
        )
    )
    page.get_by_label("CSV file").set_input_files(clashing)
    page.get_by_role("button", name="Check the file").click()

    errors = page.get_by_role("table", name=re.compile("Rows to correct"))
    expect(errors).to_be_visible()
    expect(errors).to_contain_text("line 2 of this file")
    expect(page.get_by_role("alert").first).to_contain_text("timetable.csv was refused")
    expect(page.get_by_role("button", name="Confirm import")).to_have_count(0)
    shoot(page, "admin-timetable-import-errors")
    assert booked() == (0, 0)

    fixed = tmp_path / "timetable-fixed.csv"
    fixed.write_text(
        timetable(
            ("lab-beta", "ada.park@school.example", 4, 5, "Year 9 Physics"),
            ("lab-beta", "ben.ito@school.example", 6, 6, "Year 11 Chemistry"),
        )
    )
    page.get_by_label("CSV file").set_input_files(fixed)
    page.get_by_role("button", name="Check the file").click()
    expect(page.get_by_role("heading", name="Preview of timetable-fixed.csv")).to_be_visible()
    expect(page.get_by_text("Nothing has been booked yet.")).to_be_visible()
    shoot(page, "admin-timetable-import-preview")
    assert booked() == (0, 0)

    page.get_by_role("button", name="Confirm import").click()
    expect(page.get_by_text("Imported timetable-fixed.csv.")).to_be_visible()
    shoot(page, "admin-timetable-import-done")
    assert booked() == (2, 2)
    assert_same_origin_and_quiet(page, server)
