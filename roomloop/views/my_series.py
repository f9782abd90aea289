"""My reservations: a series as one item, and changing all of its dates at once.

A series shows where its next date would have been, with its pattern, next date and counts;
its dates open under it. Cancelling all of it, or from a date on, and a new purpose for all
of it each ask first (GET), then change (POST) through ``update_series``, as ``PATCH
/v1/series/:id`` does. One date is cancelled as any reservation is (``teacher.cancel``).
"""

from dataclasses import dataclass
from datetime import date

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from ..booking import get_schedule, get_series, school_now, series_of, update_series
from ..errors import DomainError, NotFound, ValidationError
from ..extensions import htmx
from ..schemas import SeriesUpdate, page_date, parse_values
from . import current_actor
from .forms import CancelForm, PurposeForm

bp = Blueprint("my_series", __name__, url_prefix="/my/series")
PURPOSE_LENGTH = 200  # as a reservation's (``schemas.SeriesUpdate``)
BOOKED_STATUSES = ("pending", "confirmed")  # a skipped date has none


@dataclass(frozen=True)
class SeriesDate:
    """One date of a series as the list under it shows it: booked (with its reservation's
    id and status), or skipped when it was booked (with the rules' error)."""

    date: date
    public_id: str | None = None
    status: str | None = None
    started: bool = False
    error: dict | None = None

    @property
    def changeable(self):
        return self.public_id is not None and self.status != "cancelled" and not self.started


@dataclass(frozen=True)
class SeriesItem:
    series: object  # the stored ``Series``
    counts: dict  # its dates by status, and skipped
    dates: list  # ``SeriesDate``s, by date

    @property
    def next_date(self):
        return next((d for d in self.dates if d.changeable), None)

    @property
    def to_come(self):
        """The dates "all" changes: booked, not cancelled, not begun."""
        return [d for d in self.dates if d.changeable]


def series_item(series, now=None):
    """The series' item on My reservations, read through ``series_of`` as the API reads it."""
    now = now or school_now()
    resource = series_of(current_actor(), series, with_reservations=True)
    schedule = get_schedule()
    dates = [
        SeriesDate(date=date.fromisoformat(s["date"]), error=s["error"])
        for s in resource["skipped"]
    ]
    for r in resource["reservations"]:
        day = date.fromisoformat(r["date"])
        started = schedule.starts_at(day, series.start_slot) <= now
        dates.append(SeriesDate(day, r["id"], r["status"], started))
    return SeriesItem(series, resource["counts"], sorted(dates, key=lambda d: d.date))


def with_series_items(upcoming):
    """The upcoming reservations, each series' dates replaced by one ``SeriesItem`` where
    its first upcoming date is."""
    now, entries, seen = school_now(), [], set()
    for reservation in upcoming:
        if reservation.series_id is None:
            entries.append(reservation)
        elif reservation.series_id not in seen:
            seen.add(reservation.series_id)
            entries.append(series_item(reservation.series, now))
    return entries


@dataclass(frozen=True)
class Upcoming:
    """My reservations from today on: what is still booked by day, the cancelled apart."""

    days: list  # (date, entries) soonest first; a series sits on its next booked date
    cancelled: list  # reservations and series cancelled, kept out of the way


def arrange_upcoming(upcoming, today):
    """Group the upcoming reservations (soonest first) by day, cancelled ones apart."""
    days, cancelled = {}, []
    for entry in with_series_items(upcoming):
        if isinstance(entry, SeriesItem):
            booked = [
                d.date for d in entry.dates if d.date >= today and d.status in BOOKED_STATUSES
            ]
            day = booked[0] if booked else None
        else:
            day = entry.date if entry.status != "cancelled" else None
        if day is None:
            cancelled.append(entry)
        else:
            days.setdefault(day, []).append(entry)
    return Upcoming(sorted(days.items(), key=lambda pair: pair[0]), cancelled)


