"""Credentials: bearer tokens of the API, sessions of browsers and the tokens of door displays.
Only hashes are stored."""

from ..extensions import db
from .base import new_public_id, utcnow


class ApiToken(db.Model):
    __tablename__ = "api_tokens"

    id = db.Column(db.Integer, primary_key=True)
    public_id = db.Column(
        db.String(32), nullable=False, unique=True, default=lambda: new_public_id("key_")
    )
    kind = db.Column(db.String(20), nullable=False, default="api_key")  # api_key | session
    account_id = db.Column(
        db.Integer, db.ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False, index=True
    )
    token_hash = db.Column(db.String(64), nullable=False, unique=True)  # SHA-256, hex
    prefix = db.Column(db.String(20), nullable=False)  # shown in lists: sk_live_ab12
    label = db.Column(db.String(120), nullable=False, default="")
    scopes = db.Column(db.JSON, nullable=True)  # None: every capability of the owner
    created_at = db.Column(db.DateTime, nullable=False, default=utcnow)
    last_used_at = db.Column(db.DateTime, nullable=True)
    expires_at = db.Column(db.DateTime, nullable=True)
    revoked_at = db.Column(db.DateTime, nullable=True)

    account = db.relationship("Account", lazy="joined")


class BrowserSession(db.Model):
    """One browser signed in to the pages: its cookie carries a random token, this row only
    the token's hash, so that deleting the row signs out every copy of that cookie."""

    __tablename__ = "browser_sessions"

    id = db.Column(db.Integer, primary_key=True)
    account_id = db.Column(
        db.Integer, db.ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False, index=True
    )
    token_hash = db.Column(db.String(64), nullable=False, unique=True)  # SHA-256, hex
    created_at = db.Column(db.DateTime, nullable=False, default=utcnow)
    expires_at = db.Column(db.DateTime, nullable=False)


class DisplayToken(db.Model):
    """A door display of one facility: its token reads that facility's display, nothing else."""

    __tablename__ = "display_tokens"

    id = db.Column(db.Integer, primary_key=True)
    public_id = db.Column(
        db.String(32), nullable=False, unique=True, default=lambda: new_public_id("dsp_")
    )
    facility_id = db.Column(
        db.Integer, db.ForeignKey("facilities.id", ondelete="CASCADE"), nullable=False, index=True
    )
    token_hash = db.Column(db.String(64), nullable=False, unique=True)  # SHA-256, hex
    label = db.Column(db.String(120), nullable=False, default="")
    created_by_id = db.Column(
        db.Integer, db.ForeignKey("accounts.id", ondelete="SET NULL"), nullable=True
    )
    created_at = db.Column(db.DateTime, nullable=False, default=utcnow)
    last_seen_at = db.Column(db.DateTime, nullable=True)

    facility = db.relationship("Facility", lazy="joined")
