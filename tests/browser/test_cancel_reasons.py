"""Cancelling someone else's booking with a reason, in Chromium: an approver rejects a
request and says why, an admin cancels the bookings a new blackout covers, and an admin
cancels a booking from its grid cell. Each holder then reads who cancelled and why.

axe-core checks each new page and panel as it shows.
"""

import re
import time
from email import policy
from email.parser import BytesParser

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from roomloop.extensions import db
from roomloop.models import Event, Facility, Reservation

from .accessibility import assert_accessible
from .conftest import (
    assert_same_origin_and_quiet,
    cell_label,
    free_cell,
    grid_path,
    settled,
    shoot,
    sign_in,
)

pytestmark = pytest.mark.browser


@pytest.fixture
def staff(school, create_account, create_reservation):
    """An approver, an admin, Ada's pending request for the auditorium (periods 4-5) and
    her confirmed booking of Room 101 (period 6)."""
    day = school["day"]
    hall, room = (
        db.session.scalar(select(Facility).where(Facility.code == code))
        for code in ("auditorium", "m101")
    )
    return {
        "approver": create_account(role="approver", name="Cy Diaz"),
        "admin": create_account(role="admin", name="Dee Okafor"),
        "pending": create_reservation(hall, school["ada"], day, start_slot=4, end_slot=5,
                                      status="pending", purpose="Year 11 assembly"),
        "room": create_reservation(room, school["ada"], day, start_slot=6, purpose="Debate club"),
    }  # fmt: skip


def emails_to(mail_folder, address, saying, timeout=20):
    """The plain-text bodies of the emails to ``address`` that say ``saying``, as the live
    server's sender wrote them (no mail server is set in the tests: each is a .eml file in
    ``mail_folder``); waits for the sender to get to them."""
    deadline = time.monotonic() + timeout
    while True:
        bodies = []
        for path in sorted(mail_folder.glob("*.eml")):
            message = BytesParser(policy=policy.default).parsebytes(path.read_bytes())
            body = message.get_body(("plain",)).get_content()
            if address in str(message["To"]) and saying in body:
                bodies.append(body)
        if bodies or time.monotonic() > deadline:
            return bodies
        time.sleep(0.25)


def stored(reservation):
    db.session.rollback()  # read what the server committed
    return db.session.get(Reservation, reservation.id)


def test_approver_rejects_with_a_reason_and_the_teacher_reads_it(
    staff, open_page, server, school, mail_folder
):
    pending = staff["pending"]
    page = open_page()
    sign_in(page, "Cy Diaz", "/admin/approvals", role="approver")
    item = page.locator(f"#approval-{pending.public_id}")
    item.get_by_label("Reason (optional)").fill("The hall is set up for exams that week")
    shoot(page, "approvals-reject-reason")
    assert_accessible(page)

    item.get_by_role("button", name=re.compile("^Reject")).click()

    expect(item.get_by_role("status")).to_have_text(
        "Rejected: the periods are free again for everyone."
    )
    rejected = stored(pending)
    assert rejected.status == "cancelled"
    assert rejected.cancel_reason == "The hall is set up for exams that week"
    assert_same_origin_and_quiet(page, server)

    teacher = open_page()
    sign_in(teacher, "Ada Park", "/my")
    teacher.get_by_text("Show 1 cancelled booking").click()  # kept apart from Upcoming
    mine = teacher.locator(f"#res-{pending.public_id}")
    expect(mine).to_contain_text("Cancelled by Cy Diaz: The hall is set up for exams that week")
    shoot(teacher, "my-reservations-cancelled-by")
    assert_accessible(teacher)
    mine.get_by_role("link", name=re.compile("^Details of Main Auditorium")).click()

    expect(teacher.get_by_role("heading", level=1)).to_have_text(
        f"Main Auditorium, {school['day']:%a %-d %b %Y}"
    )
    expect(teacher.locator(".cancelled-note")).to_have_text(
        "Cancelled by Cy Diaz: The hall is set up for exams that week"
    )
    expect(teacher.get_by_role("button", name="Cancel this booking")).to_have_count(0)
    shoot(teacher, "reservation-cancelled")
    assert_accessible(teacher)
    assert_same_origin_and_quiet(teacher, server)

    # Other journeys turn down Ada's requests too: this one is told apart by its reason.
    (email,) = emails_to(
        mail_folder, "ada.park@school.example", "The hall is set up for exams that week"
    )
    assert "Cy Diaz" in email and "turned down your request" in email


