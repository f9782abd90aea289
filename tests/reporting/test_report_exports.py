"""``/v1/reports/export.csv`` and ``.xlsx``: one row per reservation of a range, the same rows
in both formats, formula-looking text kept as text, the sheet's row limit, and a large CSV
streamed over real HTTP.
"""

import csv
import io
from datetime import date, datetime, timedelta

import pytest
import requests
from openpyxl import load_workbook
from sqlalchemy import insert, select
from werkzeug.http import parse_options_header

from roomloop.booking.settings import DEFAULT_BELL_SCHEDULE, set_setting
from roomloop.extensions import db
from roomloop.models import Account, Facility, Reservation
from roomloop.reporting import exports as report_exports

from conftest import assert_error

CSV_URL = "/v1/reports/export.csv"
XLSX_URL = "/v1/reports/export.xlsx"
XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
WEEK = {"from": "2027-03-01", "to": "2027-03-07"}
MON, TUE = date(2027, 3, 1), date(2027, 3, 2)
COLUMNS = [
    "id",
    "facility_id",
    "facility",
    "building",
    "user_id",
    "user",
    "email",
    "department",
    "date",
    "start_slot",
    "end_slot",
    "start_time",
    "end_time",
    "status",
    "purpose",
    "attendees",
    "created_at",
    "updated_at",
    "cancel_reason",
    "checked_in_at",
]
TEXT_COLUMNS = ("facility", "building", "user", "email", "department", "purpose")


@pytest.fixture
def week(freeze, create_account, create_facility, create_reservation, auth_headers):
    """Four reservations of the week of 1 March 2027 in two facilities, one cancelled, one
    changed a day after it was made, and two outside the week."""
    freeze(2027, 2, 15, 9, 0)
    lab = create_facility(code="lab-a", name="Lab A", building="North")
    gym = create_facility(code="gym", name="Gym", building="South")
    ada = create_account(name="Ada Park", email="ada@school.example", department="Science")
    eve = create_account(name="Eve Stone", email="eve@school.example", department="Maths")
    basketball = create_reservation(gym, eve, TUE, 6, 7, purpose="Basketball")
    titration = create_reservation(lab, ada, MON, 3, 4, purpose="Titration")
    create_reservation(lab, ada, date(2027, 2, 28), 1, purpose="Before")
    create_reservation(lab, ada, date(2027, 3, 8), 1, purpose="After")
    freeze(2027, 2, 16, 10, 30)
    titration.attendees = 24
    db.session.commit()
    dissection = create_reservation(lab, eve, TUE, 6, 6, status="cancelled", purpose="Dissection")
    briefing = create_reservation(lab, ada, MON, 1, status="pending", purpose='Safety, "basics"')
    return {
        "headers": auth_headers(create_account(role="approver")),
        "ada": ada,
        "eve": eve,
        # by date, then first slot, then the order they were made
        "order": [briefing, titration, basketball, dissection],
    }


def download(client, url, headers, **query):
    response = client.get(url, query_string={**WEEK, **query}, headers=headers)
    data = response.get_data()
    response.close()
    assert response.status_code == 200, data[:500]
    return response, data


def csv_rows(data):
    """The CSV's rows as lists of text, after its byte order mark."""
    assert data.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(data[3:].decode("utf-8"), newline="")))


def sheet_of(data):
    workbook = load_workbook(io.BytesIO(data))
    assert workbook.sheetnames == ["Reservations"]
    return workbook["Reservations"]


def sheet_rows(data):
    return [list(row) for row in sheet_of(data).iter_rows(values_only=True)]


def as_csv_text(column, value):
    """A sheet's cell written the way the CSV writes it."""
    if value is None:
        return ""
    if column == "date":
        return value.date().isoformat()
    if isinstance(value, datetime):
        return value.isoformat() + "Z"
    return str(value)


def filename(response):
    disposition, options = parse_options_header(response.headers["Content-Disposition"])
    assert disposition == "attachment"
    return options["filename"]


