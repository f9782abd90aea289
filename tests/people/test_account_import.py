"""CSV upload (``POST /v1/accounts/bulk``) and export (``GET /v1/accounts/export``).

Uploads go through the test client as multipart forms, as a browser or ``curl -F`` sends
them; every refusal is checked against the accounts table itself, which must not change.
"""

import csv
import io
from datetime import UTC, datetime

import pytest
import requests
from sqlalchemy import select

from roomloop.auth.tokens import create_api_key
from roomloop.extensions import db
from roomloop.models import ApiToken, Event

from conftest import account_events as events
from conftest import accounts_table, post_csv

HEADER = "email,name,department,role\n"
GOOD = (
    HEADER + "ada@school.example,Ada Park,Science,teacher\n"
    "ben@school.example,Ben Ito,Mathematics,approver\n"
    "cy@school.example,Cy Diaz,,teacher\n"
)


def upload(client, headers, content, dry_run=False):
    return post_csv(client, "/v1/accounts/bulk", headers, content, dry_run, "accounts.csv")


def counts(response):
    assert response.status_code == 200, response.get_data(as_text=True)
    body = response.get_json()
    return body["created"], body["updated"], body["unchanged"]


def refusal(response):
    """Check a 400 validation_error; return its ``error`` object."""
    assert response.status_code == 400, response.get_data(as_text=True)
    error = response.get_json()["error"]
    assert error["code"] == "validation_error"
    assert error["message"]
    return error


@pytest.fixture
def admin(create_account):
    return create_account(role="admin", name="Root Admin", email="root@school.example")


@pytest.fixture
def headers(admin, auth_headers):
    return auth_headers(admin)


# --- The acceptance of the issue ---------------------------------------------------------


def test_a_bad_row_among_good_ones_refuses_the_whole_file(client, headers):
    """Every bad row is listed by line, field and message, and no account is written."""
    before = accounts_table()
    content = (
        HEADER + "ada@school.example,Ada Park,Science,teacher\n"
        "not-an-email,Bad Email,Science,teacher\n"
        "ben@school.example,Ben Ito,Mathematics,approver\n"
        "dan@school.example,,Arts,wizard\n"
        "cy@school.example,Cy Diaz,,teacher\n"
    )

    error = refusal(upload(client, headers, content))

    assert error["rows"] == [
        {"line": 3, "field": "email", "message": "'not-an-email' is not an email address."},
        {"line": 5, "field": "name", "message": "A name is required."},
        {
            "line": 5,
            "field": "role",
            "message": "Unknown role 'wizard'; use teacher, approver, admin.",
        },
    ]
    assert "2 rows have errors" in error["message"]
    assert "file" in error["fields"]
    assert accounts_table() == before
    assert events() == []


def test_fixed_file_creates_then_is_unchanged_then_one_name_updates(client, headers):
    """The fixed file creates; again, all unchanged; a changed name is one update and event."""
    assert counts(upload(client, headers, GOOD)) == (3, 0, 0)
    assert sorted(events()) == [
        ("account.created", f"{name}@school.example") for name in ("ada", "ben", "cy")
    ]
    assert ("ben@school.example", "Ben Ito", "Mathematics", "approver", "active") in (
        accounts_table()
    )

    assert counts(upload(client, headers, GOOD)) == (0, 0, 3)
    assert len(events()) == 3  # none for unchanged rows

    renamed = GOOD.replace("Ben Ito,", "Benjamin Ito,")
    assert counts(upload(client, headers, renamed)) == (0, 1, 2)
    assert events()[3:] == [("account.updated", "ben@school.example")]
    assert ("ben@school.example", "Benjamin Ito", "Mathematics", "approver", "active") in (
        accounts_table()
    )


