"""Account provisioning."""

import re

from sqlalchemy import select

from .errors import ValidationError
from .extensions import db
from .models import Account
from .resources import account_resource
from .webhooks import record_event

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def normalise_email(email):
    email = (email or "").strip().lower()
    if not EMAIL.match(email):
        raise ValidationError({"email": f"{email!r} is not an email address."})
    return email


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
    elif (account.name, account.role, account.status) != (name, "admin", "active"):
        account.name, account.role, account.status = name, "admin", "active"
    else:
        return account, False
    db.session.flush()
    record_event("account.created" if created else "account.updated", account_resource(account))
    db.session.commit()
    return account, created