# --- Rows ---------------------------------------------------------------------------------


def test_csv_has_one_row_per_reservation_in_the_range(client, week):
    """The CSV lists the week's four reservations, the cancelled one included, in full."""
    response, data = download(client, CSV_URL, week["headers"])

    assert response.mimetype == "text/csv"
    assert response.headers["Cache-Control"] == "no-store"
    assert filename(response) == "roomloop-reservations-2027-03-01-to-2027-03-07.csv"
    rows = csv_rows(data)
    assert rows[0] == COLUMNS
    assert [row[0] for row in rows[1:]] == [r.public_id for r in week["order"]]
    ada, eve = week["ada"].public_id, week["eve"].public_id
    common = ["ada@school.example", "Science"]
    assert rows[1:] == [
        [week["order"][0].public_id, "lab-a", "Lab A", "North", ada, "Ada Park", *common,
         "2027-03-01", "1", "1", "09:00", "09:50", "pending", 'Safety, "basics"', "",
         "2027-02-16T10:30:00Z", "2027-02-16T10:30:00Z", "", ""],
        [week["order"][1].public_id, "lab-a", "Lab A", "North", ada, "Ada Park", *common,
         "2027-03-01", "3", "4", "11:00", "12:50", "confirmed", "Titration", "24",
         "2027-02-15T09:00:00Z", "2027-02-16T10:30:00Z", "", ""],
        [week["order"][2].public_id, "gym", "Gym", "South", eve, "Eve Stone",
         "eve@school.example", "Maths", "2027-03-02", "6", "7", "14:00", "15:50", "confirmed",
         "Basketball", "", "2027-02-15T09:00:00Z", "2027-02-15T09:00:00Z", "", ""],
        [week["order"][3].public_id, "lab-a", "Lab A", "North", eve, "Eve Stone",
         "eve@school.example", "Maths", "2027-03-02", "6", "6", "14:00", "14:50", "cancelled",
         "Dissection", "", "2027-02-16T10:30:00Z", "2027-02-16T10:30:00Z", "", ""],
    ]  # fmt: skip


def test_xlsx_has_the_same_rows_as_the_csv(client, week):
    """The workbook holds the CSV's rows in the same order, with dates and numbers typed."""
    _, csv_data = download(client, CSV_URL, week["headers"])
    response, xlsx_data = download(client, XLSX_URL, week["headers"])

    assert response.mimetype == XLSX_MIMETYPE
    assert response.headers["Cache-Control"] == "no-store"
    assert filename(response) == "roomloop-reservations-2027-03-01-to-2027-03-07.xlsx"
    rows = sheet_rows(xlsx_data)
    assert rows[0] == [f"{c} (UTC)" if c.endswith("_at") else c for c in COLUMNS]
    assert rows[0][-4:] == [
        "created_at (UTC)",
        "updated_at (UTC)",
        "cancel_reason",
        "checked_in_at (UTC)",
    ]
    as_text = [[as_csv_text(c, v) for c, v in zip(COLUMNS, row, strict=True)] for row in rows[1:]]
    assert as_text == csv_rows(csv_data)[1:]
    titration = dict(zip(COLUMNS, rows[2], strict=True))
    assert titration["date"] == datetime(2027, 3, 1)
    assert (titration["start_slot"], titration["end_slot"], titration["attendees"]) == (3, 4, 24)
    assert titration["created_at"] == datetime(2027, 2, 15, 9, 0)
    assert titration["updated_at"] == datetime(2027, 2, 16, 10, 30)


def test_xlsx_header_stays_in_view_and_filters(client, week):
    """The header row is bold, frozen, and carries an autofilter over every row."""
    _, data = download(client, XLSX_URL, week["headers"])

    sheet = sheet_of(data)
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref == "A1:T5"
    assert all(cell.font.bold for cell in sheet[1])


