"""``/v1/reports``: usage aggregates, and the reservations of a range as CSV or XLSX.

Approvers and admins (``reports:read``). Access is checked before the query is read.
"""

from flask import g, request

from ..reporting import NO_STORE, csv_response, report_scope, usage_report, xlsx_response
from ..schemas import ReportQuery, parse_values
from .blueprint import bp


def requested_scope():
    g.actor.require("reports:read")
    return report_scope(parse_values(ReportQuery, request.args.to_dict()))


@bp.get("/reports/usage")
def usage():
    """Reservations, slots booked, cancellations and utilization, in total and broken down."""
    return usage_report(requested_scope()), 200, NO_STORE


@bp.get("/reports/export.csv")
def export_reservations_csv():
    """Stream the range's reservations as CSV, one row each, in constant memory."""
    return csv_response(requested_scope())


@bp.get("/reports/export.xlsx")
def export_reservations_xlsx():
    """Stream the range's reservations as an Excel workbook, one row each, in constant memory."""
    return xlsx_response(requested_scope())
