"""Facility administration: create and update rooms and their booking restrictions."""

import re
from typing import NamedTuple

from sqlalchemy import bindparam, select

from ..configured import configured
from ..errors import NotFound, ValidationError
from ..extensions import db
from ..models import Facility
from ..schemas import FACILITY_CODE

FACILITY_QUERY = select(Facility).where(Facility.code == bindparam("code"))  # built once
# The table's columns where plain rows will do: SQLAlchemy runs a select of model
# attributes through the ORM, which costs more per row (every grid page reads every room).
FACILITIES = Facility.__table__


def get_facility(code):
    """The facility as an object, to change it (``facility_row`` to read it)."""
    # A string that cannot be a facility code is not looked up (PostgreSQL refuses NUL).
    facility = re.fullmatch(FACILITY_CODE, code) and db.session.scalar(
        FACILITY_QUERY, {"code": code}
    )
    if facility is None:
        raise NotFound("facility", code)
    return facility


def facility_row(code):
    """The facility as a plain row from this process's copy of the facilities
    (``configured``): what booking and availability read, without a query of their own."""
    facility = configured().by_code.get(code)
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
    facilities = db.session.scalars(_filtered(select(Facility), type, building, min_capacity))
    # Amenities are a JSON list: filtered here, the same on SQLite and PostgreSQL.
    return [f for f in facilities if not amenity or amenity in f.amenities]


class FacilityPage(NamedTuple):
    facilities: list
    number: int  # from 1
    pages: int
    matching: int  # facilities matching the filters, on every page


def facility_page(number, size, type=None, building=None, min_capacity=None, amenity=None):
    """Page ``number`` (or the last one, if there are fewer) of ``find_facilities``.

    Only the ids of the matching facilities are read, then the page's rows: a district has
    hundreds of rooms.
    """
    columns = (FACILITIES.c.id, FACILITIES.c.amenities) if amenity else (FACILITIES.c.id,)
    rows = db.session.execute(_filtered(select(*columns), type, building, min_capacity))
    ids = [row.id for row in rows if not amenity or amenity in row.amenities]
    pages = max(1, -(-len(ids) // size))
    number = min(number, pages)
    shown = ids[(number - 1) * size : number * size]
    loaded = {f.id: f for f in db.session.scalars(select(Facility).where(Facility.id.in_(shown)))}
    return FacilityPage([loaded[i] for i in shown], number, pages, len(ids))


def _filtered(query, type, building, min_capacity):
    if type:
        query = query.where(FACILITIES.c.type == type)
    if building:
        query = query.where(FACILITIES.c.building == building)
    if min_capacity:
        query = query.where(FACILITIES.c.capacity >= min_capacity)
    return query.order_by(FACILITIES.c.building, FACILITIES.c.name)


def facility_choices():
    """The types, buildings and amenities in use, for the grid's filter menus."""
    columns = FACILITIES.c.type, FACILITIES.c.building, FACILITIES.c.amenities
    rows = db.session.execute(select(*columns)).all()
    return {
        "types": sorted({row.type for row in rows}),
        "buildings": sorted({row.building for row in rows if row.building}),
        "amenities": sorted({a for row in rows for a in row.amenities}),
    }
