"""Calendar feeds on the pages: a person's own feed, which calendar apps fetch without
signing in (the address's token is the secret), a facility's feed for signed-in people, and
a new address for one's own feed from My reservations."""

from flask import Blueprint, abort, current_app, flash, redirect, render_template, url_for
from flask_limiter.util import get_remote_address
from flask_login import current_user, login_required

from ..api.calendar import calendar_url, feed_response
from ..auth.feed_tokens import account_for_feed_token, reset_feed_token
from ..booking import facility_feed, personal_feed
from ..extensions import htmx
from ..ratelimit import limiter
from . import facility_or_404
from .forms import ActionForm

bp = Blueprint("calendar", __name__)
NEW_ADDRESS = (
    "Your calendar has a new address. The old one no longer works: subscribe again with "
    "this one wherever you used it."
)


@bp.get("/calendar/<token>.ics", endpoint="personal_feed")
# Per address: calendar apps poll from their providers' servers, each for many people.
@limiter.limit(lambda: current_app.config["CALENDAR_RATE_LIMIT"], key_func=get_remote_address)
def show_personal_feed(token):
    """Answer a person's feed to whoever has its address; any other token is a plain 404."""
    account = account_for_feed_token(token)
    if account is None:
        abort(404)
    return feed_response(personal_feed(account))


@bp.get("/facilities/<code>/calendar.ics", endpoint="facility_feed")
@login_required
def show_facility_feed(code):
    """Download a facility's bookings as an iCalendar file (the API serves the same feed)."""
    return feed_response(facility_feed(facility_or_404(code)))


@bp.post("/my/calendar/reset")
@login_required
def reset():
    """Give the signed-in person's feed a new address; the old one stops working. With
    htmx the section comes back in place, saying so; otherwise My reservations does."""
    if not ActionForm().validate_on_submit():
        abort(400)
    reset_feed_token(current_user)
    if not htmx:
        flash(f"{NEW_ADDRESS} You will find it under “Subscribe to your calendar”.", "info")
        return redirect(url_for("teacher.my_reservations"))
    return render_template(
        "partials/calendar_feed.html",
        calendar_url=calendar_url(current_user),
        calendar_reset_form=ActionForm(formdata=None),
        notice=NEW_ADDRESS,
    )
