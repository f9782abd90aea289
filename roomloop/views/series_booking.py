"""The booking form's "Repeat": every date's outcome first, then the series itself.

A repeating booking posted without ``book`` is checked with ``dry_run``, which writes
nothing, and the page shows each date's outcome. Its button posts the same fields again
with ``book=all`` (``on_conflict="fail"``: every date or none) or ``book=free``
(``"skip"``: the dates that are free). Both go through ``create_series_as_asked``, as
``POST /v1/series`` does. Between the two steps the pattern travels in hidden fields, with
the dates that were free, so that a date taken meanwhile is named as such rather than
silently missing.
"""

import re
from types import SimpleNamespace

from flask import flash, redirect, render_template, request, url_for

from ..booking import (
    WEEKDAYS,
    SeriesRefused,
    create_series_as_asked,
    day_availability,
    get_cycle,
    school_days,
    school_now,
    term_of,
)
from ..booking.school_calendar import week_letter
from ..errors import ValidationError
from ..extensions import htmx
from ..schemas import SeriesCreate, page_date, parse_values
from . import current_actor
from .series_words import WEEKDAY_NAMES, pattern_words

EVERY_WEEKS = {"weekly": 1, "every-2-weeks": 2}
AS_TYPED = ("facility_id", "date", "start_slot", "end_slot", "purpose", "attendees", "repeat",
            "weekdays", "until")  # fmt: skip
CYCLE_WEEK = re.compile(r"week-([a-d])")
# The form's names for what ``SeriesCreate`` calls otherwise.
FORM_FIELDS = {
    "first_date": "date",
    "repeat.weekdays": "weekdays",
    "repeat.every_weeks": "repeat",
    "repeat.cycle_week": "repeat",
}


def repeat_choices(cycle):
    """Does not repeat, every week, every 2 weeks; and each timetable week, with a cycle."""
    choices = [("", "Does not repeat"), ("weekly", "Every week")]
    choices.append(("every-2-weeks", "Every 2 weeks"))
    return choices + [
        (f"week-{week_letter(n).lower()}", f"Week {week_letter(n)} only")
        for n in range(1, cycle.weeks + 1)
        if cycle.weeks > 1
    ]


def prepare_repeat(form, day, fresh):
    """Give the Repeat fields their choices for the school's calendar. A form just opened
    from a cell (``fresh``) ticks the cell's weekday and runs to the end of its term."""
    form.repeat.choices = repeat_choices(get_cycle())
    taught = school_days()
    shown = [d for n, d in enumerate(WEEKDAYS) if n in taught or (day and n == day.weekday())]
    form.weekdays.choices = [(d, WEEKDAY_NAMES[d][:3]) for d in shown]
    term = term_of(day) if day else None
    if fresh and day:
        form.repeat.data = ""
        form.weekdays.data = [WEEKDAYS[day.weekday()]]
        form.until.data = term.end.isoformat() if term else ""
    form.until.description = (
        f"{term.name} ends on {term.end:%a %-d %b %Y}."
        if term
        else "This day is in no term: say until when."
    )


EMPTY = {"purpose": "Say what it is for.", "weekdays": "Tick the days it repeats on."}
# The schema's words name the API's fields; the form says it in its own.
PAGE_WORDS = {"until must not be before first_date": "Must not be before the first date."}


def place_errors(form, fields):
    """Show each error under its field of the booking form (one it has no field for, under
    Purpose); an empty field says what to fill in."""
    for name, message in fields.items():
        field = getattr(form, FORM_FIELDS.get(name, name), form.purpose)
        empty = not field.data or (isinstance(field.data, str) and not field.data.strip())
        if empty and field.name in EMPTY:
            message = EMPTY[field.name]
        field.errors.append(PAGE_WORDS.get(message, message))


