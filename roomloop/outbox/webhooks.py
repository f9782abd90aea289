"""Webhook endpoints: register, change, test and remove them, their deliveries, and the
checks on where they may point (in production: public HTTPS targets only).

The events they receive are written by ``events.py``; ``sender.py`` posts them.
"""

import base64
import ipaddress
import re
import secrets
import socket
from datetime import timedelta
from urllib.parse import urlsplit

from flask import current_app
from sqlalchemy import func, select

from ..errors import NotFound, ValidationError
from ..extensions import db
from ..models import Event, WebhookDelivery, WebhookEndpoint, utcnow
from .events import DUE, EVENT_PATTERNS, EVENT_TYPES, TEST_EVENT

MAX_ENDPOINTS = 50
ENDPOINT_ID = re.compile(r"wh_[0-9a-f]{1,30}")
DELIVERY_ID = re.compile(r"dlv_[0-9a-f]{1,30}")


# Endpoints -------------------------------------------------------------------------------


def new_secret():
    """A Standard Webhooks secret: ``whsec_`` and the base64 of 32 random bytes."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


def list_endpoints():
    return db.session.scalars(select(WebhookEndpoint).order_by(WebhookEndpoint.id)).all()


def get_endpoint(public_id):
    if not ENDPOINT_ID.fullmatch(public_id):  # never looked up: PostgreSQL refuses NUL
        raise NotFound("webhook", public_id)
    endpoint = db.session.scalar(
        select(WebhookEndpoint).where(WebhookEndpoint.public_id == public_id)
    )
    if endpoint is None:
        raise NotFound("webhook", public_id)
    return endpoint


def create_endpoint(actor, url, events, description=""):
    """Register an endpoint; the caller shows its ``secret`` once."""
    actor.require("webhooks:manage")
    errors = {}
    _check("url", lambda: check_target(url), errors)
    _check("events", lambda: check_patterns(events), errors)
    if db.session.scalar(select(func.count()).select_from(WebhookEndpoint)) >= MAX_ENDPOINTS:
        errors["url"] = f"A school can register at most {MAX_ENDPOINTS} endpoints."
    if errors:
        raise ValidationError(errors)
    endpoint = WebhookEndpoint(
        url=url,
        events=_unique(events),
        description=description,
        secret=new_secret(),
        created_by_id=actor.account.id,
    )
    db.session.add(endpoint)
    db.session.commit()
    return endpoint


def update_endpoint(actor, endpoint, url=None, events=None, description=None, status=None):
    """Change what an endpoint receives, or enable or disable it."""
    actor.require("webhooks:manage")
    errors = {}
    if url is not None:
        _check("url", lambda: check_target(url), errors)
    if events is not None:
        _check("events", lambda: check_patterns(events), errors)
    if errors:
        raise ValidationError(errors)
    if url is not None:
        endpoint.url = url
    if events is not None:
        endpoint.events = _unique(events)
    if description is not None:
        endpoint.description = description
    if status is not None and status != endpoint.status:
        endpoint.status = status
        endpoint.disabled_reason = "Disabled by an admin." if status == "disabled" else ""
    db.session.commit()
    return endpoint


def disable_endpoint(endpoint, reason):
    """Stop sending to an endpoint (the sender does this on 410 Gone); the caller commits."""
    endpoint.status = "disabled"
    endpoint.disabled_reason = reason[:200]


def delete_endpoint(actor, endpoint):
    actor.require("webhooks:manage")
    db.session.delete(endpoint)
    db.session.commit()


def rotate_secret(actor, endpoint, now=None):
    """Give the endpoint a new secret; the old one also signs for the grace period."""
    actor.require("webhooks:manage")
    now = now or utcnow()
    grace = timedelta(hours=current_app.config["WEBHOOK_SECRET_GRACE_HOURS"])
    endpoint.previous_secret = endpoint.secret
    endpoint.previous_secret_expires_at = now + grace
    endpoint.secret = new_secret()
    db.session.commit()
    return endpoint


def signing_secrets(endpoint, now):
    """The secrets that sign a delivery now: the current one, and the previous in its grace."""
    keys = [endpoint.secret]
    if endpoint.previous_secret and endpoint.previous_secret_expires_at > now:
        keys.append(endpoint.previous_secret)
    return keys


def send_test_event(actor, endpoint):
    """Queue a ``webhook.test`` event for this endpoint alone, whatever it subscribes to."""
    actor.require("webhooks:manage")
    event = Event(
        type=TEST_EVENT,
        data={"message": "A test event from RoomLoop.", "endpoint": endpoint.public_id},
    )
    delivery = WebhookDelivery(endpoint=endpoint, event=event)
    db.session.add_all([event, delivery])
    db.session.info[DUE] = True
    db.session.commit()
    return delivery


def find_deliveries(endpoint):
    """The endpoint's deliveries, newest first, for keyset pagination."""
    return select(WebhookDelivery).where(WebhookDelivery.endpoint_id == endpoint.id)


