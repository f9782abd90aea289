"""``/v1/facilities/:id/displays``: the door displays' tokens of a facility (admins)."""

from flask import g, request, url_for

from ..booking import create_display, get_facility, list_displays, revoke_display
from ..resources import display_resource
from ..schemas import DisplayCreate, parse_json
from .blueprint import bp
from .pagination import envelope


@bp.post("/facilities/<code>/displays")
def create_display_endpoint(code):
    """Create a door display's token; the answer is the only time it is shown."""
    data = parse_json(DisplayCreate, request.get_data() or b"{}")
    display, token = create_display(g.actor, get_facility(code), label=data.label)
    body = display_resource(display) | {
        "token": token,
        "url": url_for("displays.door", code=code, token=token, _external=True),
    }
    location = url_for("api.list_displays_endpoint", code=code)
    return body, 201, {"Location": f"{location}/{display.public_id}"}


@bp.get("/facilities/<code>/displays")
def list_displays_endpoint(code):
    """List a facility's door displays (never their tokens)."""
    displays = list_displays(g.actor, get_facility(code))
    return envelope([display_resource(d) for d in displays], False, None)


@bp.delete("/facilities/<code>/displays/<display_id>")
def revoke_display_endpoint(code, display_id):
    """Revoke a door display's token: its tablet stops showing the room."""
    revoke_display(g.actor, get_facility(code), display_id)
    return "", 204
