"""Teacher pages: the availability grid, the booking form, my reservations, a facility's week.

Every view answers a full page to a normal request and a fragment to an htmx request, so
each page also works without JavaScript.
"""

from datetime import timedelta
from urllib.parse import urlsplit

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import select

from ..api.calendar import calendar_url
from ..booking import (
    RuleViolation,
    create_reservation,
    day_availability,
    decide_day,
    facility_choices,
    facility_page,
    get_schedule,
    has_started,
    is_school_day,
    reservations_of,
    school_day_from,
    school_now,
    update_reservation,
    week_of,
)
from ..errors import DomainError, NotFound, ValidationError
from ..extensions import db, htmx
from ..models import Reservation
from ..schemas import (
    DATE_RANGE_MESSAGE,
    GridQuery,
    ReservationCreate,
    ReservationUpdate,
    page_date,
    parse_values,
)
from ..sqlite import reads_first
from . import current_actor, facility_or_404
from .forms import ActionForm, BookingForm, CancelForm, PurposeForm
from .my_series import arrange_upcoming, render_item, series_item
from .series_booking import book_series, place_errors, prepare_repeat

bp = Blueprint("teacher", __name__)
# Rooms per page of the grid: 400 cells render quickly and still scroll well on a phone.
GRID_ROOMS_PER_PAGE = 50


def default_day():
    """Today while it still has a period to come, else the next school day."""
    now = school_now()
    schedule = get_schedule()
    day = now.date()
    if not is_school_day(day) or schedule.starts_at(day, schedule.last) <= now:
        day = school_day_from(day, 1)
    return day


def render(template, partial, **context):
    """The full page, or only its fragment when htmx asks."""
    return render_template(partial if htmx else template, **context)


@bp.get("/")
@login_required
def grid():
    """Show one day: facilities as rows, bell periods as columns, each cell's state."""
    try:
        query = parse_values(GridQuery, request.args.to_dict())
    except ValidationError as exc:
        flash(
            "Some filters were not understood and were ignored: " + ", ".join(exc.fields), "error"
        )
        query = GridQuery()
    day = query.date or default_day()
    page = facility_page(
        query.page or 1,
        GRID_ROOMS_PER_PAGE,
        query.type,
        query.building,
        query.capacity,
        query.amenity,
    )
    facilities = page.facilities
    first = (page.number - 1) * GRID_ROOMS_PER_PAGE
    filters = query.model_dump(exclude={"date", "page"}, exclude_none=True)
    states = day_availability(facilities, day)

    def page_url(number):
        if not 1 <= number <= page.pages:
            return None
        return url_for("teacher.grid", date=day.isoformat(), page=number, **filters)

    return render(
        "teacher/grid.html",
        "partials/grid.html",
        day=day,
        query=query,
        filters=filters | ({"page": page.number} if page.number > 1 else {}),
        sync_date_filter=bool(htmx) and htmx.trigger != "filters",
        facilities=facilities,
        shown=(first + 1, first + len(facilities), page.matching),
        previous_page_url=page_url(page.number - 1),
        next_page_url=page_url(page.number + 1),
        states=states,
        viewer_day=_viewer_day(facilities, day, states),
        quota_week=_quota_week(day),
        previous_day=school_day_from(day, -1),
        next_day=school_day_from(day, 1),
        schedule=get_schedule(),
        choices=facility_choices(),
        today=school_now().date(),
        timedelta=timedelta,
    )


def _quota_week(day):
    """Which week the quota line speaks of: "this week", else the week's Monday."""
    monday, _ = week_of(day)
    if monday == week_of(school_now().date())[0]:
        return "this week"
    return f"in the week of {monday:%-d %B}"


def _viewer_day(facilities, day, states):
    """Which free cells the signed-in person could not book, and why; their quota."""
    if not facilities or not current_actor().can("reservations:book"):
        return None
    return decide_day(current_actor().account, facilities, day, states)


