"""``/v1/reservations``: book through the rules engine, list, change, cancel, delete."""

import re
from datetime import date

from flask import g, request, url_for
from sqlalchemy import select

from ..auth.permissions import can_view_reservation
from ..booking import (
    check_in,
    create_reservation,
    delete_reservation,
    facility_row,
    get_schedule,
    update_reservation,
)
from ..errors import Forbidden, NotFound, ValidationError
from ..extensions import db
from ..models import Account, Facility, Reservation, Series
from ..people import get_account
from ..resources import reservation_resource
from ..schemas import (
    RESERVATION_ID,
    ReservationCreate,
    ReservationListQuery,
    ReservationUpdate,
    parse_json,
    parse_values,
)
from ..sqlite import reads_first
from .blueprint import bp
from .errors import find
from .pagination import cursor_int, envelope, paginate


def get_reservation(public_id):
    reservation = re.fullmatch(RESERVATION_ID, public_id) and db.session.scalar(
        select(Reservation).where(Reservation.public_id == public_id)
    )
    # Someone else's reservation is "not found" too: a 403 would say that the id exists.
    if not reservation or not can_view_reservation(g.actor, reservation):
        raise NotFound("reservation", public_id)
    return reservation


@bp.post("/reservations")
@reads_first
def create_reservation_endpoint():
    """Book a facility; the rules engine decides, and its outcome is in the answer."""
    data = parse_json(ReservationCreate, request.get_data())
    facility = find(facility_row, data.facility_id, "facility_id")
    account = None
    if data.user_id is not None:
        g.actor.require("reservations:manage")  # before the lookup, which would reveal ids
        account = find(get_account, data.user_id, "user_id")
    booked = create_reservation(
        g.actor,
        facility,
        data.date,
        data.start_slot,
        data.end_slot,
        data.purpose,
        attendees=data.attendees,
        account=account,
        overrides=data.override,
    )
    location = url_for("api.show_reservation", public_id=booked.resource["id"])
    return booked.resource, 201, {"Location": location}


@bp.get("/reservations")
def list_reservations():
    """List reservations by date; teachers see their own, approvers and admins everyone's."""
    query = parse_values(ReservationListQuery, request.args.to_dict())
    stmt = select(Reservation)
    user_id = query.user_id
    if not g.actor.can("reservations:read_all"):
        if user_id not in (None, g.actor.account.public_id):
            raise Forbidden("reservations:read_all")
        user_id = g.actor.account.public_id
    if user_id is not None:
        stmt = stmt.join(Account, Reservation.account_id == Account.id).where(
            Account.public_id == user_id
        )
    if query.facility_id is not None:
        stmt = stmt.join(Facility, Reservation.facility_id == Facility.id).where(
            Facility.code == query.facility_id
        )
    if query.series_id is not None:
        stmt = stmt.join(Series, Reservation.series_id == Series.id).where(
            Series.public_id == query.series_id
        )
    if query.from_ is not None:
        stmt = stmt.where(Reservation.date >= query.from_)
    if query.to is not None:
        stmt = stmt.where(Reservation.date <= query.to)
    if query.status is not None:
        stmt = stmt.where(Reservation.status == query.status)
    keys = [
        (Reservation.date, date.fromisoformat),
        (Reservation.start_slot, cursor_int),
        (Reservation.id, cursor_int),
    ]
    rows, has_more, cursor = paginate(stmt, keys, query)
    schedule = get_schedule()
    return envelope([reservation_resource(r, schedule) for r in rows], has_more, cursor)


@bp.get("/reservations/<public_id>")
def show_reservation(public_id):
    """Show one reservation."""
    return reservation_resource(get_reservation(public_id), get_schedule())


@bp.patch("/reservations/<public_id>")
def update_reservation_endpoint(public_id):
    """Change the purpose, confirm a pending reservation, or cancel (with a reason)."""
    data = parse_json(ReservationUpdate, request.get_data())
    if data.purpose is None and data.status is None:
        raise ValidationError({"body": "Send 'purpose', 'status' or both."})
    reservation = update_reservation(
        g.actor,
        get_reservation(public_id),
        purpose=data.purpose,
        status=data.status,
        cancel_reason=data.cancel_reason,
    )
    return reservation_resource(reservation, get_schedule())


@bp.post("/reservations/<public_id>/check-in")
def check_in_endpoint(public_id):
    """Check in to a booking: the room is in use."""
    reservation = check_in(g.actor, get_reservation(public_id))
    return reservation_resource(reservation, get_schedule())


@bp.delete("/reservations/<public_id>")
def delete_reservation_endpoint(public_id):
    """Delete a reservation for good (admins)."""
    g.actor.require("reservations:delete")
    delete_reservation(g.actor, get_reservation(public_id))
    return "", 204
