"""School-wide settings (bell schedule, rule parameters) stored as JSON values by key."""

from ..extensions import db
from .base import utcnow


class Setting(db.Model):
    __tablename__ = "settings"

    key = db.Column(db.String(64), primary_key=True)
    value = db.Column(db.JSON, nullable=False)
    updated_at = db.Column(db.DateTime, nullable=False, default=utcnow, onupdate=utcnow)


class ConfigStamp(db.Model):
    """One row whose ``stamp`` changes with every change to the settings, the blackout
    dates, the webhook endpoints or the facilities: database triggers (migration 0004) write
    a fresh random value, whoever makes the change (RoomLoop, the CLI, an admin's SQL).
    ``configured.py`` keeps those tables in each process until the stamp differs. No row:
    nothing has changed since the migration."""

    __tablename__ = "config_stamp"

    id = db.Column(db.Integer, primary_key=True)  # always 1
    stamp = db.Column(db.String(32), nullable=False)