@pytest.mark.parametrize("url", [CSV_URL, XLSX_URL])
def test_exports_follow_the_filters(client, week, url):
    """facility_id, user_id and department narrow the rows; a facility is named in the file."""
    headers, order = week["headers"], week["order"]

    def ids(**query):
        response, data = download(client, url, headers, **query)
        rows = csv_rows(data) if url == CSV_URL else sheet_rows(data)
        return response, [row[0] for row in rows[1:]]

    response, lab = ids(facility_id="lab-a")
    assert lab == [order[0].public_id, order[1].public_id, order[3].public_id]
    extension = url.rsplit(".", 1)[1]
    assert filename(response) == f"roomloop-reservations-lab-a-2027-03-01-to-2027-03-07.{extension}"
    _, eves = ids(user_id=week["eve"].public_id)
    assert eves == [order[2].public_id, order[3].public_id]
    _, science = ids(department="Science")
    assert science == [order[0].public_id, order[1].public_id]
    _, nobody = ids(facility_id="gym", department="Science")
    assert nobody == []
    _, monday = ids(**{"from": "2027-03-01", "to": "2027-03-01"})
    assert monday == [order[0].public_id, order[1].public_id]


def test_a_period_the_day_no_longer_has_is_exported_without_its_time(client, week):
    """After the day is cut to six periods, a booking of periods 6-7 ends at no known time."""
    set_setting("bell_schedule", DEFAULT_BELL_SCHEDULE[:6])
    db.session.commit()

    _, csv_data = download(client, CSV_URL, week["headers"])
    _, xlsx_data = download(client, XLSX_URL, week["headers"])

    basketball = dict(zip(COLUMNS, csv_rows(csv_data)[3], strict=True))
    assert (basketball["purpose"], basketball["start_slot"], basketball["end_slot"]) == (
        "Basketball",
        "6",
        "7",
    )
    assert (basketball["start_time"], basketball["end_time"]) == ("14:00", "")
    assert dict(zip(COLUMNS, sheet_rows(xlsx_data)[3], strict=True))["end_time"] is None


# --- Formula injection --------------------------------------------------------------------

RISKY = ["=1+1", "+SUM(A1)", "-2", "@cmd", "'=x", "\t=1+1"]


@pytest.fixture
def risky(freeze, create_account, create_facility, create_reservation, auth_headers):
    """Reservations whose purposes, and whose facility and account, look like formulas."""
    freeze(2027, 2, 15, 9, 0)
    facility = create_facility(code="f1", name="=Lab", building="-North")
    account = create_account(name="@Ada", email="ada@school.example", department="+Science")
    for slot, purpose in enumerate([*RISKY, "a-b", "Plain"], start=1):
        create_reservation(facility, account, MON, slot, purpose=purpose)
    return auth_headers(create_account(role="admin"))


def test_csv_puts_an_apostrophe_before_formula_looking_text(client, risky):
    """In the CSV each formula-looking cell starts with an apostrophe; other text is as typed."""
    _, data = download(client, CSV_URL, risky)

    rows = [dict(zip(COLUMNS, row, strict=True)) for row in csv_rows(data)[1:]]
    assert [row["purpose"] for row in rows] == [
        "'=1+1", "'+SUM(A1)", "'-2", "'@cmd", "''=x", "'\t=1+1", "a-b", "Plain",
    ]  # fmt: skip
    for row in rows:
        assert (row["facility"], row["building"], row["user"], row["department"]) == (
            "'=Lab",
            "'-North",
            "'@Ada",
            "'+Science",
        )
        assert row["email"] == "ada@school.example"
        assert row["facility_id"] == "f1"


def test_xlsx_keeps_formula_looking_text_as_text(client, risky):
    """In the workbook those cells are text holding exactly what was typed, never formulas."""
    _, data = download(client, XLSX_URL, risky)

    sheet = sheet_of(data)
    at = {name: index for index, name in enumerate(COLUMNS)}
    purposes = []
    for cells in sheet.iter_rows(min_row=2):
        for name in TEXT_COLUMNS:
            assert cells[at[name]].data_type == "s", (name, cells[at[name]].value)
        purposes.append(cells[at["purpose"]].value)
        assert [cells[at[name]].value for name in ("facility", "building", "user")] == [
            "=Lab",
            "-North",
            "@Ada",
        ]
        assert cells[at["department"]].value == "+Science"
    assert purposes == [*RISKY, "a-b", "Plain"]


