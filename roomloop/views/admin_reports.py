"""Admin pages: usage reports for approvers and admins, and the reservations of a range as
CSV or XLSX downloads.

The form is a GET form, so a report can be bookmarked and shared: its fields carry the same
names as the query of ``GET /v1/reports/usage``, are validated by the same ``ReportQuery``
and answered by the same ``usage_report``; the downloads send the same files as
``/v1/reports/export.csv`` and ``.xlsx``, with the browser's sign-in instead of a key.
"""

from datetime import timedelta

from flask import Blueprint, request, url_for
from sqlalchemy import select

from ..booking import find_facilities, school_now, week_of
from ..errors import ValidationError
from ..extensions import db
from ..models import Account
from ..reporting import (
    NO_STORE,
    csv_response,
    report_scope,
    school_term,
    usage_report,
    xlsx_response,
)
from ..schemas import ReportQuery, parse_values
from .admin import requires
from .regions import page_or_region

bp = Blueprint("admin_reports", __name__, url_prefix="/admin/reports")

FIELDS = ("from", "to", "facility_id", "department")
TOP_DEPARTMENTS = 8
# The query's words about a form's fields, in a person's words.
FRIENDLIER = {
    "Field required": "Enter a date, or choose one of the ranges below.",
    "'to' must not be before 'from'": "The last day is before the first day: swap them.",
}


@bp.get("")
@requires("reports:read")
def index():
    """Show a range's usage: totals, each facility, weekdays by period, the top departments."""
    values, scope, errors = _requested()
    return _page(values, scope, errors)


@bp.get("/export.csv")
@requires("reports:read")
def export_csv():
    """Download the range's reservations as CSV: the file of ``GET /v1/reports/export.csv``."""
    values, scope, errors = _requested()
    if errors:
        return _page(values, scope, errors)
    return csv_response(scope)


@bp.get("/export.xlsx")
@requires("reports:read")
def export_xlsx():
    """Download the range's reservations as a workbook: ``GET /v1/reports/export.xlsx``'s file."""
    values, scope, errors = _requested()
    if not errors:
        try:
            return xlsx_response(scope)
        except ValidationError as exc:
            errors = _friendlier(exc.fields)
    return _page(values, scope, errors)


def report_presets(today):
    """The ranges offered as one-click choices: (words, first day, last day). "This term"
    is the school calendar's (the next one between terms; none without terms ahead)."""
    term = school_term(today)
    return [
        ("This week", *week_of(today)),
        ("Last 30 days", today - timedelta(days=29), today),
        *([("This term", *term)] if term else []),
    ]


@bp.app_template_filter("percent")
def percent(ratio):
    """0.4255 as '43%'; a little is never shown as 0%, nor nearly all as 100%."""
    if ratio is None:
        return "—"
    if 0 < ratio < 0.01:
        return "<1%"
    return f"{min(_whole_percent(ratio), 99 if ratio < 1 else 100)}%"


@bp.app_template_filter("heat_level")
def heat_level(ratio):
    """The shade of a heatmap cell: 0 for none booked, then 1 to 4 by quarters of the
    percentage shown (under 25%, 25-49%, 50-74%, 75% or more)."""
    if ratio is None:
        return "none"
    return 0 if ratio == 0 else min(4, 1 + _whole_percent(ratio) // 25)


def _whole_percent(ratio):
    """Rounded half up, as people round: 0.075 is 8%."""
    return int(round(ratio * 100, 6) + 0.5)


def _requested():
    """The form's values as typed, and the scope they ask for or what is wrong, by field.

    With neither date given the report covers this week.
    """
    values = {name: request.args.get(name, "").strip() for name in FIELDS}
    if not values["from"] and not values["to"]:
        first, last = week_of(school_now().date())
        values.update({"from": first.isoformat(), "to": last.isoformat()})
    try:
        given = {name: value for name, value in values.items() if value}
        return values, report_scope(parse_values(ReportQuery, given)), {}
    except ValidationError as exc:
        return values, None, _friendlier(exc.fields)


def _friendlier(fields):
    return {name: FRIENDLIER.get(message, message) for name, message in fields.items()}


def _page(values, scope, errors):
    """The page, or only its ``#report`` region for htmx; refused choices answer 400."""
    report = None
    if scope is not None:
        try:
            report = usage_report(scope)
        except ValidationError as exc:
            errors = {**_friendlier(exc.fields), **errors}
    today = school_now().date()
    filters = {name: values[name] for name in ("facility_id", "department") if values[name]}
    context = {
        "values": values,
        "errors": errors,
        "report": report,
        "scope": scope,
        "presets": [
            {
                "words": words,
                "url": url_for(".index", **{"from": first, "to": last}, **filters),
                "current": scope is not None and (scope.start, scope.end) == (first, last),
            }
            for words, first, last in report_presets(today)
        ],
        "facilities": sorted(find_facilities(), key=lambda f: f.name.lower()),
        "departments": _departments(),
    }
    if report is not None:
        query = {"from": report["from"], "to": report["to"], **filters}
        context.update(
            facility_rows=_busiest_first(report["by_facility"]),
            top_departments=report["by_department"][:TOP_DEPARTMENTS],
            downloads={
                "csv": url_for(".export_csv", **query),
                "xlsx": url_for(".export_xlsx", **query),
            },
        )
    return page_or_region(
        "admin/reports.html",
        "admin/partials/reports_body.html",
        "report",
        400 if errors else 200,
        NO_STORE,
        **context,
    )


def _departments():
    """The departments accounts belong to, for the filter."""
    return db.session.scalars(
        select(Account.department)
        .where(Account.department != "")
        .distinct()
        .order_by(Account.department)
    ).all()


def _busiest_first(rows):
    """Facilities by utilization, highest first; closed ones and those with nothing bookable
    last, by name."""
    return sorted(
        rows,
        key=lambda row: (
            row["utilization"] is None,
            -(row["utilization"] or 0),
            row["facility"]["name"].lower(),
        ),
    )