@bp.route("/<public_id>/cancel", methods=["GET", "POST"])
@login_required
def cancel(public_id):
    """Ask, then cancel every date still to come, or those from ``from`` on."""
    series = _own_series(public_id)
    source = request.args if request.method == "GET" else request.form
    from_date = page_date(source.get("from"))
    if source.get("from") and from_date is None:
        abort(400)
    item = series_item(series)
    dates = [d for d in item.to_come if from_date is None or d.date >= from_date]
    if request.method == "GET":
        if from_date is None:
            question = f"Cancel all {_dates(len(dates))} still to come of {series.facility.name}?"
        else:
            question = (
                f"Cancel {series.facility.name} on {_dates(len(dates))} from "
                f"{from_date:%a %-d %b} on?"
            )
        fields = {"from": source.get("from", "")}
        return _confirm(item, question, "my_series.cancel", fields, "Yes, cancel them")
    return _change(
        item,
        lambda: update_series(current_actor(), series, status="cancelled", from_date=from_date),
        f"Cancelled {_dates(len(dates))}; the periods are free again.",
        expanded=from_date is not None,
    )


@bp.route("/<public_id>/purpose", methods=["GET", "POST"])
@login_required
def change_purpose(public_id):
    """Ask, then give every date still to come the new purpose."""
    series = _own_series(public_id)
    source = request.args if request.method == "GET" else request.form
    item = series_item(series)
    purpose = source.get("purpose", "").strip()
    if not 1 <= len(purpose) <= PURPOSE_LENGTH:
        return _item(item, error=f"The purpose must be 1 to {PURPOSE_LENGTH} characters.")
    try:
        purpose = parse_values(SeriesUpdate, {"purpose": purpose}).purpose
    except ValidationError as exc:
        return _item(item, error=next(iter(exc.fields.values())))
    count = len(item.to_come)
    if request.method == "GET":
        question = f"Change the purpose of the {_dates(count)} still to come to “{purpose}”?"
        fields = {"purpose": purpose}
        return _confirm(item, question, "my_series.change_purpose", fields, "Yes, change them")
    return _change(
        item,
        lambda: update_series(current_actor(), series, purpose=purpose),
        f"Purpose changed for {_dates(count)}.",
    )


def _own_series(public_id):
    """The signed-in person's own series; anyone else's is "not found", as on ``/my``."""
    try:
        series = get_series(current_actor(), public_id)
    except NotFound:
        abort(404)
    if series.account_id != current_user.id:
        abort(404)
    return series


def _dates(count):
    return f"{count} date{'s' if count != 1 else ''}"


def _confirm(item, question, endpoint, fields, button):
    """The question with its Yes button (a POST of ``fields``), in place or as a page."""
    context = {
        "item": item,
        "question": question,
        "action": url_for(endpoint, public_id=item.series.public_id),
        "fields": fields,
        "button": button,
        "cancelling": endpoint == "my_series.cancel",
        "cancel_form": CancelForm(),
        "today": school_now().date(),
    }
    if htmx:
        return render_template("partials/series_confirm.html", **context)
    return render_template("teacher/series_confirm.html", **context)


def _change(item, change, success, expanded=False):
    """Make the change; show the item again with what happened (htmx), or go back to /my."""
    if not CancelForm().validate_on_submit():
        abort(400)
    error = None
    try:
        change()
    except NotFound:
        abort(404)
    except DomainError as exc:
        error = next(iter(exc.fields.values())) if isinstance(exc, ValidationError) else exc.message
    notice = None if error else success
    return _item(series_item(item.series), error=error, notice=notice, expanded=expanded)


def _item(item, error=None, notice=None, expanded=False):
    """The series' item alone (htmx), or My reservations with the message."""
    if not htmx:
        flash(error or notice, "error" if error else "info")
        return redirect(url_for("teacher.my_reservations"))
    return render_item(item, error=error, notice=notice, expanded=expanded)


def render_item(item, error=None, notice=None, expanded=False):
    return render_template(
        "partials/series_item.html",
        item=item,
        schedule=get_schedule(),
        purpose_form=PurposeForm(formdata=None),
        today=school_now().date(),
        error=error,
        notice=notice,
        expanded=expanded,
    )
