"""``/v1/school`` (the school's calendar as tools need it) and ``/v1/me`` (the caller)."""

from datetime import timedelta

from flask import current_app, g, request

from ..booking import (
    WEEKDAYS,
    get_cycle,
    get_schedule,
    list_blackouts,
    school_days,
    school_now,
    terms_from,
    update_school_calendar,
)
from ..errors import ValidationError
from ..resources import account_resource
from ..schemas import SchoolUpdate, parse_json
from .blueprint import bp
from .calendar import FEED_CAPABILITY, calendar_url


def school_resource():
    today = school_now().date()
    upcoming, _ = list_blackouts(today)
    return {
        "timezone": current_app.config["TIMEZONE"],
        "school_days": [WEEKDAYS[d] for d in sorted(school_days())],
        "periods": [
            {
                "slot": s.number,
                "label": s.label,
                "start": f"{s.start:%H:%M}",
                "end": f"{s.end:%H:%M}",
            }
            for s in get_schedule().slots
        ],
        "terms": [t.as_json() for t in terms_from(today)],
        "cycle": get_cycle().as_json(),
        "blackouts": [
            {
                "date": day.isoformat(),
                "facility_id": b.facility.code if b.facility else None,
                "reason": b.reason,
            }
            for b in upcoming
            for day in _days(max(b.start_date, today), b.end_date)
        ],
    }


def _days(first, last):
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


@bp.get("/school")
def show_school():
    """The school's calendar: time zone, school days, periods, terms, cycle, blackouts."""
    g.actor.require("facilities:read")
    return school_resource()


@bp.patch("/school")
def update_school():
    """Change the periods, terms, cycle and/or school days, all or nothing (admins)."""
    g.actor.require("settings:manage")  # before the body is read: a teacher learns nothing
    data = parse_json(SchoolUpdate, request.get_data())
    if all(v is None for v in (data.periods, data.terms, data.cycle, data.school_days)):
        raise ValidationError({"body": "Send periods, terms, cycle or school_days."})
    update_school_calendar(
        g.actor,
        school_now().date(),
        periods=None if data.periods is None else [p.model_dump() for p in data.periods],
        terms=data.terms,
        cycle=data.cycle,
        school_days=data.school_days,
    )
    return school_resource()


@bp.get("/me")
def show_me():
    """The caller's account, and the address of their personal calendar feed (null for a
    key that may not read their bookings)."""
    account = g.actor.account
    url = calendar_url(account) if g.actor.can(FEED_CAPABILITY) else None
    return account_resource(account) | {"calendar_url": url}
