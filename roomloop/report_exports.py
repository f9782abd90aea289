"""Reservation exports for finance and heads of department: one row per reservation, as
CSV or as an Excel workbook.

Both read the database a batch at a time (a server-side cursor on PostgreSQL), so memory
stays flat however long the range. The CSV is produced while it is sent; the workbook is
written row by row to a temporary file by openpyxl's write-only mode, then sent.
"""

import csv
import io

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from sqlalchemy import func, select

from .errors import ValidationError
from .extensions import db
from .models import Account, Facility, Reservation, iso_utc
from .schedule import get_schedule
from .spreadsheets import neutralise

# (column, width in an Excel sheet)
COLUMNS = (
    ("id", 16),
    ("facility_id", 14),
    ("facility", 28),
    ("building", 18),
    ("user_id", 16),
    ("user", 24),
    ("email", 30),
    ("department", 18),
    ("date", 12),
    ("start_slot", 10),
    ("end_slot", 10),
    ("start_time", 10),
    ("end_time", 10),
    ("status", 11),
    ("purpose", 40),
    ("attendees", 10),
    ("created_at", 21),
    ("updated_at", 21),
)
HEADER = tuple(name for name, _ in COLUMNS)
TEXT_COLUMNS = frozenset({"facility", "building", "user", "email", "department", "purpose"})
BATCH = 2_000
XLSX_MAX_ROWS = 1_048_576 - 1  # a sheet's rows, less the header
XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def export_filename(scope, extension):
    """``roomloop-reservations[-f1]-2026-09-01-to-2026-12-18.csv``: what, and which range."""
    parts = ["roomloop-reservations"]
    if scope.facility is not None:
        parts.append(scope.facility.code)
    parts += [scope.start.isoformat(), "to", scope.end.isoformat()]
    return "-".join(parts) + "." + extension


def count_rows(scope):
    stmt = scope.filter(
        select(func.count()).select_from(Reservation),
        Reservation.date,
        Reservation.facility_id,
        Reservation.account_id,
    )
    return db.session.scalar(stmt)


def export_rows(scope):
    """Yield each reservation in ``scope`` as a tuple in ``HEADER`` order, by date and slot.

    Values keep their types (dates, datetimes in UTC, integers, ``None``); the writers
    format them.
    """
    times = {
        slot.number: (f"{slot.start:%H:%M}", f"{slot.end:%H:%M}") for slot in get_schedule().slots
    }
    stmt = (
        select(
            Reservation.public_id,
            Facility.code,
            Facility.name,
            Facility.building,
            Account.public_id,
            Account.name,
            Account.email,
            Account.department,
            Reservation.date,
            Reservation.start_slot,
            Reservation.end_slot,
            Reservation.status,
            Reservation.purpose,
            Reservation.attendees,
            Reservation.created_at,
            Reservation.updated_at,
        )
        .join(Facility, Facility.id == Reservation.facility_id)
        .join(Account, Account.id == Reservation.account_id)
        .order_by(Reservation.date, Reservation.start_slot, Reservation.id)
    )
    stmt = scope.filter(stmt, Reservation.date, Reservation.facility_id, Reservation.account_id)
    for row in db.session.execute(stmt.execution_options(yield_per=BATCH)):
        (rid, code, facility, building, uid, user, email, department, day, first, last) = row[:11]
        status, purpose, attendees, created_at, updated_at = row[11:]
        # A period the schedule no longer has (the day was shortened) has no times.
        start_time = times.get(first, ("", ""))[0]
        end_time = times.get(last, ("", ""))[1]
        yield (
            rid, code, facility, building, uid, user, email, department, day, first, last,
            start_time, end_time, status, purpose, attendees, created_at, updated_at,
        )  # fmt: skip


def export_csv(scope):
    """Yield the export as CSV text in chunks of ``BATCH`` rows.

    The first chunk starts with a byte order mark, so that Excel reads the file as UTF-8;
    text cells that a spreadsheet would run as formulas get an apostrophe first.
    """
    out = io.StringIO()
    writer = csv.writer(out)
    out.write("\ufeff")
    writer.writerow(HEADER)
    for number, row in enumerate(export_rows(scope), start=1):
        (rid, code, facility, building, uid, user, email, department, day, first, last) = row[:11]
        start_time, end_time, status, purpose, attendees, created_at, updated_at = row[11:]
        writer.writerow(
            (
                rid, code, neutralise(facility), neutralise(building), uid, neutralise(user),
                neutralise(email), neutralise(department), day.isoformat(), first, last,
                start_time, end_time, status, neutralise(purpose),
                "" if attendees is None else attendees, iso_utc(created_at), iso_utc(updated_at),
            )
        )  # fmt: skip
        if number % BATCH == 0:
            yield out.getvalue()
            out.seek(0)
            out.truncate()
    yield out.getvalue()


def write_xlsx(scope, fileobj):
    """Write the export as one sheet to ``fileobj``; refuse a range a sheet cannot hold.

    Every text cell is written as text: a purpose such as ``=1+1`` is shown, never run.
    Timestamps are UTC, as the header says.
    """
    total = count_rows(scope)
    if total > XLSX_MAX_ROWS:
        raise ValidationError(
            {
                "to": f"The range holds {total:,} reservations and a sheet holds at most "
                f"{XLSX_MAX_ROWS:,}; choose a shorter range or download CSV."
            }
        )
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Reservations")
    for index, (_, width) in enumerate(COLUMNS, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(COLUMNS))}{total + 1}"
    bold = Font(bold=True)
    sheet.append([_header_cell(sheet, name, bold) for name in HEADER])
    text_at = [name in TEXT_COLUMNS for name in HEADER]
    for row in export_rows(scope):
        sheet.append(
            [
                _text_cell(sheet, value) if is_text else value
                for value, is_text in zip(row, text_at, strict=True)
            ]
        )
    workbook.save(fileobj)


def _header_cell(sheet, name, font):
    cell = WriteOnlyCell(sheet, value=f"{name} (UTC)" if name.endswith("_at") else name)
    cell.font = font
    return cell


def _text_cell(sheet, value):
    """``value`` as a text cell; openpyxl would otherwise store ``=...`` as a formula."""
    if not value:
        return value
    if ILLEGAL_CHARACTERS_RE.search(value):  # control characters a sheet cannot hold
        value = ILLEGAL_CHARACTERS_RE.sub("", value)
    if value[0] != "=":
        return value
    cell = WriteOnlyCell(sheet, value=value)
    cell.data_type = "s"
    return cell
