"""The secret in an email's one-click unsubscribe link.

Derived, never stored: the account's public id and the kind of email, signed with the app's
secret key and a salt of its own, so the link needs no sign-in and a token signed for
anything else never unsubscribes. A new secret key ends every earlier link.
"""

from flask import current_app
from itsdangerous import BadData, URLSafeSerializer

SIGNING_SALT = "roomloop.unsubscribe"
# A token is ~90 characters; anything far longer is not one, and is not decoded.
MAX_TOKEN_LENGTH = 200


def _serializer():
    return URLSafeSerializer(current_app.secret_key, salt=SIGNING_SALT)


def unsubscribe_token(account, kind):
    """The token that turns off emails of ``kind`` for ``account``."""
    return _serializer().dumps([account.public_id, kind])


def read_unsubscribe_token(token):
    """The (account public id, kind) an unsubscribe token names, or ``None`` if it is not one
    this app signed."""
    if not isinstance(token, str) or not token or len(token) > MAX_TOKEN_LENGTH:
        return None
    try:
        value = _serializer().loads(token)
    except BadData:
        return None
    if not (isinstance(value, list) and len(value) == 2 and all(isinstance(v, str) for v in value)):
        return None
    return tuple(value)
