"""Bearer tokens: API keys are random, shown once, and stored only as SHA-256 hashes."""

import hashlib
import secrets

from sqlalchemy import select

from ..errors import ValidationError
from ..extensions import db
from ..models import ApiToken, utcnow
from .permissions import ALL_CAPABILITIES, ROLE_CAPABILITIES

API_KEY_PREFIX = "sk_live_"


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
    key = API_KEY_PREFIX + secrets.token_urlsafe(32)
    row = ApiToken(
        kind="api_key",
        account=account,
        token_hash=hash_token(key),
        prefix=key[: len(API_KEY_PREFIX) + 4],
        label=label,
        scopes=scopes,
    )
    db.session.add(row)
    db.session.commit()
    return row, key


def find_bearer(token):
    """The live token row for a presented bearer token, or ``None``."""
    row = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == hash_token(token)))
    if row is None or row.revoked_at is not None or row.account.status != "active":
        return None
    if row.expires_at is not None and row.expires_at <= utcnow():
        return None
    return row
