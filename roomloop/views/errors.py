"""The pages' answer to an HTTP error: a page in the site's layout that says what happened
and what to do, instead of Werkzeug's bare text. ``/v1`` keeps its JSON envelope."""

from flask import render_template
from flask_wtf.csrf import CSRFError

from ..api.errors import http_error, is_api_request
from ..logs import request_id

# Status -> (heading, what happened, what to do).
EXPLAINED = {
    400: (
        "That request could not be used",
        "Part of what the browser sent was missing or not understood, so nothing was changed.",
        "Go back, reload the page, and try again.",
    ),
    404: (
        "Page not found",
        "There is no page at this address: it may be mistyped, or what it showed was deleted.",
        "Check the address, or go back.",
    ),
    405: (
        "That request does not work here",
        "This address does not take that kind of request, so nothing was changed.",
        "Go back, reload the page, and use its buttons and links.",
    ),
    413: (
        "Too large to send",
        "What was sent is larger than RoomLoop takes, so nothing was changed.",
        "Go back and send a smaller file.",
    ),
}
EXPIRED_FORM = (
    "This form has expired",
    "It was open too long, or you signed out or in again since it was shown, so it was not "
    "sent and nothing was saved.",
    "Go back, reload the page for a fresh form, and send it again.",
)


def answer_http_error(exc):
    """The one answer to an HTTP error no view handled (an unknown address or method, an
    abort, a refused form token, an unhandled exception): JSON under ``/v1``, else a page."""
    if is_api_request():
        return http_error(exc)
    if exc.code == 500:
        # Standalone: the layout reads the signed-in account, and the database may be what
        # failed.
        return render_template("errors/500.html", request_id=request_id()), 500
    explained = EXPIRED_FORM if isinstance(exc, CSRFError) else EXPLAINED.get(exc.code)
    if explained is None:
        return exc  # Werkzeug's own answer (e.g. a calendar app's 429, with Retry-After)
    heading, happened, to_do = explained
    page = render_template(
        "errors/error.html", status=exc.code, heading=heading, happened=happened, to_do=to_do
    )
    return page, exc.code, _kept_headers(exc)


def _kept_headers(exc):
    """The headers the error adds to its answer (405's Allow), but its own body's type."""
    return [(name, value) for name, value in exc.get_headers() if name.lower() != "content-type"]
