"""CSV import of accounts: every row is read and checked before any is written, then all
are written in one transaction, or none. The export, in ``accounts.py``, writes the same
columns, so a downloaded file uploads back with nothing changed.
"""

from dataclasses import dataclass, field
from itertools import chain, islice
from typing import NamedTuple

from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError

from ..extensions import db
from ..models import ACCOUNT_STATUSES, ROLES, Account, new_public_id, utcnow
from ..outbox import record_events
from ..reporting import unneutralise
from ..resources import account_resource
from ..schemas import CONTROL_CHARACTERS
from ..uploads import read_csv_rows, refused, rejected, row_error
from .accounts import (
    MANAGED_FIELDS,
    REQUIRED_COLUMNS,
    change_events,
    changed_fields,
    email_problem,
    lockout_errors,
    sign_out_changed,
)

MAX_ROWS = 50_000
EVENT_BATCH = 1_000


class AccountRow(NamedTuple):
    line: int  # as a spreadsheet numbers it: the header is line 1
    email: str
    values: dict  # name, department, role, and status when the file gives one


class AccountSnapshot(NamedTuple):
    """An account's public fields, enough for ``account_resource`` without an ORM object."""

    public_id: str
    email: str
    name: str
    department: str
    role: str
    status: str
    created_at: object


@dataclass(frozen=True, slots=True)
class RowOutcome:
    line: int
    email: str
    action: str  # "create", "update" or "unchanged"
    changes: tuple = ()  # the fields an update changes


@dataclass
class ImportResult:
    dry_run: bool
    rows: list = field(default_factory=list)  # a RowOutcome per account row, in file order
    creates: list = field(default_factory=list, repr=False)
    updates: list = field(default_factory=list, repr=False)  # (current row, changes)

    @property
    def created(self):
        return len(self.creates)

    @property
    def updated(self):
        return len(self.updates)

    @property
    def unchanged(self):
        return len(self.rows) - self.created - self.updated

    def summary(self):
        return {
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "dry_run": self.dry_run,
        }


def import_accounts(actor, raw_bytes, dry_run=False):
    """Create or update (by email) the accounts of a CSV file, all of them or none.

    Every row is checked first; any bad row raises ``ImportRejected`` listing every bad row.
    Unchanged rows are not written and emit no event. ``dry_run`` reports without writing.
    """
    actor.require("accounts:manage")
    rows, errors = read_accounts_csv(raw_bytes)
    existing = _existing_accounts()
    result = _plan(actor, rows, existing, errors, dry_run)
    if errors:
        raise rejected(errors)
    if not dry_run and (result.creates or result.updates):
        _write(result, existing)
    return result


def read_accounts_csv(raw_bytes):
    """Parse and check a file; return its account rows and the errors of its bad rows.

    A file that cannot be read as a whole (not UTF-8, empty, no header, too long) raises
    ``ImportRejected`` at once.
    """
    rows, errors, seen = [], [], {}
    for line, values in read_csv_rows(
        raw_bytes, REQUIRED_COLUMNS, ("status",), most=MAX_ROWS, items="accounts", errors=errors
    ):
        row, row_errors = _read_row(line, values)
        row_errors = row_errors or _duplicate(row, seen)
        errors += row_errors
        if not row_errors:
            rows.append(row)
    if not rows and not errors:
        raise refused("The file has a header but no accounts under it.")
    return rows, errors


def _read_row(line, values):
    """The row's account, or ``None`` and an error for each bad field."""
    values = {name: unneutralise(value) for name, value in values.items()}
    errors = []
    for name, value in values.items():
        message = _check(name, value)
        if message:
            errors.append(row_error(line, name, message))
    if errors:
        return None, errors
    email = values.pop("email").lower()
    status = values.pop("status", "").lower()
    values["role"] = values["role"].lower()
    if status:  # a blank status keeps the account's own (active for a new one)
        values["status"] = status
    return AccountRow(line, email, values), []


