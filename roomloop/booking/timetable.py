"""Timetable import: a school's recurring bookings from one CSV file, all of them or none.

A file has a line per series: ``facility_id,user_email,weekdays,cycle_week,start_slot,
end_slot,first_date,until,purpose``. Every line is read and checked first (the facility,
the person, the days, periods and dates). Then every line's series is decided in file
order on one snapshot of the held slots, each line's dates held in it for the lines after:
two lines that want one room at one time (R-03), or one person in two rooms (R-10), make
the later line bad, and its message names the earlier one. A date that is not a school day
or a blackout (R-07: the school or the room is closed) is left out of its series and
reported as skipped; any other refusal of any date makes its line bad. One bad line refuses
the file: nothing is written, and every bad line is listed as the accounts import lists
them. A good file writes every series, its dates and their events in one transaction.

The import is an admin's timetable: it books for the people it names and overrides R-04,
R-05 and R-06, as an admin's booking may.
"""

import csv
import io
import re
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from typing import NamedTuple

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from ..errors import NotFound, ValidationError
from ..extensions import db
from ..models import Account
from ..schemas import CONTROL_CHARACTERS, DATE_RANGE_MESSAGE, in_date_range, read_iso_date
from ..sqlite import writing
from ..uploads import read_csv_rows, refused, rejected, row_error
from .facilities import facility_row
from .operations import check_slot_range, lock_accounts
from .rules import load_snapshot
from .schedule import get_schedule, week_of
from .school_calendar import WEEKDAYS, term_of
from .series import Repeat, plan_series
from .series_booking import DECIDE_ATTEMPTS, write_series

COLUMNS = (
    "facility_id",
    "user_email",
    "weekdays",
    "cycle_week",
    "start_slot",
    "end_slot",
    "first_date",
    "until",
    "purpose",
)
MAX_LINES = 2_000
MAX_PURPOSE = 200
OVERRIDES = frozenset({"R-04", "R-05", "R-06"})
SKIPPED_RULE = "R-07"  # the school or the room is closed that day: left out, not refused
DAY_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
DAY_SEPARATORS = re.compile(r"[\s;,/+]+")
CYCLE_WEEK = re.compile(r"(?:week\s*)?([1-4a-d])", re.IGNORECASE)
SLOT_NUMBER = re.compile(r"\d{1,3}")
DATES_NAMED = 3  # a refusal of many dates names the first ones and counts the rest
# What a series' check calls a field, as the file's column.
COLUMN_OF = {
    "user_id": "user_email",
    "repeat": "weekdays",
    "repeat.weekdays": "weekdays",
    "repeat.cycle_week": "cycle_week",
    "repeat.every_weeks": "cycle_week",
}
# The column a rule's refusal is about, where one is.
RULE_COLUMN = {"R-01": "first_date", "R-02": "facility_id", "R-08": "user_email"}


class TimetableLine(NamedTuple):
    """One good line of the file, its cells read into what a series is made of."""

    line: int  # as a spreadsheet numbers it: the header is line 1
    facility: object
    account: object
    repeat: Repeat
    start_slot: int
    end_slot: int
    first_date: date
    until: date
    purpose: str


@dataclass(frozen=True)
class LineOutcome:
    """What a line's series books: its plan, and its id once written."""

    line: TimetableLine
    plan: object  # a SeriesPlan
    series_id: str | None = None

    @property
    def booked(self):
        return self.plan.booked

    @property
    def pending(self):
        return [o for o in self.plan.booked if o.status == "pending"]

    @property
    def skipped(self):
        return [o for o in self.plan.occurrences if o.refusal is not None]

    def as_json(self):
        return {
            "line": self.line.line,
            "series_id": self.series_id,
            "facility_id": self.line.facility.code,
            "user_email": self.line.account.email,
            "first_date": self.line.first_date.isoformat(),
            "until": self.line.until.isoformat(),
            "dates_booked": len(self.booked),
            "dates_pending": len(self.pending),
            "skipped": self.plan.skipped,
        }


@dataclass
class TimetableResult:
    dry_run: bool
    lines: list = field(default_factory=list)  # a LineOutcome per line, in file order

    @property
    def series(self):
        return len(self.lines)

    @property
    def dates_booked(self):
        return sum(len(o.booked) for o in self.lines)

    @property
    def dates_pending(self):
        return sum(len(o.pending) for o in self.lines)

    @property
    def dates_skipped(self):
        return sum(len(o.skipped) for o in self.lines)

    def summary(self):
        return {
            "series": self.series,
            "dates_booked": self.dates_booked,
            "dates_pending": self.dates_pending,
            "dates_skipped": self.dates_skipped,
            "dry_run": self.dry_run,
            "lines": [o.as_json() for o in self.lines],
        }