def test_export_then_upload_changes_nothing(client, headers, create_account):
    """The export is streamed CSV with the import's columns; uploaded back, nothing changes."""
    upload(client, headers, GOOD)
    create_account(name="Old Timer", email="old@school.example", status="disabled")
    before = accounts_table()

    export = client.get("/v1/accounts/export", headers=headers)

    assert export.status_code == 200
    assert export.is_streamed
    assert export.mimetype == "text/csv"
    assert export.headers["Content-Disposition"] == (
        f'attachment; filename="roomloop-accounts-{datetime.now(UTC).date()}.csv"'  # TIMEZONE=UTC
    )
    text = export.get_data().decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert list(rows[0]) == ["email", "name", "department", "role", "id", "status", "created_at"]
    assert [r["email"] for r in rows] == sorted(r[0] for r in before)
    assert {r["email"]: r["status"] for r in rows}["old@school.example"] == "disabled"

    assert counts(upload(client, headers, export.get_data())) == (0, 0, len(before))
    assert accounts_table() == before


def test_formula_cells_are_neutralised_in_the_export_and_round_trip(client, headers):
    """Cells a spreadsheet would run get a leading apostrophe; the upload strips exactly it."""
    names = ["=SUM(A1:A3)", "+44 Lee", "-Dash", "@Home", "'=Quoted", "O'Brien"]
    content = HEADER + "".join(
        f'u{n}@school.example,"{name}",=HYPERLINK(x),teacher\n' for n, name in enumerate(names)
    )
    # A file written by hand is read the same way: '=Quoted is the text =Quoted.
    assert counts(upload(client, headers, content.replace("'=Quoted", "''=Quoted"))) == (6, 0, 0)
    before = accounts_table()
    assert {r[1] for r in before} >= set(names)

    export = client.get("/v1/accounts/export", headers=headers).get_data()

    rows = {r["email"]: r for r in csv.DictReader(io.StringIO(export.decode("utf-8-sig")))}
    exported = [rows[f"u{n}@school.example"]["name"] for n in range(len(names))]
    assert exported == ["'=SUM(A1:A3)", "'+44 Lee", "'-Dash", "'@Home", "''=Quoted", "O'Brien"]
    assert rows["u0@school.example"]["department"] == "'=HYPERLINK(x)"
    assert counts(upload(client, headers, export)) == (0, 0, 7)
    assert accounts_table() == before


def test_dry_run_reports_and_writes_nothing(client, headers):
    """?dry_run=true counts what would happen without writing an account or an event."""
    before = accounts_table()

    response = upload(client, headers, GOOD, dry_run=True)

    assert response.get_json() == {"created": 3, "updated": 0, "unchanged": 0, "dry_run": True}
    assert accounts_table() == before
    assert events() == []
    refusal(upload(client, headers, GOOD + "bad,,,\n", dry_run=True))  # errors all the same


# --- What Excel and people write ---------------------------------------------------------


def test_excel_file_with_bom_and_semicolons(client, headers):
    """Excel's "CSV UTF-8" with a byte order mark and ';' (as in many European locales)."""
    content = (
        "\ufeffemail;name;department;role\r\n"
        "zoe@school.example;Zoë Müller;Sciences, Arts;teacher\r\n"
    )

    assert counts(upload(client, headers, content.encode("utf-8"))) == (1, 0, 0)
    assert ("zoe@school.example", "Zoë Müller", "Sciences, Arts", "teacher", "active") in (
        accounts_table()
    )


def test_header_names_are_matched_loosely_and_extra_columns_ignored(client, headers):
    """Any case, surrounding spaces, any order; values trimmed; roles in any case."""
    content = (
        " Role , EMAIL,Notes, Department ,Name\n"
        "Teacher ,  Ada@School.Example ,likes labs, Science , Ada Park \n"
        '"approver","ben@school.example","","Maths, Stats","Ito, Ben"\n'
        ",,,,\n"  # a blank row, as spreadsheets leave them
    )

    assert counts(upload(client, headers, content)) == (2, 0, 0)
    table = accounts_table()
    assert ("ada@school.example", "Ada Park", "Science", "teacher", "active") in table
    assert ("ben@school.example", "Ito, Ben", "Maths, Stats", "approver", "active") in table


