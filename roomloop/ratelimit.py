"""Whom a rate limit counts: the bearer token when there is one, else the client address."""

import hashlib

from flask import request
from flask_limiter.util import get_remote_address


def bearer_token():
    """The token of an ``Authorization: Bearer`` header, or ``None``."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    token = token.strip()
    return token if scheme.lower() == "bearer" and token else None


def rate_limit_key():
    token = bearer_token()
    if token is None:
        return "addr:" + get_remote_address()
    # The limiter's storage (Redis in production) sees a digest, never the token itself.
    return "token:" + hashlib.sha256(token.encode()).hexdigest()