def import_timetable(actor, raw_bytes, dry_run=False, now=None):
    """Book the series of a timetable file, every one of them or none.

    Raises ``ImportRejected`` listing every bad line (line, field, message) and writes
    nothing if any line is bad. ``dry_run`` decides every line and writes nothing.
    """
    actor.require("reservations:manage")  # it books for the people it names
    actor.require("rules:override")
    lines, errors = read_timetable_csv(raw_bytes)
    if dry_run or errors:  # a refused file never waits for the write lock
        return TimetableResult(dry_run, _decide(actor, lines, errors, now))
    for attempt in range(DECIDE_ATTEMPTS):
        # Decided and written in one transaction: inside SQLite's write lock, or under the
        # locks of every person in the file on PostgreSQL, where a booking of another
        # person may still take a slot first (the held slots' index refuses the import's
        # INSERT, and the whole file is decided again).
        with writing():
            lock_accounts({line.account.id for line in lines})
            outcomes = _decide(actor, lines, [], now)
            try:
                booked = write_series([o.plan for o in outcomes])
                db.session.commit()
            except IntegrityError:
                db.session.rollback()
                if attempt == DECIDE_ATTEMPTS - 1:
                    raise
                continue
        written = [
            replace(o, series_id=b.resource["id"]) for o, b in zip(outcomes, booked, strict=True)
        ]
        return TimetableResult(False, written)
    raise AssertionError("unreachable")


# --- Reading --------------------------------------------------------------------------------


def read_timetable_csv(raw_bytes):
    """Parse and check a file; return its good lines and the errors of its bad ones.

    A file that cannot be read as a whole (not UTF-8, empty, no header, too long) raises
    ``ImportRejected`` at once.
    """
    errors = []
    rows = list(
        read_csv_rows(raw_bytes, COLUMNS, most=MAX_LINES, items="timetable lines", errors=errors)
    )
    if not rows and not errors:
        raise refused("The file has a header but no lines under it.")
    # A cell with control characters is an error of its own, and never a query parameter
    # (PostgreSQL refuses NUL).
    emails = {values["user_email"].lower() for _, values in rows}
    accounts = _accounts({e for e in emails if not CONTROL_CHARACTERS.search(e)})
    schedule = get_schedule()
    lines = []
    for line, values in rows:
        read, problems = _read_line(line, values, accounts, schedule)
        if problems:
            errors += [row_error(line, name, message) for name, message in problems.items()]
        else:
            lines.append(read)
    return lines, errors


def _accounts(emails):
    """The accounts of these (lower-case) emails, in one query."""
    if not emails:
        return {}
    found = db.session.scalars(select(Account).where(Account.email.in_(sorted(emails))))
    return {account.email: account for account in found}


def _read_line(line, values, accounts, schedule):
    """The line's ``TimetableLine``, or ``None`` and a message for each bad cell."""
    problems = {
        name: "Must not contain control characters."
        for name, value in values.items()
        if CONTROL_CHARACTERS.search(value)
    }
    read = {}
    for name, reader in READERS.items():
        if name in problems:
            continue
        try:
            read[name] = reader(values[name], accounts)
        except ValueError as exc:
            problems[name] = str(exc)
    if "start_slot" in read and "end_slot" in read:
        try:
            check_slot_range(schedule, read["start_slot"], read["end_slot"])
        except ValidationError as exc:
            problems |= exc.fields
    if "first_date" in read and "until" in read:
        try:
            read["until"] = _until(read["first_date"], read["until"])
        except ValueError as exc:
            problems["until"] = str(exc)
    if problems:
        return None, problems
    return (
        TimetableLine(
            line,
            read["facility_id"],
            read["user_email"],
            Repeat(read["weekdays"], 1, read["cycle_week"]),
            read["start_slot"],
            read["end_slot"],
            read["first_date"],
            read["until"],
            read["purpose"],
        ),
        {},
    )


def _facility(value, _accounts):
    if not value:
        raise ValueError("A facility id is required.")
    try:
        return facility_row(value)
    except NotFound:
        raise ValueError(
            f"No facility has the id {value!r}; the Facilities page lists them."
        ) from None


def _account(value, accounts):
    if not value:
        raise ValueError("An email address is required.")
    account = accounts.get(value.lower())
    if account is None:
        raise ValueError(f"No account has the email {value}; add the account first.")
    if account.status != "active":
        raise ValueError(f"{account.name}'s account ({account.email}) is disabled.")
    return account


def _weekdays(value, _accounts):
    """``mon;wed``, ``mon wed``, ``Monday, Wednesday``: days by their first three letters
    or more, separated by ``;``, ``,``, ``/``, ``+`` or spaces."""
    days = []
    for word in filter(None, DAY_SEPARATORS.split(value.lower())):
        day = next((n for n in DAY_NAMES if len(word) >= 3 and n.startswith(word)), None)
        if day is None:
            raise ValueError(
                f"Unknown day {word!r}; write days as {', '.join(WEEKDAYS)}, "
                "separated by ';' or spaces (mon;wed)."
            )
        days.append(WEEKDAYS[DAY_NAMES.index(day)])
    if not days:
        raise ValueError("Say on which days, e.g. mon;wed.")
    return tuple(d for d in WEEKDAYS if d in days)


def _cycle_week(value, _accounts):
    """Blank (every week), or the timetable week: 1 to 4, or A to D ("Week B" too)."""
    if not value:
        return None
    found = CYCLE_WEEK.fullmatch(value.strip())
    if found is None:
        raise ValueError("Use the timetable week 1 to 4 (or A to D), or leave it blank.")
    week = found.group(1).lower()
    return int(week) if week.isdigit() else "abcd".index(week) + 1


