"""The outbox: events every change writes in its own transaction, and what sends them.

Holds the events (``events``), the emails each event owes people (``mail_events``: which
kinds, ``mail_kinds``), the webhook endpoints and their deliveries (``webhooks``), and the
background sender (``sender``, a thread in each web process or ``flask deliver-webhooks``)
that posts the deliveries with retries and sends the emails (``mail_sender``: rendered by
``mail_render``, sent by ``mail_transport``), and runs the other jobs registered with it
(``tasks``), such as releasing bookings nobody checked in and the approvers' daily digests.
``claims`` is how a sender takes its work; ``outbound`` is the one way out to a receiver,
which connects only to the address that was checked.
"""

from .events import (
    EVENT_PATTERNS,
    EVENT_TYPES,
    prepare_outbox,
    record_event,
    record_events,
    subscribed_endpoints,
    write_outbox,
)
from .mail_events import queue_blackout_emails, queue_emails
from .mail_kinds import APPROVER_ROLES, KINDS, kinds_for, wants
from .mail_sender import send_due_mail
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
    "prepare_outbox",
    "queue_blackout_emails",
    "queue_emails",
    "record_event",
    "record_events",
    "redeliver",
    "rotate_secret",
    "run",
    "run_tasks",
    "send_due_mail",
    "send_test_event",
    "subscribed_endpoints",
    "update_endpoint",
    "wants",
    "write_outbox",
]
