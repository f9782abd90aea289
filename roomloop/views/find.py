"""Teacher pages that search across rooms: "Find a free room" and the week view.

Both are GET forms, so a search can be bookmarked, shared and used without JavaScript;
with htmx the page's region is answered alone and swapped in place. Their results link
to the booking form, prefilled, which books through the same domain functions as the API.
"""

from datetime import timedelta
from urllib.parse import urlencode

from flask import Blueprint, request, url_for
from flask_login import current_user, login_required

from ..booking import (
    WEEKDAYS,
    RoomWanted,
    facility_choices,
    find_facilities,
    find_rooms,
    get_schedule,
    school_now,
    week_label,
    week_of,
    week_of_rooms,
)
from ..errors import ValidationError
from ..schemas import DATE_RANGE_MESSAGE, GridQuery, page_date, parse_values
from .regions import page_or_region
from .teacher import default_day

bp = Blueprint("find", __name__)

MAX_SEATS = 100_000
MAX_TEXT = 80  # a building's or an amenity's name, as the facility form takes them
MAX_AMENITIES = 20
# The same address answers a page or its region: caches must keep them apart.
VARIES = {"Vary": "HX-Request"}


@bp.get("/find")
@login_required
def find_room():
    """Find the rooms I can book for some periods of a day, or every week to the end of term."""
    schedule = get_schedule()
    values, wanted, errors = _search_asked(schedule)
    found = None
    if wanted is not None:
        try:
            found = find_rooms(current_user, wanted)
        except ValidationError as exc:
            errors = exc.fields  # keyed by the form's names: start_slot, end_slot, weekly
    return page_or_region(
        "teacher/find.html",
        "partials/find.html",
        "find-region",
        400 if errors else 200,
        VARIES,
        values=values,
        wanted=wanted if not errors else None,
        found=found,
        errors=errors,
        schedule=schedule,
        choices=facility_choices(),
        book_link=_book_link,
    )


@bp.get("/week")
@login_required
def week():
    """Show the rooms across a week, Monday to Friday, for a band of periods."""
    schedule = get_schedule()
    query, monday, start, end, problems = _week_asked(schedule)
    days = [monday + timedelta(days=n) for n in range(5)]
    facilities = find_facilities(query.type, query.building, query.capacity, query.amenity)
    filters = query.model_dump(exclude={"date", "page"}, exclude_none=True)
    band = {"start_slot": start, "end_slot": end}

    def week_url(day):
        return url_for("find.week", week=day.isoformat(), **band, **filters)

    return page_or_region(
        "teacher/week.html",
        "partials/week.html",
        "week-region",
        200,
        VARIES,
        query=query,
        problems=problems,
        monday=monday,
        days=days,
        start=start,
        end=end,
        facilities=facilities,
        cells=week_of_rooms(facilities, days, start, end, current_user.id),
        schedule=schedule,
        choices=facility_choices(),
        previous_url=week_url(monday - timedelta(days=7)),
        next_url=week_url(monday + timedelta(days=7)),
        today=school_now().date(),
        cycle_week=week_label(monday),
        book_link=_book_link,
    )


def _week_asked(schedule):
    """The week view's filters, Monday and periods as asked, and what was not understood
    (said in the region, which htmx swaps: a flash would wait for the next whole page)."""
    problems = []
    try:
        query = parse_values(GridQuery, request.args.to_dict())
    except ValidationError as exc:
        problems.append(
            "Some filters were not understood and were ignored: " + ", ".join(exc.fields)
        )
        query = GridQuery()
    asked = page_date(request.args.get("week"))
    if asked is None and request.args.get("week"):
        problems.append(f"That week was not understood; showing this week. {DATE_RANGE_MESSAGE}")
    start, end, band_problem = _band(schedule)
    if band_problem:
        problems.append(band_problem)
    return query, week_of(asked or default_day())[0], start, end, problems


