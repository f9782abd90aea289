"""``/v1/auth``: end an API session."""

from flask import g

from ..auth.tokens import revoke_token
from .blueprint import bp


@bp.post("/auth/logout")
def logout():
    """Revoke the bearer token this request was made with."""
    revoke_token(g.token)
    return "", 204
