"""Booking: the rules engine and everything a booking is decided on and written with.

Holds the rules engine (``rules``: R-01..R-11, pure functions of a request and a snapshot),
the booking operations (``operations``: create, change, confirm, cancel, delete), check-in
and the release of bookings nobody checked in (``check_in``), the tokens of door displays
(``displays``) and what they show (``door``), recurring
series (``series``: the pattern and each date's decision; ``series_booking``: writing them;
``series_changes``: reading and changing them), the CSV timetable import that books many at
once (``timetable``), slot states and suggestions (``availability``), which free cells of
a day's grid one person may book (``viewer_day``), the bell schedule and the school's clock
(``schedule``), the school calendar (``school_calendar``: terms, school days, the timetable
cycle), blackout dates and the bookings they cover (``blackout_bookings``:
cancelled together), facilities, the school-wide settings, the calendar feeds of a
person's or a facility's bookings (``feeds``), and the approvals queue with its daily
digest (``approvals``). Pages and the API call what is exported here; nothing in it reads
the request.

The search for a free room and the week across rooms for a band of periods are in ``find``.
"""

from .approvals import SeriesRequest, pending_reservations, queue_of, write_digests
from .availability import day_availability
from .blackout_bookings import cancel_bookings_during, covered_bookings
from .blackouts import bookings_during, create_blackout, delete_blackout, describe, list_blackouts
from .check_in import (
    NO_SHOW,
    can_check_in_now,
    check_in,
    check_in_refusal,
    check_in_window,
    release_no_shows,
)
from .displays import create_display, find_display, list_displays, revoke_display
from .door import DoorState, booking_at_door, door_state
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
from .find import RoomsFound, RoomWanted, find_rooms, week_of_rooms
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
    school_day_from,
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
from .viewer_day import ViewerDay, decide_day

__all__ = [
    "MAX_OCCURRENCES",
    "MAX_PERIODS",
    "NO_SHOW",
    "POLICY_FLAGS",
    "RULES",
    "RULE_PARAM_RANGES",
    "WEEKDAYS",
    "DoorState",
    "Repeat",
    "RoomWanted",
    "RoomsFound",
    "RuleViolation",
    "SeriesRefused",
    "SeriesRequest",
    "SlotConflict",
    "TimetableResult",
    "ViewerDay",
    "booking_at_door",
    "bookings_during",
    "can_check_in_now",
    "cancel_bookings_during",
    "check_in",
    "check_in_refusal",
    "check_in_window",
    "covered_bookings",
    "create_blackout",
    "create_display",
    "create_facility",
    "create_reservation",
    "create_series",
    "create_series_as_asked",
    "day_availability",
    "decide_day",
    "delete_blackout",
    "delete_reservation",
    "describe",
    "door_state",
    "facility_choices",
    "facility_feed",
    "facility_page",
    "facility_row",
    "feed_etag",
    "feed_ics",
    "find_display",
    "find_facilities",
    "find_rooms",
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
    "list_displays",
    "pending_reservations",
    "personal_feed",
    "plan_series",
    "queue_of",
    "release_no_shows",
    "reservations_of",
    "revoke_display",
    "school_day_from",
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
    "week_of_rooms",
    "write_digests",
    "write_series",
]
