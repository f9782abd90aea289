"""The streamed workbook reads back cell for cell as the file that openpyxl's write-only
mode wrote before it, kept here as the reference; and over real HTTP its first bytes arrive
before the last row is read.
"""

import io
import random
import time
from datetime import date, datetime, timedelta

import pytest
import requests
from openpyxl import Workbook, load_workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from sqlalchemy import insert
from test_report_exports import insert_lessons

from roomloop.extensions import db
from roomloop.models import Reservation
from roomloop.reporting.exports import COLUMNS, HEADER, export_rows
from roomloop.reporting.usage import ReportScope
from roomloop.reporting.workbooks import workbook_chunks

XLSX_URL = "/v1/reports/export.xlsx"
FIRST = date(2027, 1, 4)
TEXT_COLUMNS = frozenset(
    {"facility", "building", "user", "email", "department", "purpose", "cancel_reason"}
)
# Text a sheet shows as typed: formula look-alikes, XML's own characters, spaces at the
# ends, control characters it cannot hold, characters beyond the BMP.
ODD_TEXT = [
    "=1+1", "+SUM(A1)", "-2", "@cmd", "'=x", "\t=1+1", "=HYPERLINK(\"http://x\")", "a-b",
    "<b>&amp;</b>", "Fish & chips", "  leading", "trailing  ", "   ", "line\nbreak",
    "bell\x07", "\x00\x1f", "\x07", "Çağrı Öğün", "数学", "🧪 lab", "\"quoted\"", "x" * 200,
]  # fmt: skip
STORABLE_TEXT = [text for text in ODD_TEXT if "\x00" not in text]  # PostgreSQL refuses NUL


def openpyxl_reference(rows):
    """The workbook as the export wrote it with openpyxl's write-only mode, as bytes."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Reservations")
    for index, (_, width) in enumerate(COLUMNS, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.freeze_panes = "A2"
    bold = Font(bold=True)
    header = []
    for name in HEADER:
        cell = WriteOnlyCell(sheet, value=f"{name} (UTC)" if name.endswith("_at") else name)
        cell.font = bold
        header.append(cell)
    rows = list(rows)
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(COLUMNS))}{len(rows) + 1}"
    sheet.append(header)
    text_at = [name in TEXT_COLUMNS for name in HEADER]
    for row in rows:
        sheet.append(
            [
                _reference_text_cell(sheet, value) if is_text else value
                for value, is_text in zip(row, text_at, strict=True)
            ]
        )
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def _reference_text_cell(sheet, value):
    if not value:
        return value
    if ILLEGAL_CHARACTERS_RE.search(value):
        value = ILLEGAL_CHARACTERS_RE.sub("", value)
    if not value.startswith("="):
        return value
    cell = WriteOnlyCell(sheet, value=value)
    cell.data_type = "s"
    return cell


def streamed(rows):
    columns = [(f"{n} (UTC)" if n.endswith("_at") else n, w) for n, w in COLUMNS]
    return b"".join(workbook_chunks("Reservations", columns, rows))


def read_back(data):
    """What a reader of the file sees: the sheet's layout and each cell's value and type."""
    workbook = load_workbook(io.BytesIO(data))
    assert workbook.sheetnames == ["Reservations"]
    sheet = workbook["Reservations"]
    return {
        "freeze_panes": sheet.freeze_panes,
        "auto_filter": sheet.auto_filter.ref,
        "widths": {k: d.width for k, d in sheet.column_dimensions.items()},
        "bold": [cell.font.bold for cell in sheet[1]],
        "cells": [
            [(cell.value, cell.data_type, cell.is_date) for cell in row]
            for row in sheet.iter_rows()
        ],
    }


def random_rows(count, seed):
    """Rows shaped as the export's query gives them, with odd text and every kind of value."""
    rng = random.Random(seed)

    def text():
        return rng.choice([*ODD_TEXT, "Lab A", "Science", "Plain words", None, ""])

    def moment():
        return datetime(2026, 9, 1) + timedelta(seconds=rng.randrange(10**8) / rng.choice([1, 7]))

    return [
        (
            f"res_{n:010x}", f"f{n % 7}", text(), text(), f"acc_{n:08x}", text(), text(),
            text(), FIRST + timedelta(days=rng.randrange(400)), rng.randint(1, 8),
            rng.randint(1, 8), rng.choice(["09:00", "14:50", ""]), rng.choice(["09:50", ""]),
            rng.choice(["confirmed", "pending", "cancelled"]), text(),
            rng.choice([None, 0, 1, 24, 300]), moment(), moment(), text(),
            rng.choice([None, moment()]),
        )
        for n in range(count)
    ]  # fmt: skip


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_streamed_workbook_reads_back_as_openpyxl_wrote_it(seed):
    """Every cell of random rows, odd text included, has the value and type it had before."""
    rows = random_rows(300, seed)

    new, old = read_back(streamed(rows)), read_back(openpyxl_reference(rows))

    assert new["cells"] == old["cells"]
    assert new == old
    assert new["freeze_panes"] == "A2"
    assert new["auto_filter"] == "A1:T301"
    assert all(new["bold"])


