"""The admin pages in Chromium: the approvals queue, settings the grid obeys, facilities.

Each test signs in with dev login on a live server, acts as a person does (buttons and fields
found by the names a screen reader reads) and asserts what the person sees, then what was
stored.
"""

import re

import pytest
from playwright.sync_api import expect

from roomloop.extensions import db
from roomloop.models import Event, Facility, Reservation
from roomloop.sqlite import writing

from .conftest import assert_same_origin_and_quiet, free_cell, grid_path, shoot, sign_in

pytestmark = pytest.mark.browser


@pytest.fixture
def staff(school, create_account, create_facility, create_reservation):
    """An approver, an admin, and Ada's pending request for the auditorium (periods 4-5)."""
    day = school["day"]
    hall = db.session.scalar(db.select(Facility).where(Facility.code == "auditorium"))
    pending = create_reservation(
        hall, school["ada"], day, start_slot=4, end_slot=5, status="pending",
        purpose="Year 11 assembly",
    )  # fmt: skip
    gym = create_facility(code="gym", name="Sports Hall", type="gym", requires_approval=True)
    stuck = create_reservation(
        gym, school["ben"], day, start_slot=6, status="pending", purpose="Badminton club"
    )
    with writing():  # as conftest.store(): the server under test writes meanwhile
        gym.status = "maintenance"  # since the request: confirming it must now be refused
        db.session.commit()
    return {
        "approver": create_account(role="approver", name="Cy Diaz"),
        "admin": create_account(role="admin", name="Dee Okafor"),
        "pending": pending,
        "stuck": stuck,
    }


def stored(model, row_id):
    db.session.rollback()  # read what the server committed
    return db.session.get(model, row_id)


def nav(page):
    return page.get_by_role("navigation", name="Main").get_by_role("link")


def test_approver_confirms_a_pending_request_from_the_queue(staff, page, server, school):
    """Confirm replaces the row with its outcome in place; a refused one says why, stays."""
    day, pending = school["day"], staff["pending"]
    sign_in(page, "Cy Diaz", "/admin/approvals", role="approver")
    expect(nav(page)).to_have_text(
        ["Book a room", "Find a room", "My reservations", "Approvals", "Reports"]
    )
    expect(page.get_by_text("2 requests waiting.")).to_be_visible()
    item = page.get_by_role("listitem").filter(has_text="Year 11 assembly")
    expect(item).to_contain_text(f"{day:%a %-d %b %Y} · periods 4–5 (12:00–13:50)")
    expect(item).to_contain_text("Ada Park")
    shoot(page, "admin-approvals")
    page.evaluate("window.stillTheSamePage = true")

    item.get_by_role("button", name=f"Confirm Ada Park’s request for Main Auditorium on "
                     f"{day:%a %-d %b}").click()  # fmt: skip
    done = page.locator(f"#approval-{pending.public_id}")
    expect(done.get_by_role("status")).to_have_text(
        "Confirmed: Ada Park has Main Auditorium as requested."
    )
    expect(done.get_by_role("status")).to_be_focused()
    expect(done.get_by_role("button")).to_have_count(0)
    expect(page.get_by_text("1 request waiting.")).to_be_visible()
    assert stored(Reservation, pending.id).status == "confirmed"
    assert db.session.scalar(db.select(Event).where(Event.type == "reservation.confirmed"))

    stuck = page.locator(f"#approval-{staff['stuck'].public_id}")
    stuck.get_by_role("button", name=re.compile("^Confirm")).click()
    expect(stuck.get_by_role("alert")).to_have_text(
        "The rules now refuse it: Sports Hall is under maintenance and cannot be booked."
    )
    expect(stuck.get_by_role("button", name=re.compile("^Reject"))).to_be_visible()
    assert stored(Reservation, staff["stuck"].id).status == "pending"
    assert page.evaluate("window.stillTheSamePage") is True
    shoot(page, "admin-approvals-decided")
    assert_same_origin_and_quiet(page, server)


def test_queue_works_without_javascript(staff, open_page, server, school):
    """Without JavaScript, Reject posts, and the page comes back without the row."""
    page = open_page(javascript=False)
    sign_in(page, "Cy Diaz", "/admin/approvals", role="approver")
    page.get_by_role("button", name=re.compile("^Reject Ada Park")).click()
    expect(page).to_have_url(server + "/admin/approvals")
    expect(page.locator("p.flash")).to_contain_text("Rejected: the periods are free again")
    expect(page.get_by_text("1 request waiting.")).to_be_visible()
    assert stored(Reservation, staff["pending"].id).status == "cancelled"


