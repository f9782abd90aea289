"""Claiming due work and scheduling retries: how every sender takes its rows.

Several senders may run at once (a thread in each web process, or ``flask deliver-webhooks``
processes). A row is claimed in one statement that marks it taken until a lease runs out,
so only one sender works on it; a sender that dies lets its claims lapse and another takes
them. Webhook deliveries and email messages share this, and the schedule of retries.
"""

import random
from datetime import timedelta

from sqlalchemy import select, update

from ..extensions import db
from ..models import utcnow

# Set in a session's info when it adds deliveries or messages: committing it wakes the sender.
DUE = "roomloop.webhooks_due"


def claim_due(model, batch, lease_seconds, *conditions, now=None):
    """Claim up to ``batch`` pending rows of ``model`` that are due and not claimed by a
    live lease (and meet ``conditions``), for ``lease_seconds``; commit and return their
    ids, the soonest due first."""
    now = now or utcnow()
    due = (
        select(model.id)
        .where(
            model.status == "pending",
            model.next_attempt_at <= now,
            (model.claimed_until.is_(None)) | (model.claimed_until <= now),
            *conditions,
        )
        .order_by(model.next_attempt_at, model.id)
        .limit(batch)
        # PostgreSQL: a second sender skips rows the first is claiming instead of waiting.
        # SQLite has one writer at a time, so the statement is atomic there anyway.
        .with_for_update(skip_locked=True)
    )
    claimed = db.session.scalars(
        update(model)
        .where(model.id.in_(due))
        .values(claimed_until=now + timedelta(seconds=lease_seconds))
        .returning(model.id)
    ).all()
    db.session.commit()
    return claimed


def retry_at(attempts, delays, now):
    """When to try again after ``attempts`` failed attempts: after the matching delay of
    ``delays`` (±20% jitter, so that a receiver that was down is not hit all at once), or
    ``None`` once every delay is spent."""
    if attempts > len(delays):
        return None
    return now + timedelta(seconds=delays[attempts - 1] * random.uniform(0.8, 1.2))
