"""``/v1/facilities``: list, read, availability; create and update for admins."""

from flask import g, request, url_for
from sqlalchemy import select

from ..booking import create_facility, day_availability, facility_row, get_facility, update_facility
from ..models import Facility
from ..resources import facility_ref, facility_resource
from ..schemas import (
    AvailabilityQuery,
    FacilityCreate,
    FacilityListQuery,
    FacilityUpdate,
    parse_json,
    parse_values,
)
from .blueprint import bp
from .pagination import cursor_int, cursor_text, envelope, paginate


@bp.get("/facilities")
def list_facilities():
    """List facilities, filtered by type, building and status."""
    query = parse_values(FacilityListQuery, request.args.to_dict())
    g.actor.require("facilities:read")
    stmt = select(Facility)
    for name in ("type", "building", "status"):
        value = getattr(query, name)
        if value is not None:
            stmt = stmt.where(getattr(Facility, name) == value)
    rows, has_more, cursor = paginate(
        stmt, [(Facility.code, cursor_text), (Facility.id, cursor_int)], query
    )
    return envelope([facility_resource(f) for f in rows], has_more, cursor)


@bp.get("/facilities/<code>")
def show_facility(code):
    """Show one facility with its amenities, capacity and restrictions."""
    g.actor.require("facilities:read")
    return facility_resource(facility_row(code))


@bp.get("/facilities/<code>/availability")
def facility_availability(code):
    """Show the state of every slot of one day for one facility."""
    query = parse_values(AvailabilityQuery, request.args.to_dict())
    g.actor.require("facilities:read")
    facility = facility_row(code)
    states = day_availability([facility], query.date)[facility.id]
    return {
        "facility": facility_ref(facility),
        "date": query.date.isoformat(),
        "slots": [
            {
                "slot": s.slot.number,
                "label": s.slot.label,
                "start": f"{s.slot.start:%H:%M}",
                "end": f"{s.slot.end:%H:%M}",
                "status": s.status,
                "reservation": None
                if s.holder is None
                else {
                    "id": s.holder.reservation_id,
                    "user": {"name": s.holder.account_name},
                    "status": s.holder.status,
                },
            }
            for s in states
        ],
    }


@bp.post("/facilities")
def create_facility_endpoint():
    """Create a facility (admins)."""
    g.actor.require("facilities:manage")
    data = parse_json(FacilityCreate, request.get_data())
    facility = create_facility(g.actor, data)
    location = url_for("api.show_facility", code=facility.code)
    return facility_resource(facility), 201, {"Location": location}


@bp.patch("/facilities/<code>")
def update_facility_endpoint(code):
    """Update a facility's metadata, status or restrictions (admins)."""
    g.actor.require("facilities:manage")
    facility = get_facility(code)
    data = parse_json(FacilityUpdate, request.get_data())
    return facility_resource(update_facility(g.actor, facility, data))