def test_an_empty_range_is_a_header_alone():
    assert read_back(streamed([])) == read_back(openpyxl_reference([]))


def test_export_from_the_database_equals_the_reference(
    client, create_facility, create_account, auth_headers
):
    """On the same random reservations the download equals openpyxl's file cell for cell."""
    rng = random.Random(7)
    facilities = [
        create_facility(
            name=rng.choice(STORABLE_TEXT)[:60], building=rng.choice(STORABLE_TEXT)[:60]
        )
        for _ in range(4)
    ]
    accounts = [
        create_account(
            name=f"{rng.choice(STORABLE_TEXT)[:60]} {n}", department=rng.choice(STORABLE_TEXT)[:80]
        )
        for n in range(4)
    ]
    db.session.execute(
        insert(Reservation),
        [
            {
                "public_id": f"res_{n:010x}",
                "facility_id": rng.choice(facilities).id,
                "account_id": rng.choice(accounts).id,
                "date": FIRST + timedelta(days=rng.randrange(60)),
                "start_slot": (slot := rng.randint(1, 8)),
                "end_slot": rng.randint(slot, 8),
                "purpose": rng.choice(STORABLE_TEXT),
                "attendees": rng.choice([None, 12, 30]),
                "status": rng.choice(["confirmed", "pending", "cancelled"]),
                "cancel_reason": rng.choice([None, "no_show", "=changed plans"]),
                "checked_in_at": rng.choice([None, datetime(2027, 1, 4, 9, 3, 7, 250_000)]),
                "created_at": datetime(2026, 12, 1) + timedelta(microseconds=rng.randrange(10**12)),
                "updated_at": datetime(2026, 12, 20, 8, 0),
                "rules": {},
            }
            for n in range(400)
        ],
    )
    db.session.commit()
    headers = auth_headers(create_account(role="approver"))
    end = FIRST + timedelta(days=59)

    response = client.get(XLSX_URL, query_string={"from": FIRST, "to": end}, headers=headers)

    assert response.status_code == 200
    reference = openpyxl_reference(export_rows(ReportScope(FIRST, end, None, None, None)))
    downloaded, expected = read_back(response.get_data()), read_back(reference)
    assert len(downloaded["cells"]) == 401
    assert downloaded == expected


# --- Over HTTP ----------------------------------------------------------------------------

MANY = 30_000


@pytest.mark.server
def test_a_large_workbook_starts_arriving_before_it_is_written(
    start_server, create_account, create_facility, auth_headers
):
    """Under gunicorn the first bytes of 30,000 rows come well before the last, chunked."""
    facility = create_facility(code="f1")
    account = create_account()
    insert_lessons(facility, account, FIRST, MANY)
    headers = auth_headers(create_account(role="approver"))
    url = start_server(workers=1, threads=2) + XLSX_URL
    query = {"from": str(FIRST), "to": str(FIRST + timedelta(days=199))}

    started = time.monotonic()
    with requests.get(url, params=query, headers=headers, stream=True, timeout=60) as response:
        assert response.status_code == 200
        assert response.headers["Transfer-Encoding"] == "chunked"
        chunks = response.iter_content(chunk_size=None)
        first = next(chunks)
        first_at = time.monotonic() - started
        body = first + b"".join(chunks)
        ended_at = time.monotonic() - started

    assert first.startswith(b"PK\x03\x04")  # a zip's first local header
    assert first_at < ended_at / 2
    sheet = load_workbook(io.BytesIO(body), read_only=True)["Reservations"]
    ids = [row[0] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert len(ids) == MANY
    assert set(ids) == {f"res_{n:010x}" for n in range(MANY)}