def test_status_column_disables_and_revokes_keys(client, headers, create_account):
    """A status column is honoured: disabled writes account.disabled and revokes the keys;
    a blank status keeps the account's own."""
    ada = create_account(name="Ada Park", email="ada@school.example", department="Science")
    ben = create_account(name="Ben Ito", email="ben@school.example", department="Science")
    _, ada_key = create_api_key(ada)
    _, ben_key = create_api_key(ben)
    content = (
        "email,name,department,role,status\n"
        "ada@school.example,Ada Park,Science,teacher,disabled\n"
        "ben@school.example,Ben Ito,Science,teacher,\n"
    )

    assert counts(upload(client, headers, content)) == (0, 1, 1)

    assert events() == [("account.disabled", "ada@school.example")]
    assert (
        client.get("/v1/facilities", headers={"Authorization": f"Bearer {ada_key}"}).status_code
        == 401
    )
    assert (
        client.get("/v1/facilities", headers={"Authorization": f"Bearer {ben_key}"}).status_code
        == 200
    )
    assert db.session.scalar(select(ApiToken.revoked_at).where(ApiToken.account_id == ada.id))


def test_each_change_writes_its_event_and_unchanged_rows_none(client, headers, create_account):
    create_account(name="Same Person", email="same@school.example", department="Arts")
    create_account(name="Old Name", email="moved@school.example", department="Arts")
    create_account(name="Leaving Soon", email="leaving@school.example", department="Arts")
    content = (
        "email,name,department,role,status\n"
        "same@school.example,Same Person,Arts,teacher,active\n"
        "moved@school.example,New Name,Arts,teacher,active\n"
        "leaving@school.example,Leaving Soon,Arts,teacher,disabled\n"
        "new@school.example,New Person,Arts,teacher,\n"
    )

    assert counts(upload(client, headers, content)) == (1, 2, 1)
    assert sorted(events()) == [
        ("account.created", "new@school.example"),
        ("account.disabled", "leaving@school.example"),
        ("account.updated", "moved@school.example"),
    ]


def test_import_events_are_outbox_events_carrying_the_account(client, headers):
    """Each event is an ordinary outbox row: an evt_ id, a time, and the account as the API
    shows it (the same shape a webhook receiver gets for a single change)."""
    upload(client, headers, GOOD)
    listed = client.get("/v1/accounts", headers=headers).get_json()["data"]

    db.session.rollback()
    stored = db.session.scalars(select(Event).order_by(Event.id)).all()

    assert sorted((e.data for e in stored), key=lambda d: d["email"]) == [
        a for a in listed if a["email"] != "root@school.example"
    ]
    assert all(e.public_id.startswith("evt_") and e.created_at for e in stored)
    assert len({e.public_id for e in stored}) == 3


def test_an_admin_cannot_disable_or_demote_themselves_by_file(client, headers):
    before = accounts_table()
    content = (
        "email,name,department,role,status\n"
        "new@school.example,New Person,Arts,teacher,\n"
        "root@school.example,Root Admin,,teacher,disabled\n"
    )

    error = refusal(upload(client, headers, content))

    assert {(r["line"], r["field"]) for r in error["rows"]} == {(3, "status"), (3, "role")}
    assert accounts_table() == before


# --- Refusals ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("row", "field", "message"),
    [
        ("ada@school.example,Ada,Science,teacher", "email", "is also on line 2"),
        ("ADA@School.example,Ada,Science,teacher", "email", "is also on line 2"),
        ("x@school.example,X," + "d" * 81 + ",teacher", "department", "At most 80"),
        ("x@school.example," + "n" * 121 + ",,teacher", "name", "At most 120"),
        ("x@school.example,X,,", "role", "A role is required"),
        ("x@school.example,X,,head", "role", "Unknown role 'head'"),
        ("x@school.example,X\x01,,teacher", "name", "control characters"),
        ("x@school.example,Park, Ada,Science,teacher", None, "5 cells but the header has 4"),
        (",X,,teacher", "email", "An email address is required."),
        ("<svg/onload=alert(1)>@school.example,X,,teacher", "email", "is not an email address"),
        ('"x@y.z,admin",X,,teacher', "email", "is not an email address"),
    ],
)
def test_row_errors(client, headers, row, field, message):
    content = HEADER + "ada@school.example,Ada Park,Science,teacher\n" + row + "\n"

    error = refusal(upload(client, headers, content))

    assert [(r["line"], r["field"]) for r in error["rows"]] == [(3, field)]
    assert message in error["rows"][0]["message"]
    assert accounts_table() == [("root@school.example", "Root Admin", "Science", "admin", "active")]


