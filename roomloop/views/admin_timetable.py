"""Admin page: import a timetable of recurring bookings from a CSV file, with a preview and
a confirm step, and the example file to start from.

The steps are those of every CSV import page (``imports.py``); both call
``import_timetable`` as ``POST /v1/series/bulk`` does. They read first and take SQLite's
write lock only to write (``reads_first``): checking a thousand lines keeps no one else from
booking.
"""

from flask import Blueprint, Response

from ..booking import import_timetable, school_now, timetable_template
from ..configured import configured
from ..sqlite import reads_first
from .admin import requires
from .imports import CsvImportSteps

bp = Blueprint("admin_timetable", __name__, url_prefix="/admin/timetable")

DEFAULT_IMPORT_MAX_BYTES = 1024 * 1024  # as ``POST /v1/series/bulk``
IMPORT = CsvImportSteps(
    "admin/timetable_import.html",
    import_timetable,
    "TIMETABLE_IMPORT_MAX_BYTES",
    DEFAULT_IMPORT_MAX_BYTES,
    "POST /v1/series/bulk",
)


@bp.route("/import", methods=["GET", "POST"])
@reads_first
@requires("reservations:manage")
def upload():
    """Step 1: upload a timetable and see every line's series; nothing is written."""
    if not configured().facilities:
        return IMPORT.render(no_facilities=True)
    return IMPORT.upload()


@bp.post("/import/confirm")
@reads_first
@requires("reservations:manage")
def confirm():
    """Step 2: book the previewed timetable; every line is decided again before any is written."""
    return IMPORT.confirm()


@bp.get("/import/template.csv")
@requires("reservations:manage")
def template():
    """Download a small example file: the header and two lines, from next week."""
    return Response(
        timetable_template(school_now().date()),
        mimetype="text/csv",
        headers={"Content-Disposition": 'attachment; filename="roomloop-timetable-template.csv"'},
    )