def test_admin_changes_a_rule_parameter_and_the_grid_obeys_it(staff, page, server, school):
    """R-04 at 2: a bad value is refused next to its field; then a 3-period booking is refused."""
    day = school["day"]
    sign_in(page, "Dee Okafor", "/admin/settings", role="admin")
    expect(nav(page)).to_have_text(
        [
            "Book a room",
            "Find a room",
            "My reservations",
            "Approvals",
            "Reports",
            "Facilities",
            "Accounts",
            "Settings",
            "API keys",
            "Webhooks",
        ]
    )
    shoot(page, "admin-settings")
    limit = page.get_by_label("Most periods in a row (R-04)")
    expect(limit).to_have_value("4")

    limit.fill("0")
    page.get_by_role("button", name="Save rule parameters").click()
    limit = page.get_by_label("Most periods in a row (R-04)")
    expect(limit).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#max_consecutive_slots-error")).to_have_text(
        "Enter a whole number from 1 to 12."
    )
    shoot(page, "admin-settings-refused")
    limit.fill("2")
    limit.press("Enter")  # the keyboard way to submit
    expect(page.locator("#rules").get_by_role("status")).to_have_text(
        "Rule parameters saved; bookings follow them from now on."
    )

    page.goto(grid_path(day))
    free_cell(page, "STEM Lab Alpha", 3).click()
    panel = page.locator("#booking-panel")
    panel.get_by_label("Until the end of period").select_option("5")
    panel.get_by_label("Purpose").fill("Double practical")
    panel.get_by_role("button", name="Book").click()
    expect(panel.get_by_role("alert")).to_contain_text(
        "STEM Lab Alpha can be booked for at most 2 periods in a row; this booking has 3."
    )
    panel.get_by_label("Until the end of period").select_option("4")
    panel.get_by_role("button", name="Book").click()
    expect(panel.get_by_role("status")).to_contain_text("Booked STEM Lab Alpha")
    assert_same_origin_and_quiet(page, server)


def test_admin_adds_a_blackout_and_edits_the_bell_schedule(staff, page, server, school):
    """A blackout shows in the list and the grid; a bell schedule with a bad time is refused."""
    day = school["day"]
    sign_in(page, "Dee Okafor", "/admin/settings", role="admin")
    section = page.locator("#blackouts")
    expect(section).to_contain_text("No blackout dates ahead")
    section.get_by_label("First day").fill(day.isoformat())
    section.get_by_label("Reason").fill("Sports day")
    section.get_by_role("button", name="Add blackout").click()
    expect(section.get_by_role("status")).to_contain_text(
        f"Added the blackout Whole school, {day:%a %-d %b %Y} (Sports day)."
    )
    expect(section.get_by_role("row").filter(has_text="Sports day")).to_be_visible()

    bell = page.locator("#bell")
    bell.get_by_label("Period 2 starts").fill("09:30")
    bell.get_by_role("button", name="Save bell schedule").click()
    expect(bell.locator("#p2-start-error")).to_have_text(
        "Must not be before period 1 ends (09:50)."
    )
    expect(bell.get_by_label("Period 2 starts")).to_have_value("09:30")  # as typed
    shoot(page, "admin-settings-bell-refused")

    page.goto(grid_path(day))
    # The grid's blackout cells say the blackout's reason.
    expect(page.get_by_role("cell", name=re.compile(r"^STEM Lab Alpha, period 3, .*blackout"))) \
        .to_have_text("Sports day")  # fmt: skip
    assert_same_origin_and_quiet(page, server)


def test_admin_adds_and_edits_a_facility(staff, page, server, school):
    """The form shows each refusal by its field and keeps what was typed; then it saves."""
    sign_in(page, "Dee Okafor", "/admin/facilities", role="admin")
    expect(page.get_by_role("row").filter(has_text="Main Auditorium")).to_contain_text(
        "Needs approval"
    )
    shoot(page, "admin-facilities")
    page.get_by_role("link", name="Add a facility").click()
    page.get_by_label("Id", exact=True).fill("Drama Studio")
    page.get_by_label("Name", exact=True).fill("Drama Studio")
    page.get_by_label("Type", exact=True).fill("studio")
    page.get_by_label("Seats", exact=True).fill("-3")
    page.get_by_label("Amenities").fill("lighting rig, sprung floor")
    page.get_by_label("Bookings wait for an approver to confirm them").check()
    page.get_by_role("button", name="Add facility").click()

    summary = page.get_by_role("alert")
    expect(summary).to_contain_text("Nothing was saved.")
    expect(page.locator("#id-error")).to_have_text("Use lower-case letters, digits, '-' or '_'.")
    expect(page.locator("#capacity-error")).to_have_text("Must be 0 or more.")
    expect(page.get_by_label("Amenities")).to_have_value("lighting rig, sprung floor")
    shoot(page, "admin-facility-refused")
    summary.get_by_role("link", name="Seats").click()
    expect(page.get_by_label("Seats", exact=True)).to_be_focused()

    page.get_by_label("Id", exact=True).fill("drama")
    page.get_by_label("Seats", exact=True).fill("60")
    page.get_by_role("button", name="Add facility").click()
    expect(page).to_have_url(server + "/admin/facilities")
    expect(page.locator("p.flash")).to_have_text("Added Drama Studio (drama).")

    page.get_by_role("link", name="Edit Drama Studio").click()
    page.get_by_label("Status", exact=True).select_option("closed")
    page.get_by_label("Teacher", exact=True).check()
    page.get_by_role("button", name="Save changes").click()
    row = page.get_by_role("row").filter(has_text="Drama Studio")
    expect(row).to_contain_text("Closed")
    expect(row).to_contain_text("teacher")
    shoot(page, "admin-facilities-saved")
    drama = stored(
        Facility, db.session.scalar(db.select(Facility.id).where(Facility.code == "drama"))
    )
    assert (drama.status, drama.capacity, drama.amenities) == (
        "closed", 60, ["lighting rig", "sprung floor"],
    )  # fmt: skip
    assert_same_origin_and_quiet(page, server)
