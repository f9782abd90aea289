"""Helpers shared by every model: public ids and UTC timestamps."""

import secrets
from datetime import UTC, datetime

from ..extensions import db


def utcnow():
    """Naive UTC now; every timestamp column holds naive UTC, on SQLite and PostgreSQL alike."""
    return datetime.now(UTC).replace(tzinfo=None)


def new_public_id(prefix):
    """A public id such as ``res_8f3e21a90c``: the prefix and ten random lowercase hex digits."""
    return prefix + secrets.token_hex(5)


def iso_utc(value):
    """``2026-06-08T09:14:00Z`` for a naive UTC datetime, ``None`` for ``None``."""
    return None if value is None else value.replace(microsecond=0).isoformat() + "Z"


class TimestampMixin:
    created_at = db.Column(db.DateTime, nullable=False, default=utcnow)
    updated_at = db.Column(db.DateTime, nullable=False, default=utcnow, onupdate=utcnow)
