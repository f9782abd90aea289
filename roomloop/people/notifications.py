"""Each person's choice of emails: which kinds they get, and for approvers a daily digest.

The kinds and who gets what are the outbox's (``outbox.mail_kinds``); here the
Notifications page's choices are shown and saved, and an email's unsubscribe link is
honoured: it turns off that kind, for that person, without a sign-in.
"""

from typing import NamedTuple

from sqlalchemy import select

from ..auth.unsubscribe_tokens import read_unsubscribe_token
from ..errors import NotFound, ValidationError
from ..extensions import db
from ..models import Account
from ..outbox import APPROVER_ROLES, KINDS, kinds_for, wants

DIGEST_HOURS = range(24)  # school time


class Choice(NamedTuple):
    kind: str
    description: str
    on: bool


def notification_choices(account):
    """The kinds ``account`` can get, each with its words and whether it is on."""
    return [Choice(kind, KINDS[kind], wants(account, kind)) for kind in kinds_for(account)]


def update_notifications(account, wanted, digest_hour, now):
    """Give ``account`` the kinds in ``wanted`` and none of its others; for an approver,
    ``digest_hour`` (0-23, school time) gathers requests into one email a day, ``None``
    sends one per request. ``now`` is school time: an hour already past today starts the
    digests tomorrow, rather than at once with the next round of the sender."""
    kinds = kinds_for(account)
    errors = {}
    unknown = sorted(set(wanted) - set(kinds))
    if unknown:
        errors["kinds"] = f"Not an email you can get: {', '.join(unknown)}."
    if digest_hour is not None:
        if account.role not in APPROVER_ROLES:
            errors["digest_hour"] = "Only approvers get requests to decide."
        elif digest_hour not in DIGEST_HOURS:
            errors["digest_hour"] = "Choose an hour from 00:00 to 23:00."
    if errors:
        raise ValidationError(errors)
    account.notifications = {kind: kind in wanted for kind in kinds}
    if digest_hour is not None and digest_hour != account.digest_hour and now.hour >= digest_hour:
        account.last_digest_on = now.date()
    account.digest_hour = digest_hour
    db.session.commit()


def unsubscribe_target(token):
    """The account and the kind of email an unsubscribe token names; ``NotFound`` for a
    token this app did not sign, or whose account is gone."""
    named = read_unsubscribe_token(token)
    account = named and db.session.scalar(select(Account).where(Account.public_id == named[0]))
    if not account or named[1] not in KINDS:
        raise NotFound("unsubscribe link", "")
    return account, named[1]


def unsubscribe(token):
    """Turn off the kind of email ``token`` names, for its person only; return both."""
    account, kind = unsubscribe_target(token)
    account.notifications = {**(account.notifications or {}), kind: False}
    db.session.commit()
    return account, kind