def _slot(value, _accounts):
    if not SLOT_NUMBER.fullmatch(value):
        raise ValueError("Use a period number of the bell schedule, such as 2.")
    return int(value)


def _date(value, _accounts, required=True):
    if not value:
        if required:
            raise ValueError("A date is required, in the form YYYY-MM-DD.")
        return None
    day = read_iso_date(value)
    if day is None:
        raise ValueError(
            f"{value!r} is not a date in the form YYYY-MM-DD (a spreadsheet may have "
            "rewritten it: format the column as text)."
        )
    if not in_date_range(day):
        raise ValueError(DATE_RANGE_MESSAGE)
    return day


def _optional_date(value, accounts):
    return _date(value, accounts, required=False)


def _until(first_date, until):
    """The line's last date: as written, or the end of the term that holds its first."""
    if until is None:
        term = term_of(first_date)
        if term is None:
            raise ValueError(f"{first_date:%a %-d %b %Y} is in no term; say until when to repeat.")
        return term.end
    if until < first_date:
        raise ValueError("until must not be before first_date.")
    return until


def _purpose(value, _accounts):
    if not value:
        raise ValueError("Say what the room is booked for.")
    if len(value) > MAX_PURPOSE:
        raise ValueError(f"At most {MAX_PURPOSE} characters.")
    return value


READERS = {
    "facility_id": _facility,
    "user_email": _account,
    "weekdays": _weekdays,
    "cycle_week": _cycle_week,
    "start_slot": _slot,
    "end_slot": _slot,
    "first_date": _date,
    "until": _optional_date,
    "purpose": _purpose,
}


# --- Deciding -------------------------------------------------------------------------------


def _decide(actor, lines, errors, now):
    """Decide every line's series in file order on one snapshot; raise ``ImportRejected``
    with ``errors`` and those of the lines the rules refuse, if there are any."""
    outcomes = []
    snapshot = _snapshot(lines) if lines else None
    for line in lines:
        try:
            plan, snapshot = plan_series(
                actor,
                line.facility,
                line.first_date,
                line.repeat,
                line.start_slot,
                line.end_slot,
                line.purpose,
                until=line.until,
                account=line.account,
                overrides=OVERRIDES,
                now=now,
                snapshot=snapshot,
                holder_name=f"line {line.line} of this file",
            )
        except ValidationError as exc:
            errors += [
                row_error(line.line, COLUMN_OF.get(name, name), message)
                for name, message in exc.fields.items()
            ]
            continue
        # A bad line's good dates stay held: the lines after it clash with them all the same.
        refusals = _refusals(line, plan)
        if refusals:
            errors += refusals
        else:
            outcomes.append(LineOutcome(line, plan))
    if errors:
        raise rejected(errors)
    return outcomes


def _snapshot(lines):
    """One snapshot for the whole file: the held slots of its rooms over its dates, and of
    its people in those weeks."""
    first = min(line.first_date for line in lines)
    last = max(line.until for line in lines)
    facilities = {line.facility.id for line in lines}
    people = {line.account.id for line in lines}
    return load_snapshot(None, [(facilities, first, last)], account_ids=people)


def _refusals(line, plan):
    """The line's errors: each refusal other than R-07, its dates grouped by what the rule
    said; or one error when R-07 leaves no date at all."""
    refused = [o for o in plan.occurrences if o.refusal and o.refusal.rule != SKIPPED_RULE]
    if not plan.booked and not refused:
        first = plan.occurrences[0].refusal
        return [
            row_error(
                line.line,
                None,
                f"No date of this line can be booked: every one is closed ({first.message})",
            )
        ]
    grouped = {}  # dates by (rule, message), in the order they first come
    for o in refused:
        grouped.setdefault((o.refusal.rule, o.refusal.message), []).append(o.date)
    return [
        row_error(line.line, RULE_COLUMN.get(rule), f"{_dates(days)}: {message} ({rule})")
        for (rule, message), days in grouped.items()
    ]


def _dates(days):
    named = ", ".join(f"{d:%a %-d %b %Y}" for d in days[:DATES_NAMED])
    more = len(days) - DATES_NAMED
    return f"{named} and {more} more date{'s' if more > 1 else ''}" if more > 0 else named


# --- The template ---------------------------------------------------------------------------


def timetable_template(today):
    """A small example file to start from: the header and two lines, from next week."""
    monday = week_of(today)[0] + timedelta(weeks=1)
    output = io.StringIO()
    writer = csv.writer(output, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    writer.writerow(
        ["f1", "teacher@school.example", "mon;wed", "", 2, 3, monday, "", "Year 9 Science"]
    )
    writer.writerow(
        [
            "gym",
            "teacher@school.example",
            "fri",
            "",
            5,
            6,
            monday + timedelta(days=4),
            monday + timedelta(weeks=6, days=4),
            "Year 11 PE",
        ]
    )
    return "\ufeff" + output.getvalue()  # the BOM tells Excel the file is UTF-8