@bp.get("/book")
@login_required
def booking_form():
    """Open the booking form for a free cell, prefilled with facility, date and period."""
    form = BookingForm(formdata=request.args)
    facility = facility_or_404(request.args.get("facility_id", ""))
    return _render_booking(form, facility, fresh="repeat" not in request.args)


@bp.post("/book")
@login_required
@reads_first
def book():
    """Book through the same domain function as ``POST /v1/reservations``; a repeating
    booking through ``create_series``, as ``POST /v1/series`` (see ``series_booking``)."""
    form = BookingForm()
    facility = facility_or_404(form.facility_id.data or "")
    if not form.validate_on_submit():
        return _render_booking(form, facility, status=400)
    if form.repeat.data:
        try:
            return book_series(form, facility)
        except ValidationError as exc:
            place_errors(form, exc.fields)
            return _render_booking(form, facility, status=400)
    values = {
        name: value for name, value in form.data.items() if name in ReservationCreate.model_fields
    }
    values = {name: value for name, value in values.items() if value not in ("", None)}
    try:
        data = parse_values(ReservationCreate, values)
        reservation = create_reservation(
            current_actor(),
            facility,
            data.date,
            data.start_slot,
            data.end_slot,
            data.purpose,
            attendees=data.attendees,
        ).reservation
    except ValidationError as exc:
        place_errors(form, exc.fields)
        return _render_booking(form, facility, status=400)
    except RuleViolation as refusal:
        return _render_booking(
            form, facility, refusal=refusal, status=409 if refusal.rule == "R-03" else 422
        )
    message = _booked_message(reservation)
    if not htmx:
        flash(message, "info")
        return redirect(url_for("teacher.grid", date=reservation.date.isoformat()))
    if not _from_grid():
        return render_template(
            "partials/booking_done.html", reservation=reservation, message=message
        )
    states = day_availability([facility], reservation.date)
    return render_template(
        "partials/booking_done.html",
        reservation=reservation,
        message=message,
        facility=facility,
        states=states[facility.id],
        viewer_day=_viewer_day([facility], reservation.date, states),
        quota_week=_quota_week(reservation.date),
        day=reservation.date,
    )


@bp.get("/my")
@login_required
def my_reservations():
    """List my upcoming reservations by day, the cancelled and the past apart."""
    today = school_now().date()
    upcoming, past = reservations_of(current_user, today)
    return render_template(
        "teacher/my_reservations.html",
        upcoming=arrange_upcoming(upcoming, today),
        past=past,
        schedule=get_schedule(),
        purpose_form=PurposeForm(),
        cancel_form=CancelForm(),
        has_started=has_started,
        today=today,
        calendar_url=calendar_url(current_user),
        calendar_reset_form=ActionForm(),
    )


@bp.post("/my/<public_id>/purpose")
@login_required
def change_purpose(public_id):
    """Change a reservation's purpose in place."""
    reservation = _own_reservation(public_id)
    form = PurposeForm()
    error = None
    if form.validate_on_submit():
        try:
            data = parse_values(ReservationUpdate, {"purpose": form.purpose.data or ""})
            update_reservation(current_actor(), reservation, purpose=data.purpose)
        except NotFound:
            abort(404)  # deleted meanwhile
        except DomainError as exc:
            error = _first_message(exc)
    else:
        error = "The purpose must be 1 to 200 characters."
    return _reservation_changed(reservation, error, "Purpose saved.")


@bp.route("/my/<public_id>/cancel", methods=["GET", "POST"])
@login_required
def cancel(public_id):
    """Ask to confirm, then cancel: the slots are freed for others."""
    reservation = _own_reservation(public_id)
    form = CancelForm()
    if request.method == "GET":
        return render(
            "teacher/cancel.html",
            "partials/cancel_confirm.html",
            reservation=reservation,
            cancel_form=form,
            schedule=get_schedule(),
        )
    error = None
    if form.validate_on_submit():
        try:
            update_reservation(current_actor(), reservation, status="cancelled")
        except NotFound:
            abort(404)  # deleted meanwhile
        except DomainError as exc:
            error = _first_message(exc)
    return _reservation_changed(
        reservation, error, "Reservation cancelled; the slots are free again."
    )


