"""Calendar: iCalendar (RFC 5545) for the feeds and the email invites, from one module.

``ics`` turns reservations into VEVENTs at their bell-schedule times in the school's time
zone, with that zone's VTIMEZONE: a feed of many (``calendar_ics``) or the invite attached
to one confirmation email (``invite_ics``).
"""

from .ics import CalendarEntry, calendar_ics, entry_for, invite_ics

__all__ = ["CalendarEntry", "calendar_ics", "entry_for", "invite_ics"]