def book_series(form, facility):
    """Check the dates of a repeating booking, or book them. Raises ``ValidationError``
    (keyed by ``SeriesCreate``'s fields: see ``place_errors``) for the form to show."""
    action = request.form.get("book")
    data = parse_values(SeriesCreate, _series_values(form, action))
    try:
        plan, booked = create_series_as_asked(current_actor(), facility, data)
    except SeriesRefused as refused:
        # Taken or refused since the dates were checked: say what each one gets now.
        status = 409 if refused.first.rule == "R-03" else 422
        return _preview(form, facility, data, refused.occurrences, changed=True, status=status)
    if booked is None:
        return _preview(form, facility, data, plan.occurrences)
    return _booked(form, facility, data, plan)


def _series_values(form, action):
    """The form's fields as ``POST /v1/series`` takes them."""
    repeat = {"weekdays": form.weekdays.data or []}
    choice = form.repeat.data or ""
    cycle_week = CYCLE_WEEK.fullmatch(choice)
    if cycle_week:
        repeat["cycle_week"] = "abcd".index(cycle_week.group(1)) + 1
    elif choice in EVERY_WEEKS:
        repeat["every_weeks"] = EVERY_WEEKS[choice]
    else:
        raise ValidationError({"repeat": "Choose how it repeats from the list."})
    values = {
        "facility_id": form.facility_id.data,
        "first_date": form.date.data,
        "until": (form.until.data or "").strip() or None,
        "repeat": repeat,
        "start_slot": form.start_slot.data,
        "end_slot": form.end_slot.data,
        "purpose": form.purpose.data,
        "attendees": form.attendees.data,
        "on_conflict": "skip" if action == "free" else "fail",
        "dry_run": action not in ("all", "free"),
    }
    return {name: value for name, value in values.items() if value not in ("", None)}


def _checked_free():
    """The dates that were free when the person checked them (the preview's hidden field)."""
    days = (page_date(text) for text in request.form.get("free_dates", "").split(","))
    return {day for day in days if day is not None}


def _pattern(data, until):
    return SimpleNamespace(
        weekdays=data.repeat.weekdays,
        every_weeks=data.repeat.every_weeks,
        cycle_week=data.repeat.cycle_week,
        start_slot=data.start_slot,
        end_slot=data.end_slot,
        until=until,
    )


def _render(partial, status=200, **context):
    """The panel's fragment for htmx (which swaps only 2xx answers), else the booking page."""
    if htmx:
        return render_template(partial, **context)
    return render_template("teacher/book.html", panel=partial, **context), status


def _preview(form, facility, data, occurrences, changed=False, status=200):
    free = [o for o in occurrences if o.refusal is None]
    checked = _checked_free() if changed else set()
    return _render(
        "partials/series_preview.html",
        status,
        form=form,
        facility=facility,
        day=data.first_date,
        occurrences=occurrences,
        free=free,
        pattern=pattern_words(
            _pattern(data, data.until or occurrences[-1].date), school_now().date()
        ),
        taken_meanwhile={o.date for o in occurrences if o.refusal and o.date in checked},
        changed=changed,
        # The form again, as it was: every field in the query string (GET /book reads it).
        change_url=url_for("teacher.booking_form", **{n: form[n].data for n in AS_TYPED}),
    )


def _booked(form, facility, data, plan):
    """Say what was booked, and name each date that was not (and any taken meanwhile)."""
    checked = _checked_free()
    booked, refused = plan.booked, [o for o in plan.occurrences if o.refusal is not None]
    pattern = pattern_words(_pattern(data, plan.until), school_now().date())
    dates = f"{len(booked)} date{'s' if len(booked) != 1 else ''}"
    if booked[0].status == "pending":
        message = (
            f"Requested {facility.name} on {dates}: {pattern}. They need approval and show "
            "as pending until then."
        )
    else:
        message = f"Booked {facility.name} on {dates}: {pattern}."
    if not htmx:
        if refused:
            message += " Not booked: " + "; ".join(
                f"{o.date:%a %-d %b}: {o.refusal.message}" for o in refused
            )
        flash(message, "info")
        return redirect(url_for("teacher.my_reservations"))
    day = page_date(form.date.data)
    return render_template(
        "partials/series_done.html",
        message=message,
        refused=refused,
        taken_meanwhile={o.date for o in refused if o.date in checked},
        booked=booked,
        facility=facility,
        day=day,
        states=day_availability([facility], day)[facility.id],
    )
