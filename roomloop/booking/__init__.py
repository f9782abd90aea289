"""Booking: the rules engine and everything a booking is decided on and written with.

Holds the rules engine (``rules``: R-01..R-11, pure functions of a request and a snapshot),
the booking operations (``operations``: create, change, confirm, cancel, delete), recurring
series (``series``: the pattern and each date's decision; ``series_booking``: writing them;
``series_changes``: reading and changing them), the CSV timetable import that books many at
once (``timetable``), slot states and suggestions (``availability``), the bell schedule and
the school's clock (``schedule``), the school calendar (``school_calendar``: terms, school
days, the timetable cycle), blackout dates, facilities, the school-wide settings and the
calendar feeds of a person's or a facility's bookings (``feeds``). Pages and the API call
what is exported here; nothing in it reads the request.
"""

from .availability import day_availability
from .blackouts import bookings_during, create_blackout, delete_blackout, describe, list_blackouts
from .facilities import (
    create_facility,
    facility_choices,
    facility_page,
    facility_row,
    find_facilities,
    get_facility,
    update_facility,
)
from .feeds import facility_feed, feed_etag, feed_ics, personal_feed
from .operations import (
    create_reservation,
    delete_reservation,
    has_started,
    reservations_of,
    update_reservation,
)
from .rules import RULES, RuleViolation, SlotConflict
from .schedule import get_schedule, school_now, week_of
from .school_calendar import (
    WEEKDAYS,
    get_cycle,
    is_school_day,
    school_days,
    term_of,
    terms_from,
    update_school_calendar,
    week_label,
)
from .series import MAX_OCCURRENCES, Repeat, SeriesRefused, plan_series
from .series_booking import create_series, create_series_as_asked, write_series
from .series_changes import get_series, series_of, update_series
from .settings import (
    MAX_PERIODS,
    POLICY_FLAGS,
    RULE_PARAM_RANGES,
    get_rule_params,
    get_setting,
    update_bell_schedule,
    update_rule_params,
)
from .timetable import TimetableResult, import_timetable, timetable_template

__all__ = [
    "MAX_OCCURRENCES",
    "MAX_PERIODS",
    "POLICY_FLAGS",
    "RULES",
    "RULE_PARAM_RANGES",
    "WEEKDAYS",
    "Repeat",
    "RuleViolation",
    "SeriesRefused",
    "SlotConflict",
    "TimetableResult",
    "bookings_during",
    "create_blackout",
    "create_facility",
    "create_reservation",
    "create_series",
    "create_series_as_asked",
    "day_availability",
    "delete_blackout",
    "delete_reservation",
    "describe",
    "facility_choices",
    "facility_feed",
    "facility_page",
    "facility_row",
    "feed_etag",
    "feed_ics",
    "find_facilities",
    "get_cycle",
    "get_facility",
    "get_rule_params",
    "get_schedule",
    "get_series",
    "get_setting",
    "has_started",
    "import_timetable",
    "is_school_day",
    "list_blackouts",
    "personal_feed",
    "plan_series",
    "reservations_of",
    "school_days",
    "school_now",
    "series_of",
    "term_of",
    "terms_from",
    "timetable_template",
    "update_bell_schedule",
    "update_facility",
    "update_reservation",
    "update_rule_params",
    "update_school_calendar",
    "update_series",
    "week_label",
    "week_of",
    "write_series",
]