def test_admin_adds_a_blackout_over_bookings_and_cancels_them_with_one_reason(
    staff, page, server, school, mail_folder
):
    day = school["day"]
    sign_in(page, "Dee Okafor", "/admin/settings", role="admin")
    section = page.locator("#blackouts")
    section.get_by_label("First day").fill(day.isoformat())
    section.get_by_label("Reason", exact=True).first.fill("Exam week")
    section.get_by_role("button", name="Add blackout").click()

    covered = page.locator("#blackout-bookings")
    expect(covered.get_by_role("heading")).to_have_text(
        f"Bookings during Whole school, {day:%a %-d %b %Y} (Exam week)"
    )
    expect(covered.get_by_role("row")).to_have_count(4)  # the header and three bookings
    expect(covered).to_contain_text("Ben Ito")
    expect(covered).to_contain_text("Year 11 assembly")
    reason = covered.get_by_label("Reason")
    expect(reason).to_have_value("Exam week")
    reason.fill("Exam week: the rooms are exam halls")
    settled(page)
    shoot(page, "settings-blackout-bookings")
    assert_accessible(page)

    covered.get_by_role("button", name="Cancel these 3 bookings and tell their owners").click()

    expect(section.get_by_role("status")).to_have_text(
        f"Cancelled 3 bookings on the days of Whole school, {day:%a %-d %b %Y} (Exam week); "
        "their owners are told."
    )
    expect(page.locator("#blackout-bookings")).to_have_count(0)
    db.session.rollback()
    reasons = db.session.scalars(select(Reservation.cancel_reason)).all()
    assert reasons == ["Exam week: the rooms are exam halls"] * 3
    events = db.session.scalars(select(Event).where(Event.type == "reservation.cancelled")).all()
    assert {e.data["cancelled_by"]["name"] for e in events} == {"Dee Okafor"}
    assert len(events) == 3
    shoot(page, "settings-blackout-bookings-cancelled")
    assert_same_origin_and_quiet(page, server)
    told = emails_to(mail_folder, "ben.ito@school.example", "Exam week: the rooms are exam halls")
    assert len(told) == 1 and "Dee Okafor" in told[0]


def test_admin_cancels_a_booking_from_its_grid_cell(staff, page, server, school):
    day = school["day"]
    sign_in(page, "Dee Okafor", grid_path(day), role="admin")
    booked = f"Booked · Ben Ito, {cell_label('STEM Lab Alpha', 2)}. Cancel it"

    page.get_by_role("link", name=booked).click()

    panel = page.locator("#booking-panel")
    expect(panel.get_by_role("heading", name="Cancel Ben Ito’s booking")).to_be_focused()
    expect(panel).to_contain_text("Year 10 electrolysis")
    panel.get_by_label("Reason").fill("The lab is needed for a safety inspection")
    shoot(page, "grid-cancel-panel")
    assert_accessible(page)
    page.evaluate("window.stillTheSamePage = true")

    panel.get_by_role("button", name="Cancel this booking").click()

    expect(panel.get_by_role("status")).to_have_text(
        f"Cancelled Ben Ito’s booking of STEM Lab Alpha on {day:%a %-d %b}. "
        "Its periods are free again."
    )
    expect(free_cell(page, "STEM Lab Alpha", 2)).to_be_visible()
    assert page.evaluate("window.stillTheSamePage") is True
    shoot(page, "grid-cancelled")

    panel.get_by_role("link", name="See the reservation").click()
    expect(page.locator(".cancelled-note")).to_have_text(
        "Cancelled by Dee Okafor: The lab is needed for a safety inspection"
    )
    assert_same_origin_and_quiet(page, server)


def test_admin_opens_a_reservation_page_and_sees_its_cancel_form(staff, page, server, school):
    room = staff["room"]
    sign_in(page, "Dee Okafor", f"/reservations/{room.public_id}", role="admin")

    expect(page.get_by_role("heading", level=2)).to_have_text("Cancel Ada Park’s booking")
    hint = page.get_by_text("Optional. Shown on the booking, and to whoever booked it")
    expect(hint).to_be_visible()
    shoot(page, "reservation-admin")
    assert_accessible(page)
    assert_same_origin_and_quiet(page, server)