def _check(name, value):
    """What is wrong with one cell, or ``None``."""
    if CONTROL_CHARACTERS.search(value):
        return "Must not contain control characters."
    if name == "email":
        if not value:
            return "An email address is required."
        if len(value) > 254:
            return f"{value!r} is not an email address."
        return email_problem(value)
    elif name == "name":
        if not value:
            return "A name is required."
        if len(value) > 120:
            return "At most 120 characters."
    elif name == "department" and len(value) > 80:
        return "At most 80 characters."
    elif name == "role" and value.lower() not in ROLES:
        known = ", ".join(ROLES)
        return f"Unknown role {value!r}; use {known}." if value else f"A role is required: {known}."
    elif name == "status" and value and value.lower() not in ACCOUNT_STATUSES:
        return f"Unknown status {value!r}; use {', '.join(ACCOUNT_STATUSES)}, or leave it blank."
    return None


def _duplicate(row, seen):
    first = seen.setdefault(row.email, row.line)
    if first == row.line:
        return []
    return [row_error(row.line, "email", f"{row.email} is also on line {first}.")]


def _existing_accounts():
    """Every account's managed fields by email, in one query (no query per row)."""
    fields = ("id", *AccountSnapshot._fields)
    rows = db.session.execute(select(*(getattr(Account, name) for name in fields))).all()
    return {row.email.lower(): row for row in rows}


def _plan(actor, rows, existing, errors, dry_run):
    """Decide each row's outcome; add an error for a row that would lock its admin out."""
    result = ImportResult(dry_run)
    for row in rows:
        current = existing.get(row.email)
        if current is None:
            result.creates.append(row)
            result.rows.append(RowOutcome(row.line, row.email, "create"))
            continue
        changes = changed_fields(current, row.values)
        for name, message in lockout_errors(actor, current.id, changes).items():
            errors.append(row_error(row.line, name, message))
        if changes:
            result.updates.append((current, changes))
        result.rows.append(
            RowOutcome(row.line, row.email, "update" if changes else "unchanged", tuple(changes))
        )
    return result


def _write(result, existing):
    """Insert, update, revoke and record the events in one transaction; bulk statements only."""
    now = utcnow()
    try:
        created = _insert(result.creates, existing, now)
        _update(result.updates, now)
        _record_events(created, result.updates)
        db.session.commit()
    except IntegrityError:  # another request created one of these emails meanwhile
        db.session.rollback()
        raise refused(
            "Some of these accounts were created by someone else during the import; "
            "nothing was imported. Upload the file again."
        ) from None


def _insert(rows, existing, now):
    taken = {current.public_id for current in existing.values()}
    created = [
        {
            "public_id": _fresh_id("usr_", taken),
            "email": row.email,
            "status": "active",
            **row.values,
            "created_at": now,
            "updated_at": now,
        }
        for row in rows
    ]
    if created:
        db.session.execute(insert(Account), created)
    return created


def _update(updates, now):
    if updates:
        db.session.execute(
            update(Account),
            [
                {"id": current.id, **_managed(current), **changes, "updated_at": now}
                for current, changes in updates
            ],
        )
    sign_out_changed([(current.id, changes) for current, changes in updates])


def _record_events(created, updates):
    """Write the events ``record_event`` would, a batch at a time, as bulk inserts.

    The ORM inserts events one statement each on SQLite (it must read back every id), which
    made events most of an import's time. Batches keep memory flat however many there are.
    """
    events = chain(
        (("account.created", _snapshot(values)) for values in created),
        (
            (event_type, _snapshot({**current._asdict(), **changes}))
            for current, changes in updates
            for event_type in change_events(changes)
        ),
    )
    now, taken = utcnow(), set()
    while batch := list(islice(events, EVENT_BATCH)):
        rows = [
            {
                "public_id": _fresh_id("evt_", taken),
                "type": event_type,
                "data": account_resource(snapshot),
                "created_at": now,
            }
            for event_type, snapshot in batch
        ]
        record_events(rows)


def _managed(current):
    return {name: getattr(current, name) for name in MANAGED_FIELDS}


def _snapshot(values):
    return AccountSnapshot(**{name: values[name] for name in AccountSnapshot._fields})


def _fresh_id(prefix, taken):
    # Ten random hex digits rarely collide, but 50,000 at once might: draw again if so.
    while (public_id := new_public_id(prefix)) in taken:
        pass
    taken.add(public_id)
    return public_id
