"""School-wide settings (bell schedule, rule parameters) stored as JSON values by key."""

from ..extensions import db
from .base import utcnow


class Setting(db.Model):
    __tablename__ = "settings"

    key = db.Column(db.String(64), primary_key=True)
    value = db.Column(db.JSON, nullable=False)
    updated_at = db.Column(db.DateTime, nullable=False, default=utcnow, onupdate=utcnow)
