"""The outbox: every change writes its events here, in the transaction of the change.

``record_event`` adds an event, a pending delivery for every enabled endpoint that
subscribes to its type, and the emails it owes people (``mail_events``): they commit, or
roll back, together with the change. ``sender.py`` sends the deliveries and
``mail_sender.py`` the emails; ``webhooks.py`` keeps the endpoints.
"""

from typing import NamedTuple

from sqlalchemy import insert, select

from ..configured import configured
from ..extensions import db
from ..models import Event, WebhookDelivery, iso_utc, new_public_id, utcnow
from .claims import DUE
from .mail_events import emails_owed, insert_messages

EVENT_TYPES = (
    "reservation.created",
    "reservation.updated",
    "reservation.confirmed",
    "reservation.cancelled",
    "reservation.deleted",
    "account.created",
    "account.updated",
    "account.disabled",
    "series.created",
    "series.updated",
    "series.cancelled",
)
EVENT_PATTERNS = ("reservation.*", "account.*", "series.*")
INSERT_EVENTS = insert(Event.__table__)
# Sent only on request, to one endpoint, so that an admin can see a receiver work.
TEST_EVENT = "webhook.test"


def record_event(event_type, data, endpoints=None, by=None):
    """Add an event to the outbox, with a delivery for each enabled endpoint that subscribes
    to it (``endpoints``, where the caller has read them already: booking reads them before
    it takes the write lock), and its emails; ``by`` is the account that made the change."""
    record_events(
        [
            {
                "public_id": new_public_id("evt_"),
                "type": event_type,
                "data": data,
                "created_at": utcnow(),
            }
        ],
        None if endpoints is None else {event_type: endpoints},
        by,
    )


class Outbox(NamedTuple):
    """A change's events, the emails they owe and the endpoints subscribed to them, worked
    out but not yet written (``prepare_outbox``; ``write_outbox`` writes them)."""

    events: list
    emails: list
    endpoints: dict  # event type -> subscribed endpoints


def record_events(rows, endpoints=None, by=None):
    """Add events to the outbox at once, as plain INSERTs (every booking and import writes
    them), with their emails. ``rows`` are dicts with ``public_id``, ``type``, ``data`` and
    ``created_at``; ``endpoints`` maps their types to the subscribed endpoints, read here if
    not given; ``by`` is the account that made the change (an approver says who approved)."""
    if rows:
        write_outbox(prepare_outbox(rows, endpoints, by))


def prepare_outbox(rows, endpoints=None, by=None):
    """What ``record_events`` writes for ``rows``, worked out without writing: a booking does
    this before it takes the write lock, which it then holds for the INSERTs alone."""
    types = {row["type"] for row in rows}
    unknown = types - set(EVENT_TYPES)
    if unknown:
        raise ValueError(f"unknown event types {sorted(unknown)!r}")
    if endpoints is None:
        endpoints = {t: subscribed_endpoints(t) for t in types}
    return Outbox(rows, emails_owed(rows, by), endpoints)


def write_outbox(outbox):
    rows, endpoints = outbox.events, outbox.endpoints
    # Core rather than the ORM's bulk INSERT (three times as long): every booking runs it.
    db.session.connection().execute(INSERT_EVENTS, rows)
    insert_messages(outbox.emails)
    if not any(endpoints.values()):
        return
    ids = dict(
        db.session.execute(
            select(Event.public_id, Event.id).where(
                Event.public_id.in_([row["public_id"] for row in rows])
            )
        ).all()
    )
    deliveries = [
        {
            "public_id": new_public_id("dlv_"),
            "endpoint_id": endpoint.id,
            "event_id": ids[row["public_id"]],
            "next_attempt_at": row["created_at"],
            "created_at": row["created_at"],
        }
        for row in rows
        for endpoint in endpoints[row["type"]]
    ]
    db.session.execute(insert(WebhookDelivery), deliveries)
    db.session.info[DUE] = True


def subscribed_endpoints(event_type):
    """The enabled endpoints subscribed to ``event_type``, as rows with ``id`` and ``events``."""
    return [e for e in configured().endpoints if subscribes(e.events, event_type)]


def subscribes(patterns, event_type):
    family = event_type.split(".", 1)[0] + ".*"
    return event_type in patterns or family in patterns


def event_payload(event):
    """The body a receiver gets: ``{"id", "type", "created_at", "data"}``."""
    return {
        "id": event.public_id,
        "type": event.type,
        "created_at": iso_utc(event.created_at),
        "data": event.data,
    }
