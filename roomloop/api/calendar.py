"""Calendar feeds over HTTP: a facility's feed (``GET /v1/facilities/:id/calendar.ics``) and
a new personal feed address (``POST /v1/me/calendar/reset``), with what the pages' feeds
share with them: the answer with its validator, and the addresses a feed shows."""

from flask import Response, g, request, url_for

from ..auth.feed_tokens import feed_token, reset_feed_token
from ..booking import facility_feed, facility_row, feed_etag, feed_ics
from .blueprint import bp

# Reading a feed reads the person's own bookings, as listing them does.
FEED_CAPABILITY = "reservations:book"


def calendar_url(account):
    """The absolute address of ``account``'s personal feed (on ``ROOMLOOP_SERVER_NAME``
    where it is set)."""
    return url_for("calendar.personal_feed", token=feed_token(account), _external=True)


def reservation_links():
    """``link_for(booking)``: where each event links back to, the reservation's own page.
    Every feed's links are built here; the address is worked out once, not per event."""
    base = url_for("reservations.show", public_id="RES", _external=True)
    head, tail = base.rsplit("RES", 1)
    return lambda booking: head + booking.public_id + tail


def feed_response(feed):
    """``feed`` as ``text/calendar``, or 304 with no body when the caller's copy is current.

    The ETag comes from one aggregate query; the feed is read and written only when it
    differs, so an app polling an unchanged feed costs almost nothing.
    """
    # Events link to absolute addresses: a feed served on another host name differs.
    etag = feed_etag(feed, variant=url_for("teacher.grid", _external=True))
    if request.if_none_match.contains_weak(etag):
        response = Response(status=304)
    else:
        response = Response(feed_ics(feed, reservation_links()), mimetype="text/calendar")
        response.headers["Content-Disposition"] = f'inline; filename="{feed.filename}"'
    response.set_etag(etag)
    # Kept by the app that fetched it, and checked again with If-None-Match before each use.
    response.cache_control.private = True
    response.cache_control.no_cache = True
    return response


@bp.get("/facilities/<code>/calendar.ics")
def facility_calendar(code):
    """Everyone's bookings of one facility, as an iCalendar feed."""
    g.actor.require("facilities:read")
    return feed_response(facility_feed(facility_row(code)))


@bp.post("/me/calendar/reset")
def reset_calendar():
    """Give the caller's personal feed a new address; the old one stops working."""
    g.actor.require(FEED_CAPABILITY)
    reset_feed_token(g.actor.account)
    return {"calendar_url": calendar_url(g.actor.account)}
