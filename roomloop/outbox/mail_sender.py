"""The email sender: claims due messages, renders and sends each, and schedules retries.

It runs in the webhook sender's loop (``sender.send_due``): a thread in each web process or
``flask deliver-webhooks``. Messages are claimed with a lease like deliveries (``claims``),
rendered (``mail_render``) and sent (``mail_transport``) with no transaction open; then, in
the commit that releases the claim, each is marked sent, or given its next try after the
matching delay of ``MAIL_RETRY_DELAYS`` (with jitter), or failed once they are spent or the
server refused it for good. A server that is down loses nothing: its messages wait.

A message is sent once. The one exception is rare: if the server accepted it and the commit
that marks it sent then failed (the database went away in between), it is sent again when
its lease runs out. Its Message-ID is the same both times, which lets mail clients show one.
"""

import logging
from dataclasses import dataclass
from datetime import UTC, datetime

from flask import current_app
from sqlalchemy import select

from ..extensions import db
from ..models import EmailMessage, utcnow
from .claims import claim_due, retry_at
from .mail_kinds import wants
from .mail_render import compose
from .mail_transport import Refused, describe, mail_transport

log = logging.getLogger(__name__)
NOT_WANTED = "Not sent: the person turned these emails off, or their account is disabled."


@dataclass
class Job:
    """One claimed message, rendered before anything is sent."""

    message_id: int
    public_id: str
    kind: str
    to: str
    email: object = None  # the EmailMessage; None when it is not to be sent
    error: str = ""  # why not


def send_due_mail():
    """Claim the messages that are due and send each; return how many were attempted."""
    config = current_app.config
    # Each message may take a few commands of MAIL_TIMEOUT each; the lease outlasts a batch.
    lease = config["MAIL_BATCH"] * (2 * config["MAIL_TIMEOUT"] + 5)
    claimed = claim_due(EmailMessage, config["MAIL_BATCH"], lease)
    if not claimed:
        return 0
    jobs = _render(claimed)
    with mail_transport(config) as transport:
        for job in jobs:
            if job.email is None:
                _record(job, job.error, final=True)
                continue
            try:
                where = transport.send(job.email, job.public_id)
            except Refused as exc:
                _record(job, str(exc), final=True)
            except Exception as exc:  # anything else may pass: the server, the network
                _record(job, describe(exc))
            else:
                _record(job, None, where)
    return len(jobs)


def _render(claimed):
    """Render the claimed messages (reading what they need), then end the transaction."""
    messages = db.session.scalars(
        select(EmailMessage)
        .where(EmailMessage.id.in_(claimed))
        .order_by(EmailMessage.next_attempt_at, EmailMessage.id)
    ).all()
    now = datetime.now(UTC)
    jobs = []
    for message in messages:
        account = message.account
        job = Job(message.id, message.public_id, message.kind, account.email)
        if not wants(account, message.kind):  # turned off, or disabled, since it was written
            job.error = NOT_WANTED
        else:
            try:
                job.email = compose(message, account, now)
            except Exception:  # one message that cannot be rendered must not stop the others
                log.exception("email %s (%s) could not be rendered", job.public_id, job.kind)
                job.error = "Could not be rendered; see the log."
        jobs.append(job)
    db.session.commit()  # nothing is held while the mail server is talked to
    return jobs


def _record(job, error, where="", final=False):
    """Release the claim with the attempt's outcome, in one commit."""
    message = db.session.get(EmailMessage, job.message_id)
    if message is None:  # its account was deleted meanwhile
        db.session.rollback()
        return
    now = utcnow()
    message.claimed_until = None
    if error == NOT_WANTED:
        message.status, message.last_error = "failed", error
    elif error is None:
        message.attempts += 1
        message.status, message.sent_at, message.last_error = "sent", now, ""
    else:
        message.attempts += 1
        message.last_error = error[:300]
        delays = current_app.config["MAIL_RETRY_DELAYS"]
        retry = None if final else retry_at(message.attempts, delays, now)
        if retry is None:
            message.status = "failed"
        else:
            message.next_attempt_at = retry
    db.session.commit()
    log.info(
        "email %s (%s) to %s: %s",
        job.public_id,
        job.kind,
        job.to,
        where or f"{message.status}, {error}",
    )
