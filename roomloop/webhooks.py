"""Webhook events: the outbox every change writes to, in the change's own transaction."""

from .extensions import db
from .models import Event

EVENT_TYPES = (
    "reservation.created",
    "reservation.updated",
    "reservation.confirmed",
    "reservation.cancelled",
    "reservation.deleted",
    "account.created",
    "account.updated",
    "account.disabled",
)


def record_event(event_type, data):
    """Add an event to the outbox; it commits, or rolls back, with the change it describes."""
    if event_type not in EVENT_TYPES:
        raise ValueError(f"unknown event type {event_type!r}")
    event = Event(type=event_type, data=data)
    db.session.add(event)
    return event