def test_line_numbers_are_the_spreadsheet_rows(client, headers):
    """A cell spanning two lines and a blank row count as a spreadsheet shows them."""
    content = (
        HEADER + 'ada@school.example,Ada Park,"Science\nand Labs",teacher\n'
        "\n"
        "bad@,Bad,Science,teacher\n"
    )
    error = refusal(upload(client, headers, content))
    assert [r["line"] for r in error["rows"]] == [4]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "empty"),
        (b"\xef\xbb\xbf \r\n", "empty"),
        (HEADER.encode(), "no accounts"),
        (b"email,name,role\nx@school.example,X,teacher\n", "lacks the column department"),
        (b"mail;nom\n", "lacks the columns email, name, department, role"),
        (b"email,name,department,role,Email\n", "email more than once"),
        (HEADER.encode() + "jos\xe9@school.example,Jos\xe9,,teacher\n".encode("latin-1"), "UTF-8"),
        (b"\x89PNG\r\n\x1a\n\x00\x00", "UTF-8"),
    ],
)
def test_files_that_cannot_be_read_are_refused_clearly(client, headers, content, message):
    before = accounts_table()
    error = refusal(upload(client, headers, content))
    assert message in error["fields"]["file"]
    assert accounts_table() == before


def test_more_than_50000_rows_is_refused(client, headers):
    rows = "".join(f"t{n}@school.example,T {n},,teacher\n" for n in range(50_001))
    error = refusal(upload(client, headers, HEADER + rows, dry_run=True))
    assert "more than 50,000" in error["fields"]["file"]


def test_50000_rows_are_within_the_limit(client, headers):
    rows = "".join(f"t{n}@school.example,T {n},,teacher\n" for n in range(50_000))
    assert counts(upload(client, headers, HEADER + rows, dry_run=True)) == (50_000, 0, 0)


def test_missing_file_is_400_naming_file(client, headers):
    response = client.post("/v1/accounts/bulk", data={"other": "x"}, headers=headers)
    assert "file" in refusal(response)["fields"]


def test_file_over_the_size_limit_is_413(app, client, headers):
    app.config["ACCOUNT_IMPORT_MAX_BYTES"] = len(GOOD) - 1
    before = accounts_table()

    response = upload(client, headers, GOOD)

    assert response.status_code == 413
    error = response.get_json()["error"]
    assert error["code"] == "payload_too_large"
    assert f"{len(GOOD) - 1:,} bytes" in error["message"]
    assert accounts_table() == before
    app.config["ACCOUNT_IMPORT_MAX_BYTES"] = len(GOOD)
    assert counts(upload(client, headers, GOOD)) == (3, 0, 0)


def test_dry_run_must_be_a_boolean(client, headers):
    response = client.post("/v1/accounts/bulk?dry_run=perhaps", headers=headers)
    assert "dry_run" in refusal(response)["fields"]


# --- Over real HTTP ---------------------------------------------------------------------


@pytest.mark.server
def test_upload_and_export_over_http(start_server, admin):
    """Under gunicorn: a multipart upload as curl -F sends it, then the streamed export."""
    _, key = create_api_key(admin)
    url = start_server(workers=1, threads=2)
    auth = {"Authorization": f"Bearer {key}"}

    uploaded = requests.post(
        f"{url}/v1/accounts/bulk", files={"file": ("a.csv", GOOD)}, headers=auth, timeout=30
    )
    export = requests.get(f"{url}/v1/accounts/export", headers=auth, timeout=30, stream=True)

    assert uploaded.json() == {"created": 3, "updated": 0, "unchanged": 0, "dry_run": False}
    assert export.headers["Transfer-Encoding"] == "chunked"  # streamed, not built in memory
    lines = export.content.decode("utf-8-sig").splitlines()
    assert lines[0] == "email,name,department,role,id,status,created_at"
    assert len(lines) == 5
