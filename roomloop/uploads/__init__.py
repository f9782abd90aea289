"""Uploads: reading a CSV file that an all-or-nothing import checks before it writes.

Holds what every CSV import shares (``csv_rows``): UTF-8 with or without Excel's byte order
mark, ``,`` or ``;`` delimiters, header names matched loosely, blank rows skipped, lines
numbered as a spreadsheet shows them, and the refusal that lists every bad row. The imports
themselves (accounts in ``people``, the timetable in ``booking``) check their own columns.
"""

from .csv_rows import MAX_ERRORS_LISTED, read_csv_rows, refused, rejected, row_error

__all__ = ["MAX_ERRORS_LISTED", "read_csv_rows", "refused", "rejected", "row_error"]
