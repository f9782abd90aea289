"""The school's year: its terms, the weekdays it teaches, and its timetable cycle.

Terms are kept as admins set them (name, first and last day, no overlaps); until they do,
each calendar year has the three terms the reports have always used: autumn from
1 September to 31 December, spring from 1 January to 31 March, summer from 1 April to
31 August. A timetable of ``weeks`` weeks (A, B, ...) counts from ``start``, a Monday that is
week A, whatever the holidays in between. R-07 refuses the days that are not school days.
"""

import re
from dataclasses import dataclass
from datetime import date, timedelta
from itertools import pairwise

from ..errors import ValidationError
from ..extensions import db
from ..schemas import CONTROL_CHARACTERS, in_date_range
from .settings import check_bell_schedule, get_setting, set_setting

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
MAX_CYCLE_WEEKS = 4
MAX_TERMS = 12
MAX_TERM_NAME = 60
ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


@dataclass(frozen=True)
class Term:
    name: str
    start: date
    end: date

    def as_json(self):
        return {"name": self.name, "start": self.start.isoformat(), "end": self.end.isoformat()}


@dataclass(frozen=True)
class Cycle:
    weeks: int  # 1: no cycle
    start: date | None  # a Monday that is week A

    def week_of(self, day):
        """1 for week A, 2 for week B...; ``None`` without a cycle."""
        if self.weeks == 1 or self.start is None:
            return None
        return (day - self.start).days // 7 % self.weeks + 1

    def as_json(self):
        return {"weeks": self.weeks, "start": self.start.isoformat() if self.start else None}


def week_letter(number):
    return "ABCD"[number - 1]


# --- Reading ------------------------------------------------------------------------------


def school_days():
    """The ISO weekday numbers the school teaches on (Monday is 0, as ``date.weekday``)."""
    return frozenset(WEEKDAYS.index(name) for name in get_setting("school_days"))


def is_school_day(day):
    return day.weekday() in school_days()


def school_day_from(day, step):
    """The nearest school day before (``step`` -1) or after (1) ``day``: Day › on a Friday
    goes to Monday. A school without school days steps one day."""
    for n in range(1, 8):
        other = day + timedelta(days=n * step)
        if is_school_day(other):
            return other
    return day + timedelta(days=step)


def get_cycle():
    stored = get_setting("cycle")
    start = stored.get("start")
    return Cycle(stored.get("weeks", 1), date.fromisoformat(start) if start else None)


def week_label(day):
    """ "Week B" for a day of the timetable's second week; "" without a cycle."""
    number = get_cycle().week_of(day)
    return f"Week {week_letter(number)}" if number else ""


def stored_terms():
    """The terms admins set, by first day; ``None`` while the yearly default applies."""
    stored = get_setting("terms")
    if stored is None:
        return None
    return [
        Term(t["name"], date.fromisoformat(t["start"]), date.fromisoformat(t["end"]))
        for t in stored
    ]


def default_terms(year):
    """The terms of a calendar year until admins set their own."""
    return [
        Term(f"Spring {year}", date(year, 1, 1), date(year, 3, 31)),
        Term(f"Summer {year}", date(year, 4, 1), date(year, 8, 31)),
        Term(f"Autumn {year}", date(year, 9, 1), date(year, 12, 31)),
    ]


def term_of(day):
    """The term that holds ``day``, or ``None`` when it falls between terms."""
    terms = stored_terms()
    if terms is None:
        terms = default_terms(day.year)
    return next((t for t in terms if t.start <= day <= t.end), None)


def series_window_end(first_date):
    """How far a series that starts on ``first_date`` may book beyond the booking window:
    to the end of that date's term (setting ``series_to_term_end``), else ``None``."""
    term = term_of(first_date)
    return term.end if term is not None and get_setting("series_to_term_end") else None


def terms_from(today):
    """The terms a calendar shows: the stored ones, or the default ones of the school year
    that holds ``today`` (from the September before)."""
    terms = stored_terms()
    if terms is not None:
        return terms
    year = today.year if today.month >= 9 else today.year - 1
    return [*default_terms(year)[2:], *default_terms(year + 1)[:2]]


# --- Validation -----------------------------------------------------------------------------


def validate_school_days(days):
    """One or more of ``mon``..``sun``, each once; returned in week order."""
    if not isinstance(days, list) or not days:
        raise ValidationError({"school_days": "Choose at least one school day."})
    unknown = [d for d in days if d not in WEEKDAYS]
    if unknown:
        raise ValidationError(
            {"school_days": f"Unknown day {unknown[0]!r}; use {', '.join(WEEKDAYS)}."}
        )
    return [d for d in WEEKDAYS if d in days]


