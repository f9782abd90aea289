"""The accounts admin pages through the test client: list, add, edit, export, CSV import.

Each test starts a fresh app with dev login, signs in as a person does and posts forms with
the CSRF token scraped from the page (helpers in ``page_client.py``, the school in
``test_admin_pages.py``).
"""

import io
import re

import pytest
from sqlalchemy import select
from test_admin_pages import count, school

from roomloop.extensions import db
from roomloop.models import Account, Event

from page_client import csrf_token, fresh, post_form, sign_in, signed_in_as, site, text

__all__ = ["school", "site"]  # fixtures of test_admin_pages.py and page_client.py

PAGES = ["/admin/accounts", "/admin/accounts/import", "/admin/accounts/export"]
HEADER = "email,name,department,role\n"
GOOD = (
    HEADER
    + "ann.lee@school.example,Ann Lee,Maths,teacher\nbo.chan@school.example,Bo Chan,Art,approver\n"
)
BAD = HEADER + "ann.lee@school.example,Ann Lee,Maths,teacher\nnot-an-email,Bo Chan,Art,wizard\n"


def emails():
    fresh()
    return sorted(db.session.scalars(select(Account.email)))


def upload(client, content, filename="staff.csv"):
    token = csrf_token(client.get("/admin/accounts/import").get_data(as_text=True))
    return client.post(
        "/admin/accounts/import",
        data={"csrf_token": token, "file": (io.BytesIO(content.encode()), filename)},
        content_type="multipart/form-data",
    )


def confirm(client, preview):
    html = preview.get_data(as_text=True)
    content = re.search(r'name="content"[^>]*value="([^"]+)"', html).group(1)
    return client.post(
        "/admin/accounts/import/confirm",
        data={"csrf_token": csrf_token(html), "content": content, "filename": "staff.csv"},
    )


def test_teacher_gets_403_on_every_accounts_page_and_no_nav_link(site, school):
    client = signed_in_as(site, school["teacher"])
    for path in [*PAGES, f"/admin/accounts/{school['admin'].public_id}/edit"]:
        response = client.get(path)
        assert response.status_code == 403, path
        assert "accounts:manage" in text(response)
    token = csrf_token(client.get("/login").get_data(as_text=True))
    for path in ["/admin/accounts", "/admin/accounts/import", "/admin/accounts/import/confirm"]:
        assert client.post(path, data={"csrf_token": token}).status_code == 403, path
    assert "Accounts" not in text(client.get("/"))
    admin = signed_in_as(site, school["admin"])
    assert 'href="/admin/accounts"' in admin.get("/").get_data(as_text=True)


def test_list_searches_filters_and_pages(site, school, create_account):
    for n in range(30):
        create_account(
            name=f"Staff {n:02d}", email=f"staff{n:02d}@school.example", department="Art"
        )
    client = signed_in_as(site, school["admin"])
    page = text(client.get("/admin/accounts"))
    assert "33 accounts" in page and "page 1 of 2" in page
    assert "Staff 24" not in page  # admin, approver, staff00..staff21 and teacher fill page 1
    assert "staff29@school.example" in text(client.get("/admin/accounts?page=2"))
    found = text(client.get("/admin/accounts?q=Ben"))
    assert "Ben Ito" in found and "Ada Park" not in found and "1 account match" in found
    art = text(client.get("/admin/accounts?department=Art&role=&status=active"))
    assert "30 accounts match" in art
    assert "No account matches" in text(client.get("/admin/accounts?q=nobody-at-all"))
    assert "filters were not understood" in text(client.get("/admin/accounts?role=wizard"))
    fragment = client.get(
        "/admin/accounts?q=Ada", headers={"HX-Request": "true", "HX-Target": "accounts-list"}
    )
    assert text(fragment).startswith('<div id="accounts-list"') and "Ada Park" in text(fragment)


def test_admin_adds_an_account_and_a_bad_email_saves_nothing(site, school):
    client = signed_in_as(site, school["admin"])
    before = emails()
    fields = {"email": "not-an-email", "name": "Dan Roe", "department": "Music", "role": "teacher"}
    refused = post_form(client, "/admin/accounts", "/admin/accounts", **fields)
    assert refused.status_code == 400
    assert "is not an email address" in text(refused)
    assert 'id="email-error"' in text(refused) and 'value="Dan Roe"' in text(refused)
    assert emails() == before
    empty_name = post_form(
        client,
        "/admin/accounts",
        "/admin/accounts",
        **{**fields, "email": "dan@school.example", "name": ""},
    )
    assert empty_name.status_code == 400 and "This cannot be empty." in text(empty_name)
    assert emails() == before
    added = post_form(
        client, "/admin/accounts", "/admin/accounts", **{**fields, "email": "Dan@School.example"}
    )
    assert added.status_code == 303
    assert "Added Dan Roe (dan@school.example)" in text(client.get(added.location))
    fresh()
    dan = db.session.scalar(select(Account).where(Account.email == "dan@school.example"))
    assert (dan.name, dan.department, dan.role, dan.status) == (
        "Dan Roe",
        "Music",
        "teacher",
        "active",
    )
    assert count(Event, Event.type == "account.created") == 1
    again = post_form(
        client, "/admin/accounts", "/admin/accounts", **{**fields, "email": "dan@school.example"}
    )
    assert again.status_code == 400 and "already exists" in text(again)


