"""Account provisioning: create, change and disable accounts, each change with its event;
the CSV export.

The CSV import lives in ``csv_import.py`` and shares the rules here: what counts as a
change, which events it emits and that an admin cannot lock themselves out. Cells that a
spreadsheet would run as formulas are kept text by ``reporting/spreadsheets.py``.
"""

import re

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from ..auth.sessions import end_browser_sessions
from ..auth.tokens import revoke_tokens
from ..errors import NotFound, ValidationError
from ..extensions import db
from ..models import Account
from ..outbox import record_event
from ..reporting import csv_chunks, neutralised, utc_timestamp_text
from ..resources import account_resource
from ..schemas import ACCOUNT_ID

# The fields an admin manages; the email is the account's key and does not change.
MANAGED_FIELDS = ("name", "department", "role", "status")
REQUIRED_COLUMNS = ("email", "name", "department", "role")
EXPORT_COLUMNS = (*REQUIRED_COLUMNS, "id", "status", "created_at")
EXPORT_BATCH = 1_000


def normalise_email(email):
    email = (email or "").strip().lower()
    problem = email_problem(email)
    if problem:
        raise ValidationError({"email": problem})
    return email


def email_problem(email):
    """What is wrong with an address, or ``None``. Its syntax only, by email-validator: no
    lookup, as the school's mail domain need not be reachable from here."""
    try:
        validate_email(email, check_deliverability=False)
    except EmailNotValidError:
        return f"{email!r} is not an email address."
    return None


def upsert_admin(email, name):
    """Create an active admin, or promote and reactivate the account with that email."""
    email = normalise_email(email)
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": "A name is required."})
    account = db.session.scalar(select(Account).where(Account.email == email))
    created = account is None
    if created:
        account = Account(email=email, name=name, role="admin", status="active")
        db.session.add(account)
    else:
        changes = changed_fields(account, {"name": name, "role": "admin", "status": "active"})
        if not changes:
            return account, False
        for field, value in changes.items():
            setattr(account, field, value)
        sign_out_changed([(account.id, changes)])  # a promotion ends its browser sessions
    db.session.flush()
    record_event("account.created" if created else "account.updated", account_resource(account))
    db.session.commit()
    return account, created


def get_account(public_id):
    # A string that cannot be an account id is not looked up (PostgreSQL refuses NUL).
    account = re.fullmatch(ACCOUNT_ID, public_id) and db.session.scalar(
        select(Account).where(Account.public_id == public_id)
    )
    if not account:
        raise NotFound("account", public_id)
    return account


def find_accounts(department=None, role=None, status=None, q=None):
    """A query for the accounts matching the filters; ``q`` is part of the name or email."""
    query = select(Account)
    if department is not None:
        query = query.where(Account.department == department)
    if role is not None:
        query = query.where(Account.role == role)
    if status is not None:
        query = query.where(Account.status == status)
    if q:
        query = query.where(
            Account.name.icontains(q, autoescape=True)
            | Account.email.icontains(q.lower(), autoescape=True)
        )
    return query


def create_account(actor, data):
    """Provision an active account from a validated ``AccountCreate``; its email must be new."""
    actor.require("accounts:manage")
    email = normalise_email(data.email)
    taken = {"email": f"An account with the email {email} already exists."}
    if db.session.scalar(select(Account.id).where(Account.email == email)) is not None:
        raise ValidationError(taken)
    account = Account(
        email=email, name=data.name, department=data.department, role=data.role, status="active"
    )
    db.session.add(account)
    try:
        db.session.flush()
    except IntegrityError:  # created by someone else since the check above
        db.session.rollback()
        raise ValidationError(taken) from None
    record_event("account.created", account_resource(account))
    db.session.commit()
    return account


def update_account(actor, account, data):
    """Apply the fields a validated ``AccountUpdate`` carries; unchanged fields write nothing.

    Disabling signs the account out everywhere, and a new role ends its browser sessions, in
    the same transaction (``sign_out_changed``).
    """
    actor.require("accounts:manage")
    sent = data.model_dump(include=data.model_fields_set)
    nulls = [name for name, value in sent.items() if value is None]
    if nulls:
        raise ValidationError({name: "Cannot be null." for name in nulls})
    changes = changed_fields(account, sent)
    refused = lockout_errors(actor, account.id, changes)
    if refused:
        raise ValidationError(refused)
    if not changes:
        return account
    for name, value in changes.items():
        setattr(account, name, value)
    sign_out_changed([(account.id, changes)])
    db.session.flush()
    for event_type in change_events(changes):
        record_event(event_type, account_resource(account))
    db.session.commit()
    return account


def changed_fields(current, wanted):
    """The managed fields of ``wanted`` whose values differ from ``current``'s."""
    return {
        name: value
        for name, value in wanted.items()
        if name in MANAGED_FIELDS and getattr(current, name) != value
    }


def change_events(changes):
    """The events a change emits: ``account.disabled`` when it disables the account, and
    ``account.updated`` for anything else (re-enabling included)."""
    events = []
    if set(changes) - {"status"} or changes.get("status") == "active":
        events.append("account.updated")
    if changes.get("status") == "disabled":
        events.append("account.disabled")
    return events


def lockout_errors(actor, account_id, changes):
    """Refuse an admin disabling or demoting themselves, so a school is never left without one."""
    if account_id != actor.account.id:
        return {}
    errors = {}
    if changes.get("status") == "disabled":
        errors["status"] = "You cannot disable your own account; ask another admin to do it."
    if "role" in changes:
        errors["role"] = "You cannot change your own role; ask another admin to do it."
    return errors


def sign_out_changed(updates):
    """Sign accounts out as their changes require, in the caller's transaction.

    ``updates`` are (account id, changed fields) pairs. Disabling an account revokes its API
    keys and sessions and ends its browser sessions; a new role ends its browser sessions, so
    that the person signs in again as what they now are. Enabling an account again brings
    none of them back.
    """
    disabled = [
        account_id for account_id, changes in updates if changes.get("status") == "disabled"
    ]
    regraded = [account_id for account_id, changes in updates if "role" in changes]
    revoke_tokens(disabled)
    end_browser_sessions(sorted({*disabled, *regraded}))


def export_accounts_csv():
    """Yield every account as CSV, by email, reading the database a batch at a time."""
    query = select(
        neutralised(Account.email),
        neutralised(Account.name),
        neutralised(Account.department),
        Account.role,
        Account.public_id,
        Account.status,
        utc_timestamp_text(Account.created_at),
    ).order_by(Account.email)
    return csv_chunks(EXPORT_COLUMNS, query, EXPORT_BATCH)
