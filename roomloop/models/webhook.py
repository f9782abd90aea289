"""The event outbox: every change writes its event here in the same transaction."""

from ..extensions import db
from .base import new_public_id, utcnow


class Event(db.Model):
    __tablename__ = "events"

    id = db.Column(db.Integer, primary_key=True)
    public_id = db.Column(
        db.String(32), nullable=False, unique=True, default=lambda: new_public_id("evt_")
    )
    type = db.Column(db.String(40), nullable=False, index=True)
    data = db.Column(db.JSON, nullable=False)
    created_at = db.Column(db.DateTime, nullable=False, default=utcnow)
