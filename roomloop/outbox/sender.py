"""The background sender: webhook deliveries, the registered jobs (``tasks``), and email.

Each round posts the due webhook deliveries, runs the jobs when they are due (releasing
bookings nobody checked in, the approvers' daily digests), and sends the due emails
(``mail_sender``).

The webhook part claims due deliveries, signs and posts them, and schedules retries.

Several senders may run at once (a thread in each web process, or ``flask deliver-webhooks``
processes): each claims its deliveries with a lease (``claims``), so only one sender posts
one. No transaction stays open while a receiver is being called.

A delivery succeeds on a 2xx answer only. Otherwise it is tried again after each delay of
``WEBHOOK_RETRY_DELAYS`` (with jitter), then marked failed; a 410 Gone disables the
endpoint. Every attempt carries the same ``webhook-id`` (the event's id) and body.

Before each attempt the target is checked again (``check_target``), and the post connects
to the addresses that check resolved (``outbound.post``), never to a second answer for the
name.
"""

import json
import logging
import threading
from dataclasses import dataclass
from datetime import UTC

import urllib3
from flask import current_app, has_app_context
from sqlalchemy import event, select, update
from standardwebhooks.webhooks import Webhook

from ..extensions import db
from ..models import WebhookDelivery, WebhookEndpoint, utcnow
from . import outbound
from .claims import claim_due, retry_at
from .events import DUE, event_payload
from .mail_sender import send_due_mail
from .tasks import TaskClock, run_tasks
from .webhooks import check_target, disable_endpoint, signing_secrets

log = logging.getLogger(__name__)
USER_AGENT = "RoomLoop-Webhooks/1"
EXTENSION = "roomloop.webhook_sender"


def init_app(app):
    """Give the app its in-process sender when configured; it starts with the first request,
    so that CLI commands and imports start no thread."""
    if app.config["WEBHOOK_SENDER"] != "thread":
        return
    sender = SenderThread(app)
    app.extensions[EXTENSION] = sender
    app.before_request(sender.ensure_running)


@event.listens_for(db.session, "after_commit")
def _wake_sender(session):
    if session.info.pop(DUE, False) and has_app_context():
        sender = current_app.extensions.get(EXTENSION)
        if sender is not None:
            sender.wake.set()


@event.listens_for(db.session, "after_rollback")
def _forget_due(session):
    session.info.pop(DUE, None)


@dataclass(frozen=True)
class Job:
    """What posting one delivery needs, read before the call so no transaction stays open."""

    delivery_id: int
    endpoint_id: int
    url: str
    webhook_id: str
    body: str
    secrets: tuple


def sign(secrets, webhook_id, timestamp, body):
    """The ``webhook-signature`` header: one ``v1,<base64>`` per secret, space-separated."""
    return " ".join(Webhook(secret).sign(webhook_id, timestamp, body) for secret in secrets)


def deliver_due():
    """Claim the deliveries that are due and post each; return how many were attempted."""
    jobs = _claim()
    gone = set()  # endpoints that answered 410 in this round: the rest of their jobs wait
    for job in jobs:
        if job.endpoint_id in gone:
            _release(job)
            continue
        outcome = _post(job)
        _record(job, outcome)
        if outcome.status_code == 410:
            gone.add(job.endpoint_id)
    return len(jobs)


def _release(job):
    """Give a claimed delivery back untried (its endpoint was disabled meanwhile)."""
    db.session.execute(
        update(WebhookDelivery)
        .where(WebhookDelivery.id == job.delivery_id)
        .values(claimed_until=None)
    )
    db.session.commit()


def _claim():
    config = current_app.config
    now = utcnow()
    claimed = claim_due(
        WebhookDelivery,
        config["WEBHOOK_BATCH"],
        config["WEBHOOK_BATCH"] * (config["WEBHOOK_TIMEOUT"] + 5),
        WebhookDelivery.endpoint_id.in_(
            select(WebhookEndpoint.id).where(WebhookEndpoint.status == "enabled")
        ),
        now=now,
    )
    if not claimed:
        return []
    deliveries = db.session.scalars(
        select(WebhookDelivery)
        .where(WebhookDelivery.id.in_(claimed))
        .order_by(WebhookDelivery.next_attempt_at, WebhookDelivery.id)
    ).all()
    jobs = [
        Job(
            delivery_id=d.id,
            endpoint_id=d.endpoint_id,
            url=d.endpoint.url,
            webhook_id=d.event.public_id,
            body=json.dumps(event_payload(d.event), separators=(",", ":"), ensure_ascii=False),
            secrets=tuple(signing_secrets(d.endpoint, now)),
        )
        for d in deliveries
    ]
    db.session.commit()  # ends the read; nothing is held while receivers are called
    return jobs


