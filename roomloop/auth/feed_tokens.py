"""The secret in a person's calendar feed address.

The token is derived, never stored: the account's public id and its ``calendar_salt``,
signed with the app's secret key. So My reservations and ``GET /v1/me`` can show the same
address on every visit while the database holds nothing that opens it. A new salt
(``reset_feed_token``) makes every earlier token fail; so does a new secret key.
"""

import secrets

from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import bindparam, select

from ..extensions import db
from ..models import Account

# Its own salt: a token signed for anything else with the same key never opens a feed.
SIGNING_SALT = "roomloop.calendar-feed"
# A token is ~100 characters; anything far longer is not one, and is not decoded.
MAX_TOKEN_LENGTH = 200

ACCOUNT_QUERY = select(Account).where(Account.public_id == bindparam("public_id"))


def _serializer():
    return URLSafeSerializer(current_app.secret_key, salt=SIGNING_SALT)


def feed_token(account):
    """The token of ``account``'s current feed address (the same until it is reset)."""
    return _serializer().dumps([account.public_id, account.calendar_salt or ""])


def account_for_feed_token(token):
    """The active account whose current feed address ``token`` is, or ``None``: garbled,
    forged, reset or disabled all look alike to the caller."""
    if len(token) > MAX_TOKEN_LENGTH:
        return None
    try:
        payload = _serializer().loads(token)
    except BadSignature:
        return None
    if not (
        isinstance(payload, list)
        and len(payload) == 2
        and all(isinstance(part, str) for part in payload)
    ):
        return None
    public_id, salt = payload
    account = db.session.scalar(ACCOUNT_QUERY, {"public_id": public_id})
    if account is None or account.status != "active" or (account.calendar_salt or "") != salt:
        return None
    return account


def reset_feed_token(account):
    """Give ``account`` a new feed address; the old one stops working at once."""
    account.calendar_salt = secrets.token_hex(16)
    db.session.commit()
    return feed_token(account)