@bp.get("/facilities/<code>")
@login_required
def facility(code):
    """Show a facility's details and its week, Monday to Friday."""
    facility = facility_or_404(code)
    week = page_date(request.args.get("week"))
    if week is None:
        if request.args.get("week"):
            flash(f"That week was not understood; showing this week. {DATE_RANGE_MESSAGE}", "error")
        week = default_day()
    monday = week_of(week)[0]
    days = [monday + timedelta(days=i) for i in range(5)]
    week_states = {day: day_availability([facility], day)[facility.id] for day in days}
    return render_template(
        "teacher/facility.html",
        facility=facility,
        days=days,
        week_states=week_states,
        schedule=get_schedule(),
        monday=monday,
        today=school_now().date(),
        timedelta=timedelta,
    )


def _own_reservation(public_id):
    reservation = db.session.scalar(select(Reservation).where(Reservation.public_id == public_id))
    if reservation is None or reservation.account_id != current_user.id:
        abort(404)
    return reservation


def _render_booking(form, facility, refusal=None, status=200, fresh=False):
    schedule = get_schedule()
    start = int(form.start_slot.data) if str(form.start_slot.data).isdigit() else schedule.first
    form.end_slot.choices = [
        (s.number, f"Period {s.number} (ends {s.end:%H:%M})")
        for s in schedule.slots
        if s.number >= start
    ]
    day = page_date(form.date.data)
    prepare_repeat(form, day, fresh)
    # After a refusal the grid row may be stale (someone took the slot): refresh it.
    states = day_availability([facility], day) if refusal and day and _from_grid() else None
    context = {
        "form": form,
        "facility": facility,
        "refusal": refusal,
        "schedule": schedule,
        "day": day,
        "start": start if start in schedule else None,
        "row_states": states and states[facility.id],
        "viewer_day": states and _viewer_day([facility], day, states),
    }
    # htmx swaps only 2xx answers: a refusal is still the form, shown where it was.
    return render("teacher/book.html", "partials/booking_form.html", **context), (
        200 if htmx else status
    )


def _from_grid():
    """Whether htmx asks from the grid page, whose row and quota line an answer refreshes
    out of band (the booking form on a page of its own has neither)."""
    return bool(htmx) and urlsplit(htmx.current_url or "").path == url_for("teacher.grid")


def _booked_message(reservation):
    schedule = get_schedule()
    start, end = schedule[reservation.start_slot].start, schedule[reservation.end_slot].end
    when = f"{reservation.date:%a %-d %b}, {start:%H:%M}–{end:%H:%M}"
    if reservation.status == "pending":
        return (
            f"Requested {reservation.facility.name} for {when}. It needs approval and shows "
            "as pending until then."
        )
    return f"Booked {reservation.facility.name} for {when}."


def _first_message(exc):
    return next(iter(exc.fields.values())) if isinstance(exc, ValidationError) else exc.message


def _reservation_changed(reservation, error, success):
    if htmx and reservation.series_id is not None:  # a date of a series: its item changes
        item = series_item(reservation.series)
        return render_item(item, error=error, notice=None if error else success, expanded=True)
    if htmx:
        return render_template(
            "partials/reservation_item.html",
            reservation=reservation,
            schedule=get_schedule(),
            purpose_form=PurposeForm(formdata=None),
            cancel_form=CancelForm(formdata=None),
            has_started=has_started,
            error=error,
            notice=None if error else success,
        )
    flash(error or success, "error" if error else "info")
    return redirect(url_for("teacher.my_reservations"))