def test_admin_edits_an_account_and_refused_values_save_nothing(site, school):
    client = signed_in_as(site, school["admin"])
    ada = school["teacher"]
    path = f"/admin/accounts/{ada.public_id}/edit"
    form = text(client.get(path))
    assert 'value="Ada Park"' in form
    bad = post_form(
        client, path, path, name="", department="Maths", role="approver", status="active"
    )
    assert bad.status_code == 400 and "This cannot be empty." in text(bad)
    fresh()
    assert (db.session.get(Account, ada.id).name, db.session.get(Account, ada.id).role) == (
        "Ada Park",
        "teacher",
    )
    saved = post_form(
        client,
        path,
        path,
        name="Ada Park-Lee",
        department="Maths",
        role="approver",
        status="disabled",
    )
    assert saved.status_code == 303
    fresh()
    ada = db.session.get(Account, ada.id)
    assert (ada.name, ada.department, ada.role, ada.status) == (
        "Ada Park-Lee",
        "Maths",
        "approver",
        "disabled",
    )
    assert count(Event, Event.type == "account.disabled") == 1
    me = f"/admin/accounts/{school['admin'].public_id}/edit"
    own = post_form(
        client, me, me, name="Cy Diaz", department="Science", role="teacher", status="active"
    )
    assert own.status_code == 400 and "cannot change your own role" in text(own)
    fresh()
    assert db.session.get(Account, school["admin"].id).role == "admin"
    assert client.get("/admin/accounts/acc_nope/edit").status_code == 404


def test_upload_with_a_bad_row_lists_errors_and_writes_nothing(site, school):
    client = signed_in_as(site, school["admin"])
    before = emails()
    refused = upload(client, BAD)
    assert refused.status_code == 400
    page = text(refused)
    assert "nothing was imported" in page
    rows = re.findall(r"<tr><td>(\d+)</td><td>(\w+)</td><td>([^<]+)</td></tr>", page)
    assert {(line, field) for line, field, _ in rows} == {("3", "email"), ("3", "role")}
    assert 'name="content"' not in page  # no confirm step for a refused file
    assert emails() == before
    assert "Choose a CSV file" in text(
        post_form(client, "/admin/accounts/import", "/admin/accounts/import")
    )


def test_fixed_file_previews_then_confirm_imports(site, school):
    client = signed_in_as(site, school["admin"])
    before = emails()
    preview = upload(client, GOOD)
    assert preview.status_code == 200
    page = text(preview)
    assert "Preview of staff.csv" in page and "Confirm import" in page
    assert re.search(r"<strong>2</strong> to create", page)
    assert "ann.lee@school.example" in page
    assert emails() == before  # a dry run
    done = confirm(client, preview)
    assert done.status_code == 200
    assert re.search(r"<strong>2</strong> created", text(done))
    assert emails() == sorted([*before, "ann.lee@school.example", "bo.chan@school.example"])
    changed = upload(client, GOOD.replace("Ann Lee", "Ann Lee-Smith"))
    assert re.search(r"<strong>1</strong> to update", text(changed)) and "Update: name" in text(
        changed
    )
    assert re.search(r"<strong>1</strong> updated", text(confirm(client, changed)))
    tampered = client.post(
        "/admin/accounts/import/confirm",
        data={"csrf_token": csrf_token(page), "content": "not base64!"},
    )
    assert tampered.status_code == 400 and "upload it again" in text(tampered)


def test_export_downloads_csv_that_uploads_back_unchanged(site, school):
    client = signed_in_as(site, school["admin"])
    response = client.get("/admin/accounts/export")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    body = response.get_data(as_text=True)
    assert body.startswith("\ufeffemail,name,department,role,id,status,created_at")
    assert "Ada Park" in body and "Cy Diaz" in body
    back = text(upload(client, body.lstrip("\ufeff")))
    assert re.search(r"<strong>0</strong> to create", back)
    assert re.search(r"<strong>0</strong> to update", back)


@pytest.mark.parametrize("limit", [50])
def test_too_large_upload_is_refused(site, school, limit):
    client = site(ACCOUNT_IMPORT_MAX_BYTES=limit)
    sign_in(client, school["admin"])
    refused = upload(client, GOOD)
    assert refused.status_code == 413 and "larger than 50 bytes" in text(refused)


def test_htmx_answers_refusals_with_200_fragments(site, school):
    """htmx swaps only 2xx answers: refused forms come back 200 for it, and nothing is saved."""
    client = signed_in_as(site, school["admin"])
    before = emails()
    hx = {"HX-Request": "true"}
    form = post_form(
        client, "/admin/accounts", "/admin/accounts", email="x", name="X", role="teacher", _h=hx
    )
    assert form.status_code == 200
    assert text(form).lstrip().startswith('<form id="account-create-form"')
    assert "is not an email address" in text(form)
    token = csrf_token(client.get("/admin/accounts/import").get_data(as_text=True))
    refused = client.post(
        "/admin/accounts/import",
        data={"csrf_token": token, "file": (io.BytesIO(BAD.encode()), "staff.csv")},
        content_type="multipart/form-data",
        headers=hx,
    )
    assert refused.status_code == 200 and 'id="import-step"' in text(refused)
    assert "Rows to correct" in text(refused)
    assert emails() == before
