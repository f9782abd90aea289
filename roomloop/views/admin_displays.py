"""Admin pages: a facility's door displays. Add one (its address shown once, with a QR
code to open it on the tablet), see when each was last seen, revoke one after asking.

The same domain functions as ``/v1/facilities/:id/displays``: ``booking.displays``.
"""

from contextlib import suppress

from flask import Blueprint, abort, flash, redirect, render_template, url_for

from ..booking import create_display, get_facility, list_displays, revoke_display
from ..errors import NotFound, ValidationError
from ..schemas import DisplayCreate, parse_values
from . import current_actor
from .admin import requires
from .forms import ActionForm, DisplayForm
from .qr import qr_svg

bp = Blueprint("admin_displays", __name__, url_prefix="/admin/facilities/<code>/displays")


@bp.route("", methods=["GET", "POST"])
@requires("facilities:manage")
def index(code):
    """List the room's door displays and add one; a new address is shown on this answer only."""
    facility = _facility_or_404(code)
    form, new = DisplayForm(), None
    if form.validate_on_submit():
        try:
            label = parse_values(DisplayCreate, {"label": form.label.data or ""}).label
            display, token = create_display(current_actor(), facility, label.strip())
        except ValidationError as exc:
            form.label.errors = list(exc.fields.values())
        else:
            url = url_for("displays.door", code=code, token=token, _external=True)
            qr = qr_svg(url, f"QR code of the address of {facility.name}'s new door display")
            new, form = {"display": display, "url": url, "qr": qr}, DisplayForm(formdata=None)
    status = 400 if form.errors else 200
    return _page(facility, form=form, new=new), status


@bp.route("/<display_id>/revoke", methods=["GET", "POST"])
@requires("facilities:manage")
def revoke(code, display_id):
    """Ask, then revoke the display: its tablet says it is switched off at the next poll."""
    facility = _facility_or_404(code)
    display = _display_or_404(facility, display_id)
    form = ActionForm()
    if not form.validate_on_submit():
        return render_template(
            "admin/display_revoke.html", facility=facility, display=display, form=form, name=_name
        )
    with suppress(NotFound):  # revoked meanwhile: what was asked for is done
        revoke_display(current_actor(), facility, display_id)
    flash(f"Revoked the display {_name(display)}: it now says it is switched off.", "info")
    return redirect(url_for("admin_displays.index", code=code), code=303)


def _page(facility, form, new=None):
    return render_template(
        "admin/displays.html",
        facility=facility,
        displays=list_displays(current_actor(), facility),
        form=form,
        new=new,
        name=_name,
    )


def _name(display):
    return f"“{display.label}”" if display.label else display.public_id


def _display_or_404(facility, display_id):
    displays = list_displays(current_actor(), facility)
    display = next((d for d in displays if d.public_id == display_id), None)
    if display is None:
        abort(404)
    return display


def _facility_or_404(code):
    try:
        return get_facility(code)
    except NotFound:
        abort(404)
