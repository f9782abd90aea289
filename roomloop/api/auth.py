"""``/v1/auth``: exchange a Google ID token for an API session, and end it."""

from flask import current_app, g, request
from flask_limiter.util import get_remote_address

from ..auth.google import sign_in_with_google
from ..auth.tokens import create_session_token, revoke_token
from ..models import iso_utc
from ..ratelimit import limiter
from ..resources import account_resource
from ..schemas import GoogleTokenExchange, parse_json
from .blueprint import bp


@bp.post("/auth/google")
@limiter.limit(lambda: current_app.config["AUTH_RATE_LIMIT"], key_func=get_remote_address)
def google_sign_in():
    """Verify a Google ID token and start a session for its account."""
    data = parse_json(GoogleTokenExchange, request.get_data())
    account = sign_in_with_google(data.id_token)
    row, token = create_session_token(account)
    return {
        "token": token,
        "expires_at": iso_utc(row.expires_at),
        "account": account_resource(account),
    }


@bp.post("/auth/logout")
def logout():
    """Revoke the bearer token this request was made with."""
    revoke_token(g.token)
    return "", 204
