"""Reporting: how rooms are used, and the reservations of a range as files.

Holds the usage aggregates (``usage``), the streamed CSV and XLSX exports (``exports``; the
workbook itself is written, as it is sent, by ``workbooks``) and the spreadsheet cell rules
that keep text from running as a formula (``spreadsheets``), which the accounts' CSV files
share.
"""

from .exports import NO_STORE, csv_response, xlsx_response
from .spreadsheets import csv_chunks, neutralised, unneutralise, utc_timestamp_text
from .usage import report_scope, school_term, usage_report

__all__ = [
    "NO_STORE",
    "csv_chunks",
    "csv_response",
    "neutralised",
    "report_scope",
    "school_term",
    "unneutralise",
    "usage_report",
    "utc_timestamp_text",
    "xlsx_response",
]