def test_xlsx_drops_control_characters_a_sheet_cannot_hold(client, risky, create_reservation):
    """A purpose of control characters alone (stored before they were refused) is an empty cell."""
    facility = db.session.scalars(select(Facility)).one()
    account = db.session.scalars(select(Account).where(Account.name == "@Ada")).one()
    create_reservation(facility, account, TUE, 1, purpose="\x07")

    response, data = download(client, XLSX_URL, risky)

    assert response.status_code == 200
    at = COLUMNS.index("purpose")
    assert [cells[at].value for cells in sheet_of(data).iter_rows(min_row=2)][-1] in (None, "")


# --- The sheet's row limit ----------------------------------------------------------------


def test_xlsx_refuses_more_rows_than_a_sheet_holds(client, week, monkeypatch):
    """Past the sheet's row limit the workbook is refused with advice; the CSV still works."""
    monkeypatch.setattr(report_exports, "XLSX_MAX_ROWS", 4)
    _, data = download(client, XLSX_URL, week["headers"])
    assert len(sheet_rows(data)) == 1 + 4

    monkeypatch.setattr(report_exports, "XLSX_MAX_ROWS", 3)
    response = client.get(XLSX_URL, query_string=WEEK, headers=week["headers"])

    error = assert_error(response, 400, "validation_error")
    assert set(error["fields"]) == {"to"}
    advice = error["fields"]["to"]
    assert "shorter range" in advice
    assert "CSV" in advice
    _, data = download(client, CSV_URL, week["headers"])
    assert len(csv_rows(data)) == 1 + 4


# --- Streaming over HTTP ------------------------------------------------------------------

MANY = 5_000


def insert_lessons(facility, account, first, count):
    """Store ``count`` confirmed one-period lessons in ``facility``, spread over the 200 days
    from ``first``, in one statement: enough rows for a download to stream."""
    db.session.execute(
        insert(Reservation),
        [
            {
                "public_id": f"res_{n:010x}",
                "facility_id": facility.id,
                "account_id": account.id,
                "date": first + timedelta(days=n % 200),
                "start_slot": n % 8 + 1,
                "end_slot": n % 8 + 1,
                "purpose": f"Lesson {n}",
                "status": "confirmed",
                "rules": {},
            }
            for n in range(count)
        ],
    )
    db.session.commit()


@pytest.mark.server
def test_a_large_csv_streams_every_row_over_http(
    start_server, create_account, create_facility, auth_headers
):
    """Under gunicorn, 5,000 reservations arrive in chunks, each exactly once, in date order."""
    facility = create_facility(code="f1")
    account = create_account()
    first = date(2027, 1, 4)
    insert_lessons(facility, account, first, MANY)
    headers = auth_headers(create_account(role="approver"))
    url = start_server(workers=1, threads=2) + CSV_URL
    query = {"from": str(first), "to": str(first + timedelta(days=199))}

    with requests.get(url, params=query, headers=headers, stream=True, timeout=30) as response:
        assert response.status_code == 200
        assert response.headers["Transfer-Encoding"] == "chunked"
        assert "Content-Length" not in response.headers
        chunks = list(response.iter_content(chunk_size=None))

    assert len(chunks) > 1  # sent while it was written, not built first
    rows = csv_rows(b"".join(chunks))
    assert rows[0] == COLUMNS
    ids = [row[0] for row in rows[1:]]
    assert len(ids) == MANY
    assert set(ids) == {f"res_{n:010x}" for n in range(MANY)}
    keys = [(row[8], int(row[9])) for row in rows[1:]]
    assert keys == sorted(keys)
