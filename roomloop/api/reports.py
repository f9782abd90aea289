"""``/v1/reports``: usage aggregates, and the reservations of a range as CSV or XLSX.

Approvers and admins (``reports:read``). Access is checked before the query is read.
"""

import tempfile

from flask import Response, g, request, send_file, stream_with_context

from ..report_exports import XLSX_MIMETYPE, export_csv, export_filename, write_xlsx
from ..reports import report_scope, usage_report
from ..schemas import ReportQuery, parse_values
from .blueprint import bp

# Reports name people and what they booked: no copy should stay in a shared cache.
NO_STORE = {"Cache-Control": "no-store"}


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
    scope = requested_scope()
    filename = export_filename(scope, "csv")
    return Response(
        stream_with_context(export_csv(scope)),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"', **NO_STORE},
    )


@bp.get("/reports/export.xlsx")
def export_reservations_xlsx():
    """Send the range's reservations as an Excel workbook, written to a temporary file."""
    scope = requested_scope()
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