@dataclass(frozen=True)
class Outcome:
    status_code: int | None = None
    error: str = ""

    @property
    def succeeded(self):
        return self.status_code is not None and 200 <= self.status_code < 300


def _post(job):
    try:
        # Again at send time: the host may resolve elsewhere by now.
        addresses = check_target(job.url)
    except ValueError as exc:
        return Outcome(error=str(exc))
    timestamp = utcnow().replace(tzinfo=UTC)
    headers = {
        "content-type": "application/json",
        "user-agent": USER_AGENT,
        "webhook-id": job.webhook_id,
        "webhook-timestamp": str(int(timestamp.timestamp())),
        "webhook-signature": sign(job.secrets, job.webhook_id, timestamp, job.body),
    }
    timeout = current_app.config["WEBHOOK_TIMEOUT"]
    try:
        status = outbound.post(job.url, job.body.encode(), headers, timeout, addresses)
    except urllib3.exceptions.HTTPError as exc:
        return Outcome(error=_describe(exc))
    if 300 <= status < 400:
        return Outcome(status, "Redirects are not followed; use the final URL.")
    return Outcome(status)


def _describe(exc):
    errors = urllib3.exceptions
    # A refused connection is a NewConnectionError, which urllib3 makes a kind of timeout.
    if isinstance(exc, errors.TimeoutError) and not isinstance(exc, errors.NewConnectionError):
        return "The receiver did not answer in time."
    if isinstance(exc, errors.NewConnectionError | errors.SSLError | errors.ProtocolError):
        return "Could not connect to the receiver."
    return f"The request failed: {type(exc).__name__}."


def _record(job, outcome):
    delivery = db.session.get(WebhookDelivery, job.delivery_id)
    if delivery is None:  # its endpoint was deleted meanwhile
        db.session.rollback()
        return
    now = utcnow()
    delivery.attempts += 1
    delivery.last_attempt_at = now
    delivery.last_status_code = outcome.status_code
    delivery.last_error = outcome.error[:300]
    delivery.claimed_until = None
    retry = retry_at(delivery.attempts, current_app.config["WEBHOOK_RETRY_DELAYS"], now)
    if outcome.succeeded:
        delivery.status = "succeeded"
        delivery.delivered_at = now
    elif outcome.status_code == 410:
        delivery.status = "failed"
        disable_endpoint(delivery.endpoint, "The receiver answered 410 Gone.")
    elif retry is None:
        delivery.status = "failed"
    else:
        delivery.next_attempt_at = retry
    db.session.commit()
    log.info(
        "webhook delivery %s to %s: %s",
        delivery.public_id,
        delivery.endpoint.public_id,
        outcome.status_code or outcome.error,
    )


def run(app, stop, wake=None):
    """Send deliveries and emails, and run the background jobs (``tasks``), until ``stop``
    is set; sleep between rounds unless ``wake`` is set."""
    poll = app.config["WEBHOOK_POLL_SECONDS"]
    clock = TaskClock(app.config["BACKGROUND_TASK_SECONDS"])
    while not stop.is_set():
        try:
            with app.app_context():
                sent = deliver_due()
                if clock.due():
                    sent += run_tasks()  # before the emails: a job may write some
                sent += send_due_mail()
        except Exception:  # a database hiccup must not end the sender
            log.exception("sender round failed; trying again")
            sent = 0
        if sent:
            continue
        if wake is None:
            stop.wait(poll)
        else:
            wake.wait(poll)
            wake.clear()


class SenderThread:
    """The in-process sender of the embedded default: one daemon thread per web process."""

    def __init__(self, app):
        self.app = app
        self.stop = threading.Event()
        self.wake = threading.Event()
        self.thread = None
        self.lock = threading.Lock()

    def ensure_running(self):
        if self.thread is not None and self.thread.is_alive():
            return
        with self.lock:
            if self.thread is None or not self.thread.is_alive():
                self.thread = threading.Thread(
                    target=run,
                    args=(self.app, self.stop, self.wake),
                    name="roomloop-webhooks",
                    daemon=True,
                )
                self.thread.start()
