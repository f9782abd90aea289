"""SQLAlchemy models, one module per aggregate: accounts, facilities and blackouts,
reservations and their held slots, series, tokens, sessions and door displays, webhooks and
events, and the email messages the outbox sends."""

from .account import ACCOUNT_STATUSES, ROLES, Account
from .base import iso_utc, new_public_id, utcnow
from .email import EMAIL_STATUSES, EmailMessage
from .facility import FACILITY_STATUSES, BlackoutDate, Facility
from .reservation import HOLDING_STATUSES, RESERVATION_STATUSES, HeldSlot, Reservation
from .series import SERIES_STATUSES, Series
from .setting import ConfigStamp, Setting
from .token import ApiToken, BrowserSession, DisplayToken
from .webhook import (
    DELIVERY_STATUSES,
    ENDPOINT_STATUSES,
    Event,
    WebhookDelivery,
    WebhookEndpoint,
)

__all__ = [
    "ACCOUNT_STATUSES",
    "DELIVERY_STATUSES",
    "EMAIL_STATUSES",
    "ENDPOINT_STATUSES",
    "FACILITY_STATUSES",
    "HOLDING_STATUSES",
    "RESERVATION_STATUSES",
    "ROLES",
    "SERIES_STATUSES",
    "Account",
    "ApiToken",
    "BlackoutDate",
    "BrowserSession",
    "ConfigStamp",
    "DisplayToken",
    "EmailMessage",
    "Event",
    "Facility",
    "HeldSlot",
    "Reservation",
    "Series",
    "Setting",
    "WebhookDelivery",
    "WebhookEndpoint",
    "iso_utc",
    "new_public_id",
    "utcnow",
]
