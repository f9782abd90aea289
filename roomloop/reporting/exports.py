"""Reservation exports for finance and heads of department: one row per reservation, as
CSV or as an Excel workbook.

Both read the database a batch at a time (a server-side cursor on PostgreSQL) and are
produced while they are sent, so the first bytes leave at once and memory stays flat however
long the range.
``csv_response`` and ``xlsx_response`` wrap them as downloads, for the API and the pages alike.
"""

from flask import Response, stream_with_context
from sqlalchemy import String, case, cast, func, select

from ..booking import get_schedule
from ..errors import ValidationError
from ..extensions import db
from ..models import Account, Facility, Reservation
from .spreadsheets import csv_chunks, neutralised, utc_timestamp_text
from .workbooks import MAX_ROWS, MIMETYPE, workbook_chunks

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
BATCH = 2_000
XLSX_MAX_ROWS = MAX_ROWS - 1  # a sheet's rows, less the header
XLSX_MIMETYPE = MIMETYPE
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


def export_xlsx(scope):
    """Yield the export as a one-sheet workbook, written row by row as it is sent.

    Every text cell is written as text: a purpose such as ``=1+1`` is shown, never run.
    Timestamps are UTC, as the header says.
    """
    columns = [
        (f"{name} (UTC)" if name.endswith("_at") else name, width) for name, width in COLUMNS
    ]
    return workbook_chunks("Reservations", columns, export_rows(scope))


def csv_response(scope):
    """The export as a CSV download, streamed while it is produced, in constant memory."""
    filename = export_filename(scope, "csv")
    return Response(
        stream_with_context(export_csv(scope)),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"', **NO_STORE},
    )


def xlsx_response(scope):
    """The export as an Excel download, streamed while it is written, in constant memory.

    Raises ``ValidationError`` before anything is sent when a sheet cannot hold the range.
    """
    total = count_rows(scope)
    if total > XLSX_MAX_ROWS:
        raise ValidationError(
            {
                "to": f"The range holds {total:,} reservations and a sheet holds at most "
                f"{XLSX_MAX_ROWS:,}; choose a shorter range or download CSV."
            }
        )
    filename = export_filename(scope, "xlsx")
    return Response(
        stream_with_context(export_xlsx(scope)),
        mimetype=XLSX_MIMETYPE,
        headers={"Content-Disposition": f'attachment; filename="{filename}"', **NO_STORE},
    )
