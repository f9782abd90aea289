"""The accounts CSV import in Chromium: a file with a bad row shows the error table and writes
nothing; the corrected file shows a preview, and confirming it imports the accounts.
"""

import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from roomloop.extensions import db
from roomloop.models import Account

from .conftest import assert_same_origin_and_quiet, shoot, sign_in

pytestmark = pytest.mark.browser

HEADER = "email;Name;Department;Role\n"  # ; and mixed-case headers, as a spreadsheet may save
ROWS = [
    "ann.lee@school.example;Ann Lee;Maths;teacher",
    "bo.chan@school.example;Bo Chan;Art;approver",
    "cy.ng@school.example;Cy Ng;History;teacher",
]


@pytest.fixture
def admin(school, create_account):
    return create_account(role="admin", name="Dee Okafor")


def emails():
    db.session.rollback()  # read what the server committed
    return sorted(db.session.scalars(select(Account.email)))


def test_upload_with_errors_then_fixed_file_previews_and_confirm_imports(
    page, admin, server, tmp_path
):
    before = emails()
    sign_in(page, "Dee Okafor", "/admin/accounts", role="admin")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Accounts").click()
    page.get_by_role("link", name="Import CSV").click()
    expect(page.get_by_role("heading", name="Import accounts from a CSV file")).to_be_visible()

    bad = tmp_path / "staff.csv"
    bad.write_text(HEADER + "\n".join([ROWS[0], "bo.chan@;Bo Chan;Art;wizard", ROWS[2]]) + "\n")
    page.get_by_label("CSV file").set_input_files(bad)
    page.get_by_role("button", name="Check the file").click()
    errors = page.get_by_role("table", name=re.compile("Rows to correct"))
    expect(errors).to_be_visible()
    expect(errors.get_by_role("row")).to_have_count(3)  # the header, email and role of line 3
    expect(errors).to_contain_text("wizard")
    expect(page.get_by_role("alert")).to_contain_text("nothing was imported")
    expect(page.get_by_role("button", name="Confirm import")).to_have_count(0)
    shoot(page, "admin-accounts-import-errors")
    assert emails() == before

    good = tmp_path / "staff-fixed.csv"
    good.write_text(HEADER + "\n".join(ROWS) + "\n")
    page.get_by_label("CSV file").set_input_files(good)
    page.get_by_role("button", name="Check the file").click()
    expect(page.get_by_role("heading", name="Preview of staff-fixed.csv")).to_be_visible()
    expect(page.locator(".import-counts")).to_contain_text("3 to create")
    expect(page.get_by_role("row", name=re.compile("bo.chan@school.example"))).to_contain_text(
        "Create"
    )
    shoot(page, "admin-accounts-import-preview")
    assert emails() == before  # the preview wrote nothing

    page.get_by_role("button", name="Confirm import").click()
    expect(page.get_by_role("status").filter(has_text="Imported staff-fixed.csv")).to_contain_text(
        "3 created"
    )
    shoot(page, "admin-accounts-import-done")
    assert emails() == sorted([*before, *(row.split(";")[0] for row in ROWS)])

    page.get_by_role("link", name="See the accounts").click()
    page.wait_for_url("**/admin/accounts")  # and its load: the search runs as you type
    page.get_by_label("Search").fill("bo.chan")
    expect(page.locator("#accounts-list tbody tr")).to_have_count(1)
    expect(page.get_by_role("row", name=re.compile("Bo Chan"))).to_contain_text("Approver")
    assert_same_origin_and_quiet(page, server)


def test_import_works_without_javascript(open_page, admin, server, tmp_path):
    page = open_page(javascript=False)
    sign_in(page, "Dee Okafor", "/admin/accounts/import", role="admin")
    good = tmp_path / "staff.csv"
    good.write_text(HEADER + ROWS[0] + "\n")
    page.get_by_label("CSV file").set_input_files(good)
    page.get_by_role("button", name="Check the file").click()
    expect(page.locator(".import-counts")).to_contain_text("1 to create")
    page.get_by_role("button", name="Confirm import").click()
    expect(page.get_by_role("status").filter(has_text="Imported staff.csv")).to_contain_text(
        "1 created"
    )
    assert "ann.lee@school.example" in emails()
