"""School-wide settings with their defaults; admins change them, every rule reads them here.

Changing a setting goes through ``update_rule_params`` or ``update_bell_schedule``: they
check the actor may, validate every value (a ``ValidationError`` names each bad field and
nothing is stored), then store all of them in one commit.
"""

import re

from sqlalchemy import func, select

from ..configured import configured, forget
from ..errors import ValidationError
from ..extensions import db
from ..models import HeldSlot, Setting

DEFAULT_BELL_SCHEDULE = [
    {"start": f"{8 + i:02d}:00", "end": f"{8 + i:02d}:50"} for i in range(1, 9)
]

DEFAULTS = {
    "bell_schedule": DEFAULT_BELL_SCHEDULE,  # slot i is DEFAULT_BELL_SCHEDULE[i - 1]
    "max_consecutive_slots": 4,
    "booking_window_days": 60,
    "weekly_quota_slots": 20,
    # Off: an approver's own pending request waits for another approver or an admin.
    "approvers_confirm_own": False,
    # The school calendar (school_calendar.py): None is the yearly default terms.
    "terms": None,
    "cycle": {"weeks": 1, "start": None},  # weeks 2 to 4: an A/B... timetable from "start"
    "school_days": ["mon", "tue", "wed", "thu", "fri"],
    # On: a series may book beyond the booking window up to the end of its first date's term.
    "series_to_term_end": True,
    # Off: door displays say a room is booked and what for, never by whom.
    "door_display_names": False,
}

# The rule parameters an admin may tune, with their allowed ranges (inclusive).
RULE_PARAM_RANGES = {
    "max_consecutive_slots": (1, 12),
    "booking_window_days": (1, 365),
    "weekly_quota_slots": (1, 200),
}
# School policies an admin turns on or off, beside the rule parameters.
POLICY_FLAGS = ("approvers_confirm_own", "door_display_names")
MAX_PERIODS = 16
# [0-9], not \d: \d takes any script's digits ("0٩:00"), which time.fromisoformat refuses.
TIME_OF_DAY = re.compile(r"^([01][0-9]|2[0-3]):[0-5][0-9]$")


def get_setting(key):
    return configured().settings.get(key, DEFAULTS[key])


def set_setting(key, value):
    """Store ``value`` for ``key`` in the current transaction; the caller commits."""
    if key not in DEFAULTS:
        raise KeyError(key)
    forget()
    row = db.session.get(Setting, key)
    if row is None:
        db.session.add(Setting(key=key, value=value))
    else:
        row.value = value


def get_rule_params():
    """The tunable rule parameters and policy flags by name, as stored (or their defaults)."""
    return {key: get_setting(key) for key in (*RULE_PARAM_RANGES, *POLICY_FLAGS)}


def validate_rule_params(values):
    """Whole numbers within each parameter's range, and true or false for each policy flag;
    a missing parameter keeps its value.

    ``values`` maps parameter names to integers or to their decimal text (a form's fields).
    """
    unknown = set(values) - set(RULE_PARAM_RANGES) - set(POLICY_FLAGS)
    if unknown:
        raise ValidationError({name: "Unknown setting." for name in sorted(unknown)})
    clean, errors = {}, {}
    for name, raw in values.items():
        if name in POLICY_FLAGS:
            if isinstance(raw, bool):
                clean[name] = raw
            else:
                errors[name] = "Must be true or false."
            continue
        low, high = RULE_PARAM_RANGES[name]
        number = _whole_number(raw)
        if number is None or not low <= number <= high:
            errors[name] = f"Enter a whole number from {low} to {high}."
        else:
            clean[name] = number
    if errors:
        raise ValidationError(errors)
    return clean


def update_rule_params(actor, values):
    """Store the rule parameters in ``values`` together, or none of them if one is invalid."""
    actor.require("settings:manage")
    clean = validate_rule_params(values)
    for name, value in clean.items():
        set_setting(name, value)
    db.session.commit()
    return clean


def validate_bell_schedule(periods):
    """A day of 1 to 16 periods, each ``{"start": "HH:MM", "end": "HH:MM"}``, in order.

    Each period ends after it starts and starts no earlier than the previous one ends.
    Errors are keyed ``"<period>.start"`` / ``"<period>.end"`` (periods count from 1), or
    ``"bell_schedule"`` for the day as a whole.
    """
    if not 1 <= len(periods) <= MAX_PERIODS:
        raise ValidationError({"bell_schedule": f"A day has 1 to {MAX_PERIODS} periods."})
    errors, clean = {}, []
    for number, period in enumerate(periods, start=1):
        start, end = (_time_of_day(period.get(part)) for part in ("start", "end"))
        for part, value in (("start", start), ("end", end)):
            if value is None:
                errors[f"{number}.{part}"] = _time_message(period.get(part), part)
        if start and end and end <= start:
            errors[f"{number}.end"] = f"Must be after the start ({start})."
        elif start and clean and clean[-1]["end"] and start < clean[-1]["end"]:
            errors[f"{number}.start"] = (
                f"Must not be before period {number - 1} ends ({clean[-1]['end']})."
            )
        clean.append({"start": start, "end": end})
    if errors:
        raise ValidationError(errors)
    return clean


def update_bell_schedule(actor, periods, today):
    """Replace the bell schedule as a whole (see ``check_bell_schedule``)."""
    actor.require("settings:manage")
    set_setting("bell_schedule", check_bell_schedule(periods, today))
    db.session.commit()
    return get_setting("bell_schedule")


def check_bell_schedule(periods, today):
    """A valid day of periods that keeps every period upcoming bookings hold.

    A period that upcoming bookings (from ``today`` on) still hold cannot be removed: those
    bookings would point at a period the day no longer has.
    """
    clean = validate_bell_schedule(periods)
    held = db.session.scalar(
        select(func.count(func.distinct(HeldSlot.reservation_id))).where(
            HeldSlot.date >= today, HeldSlot.slot > len(clean)
        )
    )
    if held:
        last = db.session.scalar(select(func.max(HeldSlot.slot)).where(HeldSlot.date >= today))
        raise ValidationError(
            {
                "bell_schedule": f"{held} upcoming booking{'s' if held > 1 else ''} use periods "
                f"after {len(clean)}; keep at least {last} periods, or cancel those bookings "
                "first."
            }
        )
    return clean


def _whole_number(raw):
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int):
        return raw
    if isinstance(raw, str) and re.fullmatch(r"\s*\d{1,6}\s*", raw):
        return int(raw)
    return None


def _time_of_day(raw):
    if not isinstance(raw, str):
        return None
    raw = raw.strip()
    if re.fullmatch(r"\d:[0-5]\d", raw):  # "9:00" is 09:00
        raw = "0" + raw
    # A browser's time input sends seconds when it has them ("09:00:00").
    if re.fullmatch(r"\d\d:\d\d:00", raw):
        raw = raw[:5]
    return raw if TIME_OF_DAY.match(raw) else None


def _time_message(raw, part):
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return f"Enter {'a start' if part == 'start' else 'an end'} time."
    return "Use the 24-hour form HH:MM, e.g. 09:00 or 13:45."
