"""Reservation exports for finance and heads of department: one row per reservation, as
CSV or as an Excel workbook.

Both read the database a batch at a time (a server-side cursor on PostgreSQL), so memory
stays flat however long the range. The CSV is produced while it is sent; the workbook is
written row by row to a temporary file by openpyxl's write-only mode, then sent.
``csv_response`` and ``xlsx_response`` wrap them as downloads, for the API and the pages alike.
"""

import tempfile

from flask import Response, send_file, stream_with_context
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from sqlalchemy import String, case, cast, func, select

from ..booking import get_schedule
from ..errors import ValidationError
from ..extensions import db
from ..models import Account, Facility, Reservation
from .spreadsheets import csv_chunks, neutralised, utc_timestamp_text

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
    ("cancel_reason", 30),  # why it was cancelled: "no_show" when nobody checked in
    ("checked_in_at", 21),
)
HEADER = tuple(name for name, _ in COLUMNS)
TEXT_COLUMNS = frozenset(
    {"facility", "building", "user", "email", "department", "purpose", "cancel_reason"}
)
BATCH = 2_000
XLSX_MAX_ROWS = 1_048_576 - 1  # a sheet's rows, less the header
XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# Reports name people and what they booked: no copy should stay in a shared cache.
NO_STORE = {"Cache-Control": "no-store"}


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


def _statement(scope, columns):
    """The scope's reservations with their facility and account, by date and slot."""
    stmt = (
        select(*columns)
        .join(Facility, Facility.id == Reservation.facility_id)
        .join(Account, Account.id == Reservation.account_id)
        .order_by(Reservation.date, Reservation.start_slot, Reservation.id)
    )
    return scope.filter(stmt, Reservation.date, Reservation.facility_id, Reservation.account_id)


def _slot_times(column, part):
    """SQL for the start or end time of the slot in ``column``, from the bell schedule.

    A period the schedule no longer has (the day was shortened) has no time.
    """
    times = {slot.number: f"{getattr(slot, part):%H:%M}" for slot in get_schedule().slots}
    return case(times, value=column, else_="")


def export_rows(scope):
    """Yield each reservation in ``scope`` as a tuple in ``HEADER`` order, by date and slot.

    Values keep their types (dates, datetimes in UTC, integers, ``None``) for the workbook.
    """
    columns = (
        Reservation.public_id, Facility.code, Facility.name, Facility.building,
        Account.public_id, Account.name, Account.email, Account.department,
        Reservation.date, Reservation.start_slot, Reservation.end_slot,
        _slot_times(Reservation.start_slot, "start"), _slot_times(Reservation.end_slot, "end"),
        Reservation.status, Reservation.purpose, Reservation.attendees,
        Reservation.created_at, Reservation.updated_at,
        Reservation.cancel_reason, Reservation.checked_in_at,
    )  # fmt: skip
    result = db.session.connection().execute(
        _statement(scope, columns).execution_options(yield_per=BATCH)
    )
    yield from result


def export_csv(scope):
    """Yield the export as CSV text, a chunk per ``BATCH`` rows, formatted by the database.

    Text cells that a spreadsheet would run as formulas get an apostrophe first.
    """
    columns = (
        Reservation.public_id, Facility.code, neutralised(Facility.name),
        neutralised(Facility.building), Account.public_id, neutralised(Account.name),
        neutralised(Account.email), neutralised(Account.department),
        cast(Reservation.date, String), Reservation.start_slot, Reservation.end_slot,
        _slot_times(Reservation.start_slot, "start"), _slot_times(Reservation.end_slot, "end"),
        Reservation.status, neutralised(Reservation.purpose), Reservation.attendees,
        utc_timestamp_text(Reservation.created_at), utc_timestamp_text(Reservation.updated_at),
        neutralised(Reservation.cancel_reason), utc_timestamp_text(Reservation.checked_in_at),
    )  # fmt: skip
    return csv_chunks(HEADER, _statement(scope, columns), BATCH)


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


def csv_response(scope):
    """The export as a CSV download, streamed while it is produced, in constant memory."""
    filename = export_filename(scope, "csv")
    return Response(
        stream_with_context(export_csv(scope)),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"', **NO_STORE},
    )


def xlsx_response(scope):
    """The export as an Excel download, written to a temporary file first.

    Raises ``ValidationError`` before anything is sent when a sheet cannot hold the range.
    """
    spool = tempfile.TemporaryFile()  # noqa: SIM115 - send_file closes it once sent
    try:
        write_xlsx(scope, spool)
    except BaseException:
        spool.close()
        raise
    spool.seek(0)
    response = send_file(
        spool,
        mimetype=XLSX_MIMETYPE,
        as_attachment=True,
        download_name=export_filename(scope, "xlsx"),
    )
    response.headers.update(NO_STORE)
    return response


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
    if not value.startswith("="):
        return value
    cell = WriteOnlyCell(sheet, value=value)
    cell.data_type = "s"
    return cell
