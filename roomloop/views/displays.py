"""The door display: a full-screen page for a tablet on a room's door, opened with a
display token of that room (``booking.displays``), without signing in."""

from flask import Blueprint, abort, render_template, request

from ..booking import facility_row, find_display
from ..errors import NotFound

bp = Blueprint("displays", __name__)


@bp.get("/display/<code>")
def door(code):
    """Show what is happening in the room now and for the rest of the day."""
    try:
        facility = facility_row(code)
    except NotFound:
        abort(404)
    if find_display(facility, request.args.get("token", "")) is None:
        abort(404)
    return render_template("display/door.html", facility=facility)
