"""``/v1/series``: book a recurring series through the rules engine, list, read, change;
import a timetable of many series from CSV (admins)."""

from datetime import date

from flask import g, request, url_for
from sqlalchemy import select
from werkzeug.routing import BaseConverter

from ..booking import (
    create_series_as_asked,
    facility_row,
    get_series,
    import_timetable,
    series_of,
    update_series,
)
from ..errors import Forbidden, ValidationError
from ..models import Account, Facility, Series
from ..people import get_account
from ..schemas import (
    SERIES_ID,
    SeriesCreate,
    SeriesListQuery,
    SeriesUpdate,
    TimetableImportQuery,
    parse_json,
    parse_values,
)
from ..sqlite import reads_first
from .blueprint import bp
from .errors import find
from .pagination import cursor_int, envelope, paginate
from .uploads import uploaded_file

DEFAULT_TIMETABLE_MAX_BYTES = 1024 * 1024  # 2,000 lines of 500 characters


class SeriesIdConverter(BaseConverter):
    """A series id in a path, so that ``/series/bulk`` is never read as one: a wrong method
    there answers 405, not "no series 'bulk'"."""

    regex = SERIES_ID.removeprefix("^").removesuffix("$")


@bp.post("/series")
@reads_first
def create_series_endpoint():
    """Book a series: every date decided by the rules; ``dry_run`` says what it would book."""
    data = parse_json(SeriesCreate, request.get_data())
    facility = find(facility_row, data.facility_id, "facility_id")
    account = None
    if data.user_id is not None:
        g.actor.require("reservations:manage")  # before the lookup, which would reveal ids
        account = find(get_account, data.user_id, "user_id")
    plan, booked = create_series_as_asked(g.actor, facility, data, account=account)
    if booked is None:
        return plan.resource()
    location = url_for("api.show_series", public_id=booked.resource["id"])
    return booked.resource, 201, {"Location": location}


@bp.post("/series/bulk")
@reads_first
def import_timetable_endpoint():
    """Book a timetable's series from a CSV file (multipart field ``file``), all or none;
    ``dry_run`` says what it would book."""
    g.actor.require("reservations:manage")  # before the body is read: a teacher learns nothing
    g.actor.require("rules:override")
    query = parse_values(TimetableImportQuery, request.args.to_dict())
    raw = uploaded_file("TIMETABLE_IMPORT_MAX_BYTES", DEFAULT_TIMETABLE_MAX_BYTES)
    return import_timetable(g.actor, raw, dry_run=query.dry_run).summary()


@bp.get("/series")
def list_series():
    """List series by first date; teachers see their own, approvers and admins everyone's."""
    query = parse_values(SeriesListQuery, request.args.to_dict())
    g.actor.require("reservations:book")
    stmt = select(Series)
    user_id = query.user_id
    if not g.actor.can("reservations:read_all"):
        if user_id not in (None, g.actor.account.public_id):
            raise Forbidden("reservations:read_all")
        user_id = g.actor.account.public_id
    if user_id is not None:
        stmt = stmt.join(Account, Series.account_id == Account.id).where(
            Account.public_id == user_id
        )
    if query.facility_id is not None:
        stmt = stmt.join(Facility, Series.facility_id == Facility.id).where(
            Facility.code == query.facility_id
        )
    if query.status is not None:
        stmt = stmt.where(Series.status == query.status)
    keys = [(Series.first_date, date.fromisoformat), (Series.id, cursor_int)]
    rows, has_more, cursor = paginate(stmt, keys, query)
    return envelope([series_of(g.actor, s) for s in rows], has_more, cursor)


@bp.get("/series/<series_id:public_id>")
def show_series(public_id):
    """Show one series with its dates."""
    return series_of(g.actor, get_series(g.actor, public_id), with_reservations=True)


@bp.patch("/series/<series_id:public_id>")
def update_series_endpoint(public_id):
    """Change the purpose of every date not yet begun, confirm the pending dates, or cancel
    the dates not yet begun (all, or from a date on)."""
    data = parse_json(SeriesUpdate, request.get_data())
    if data.purpose is None and data.status is None:
        raise ValidationError({"body": "Send 'purpose', 'status' or both."})
    series = update_series(
        g.actor,
        get_series(g.actor, public_id),
        purpose=data.purpose,
        status=data.status,
        from_date=data.from_,
        cancel_reason=data.cancel_reason,
    )
    return series_of(g.actor, series, with_reservations=True)
