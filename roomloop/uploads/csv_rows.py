"""Reading an uploaded CSV file row by row, and refusing it with every bad row listed.

A file is read as Excel and LibreOffice save it: UTF-8 with or without a byte order mark,
``,`` or ``;`` between values (whichever the header line has more of), quoted values,
blank rows. Its rows are numbered as a spreadsheet shows them, the header being line 1, so
that an error's line is the row the person opens. A file that cannot be read as a whole
raises ``ImportRejected`` with the reason in ``fields["file"]``; a bad row is an error
``{"line", "field", "message"}`` that the import collects, so that one refusal lists them
all.
"""

import csv
import io

from ..errors import ImportRejected

# A file of nonsense could have 200,000 errors; the first ones are enough to see what is wrong.
MAX_ERRORS_LISTED = 1_000


def read_csv_rows(raw_bytes, required, optional=(), *, most, items, errors):
    """Yield ``(line, values)`` for each non-blank row under the header, up to ``most``.

    ``values`` maps each of the ``required`` and ``optional`` columns the header has to
    the row's cell, trimmed ("" where the row is short). A row with more cells than the
    header (a value with an unquoted delimiter) adds an error to ``errors`` instead.
    ``items`` names what the rows are, for the message of a file that has too many.
    """
    text = _decode(raw_bytes)
    header_line = text.split("\n", 1)[0]
    delimiter = ";" if header_line.count(";") > header_line.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = next(reader)
        columns = _columns(header, required, optional)
        count = 0
        for line, cells in enumerate(reader, start=2):
            if not any(cell.strip() for cell in cells):
                continue  # blank rows, as spreadsheets leave them
            count += 1
            if count > most:
                raise refused(f"The file has more than {most:,} {items}; split it.")
            if any(cell.strip() for cell in cells[len(header) :]):
                message = (
                    f"This row has {len(cells)} cells but the header has {len(header)}; "
                    "put values that contain the delimiter in quotes."
                )
                errors.append(row_error(line, None, message))
                continue
            yield (
                line,
                {name: cells[i].strip() if i < len(cells) else "" for name, i in columns.items()},
            )
    except csv.Error as exc:
        raise refused(f"Line {reader.line_num} cannot be read as CSV: {exc}.") from None


def _decode(raw_bytes):
    try:
        text = raw_bytes.decode("utf-8-sig")  # the BOM Excel writes is dropped
    except UnicodeDecodeError as exc:
        line = raw_bytes.count(b"\n", 0, exc.start) + 1
        raise refused(
            f"The file is not UTF-8 text (line {line} has bytes that are not). "
            "In Excel, save it as 'CSV UTF-8 (Comma delimited)'."
        ) from None
    if not text.strip():
        raise refused("The file is empty.")
    return text


def _columns(header, required, optional):
    """Map each column the import reads to its index; the names are matched loosely."""
    names = [name.strip().lower() for name in header]
    missing = [name for name in required if name not in names]
    if missing:
        raise refused(
            f"The header lacks the column{'s' if len(missing) > 1 else ''} "
            f"{', '.join(missing)}; its first line must be: {','.join(required)}."
        )
    used = [name for name in (*required, *optional) if name in names]
    repeated = [name for name in used if names.count(name) > 1]
    if repeated:
        raise refused(f"The header has the column {repeated[0]} more than once.")
    return {name: names.index(name) for name in used}


def row_error(line, field, message):
    """One bad row's error: ``field`` is the column, or ``None`` for the row as a whole."""
    return {"line": line, "field": field, "message": message}


def refused(message):
    """The file refused as a whole, for ``message``."""
    return ImportRejected({"file": message}, message=message)


def rejected(errors):
    """The file refused for its bad rows: every error by line, the first 1,000 of them."""
    errors = sorted(errors, key=lambda error: error["line"])
    bad_rows = len({error["line"] for error in errors})
    message = (
        f"{bad_rows:,} row{'s have' if bad_rows > 1 else ' has'} errors; nothing was imported. "
        "Fix them and upload the file again."
    )
    if len(errors) > MAX_ERRORS_LISTED:
        message += f" The first {MAX_ERRORS_LISTED:,} of {len(errors):,} errors are listed."
    return ImportRejected({"file": message}, errors[:MAX_ERRORS_LISTED], message)