def _search_asked(schedule):
    """The find form's values as typed, the ``RoomWanted`` they ask for (``None`` before the
    first search or when a value is wrong), and what is wrong, by field."""
    values = _typed(schedule)
    if not request.args:
        return values, None, {}
    day = page_date(values["date"])
    start, end = (_period(values[name], schedule) for name in ("start_slot", "end_slot"))
    errors = _search_errors(values, day, start, end, schedule)
    if errors:
        return values, None, errors
    wanted = RoomWanted(
        day,
        start,
        end,
        weekly=values["weekly"],
        seats=int(values["seats"]) if values["seats"] else None,
        amenities=tuple(values["amenity"]),
        building=values["building"] or None,
    )
    return values, wanted, {}


def _typed(schedule):
    """The find form's values as the person typed them; blanks as the form first shows
    them: the grid's day, its next period."""
    args = request.args
    values = {
        "date": args.get("date", "").strip() or default_day().isoformat(),
        "start_slot": args.get("start_slot", "").strip(),
        "weekly": args.get("weekly") in ("1", "on", "true"),
        "seats": args.get("seats", "").strip(),
        "amenity": [a.strip() for a in args.getlist("amenity") if a.strip()],
        "building": args.get("building", "").strip(),
    }
    if not values["start_slot"]:
        shown_day = page_date(values["date"])
        values["start_slot"] = str(_next_period(schedule, shown_day) if shown_day else 1)
    values["end_slot"] = args.get("end_slot", "").strip() or values["start_slot"]
    return values


def _search_errors(values, day, start, end, schedule):
    """What is wrong with the find form's values, by field, in the person's words."""
    errors = {}
    if day is None:
        errors["date"] = f"Enter a date as YYYY-MM-DD. {DATE_RANGE_MESSAGE}"
    periods = f"Choose a period from {schedule.first} to {schedule.last}."
    if start is None:
        errors["start_slot"] = periods
    if end is None:
        errors["end_slot"] = periods
    elif start is not None and end < start:
        errors["end_slot"] = "The last period is before the first: choose a later one."
    seats = values["seats"]
    if seats and (_whole(seats) is None or _whole(seats) > MAX_SEATS):
        errors["seats"] = f"Enter a whole number of seats, from 0 to {MAX_SEATS:,}, e.g. 30."
    if len(values["building"]) > MAX_TEXT:
        errors["building"] = "Choose a building from the list."
    amenities = values["amenity"]
    if len(amenities) > MAX_AMENITIES or any(len(a) > MAX_TEXT for a in amenities):
        errors["amenity"] = "Tick amenities from the list."
    return errors


def _whole(text):
    """The whole number ``text`` writes in at most six digits, else ``None``."""
    return int(text) if text.isdecimal() and text.isascii() and len(text) <= 6 else None


def _period(text, schedule):
    number = _whole(text)
    return number if number in schedule else None


def _next_period(schedule, day):
    """The first period of ``day`` still to come (the first, on a later day)."""
    now = school_now()
    later = [s.number for s in schedule.slots if schedule.starts_at(day, s.number) > now]
    return later[0] if later else schedule.first


def _band(schedule):
    """The week view's periods as asked (the first period when not), and what was wrong."""
    asked_start, asked_end = request.args.get("start_slot"), request.args.get("end_slot")
    start = _period(asked_start or "", schedule)
    end = _period(asked_end or "", schedule)
    problem = None
    if (asked_start and start is None) or (asked_end and end is None):
        problem = f"Choose periods from {schedule.first} to {schedule.last}; showing the first."
    start = start or schedule.first
    end = end or start
    if end < start:
        return start, start, "The last period was before the first: showing the first alone."
    return start, end, problem


def _book_link(facility, day, start, end, until=None, attendees=None):
    """The booking form for ``facility`` on ``day``, prefilled; with ``until``, repeating on
    that weekday every week until then (the form's Repeat fields)."""
    query = {"facility_id": facility.code, "date": day.isoformat()}
    query |= {"start_slot": start, "end_slot": end}
    if attendees:
        query["attendees"] = attendees
    if until is not None:
        query |= {"repeat": "weekly", "weekdays": WEEKDAYS[day.weekday()]}
        query["until"] = until.isoformat()
    return url_for("teacher.booking_form") + "?" + urlencode(query)
