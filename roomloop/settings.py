"""School-wide settings with their defaults; admins change them, every rule reads them here."""

from .extensions import db
from .models import Setting

DEFAULT_BELL_SCHEDULE = [
    {"start": f"{8 + i:02d}:00", "end": f"{8 + i:02d}:50"} for i in range(1, 9)
]

DEFAULTS = {
    "bell_schedule": DEFAULT_BELL_SCHEDULE,  # slot i is DEFAULT_BELL_SCHEDULE[i - 1]
    "max_consecutive_slots": 4,
    "booking_window_days": 60,
    "weekly_quota_slots": 20,
}


def get_setting(key):
    row = db.session.get(Setting, key)
    return DEFAULTS[key] if row is None else row.value


def set_setting(key, value):
    """Store ``value`` for ``key`` in the current transaction; the caller commits."""
    if key not in DEFAULTS:
        raise KeyError(key)
    row = db.session.get(Setting, key)
    if row is None:
        db.session.add(Setting(key=key, value=value))
    else:
        row.value = value
