"""The ``/v1`` JSON API: bearer-token authentication, rate limits, one module per resource."""

from flask import current_app, g, request
from flask.sessions import SecureCookieSessionInterface

from .. import logs
from ..auth.permissions import Actor
from ..auth.tokens import touch_token
from ..extensions import csrf
from ..ratelimit import bearer_token, current_bearer, keep_retry_after_for_refusals, limiter
from . import errors
from .blueprint import bp

# Reachable without a token; everything else under /v1 needs one, even a path that does
# not exist, so that an anonymous caller learns nothing about the API's routes.
PUBLIC_PATHS = {"/v1/auth/google", "/v1/openapi.json"}


def authenticate():
    """Identify the caller from its bearer token before anything else under ``/v1`` runs."""
    if not errors.is_api_request() or request.path in PUBLIC_PATHS:
        return None
    if request.url_rule is None:
        count_unrouted_call()
    if bearer_token() is None:
        return errors.unauthorized_response("Send a bearer token: 'Authorization: Bearer <token>'.")
    row = current_bearer()
    if row is None:
        return errors.unauthorized_response("The bearer token is invalid, expired or revoked.")
    touch_token(row)
    logs.identify(row.account)
    g.token = row
    g.actor = Actor.for_account(row.account, row.scopes)
    return None


# Importing the resource modules registers their routes on ``bp``.
from . import (  # noqa: E402, F401
    accounts,
    auth,
    calendar,
    displays,
    facilities,
    openapi,
    reports,
    reservations,
    school,
    series,
    webhooks,
)


def v1_rate_limit(**options):
    """One quota per token (or per address without a live one) across every ``/v1`` call,
    not one per route."""
    return limiter.shared_limit(lambda: current_app.config["RATE_LIMIT"], scope="v1", **options)


@v1_rate_limit()
def count_unrouted_call():
    """Count a call to a ``/v1`` path or method that does not exist like any other call;
    routing answers it 404 or 405 afterwards."""


# Every /v1 endpoint but the sign-in exchange, which is limited per address, and the
# OpenAPI document, which is public and static.
v1_rate_limit(exempt_when=lambda: request.path in PUBLIC_PATHS)(bp)
csrf.exempt(bp)  # bearer tokens only; the API never reads the session cookie


class PagesOnlyCookieSession(SecureCookieSessionInterface):
    """The signed session cookie belongs to the pages. The API authenticates by bearer token
    alone and never reads it, so its requests neither open nor save one (a tenth of a
    millisecond of every call)."""

    def open_session(self, app, request):
        if errors.is_api_request():
            return self.make_null_session(app)
        return super().open_session(app, request)


def init_app(app):
    app.session_interface = PagesOnlyCookieSession()
    app.before_request(authenticate)
    # Flask runs after-request functions last-registered first; Flask-Limiter adds its
    # headers in one registered earlier, so this one goes to the front of the list to run
    # after it.
    app.after_request_funcs.setdefault(None, []).insert(0, keep_retry_after_for_refusals)
    app.url_map.converters["account_id"] = accounts.AccountIdConverter
    app.url_map.converters["series_id"] = series.SeriesIdConverter
    app.register_blueprint(bp)
