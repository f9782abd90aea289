"""The door display: a full-screen page for a tablet on a room's door, opened with a
display token of that room (``booking.displays``), without signing in.

The page polls itself with htmx every ``POLL_SECONDS`` and gets the display's fragment;
without JavaScript a meta refresh reloads it. A token revoked meanwhile answers 404 with the
"switched off" fragment, which has no polling of its own: the tablet stops asking.
"""

from flask import Blueprint, render_template, request, url_for

from ..booking import door_state, facility_row, find_display, school_now
from ..errors import NotFound
from ..extensions import htmx
from .qr import qr_svg

bp = Blueprint("displays", __name__)
POLL_SECONDS = 30
# Without JavaScript the page reloads itself less often: a whole page each time.
RELOAD_SECONDS = 60
# The display's answers change every poll and carry its token: nothing keeps them.
NO_STORE = {"Cache-Control": "no-store"}


@bp.get("/display/<code>")
def door(code):
    """Show what is happening in the room now and for the rest of the day."""
    token = request.args.get("token", "")
    try:
        facility = facility_row(code)
    except NotFound:
        facility = None
    if facility is None or find_display(facility, token) is None:
        template = "partials/door_off.html" if htmx else "display/off.html"
        return render_template(template), 404, NO_STORE
    context = {
        "state": door_state(facility, school_now()),
        "refresh_url": url_for("displays.door", code=code, token=token),
        "poll_seconds": POLL_SECONDS,
        "reload_seconds": RELOAD_SECONDS,
        "qr": _phone_link(facility),
    }
    template = "partials/door.html" if htmx else "display/door.html"
    return render_template(template, **context), 200, NO_STORE


def _phone_link(facility):
    """What the QR code on the door opens: the check-in page of a room that asks for
    check-in, else the room's week to book it."""
    if facility.check_in_required:
        url = url_for("check_in.page", code=facility.code, _external=True)
        words = "Scan to check in, or to book this room"
    else:
        url = url_for("teacher.facility", code=facility.code, _external=True)
        words = "Scan to book this room"
    return {"svg": qr_svg(url, f"QR code: {words.lower()} on your phone"), "words": words}
