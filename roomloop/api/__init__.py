"""The ``/v1`` JSON API: bearer-token authentication and one module per resource."""

from flask import g, request

from ..auth.permissions import Actor
from ..auth.tokens import find_bearer
from . import errors
from .blueprint import bp


@bp.before_request
def authenticate():
    """Identify the caller from its bearer token; every ``/v1`` endpoint needs one."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise errors.Unauthorized("Send a bearer token: 'Authorization: Bearer <token>'.")
    row = find_bearer(token)
    if row is None:
        raise errors.Unauthorized("The bearer token is invalid, expired or revoked.")
    g.actor = Actor.for_account(row.account, row.scopes)


# Importing the resource modules registers their routes on ``bp``.
from . import facilities, reservations  # noqa: E402, F401


def init_app(app):
    errors.register_app_handlers(app)
    app.register_blueprint(bp)