def validate_cycle(cycle):
    """``{"weeks": 1..4, "start": "YYYY-MM-DD"}``; the start is a Monday, needed from two
    weeks on."""
    if not isinstance(cycle, dict) or set(cycle) - {"weeks", "start"}:
        raise ValidationError({"cycle": 'Send {"weeks": 1 to 4, "start": a Monday}.'})
    weeks, start = cycle.get("weeks", 1), cycle.get("start")
    if isinstance(weeks, float) and weeks.is_integer():
        weeks = int(weeks)  # JSON has one number type: 2.0 is 2
    errors = {}
    if isinstance(weeks, bool) or not isinstance(weeks, int) or not 1 <= weeks <= MAX_CYCLE_WEEKS:
        errors["cycle.weeks"] = f"A timetable cycle has 1 to {MAX_CYCLE_WEEKS} weeks."
    day = _date_or_none(start)
    if start is not None and day is None:
        errors["cycle.start"] = "Use a real date in the form YYYY-MM-DD."
    elif day is not None and day.weekday() != 0:
        errors["cycle.start"] = f"Week A starts on a Monday; {day:%a %-d %b %Y} is a {day:%A}."
    elif day is None and not errors and weeks > 1:
        errors["cycle.start"] = "Give the Monday that starts week A."
    if errors:
        raise ValidationError(errors)
    return {"weeks": weeks, "start": day.isoformat() if day and weeks > 1 else None}


def validate_terms(terms):
    """Up to 12 terms, each ``{"name", "start", "end"}``: a name, the end not before the
    start, no two overlapping. Errors are keyed ``terms.<n>.<field>`` (terms count from 1)."""
    if not isinstance(terms, list) or len(terms) > MAX_TERMS:
        raise ValidationError({"terms": f"Send a list of at most {MAX_TERMS} terms."})
    errors, clean = {}, []
    for n, term in enumerate(terms, start=1):
        if not isinstance(term, dict) or set(term) - {"name", "start", "end"}:
            errors[f"terms.{n}"] = 'Each term is {"name", "start", "end"}.'
            continue
        name = term.get("name")
        name = name.strip() if isinstance(name, str) else ""
        start, end = _date_or_none(term.get("start")), _date_or_none(term.get("end"))
        if not name or len(name) > MAX_TERM_NAME:
            errors[f"terms.{n}.name"] = f"Give the term a name of 1 to {MAX_TERM_NAME} characters."
        elif CONTROL_CHARACTERS.search(name):
            errors[f"terms.{n}.name"] = "Must not contain control characters."
        if start is None:
            errors[f"terms.{n}.start"] = "Use a real date in the form YYYY-MM-DD."
        if end is None:
            errors[f"terms.{n}.end"] = "Use a real date in the form YYYY-MM-DD."
        elif start is not None and end < start:
            errors[f"terms.{n}.end"] = "Must not be before the first day."
        if name and start and end and start <= end:
            clean.append((n, Term(name, start, end)))
    ordered = sorted(clean, key=lambda item: item[1].start)
    for (_, before), (n, after) in pairwise(ordered):
        if after.start <= before.end:
            errors[f"terms.{n}.start"] = (
                f"Overlaps {before.name} ({before.start:%-d %b %Y} to {before.end:%-d %b %Y})."
            )
    if errors:
        raise ValidationError(errors)
    return [term.as_json() for _, term in ordered]


def _date_or_none(value):
    if not isinstance(value, str) or not ISO_DATE.fullmatch(value):
        return None
    try:
        day = date.fromisoformat(value)
    except ValueError:
        return None
    return day if in_date_range(day) else None


# --- Changing -------------------------------------------------------------------------------


def update_school_calendar(actor, today, periods=None, terms=None, cycle=None, school_days=None):
    """Change any of the bell schedule, the terms, the cycle and the school days, with the
    Settings page's checks: every part sent is valid, or nothing is stored."""
    actor.require("settings:manage")
    checks = {
        "bell_schedule": (periods, lambda: check_bell_schedule(periods, today)),
        "terms": (terms, lambda: validate_terms(terms)),
        "cycle": (cycle, lambda: validate_cycle(cycle)),
        "school_days": (school_days, lambda: validate_school_days(school_days)),
    }
    clean, errors = {}, {}
    for key, (value, check) in checks.items():
        if value is None:
            continue
        try:
            clean[key] = check()
        except ValidationError as exc:
            errors |= exc.fields
    if errors:
        raise ValidationError(errors)
    for key, value in clean.items():
        set_setting(key, value)
    db.session.commit()
