"""Facility administration: create and update rooms and their booking restrictions."""

import re

from sqlalchemy import select

from .errors import NotFound, ValidationError
from .extensions import db
from .models import Facility
from .schemas import FACILITY_CODE


def get_facility(code):
    # A string that cannot be a facility code is not looked up (PostgreSQL refuses NUL).
    facility = re.fullmatch(FACILITY_CODE, code) and db.session.scalar(
        select(Facility).where(Facility.code == code)
    )
    if facility is None:
        raise NotFound("facility", code)
    return facility


def create_facility(actor, data):
    """Create a facility from a validated ``FacilityCreate``; its id must be new."""
    actor.require("facilities:manage")
    if db.session.scalar(select(Facility.id).where(Facility.code == data.id)) is not None:
        raise ValidationError({"id": f"A facility with id {data.id!r} already exists."})
    facility = Facility(code=data.id)
    _apply(facility, data.model_dump(exclude={"id"}))
    db.session.add(facility)
    db.session.commit()
    return facility


def update_facility(actor, facility, data):
    """Apply the fields a validated ``FacilityUpdate`` carries; others stay as they are."""
    actor.require("facilities:manage")
    sent = data.model_dump(include=data.model_fields_set)
    nulls = [name for name, value in sent.items() if value is None]
    if nulls:
        raise ValidationError({name: "Cannot be null." for name in nulls})
    _apply(facility, sent)
    db.session.commit()
    return facility


def _apply(facility, values):
    restrictions = values.pop("restrictions", None)
    for name, value in values.items():
        setattr(facility, name, value)
    if restrictions is not None:
        facility.allowed_departments = restrictions["departments"]
        facility.allowed_roles = restrictions["roles"]
        facility.max_slots_per_booking = restrictions["max_slots_per_booking"]


def find_facilities(type=None, building=None, min_capacity=None, amenity=None):
    """Facilities matching the grid's filters, by building and name."""
    query = select(Facility).order_by(Facility.building, Facility.name)
    if type:
        query = query.where(Facility.type == type)
    if building:
        query = query.where(Facility.building == building)
    if min_capacity:
        query = query.where(Facility.capacity >= min_capacity)
    facilities = db.session.scalars(query).all()
    if amenity:  # a JSON list: filtered here, the same on SQLite and PostgreSQL
        facilities = [f for f in facilities if amenity in f.amenities]
    return facilities


def facility_choices():
    """The types, buildings and amenities in use, for the grid's filter menus."""
    facilities = db.session.scalars(select(Facility)).all()
    return {
        "types": sorted({f.type for f in facilities}),
        "buildings": sorted({f.building for f in facilities if f.building}),
        "amenities": sorted({a for f in facilities for a in f.amenities}),
    }
