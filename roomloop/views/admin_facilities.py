"""Admin pages: the facilities list, and the forms that add and edit a facility.

The forms build the same ``FacilityCreate`` / ``FacilityUpdate`` as ``/v1/facilities`` and
call the same domain functions, so a page and the API accept and refuse the same values.
"""

import re

from flask import Blueprint, abort, flash, redirect, render_template, url_for

from ..booking import (
    create_facility,
    facility_choices,
    find_facilities,
    get_facility,
    update_facility,
)
from ..errors import NotFound, ValidationError
from ..extensions import htmx
from ..schemas import FacilityCreate, FacilityUpdate, parse_values
from . import current_actor
from .admin import requires
from .forms import FacilityCreateForm, FacilityForm

bp = Blueprint("admin_facilities", __name__, url_prefix="/admin/facilities")

# Where each schema field's error is shown on the form.
ERROR_FIELDS = {
    "restrictions.departments": "allowed_departments",
    "restrictions.roles": "allowed_roles",
    "restrictions.max_slots_per_booking": "max_slots_per_booking",
}
# Pydantic's words about a form's text boxes, in a person's words.
FRIENDLIER = [
    (r"^Input should be a valid integer.*", "Enter a whole number."),
    (r"^Input should be greater than or equal to (\d+)$", r"Must be \1 or more."),
    (r"^Input should be less than or equal to (\d+)$", r"Must be \1 or less."),
    (r"^String should have at least 1 character$", "This cannot be empty."),
    (r"^String should have at most (\d+) characters$", r"At most \1 characters."),
]


@bp.get("")
@requires("facilities:manage")
def index():
    """List every facility with its status, approval flag and booking restrictions."""
    return render_template("admin/facilities.html", facilities=find_facilities())


@bp.route("/new", methods=["GET", "POST"])
@requires("facilities:manage")
def create():
    """Add a facility; nothing is stored unless every field is valid."""
    form = FacilityCreateForm()
    if not form.validate_on_submit():
        return _render_form(form, facility=None, status=400 if form.is_submitted() else 200)
    try:
        data = parse_values(FacilityCreate, {"id": form.id.data or "", **_values(form)})
        facility = create_facility(current_actor(), data)
    except ValidationError as exc:
        _show_errors(form, exc.fields)
        return _render_form(form, facility=None, status=400)
    return _saved(f"Added {facility.name} ({facility.code}).")


@bp.route("/<code>/edit", methods=["GET", "POST"])
@requires("facilities:manage")
def edit(code):
    """Change a facility's details, status, approval flag and restrictions."""
    try:
        facility = get_facility(code)
    except NotFound:
        abort(404)
    form = FacilityForm(data=_form_data(facility))
    if not form.validate_on_submit():
        return _render_form(form, facility, status=400 if form.is_submitted() else 200)
    try:
        data = parse_values(FacilityUpdate, _values(form))
        update_facility(current_actor(), facility, data)
    except ValidationError as exc:
        _show_errors(form, exc.fields)
        return _render_form(form, facility, status=400)
    return _saved(f"Saved {facility.name}.")


def _values(form):
    """The form's text as the schema's fields: lists split at commas, empty means none."""
    return {
        "name": form.name.data or "",
        "type": form.type.data or "",
        "building": form.building.data or "",
        "capacity": (form.capacity.data or "").strip(),
        "amenities": _split(form.amenities.data),
        "status": form.status.data or "",
        "requires_approval": bool(form.requires_approval.data),
        "description": form.description.data or "",
        "restrictions": {
            "departments": _split(form.allowed_departments.data),
            "roles": form.allowed_roles.data or [],
            "max_slots_per_booking": (form.max_slots_per_booking.data or "").strip() or None,
        },
        "check_in_required": bool(form.check_in_required.data),
        "release_after_minutes": (form.release_after_minutes.data or "").strip(),
    }


def _split(text):
    return [part.strip() for part in (text or "").split(",") if part.strip()]


def _form_data(facility):
    return {
        "name": facility.name,
        "type": facility.type,
        "building": facility.building,
        "capacity": str(facility.capacity),
        "amenities": ", ".join(facility.amenities),
        "status": facility.status,
        "requires_approval": facility.requires_approval,
        "description": facility.description,
        "allowed_departments": ", ".join(facility.allowed_departments),
        "allowed_roles": list(facility.allowed_roles),
        "max_slots_per_booking": facility.max_slots_per_booking or "",
        "check_in_required": facility.check_in_required,
        "release_after_minutes": str(facility.release_after_minutes),
    }


def _show_errors(form, fields):
    for name, message in fields.items():
        for pattern, words in FRIENDLIER:
            message = re.sub(pattern, words, message)
        if name == "type" and message.startswith("Use lower-case"):
            message = "Use lower-case letters and _, e.g. lab or sports_hall."
        field = getattr(form, ERROR_FIELDS.get(name, name), None)
        if field is None or not hasattr(field, "errors"):
            form.form_errors.append(message)
        else:
            field.errors = [*field.errors, message]


def _render_form(form, facility, status=200):
    context = {"form": form, "facility": facility, "types": facility_choices()["types"]}
    if htmx:  # htmx swaps only 2xx answers: the form with its messages replaces itself
        return render_template("admin/partials/facility_form.html", **context)
    return render_template("admin/facility_form.html", **context), status


def _saved(message):
    flash(message, "info")
    target = url_for("admin_facilities.index")
    if htmx:
        return "", 204, {"HX-Redirect": target}
    return redirect(target, code=303)
