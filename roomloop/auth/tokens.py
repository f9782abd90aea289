"""Bearer tokens: API keys are random, shown once, and stored only as SHA-256 hashes."""

import hashlib
import secrets
from datetime import timedelta

from flask import current_app
from sqlalchemy import bindparam, select, update
from sqlalchemy.orm.attributes import set_committed_value

from ..configured import STAMP_COLUMN, stamp_seen
from ..errors import ValidationError
from ..extensions import db
from ..models import ApiToken, utcnow
from ..sqlite import commit_keeping_loaded, write_later
from .permissions import ALL_CAPABILITIES, ROLE_CAPABILITIES

API_KEY_PREFIX = "sk_live_"
SESSION_PREFIX = "sess_"
# "Last used" is for people reading the keys page: minute precision keeps writes rare.
LAST_USED_PRECISION = timedelta(minutes=1)
# SQLite caps the parameters of one statement; statements naming accounts go in batches.
ACCOUNT_BATCH = 500


def hash_token(token):
    # Keys carry 256 bits of randomness, so a fast hash is safe; no salt or KDF is needed.
    return hashlib.sha256(token.encode()).hexdigest()


def create_api_key(account, scopes=None, label=""):
    """Create a key for ``account``; return the stored row and the key, which is never kept."""
    if account.status != "active":
        raise ValidationError({"email": f"{account.email} is disabled; its keys would not work."})
    if scopes is not None:
        unknown = sorted(set(scopes) - ALL_CAPABILITIES)
        beyond = sorted(set(scopes) - ROLE_CAPABILITIES[account.role])
        if unknown:
            raise ValidationError({"scopes": f"Unknown capabilities: {', '.join(unknown)}."})
        if beyond:
            raise ValidationError(
                {"scopes": f"A {account.role}'s key cannot have: {', '.join(beyond)}."}
            )
        scopes = sorted(set(scopes))
    return _issue("api_key", API_KEY_PREFIX, account, label=label, scopes=scopes)


def create_session_token(account):
    """Start an API session for ``account`` (after Google sign-in); it expires by itself."""
    hours = current_app.config["SESSION_TOKEN_HOURS"]
    return _issue("session", SESSION_PREFIX, account, expires_at=utcnow() + timedelta(hours=hours))


def _issue(kind, prefix, account, **fields):
    token = prefix + secrets.token_urlsafe(32)
    row = ApiToken(
        kind=kind,
        account=account,
        token_hash=hash_token(token),
        prefix=token[: len(prefix) + 4],
        **fields,
    )
    db.session.add(row)
    db.session.commit()
    return row, token


def list_api_keys():
    """Every API key, newest first, with its owner (session tokens are not listed)."""
    return db.session.scalars(
        select(ApiToken).where(ApiToken.kind == "api_key").order_by(ApiToken.id.desc())
    ).all()


def revoke_token(row):
    if row.revoked_at is None:
        row.revoked_at = utcnow()
        db.session.commit()


def account_batches(account_ids):
    """``account_ids`` in slices that one statement can name on SQLite."""
    for start in range(0, len(account_ids), ACCOUNT_BATCH):
        yield account_ids[start : start + ACCOUNT_BATCH]


def revoke_tokens(account_ids, kind=None):
    """Revoke every live token (of ``kind``: ``api_key`` or ``session``; or both) of these
    accounts, in the caller's transaction. They stay revoked if the account is enabled again:
    its owner asks for new keys."""
    revoked = update(ApiToken).where(ApiToken.revoked_at.is_(None)).values(revoked_at=utcnow())
    if kind is not None:
        revoked = revoked.where(ApiToken.kind == kind)
    for batch in account_batches(account_ids):
        db.session.execute(revoked.where(ApiToken.account_id.in_(batch)))


TOUCH = (
    update(ApiToken.__table__)
    .where(ApiToken.__table__.c.id == bindparam("token_id"))
    .values(last_used_at=bindparam("now"))
)


def touch_token(row):
    """Record when a token was last used, at most once a minute.

    Where the request reads before it writes (a GET, a booking), the update goes with the
    request's own write, or after the request if it writes nothing (skipped if the database
    stays busy): a transaction of its own would cost a commit and, on SQLite, a wait for the
    write lock once more. Elsewhere it is committed at once, before the request's own work.
    """
    now = utcnow()
    if row.last_used_at is not None and now - row.last_used_at < LAST_USED_PRECISION:
        return
    if write_later(TOUCH, {"token_id": row.id, "now": now}):
        set_committed_value(row, "last_used_at", now)  # as the request will have written it
        return
    row.last_used_at = now
    commit_keeping_loaded()  # the token and its account serve the rest of the request


# Built once: every API request runs it. It reads the settings' stamp as well, which
# saves the request a round trip to the database when they have not changed.
BEARER_QUERY = select(ApiToken, STAMP_COLUMN).where(ApiToken.token_hash == bindparam("token_hash"))


def find_bearer(token):
    """The live token row for a presented bearer token, or ``None``."""
    found = db.session.execute(BEARER_QUERY, {"token_hash": hash_token(token)}).first()
    if found is None:
        return None
    row, stamp = found
    stamp_seen(stamp)
    if row.revoked_at is not None or row.account.status != "active":
        return None
    if row.expires_at is not None and row.expires_at <= utcnow():
        return None
    return row
