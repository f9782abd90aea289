"""The outbox: events every change writes in its own transaction, and what sends them.

Holds the events (``events``), the webhook endpoints and their deliveries (``webhooks``),
the sender that signs and posts the deliveries with retries (``sender``, a thread in each
web process or ``flask deliver-webhooks``), and the one way out to a receiver
(``outbound``), which connects only to the address that was checked, and the other jobs
that sender runs (``tasks``), such as releasing bookings nobody checked in. The kinds of
email people get, and whether each person wants one, are ``mail_kinds``.
"""

from .events import EVENT_PATTERNS, EVENT_TYPES, record_event, record_events, subscribed_endpoints
from .mail_kinds import APPROVER_ROLES, KINDS, kinds_for, wants
from .sender import deliver_due, init_app, run
from .tasks import add_task, run_tasks
from .webhooks import (
    create_endpoint,
    delete_endpoint,
    endpoint_health,
    find_deliveries,
    get_delivery,
    get_endpoint,
    list_endpoints,
    redeliver,
    rotate_secret,
    send_test_event,
    update_endpoint,
)

__all__ = [
    "APPROVER_ROLES",
    "EVENT_PATTERNS",
    "EVENT_TYPES",
    "KINDS",
    "add_task",
    "create_endpoint",
    "delete_endpoint",
    "deliver_due",
    "endpoint_health",
    "find_deliveries",
    "get_delivery",
    "get_endpoint",
    "init_app",
    "kinds_for",
    "list_endpoints",
    "record_event",
    "record_events",
    "redeliver",
    "rotate_secret",
    "run",
    "run_tasks",
    "send_test_event",
    "subscribed_endpoints",
    "update_endpoint",
    "wants",
]