def get_delivery(endpoint, public_id):
    if not DELIVERY_ID.fullmatch(public_id):
        raise NotFound("delivery", public_id)
    delivery = db.session.scalar(
        select(WebhookDelivery).where(
            WebhookDelivery.endpoint_id == endpoint.id, WebhookDelivery.public_id == public_id
        )
    )
    if delivery is None:
        raise NotFound("delivery", public_id)
    return delivery


def redeliver(actor, delivery, now=None):
    """Send a delivery again now, whatever became of it (its ``webhook-id`` stays)."""
    actor.require("webhooks:manage")
    delivery.status = "pending"
    delivery.next_attempt_at = now or utcnow()
    delivery.claimed_until = None
    db.session.info[DUE] = True
    db.session.commit()
    return delivery


def endpoint_health(endpoints):
    """Per endpoint id: deliveries pending, failed and succeeded, and the last attempt."""
    if not endpoints:
        return {}
    ids = [e.id for e in endpoints]
    counts = db.session.execute(
        select(WebhookDelivery.endpoint_id, WebhookDelivery.status, func.count())
        .where(WebhookDelivery.endpoint_id.in_(ids))
        .group_by(WebhookDelivery.endpoint_id, WebhookDelivery.status)
    )
    health = {i: {"pending": 0, "succeeded": 0, "failed": 0, "last_attempt": None} for i in ids}
    for endpoint_id, status, number in counts:
        health[endpoint_id][status] = number
    last = select(WebhookDelivery).where(
        WebhookDelivery.endpoint_id.in_(ids),
        WebhookDelivery.last_attempt_at.is_not(None),
    )
    for delivery in db.session.scalars(last.order_by(WebhookDelivery.last_attempt_at.desc())):
        if health[delivery.endpoint_id]["last_attempt"] is None:
            health[delivery.endpoint_id]["last_attempt"] = delivery
        if all(h["last_attempt"] for h in health.values()):
            break
    return health


# Validation ------------------------------------------------------------------------------


def check_patterns(events):
    """A non-empty list of known types or ``reservation.*`` / ``account.*``."""
    if not isinstance(events, list) or not events:
        raise ValueError("List at least one event type, e.g. reservation.* or account.created.")
    unknown = [e for e in events if e not in EVENT_TYPES and e not in EVENT_PATTERNS]
    if unknown:
        known = ", ".join((*EVENT_PATTERNS, *EVENT_TYPES))
        raise ValueError(f"Unknown event type {unknown[0]!r}; use one of: {known}.")


def check_target(url):
    """Refuse a URL the sender must not post to; return the addresses it may connect to.

    In production a target is HTTPS and every address its host resolves to is public, so
    that a webhook cannot be aimed at the school's own network (SSRF). The host is resolved
    once, here, and the sender connects to the addresses returned: a name that answers
    otherwise a moment later (DNS rebinding) cannot lead it elsewhere. Development accepts
    any http(s) URL, loopback included, so that tools can be tried locally, and returns None:
    the sender connects wherever the host resolves.
    """
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError("Enter a full URL, such as https://example.org/hooks/roomloop.")
    if parts.username or parts.password:
        raise ValueError("Put no user name or password in the URL.")
    if current_app.config["WEBHOOK_ALLOW_PRIVATE_TARGETS"]:
        return None
    if parts.scheme != "https":
        raise ValueError("Use an https:// URL.")
    addresses = _resolve(parts.hostname, parts.port or 443)
    for address in addresses:
        if not _is_public(address):
            raise ValueError(
                f"{parts.hostname} resolves to {address}, a private, loopback or link-local "
                "address; webhooks go to public addresses only."
            )
    return addresses


GLOBAL_UNICAST = ipaddress.ip_network("2000::/3")
NAT64 = ipaddress.ip_network("64:ff9b::/96")


def _is_public(address):
    """Whether ``address`` is public: an IPv4 address that is global and not multicast, or
    an IPv6 one in global unicast (2000::/3) that is global and not Teredo (2001::/32, whose
    IPv4 end cannot be checked). IPv6 that wraps an IPv4 address (mapped, 6to4, NAT64
    64:ff9b::/96) is judged by the address inside.

    IPv6 is allowed by range because Python 3.11's ``is_global`` still calls ::/96,
    ::ffff:0:0:0/96, 64:ff9b:1::/48, fec0::/10 and multicast global.
    """
    if address.version == 4:
        return address.is_global and not address.is_multicast
    inner = address.ipv4_mapped or address.sixtofour
    if inner is None and address in NAT64:
        inner = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    if inner is not None:
        return _is_public(inner)
    return address in GLOBAL_UNICAST and address.is_global and address.teredo is None


def _resolve(host, port):
    """The addresses ``host`` resolves to, once each, in the resolver's order."""
    try:
        infos = socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError):
        raise ValueError(f"{host} cannot be resolved; check the host name.") from None
    return list(dict.fromkeys(ipaddress.ip_address(info[4][0].split("%")[0]) for info in infos))


def _check(field, check, errors):
    try:
        check()
    except ValueError as exc:
        errors[field] = str(exc)


def _unique(items):
    return list(dict.fromkeys(items))
