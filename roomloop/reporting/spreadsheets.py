"""Cells that a spreadsheet would run as formulas, and how CSV files keep them text.

A spreadsheet runs a cell starting with = + - @ tab or CR as a formula (OWASP "CSV
injection"). CSV exports put an apostrophe before such a cell, and before one that is
apostrophes and then such a character, so that an import, which strips exactly one
apostrophe from both kinds, gives back the original text. The exports apply the rule in
SQL (``neutralised``), so that large files need no Python work per cell; imports undo it
with ``unneutralise``.
"""

import csv
import io
import re

from sqlalchemy import String, case, cast, func, literal

from ..extensions import db

RISKY = ("=", "+", "-", "@", "\t", "\r")
FORMULA = re.compile("'*[" + re.escape("".join(RISKY)) + "]")


def neutralised(column):
    """SQL for ``column``'s text as a CSV export writes it: an apostrophe first if it would run."""
    first = func.substr(func.ltrim(column, "'"), 1, 1)
    return case(
        (first.in_(RISKY), literal("'", String) + column),
        else_=cast(column, String),
    )


def utc_timestamp_text(column):
    """SQL for a naive-UTC timestamp column as text: ``2026-06-08T09:14:00Z``."""
    text = cast(column, String)  # "2026-06-08 09:14:00[.ffffff]" on SQLite and PostgreSQL
    return (
        func.substr(text, 1, 10, type_=String) + "T" + func.substr(text, 12, 8, type_=String) + "Z"
    )


def csv_chunks(header, stmt, batch):
    """Yield a CSV file: a byte order mark (so Excel reads UTF-8) and ``header``, then the
    rows of ``stmt`` as they are, one chunk per ``batch`` rows read from the database.

    The statement does all formatting in SQL, so rows go to the CSV writer untouched; with
    ``yield_per`` PostgreSQL reads through a server-side cursor, so memory stays flat.
    """
    out = io.StringIO()
    writer = csv.writer(out)
    out.write("\ufeff")
    writer.writerow(header)
    yield out.getvalue()
    result = db.session.connection().execute(stmt.execution_options(yield_per=batch))
    for rows in result.partitions():
        out.seek(0)
        out.truncate()
        writer.writerows(rows)
        yield out.getvalue()


def unneutralise(cell):
    """The cell as read from a CSV file: what ``neutralised`` added, taken off."""
    return cell[1:] if cell.startswith("'") and FORMULA.match(cell, 1) else cell
