"""Check-in on the pages: the page a door display's QR code opens (after sign-in), and the
Check in button on My reservations. Both check in through ``booking.check_in``, as
``POST /v1/reservations/:id/check-in`` does, and say a refusal in its own words.
"""

from datetime import UTC

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import select

from ..booking import (
    booking_at_door,
    can_check_in_now,
    check_in,
    check_in_refusal,
    check_in_window,
    get_schedule,
    school_now,
)
from ..booking.schedule import school_timezone
from ..errors import CheckInRefused, NotFound
from ..extensions import db
from ..models import Reservation
from . import current_actor, facility_or_404
from .forms import ActionForm

bp = Blueprint("check_in", __name__)
bp.add_app_template_global(can_check_in_now)


@bp.get("/check-in/<code>")
@login_required
def page(code):
    """Show my booking of this room that can be checked in now (or my next one today)."""
    return _page(facility_or_404(code))


@bp.post("/check-in/<code>")
@login_required
def at_door(code):
    """Check in to my booking of this room; the refusal in words if it cannot be."""
    facility = facility_or_404(code)
    try:
        flash(_check_in(request.form.get("reservation", ""), facility), "info")
    except CheckInRefused as refusal:
        return _page(facility, refusal.message), 409
    return redirect(url_for("check_in.page", code=code), code=303)


@bp.post("/my/<public_id>/check-in")
@login_required
def from_my_reservations(public_id):
    """Check in from My reservations, and go back there with what happened."""
    try:
        flash(_check_in(public_id), "info")
    except CheckInRefused as refusal:
        flash(refusal.message, "error")
    return redirect(url_for("teacher.my_reservations"), code=303)


@bp.app_template_filter("school_time")
def school_time(stored):
    """A stored UTC time as the school's "HH:MM"."""
    return f"{stored.replace(tzinfo=UTC).astimezone(school_timezone()):%H:%M}"


@bp.app_template_global()
def own_reservation(public_id):
    """The signed-in person's reservation ``public_id``, for a date of a series (which the
    series' item shows without loading its reservations)."""
    return db.session.scalar(
        select(Reservation).where(
            Reservation.public_id == public_id, Reservation.account_id == current_user.id
        )
    )


def _check_in(public_id, facility=None):
    """Check in to my reservation ``public_id`` (of ``facility``, when given) and return
    the words for it; ``CheckInRefused`` says why not."""
    if not ActionForm().validate_on_submit():
        abort(400)
    reservation = _own_reservation(public_id)
    if facility is not None and reservation.facility_id != facility.id:
        abort(404)
    try:
        check_in(current_actor(), reservation)
    except NotFound:
        abort(404)  # deleted meanwhile
    end = get_schedule()[reservation.end_slot].end
    return f"Checked in to {reservation.facility.name} until {end:%H:%M}."


def _page(facility, error=None):
    now = school_now()
    reservation = booking_at_door(current_user, facility, now)
    refusal = None
    if reservation is not None and reservation.checked_in_at is None:
        refusal = check_in_refusal(reservation, now)
    return render_template(
        "check_in/page.html",
        facility=facility,
        reservation=reservation,
        refusal=refusal,
        release=None if reservation is None else check_in_window(reservation)[1],
        schedule=get_schedule(),
        form=ActionForm(),
        error=error,
        today=now.date(),
    )


def _own_reservation(public_id):
    """My reservation; anyone else's is "not found", as on My reservations."""
    reservation = own_reservation(public_id)
    if reservation is None:
        abort(404)
    return reservation
