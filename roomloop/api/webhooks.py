"""``/v1/webhooks``: register endpoints, see their deliveries, rotate secrets (admins).

Every call needs ``webhooks:manage``, checked before the body is read.
"""

from flask import g, request, url_for
from sqlalchemy import select

from ..models import WebhookDelivery, WebhookEndpoint
from ..outbox import (
    create_endpoint,
    delete_endpoint,
    find_deliveries,
    get_delivery,
    get_endpoint,
    redeliver,
    rotate_secret,
    send_test_event,
    update_endpoint,
)
from ..resources import delivery_resource, webhook_resource
from ..schemas import Page, WebhookCreate, WebhookUpdate, parse_json, parse_values
from .blueprint import bp
from .pagination import cursor_int, envelope, paginate


@bp.before_request
def require_webhooks_capability():
    """Every webhook call, read or write, is for admins: checked once, here, before parsing."""
    if request.path.startswith("/v1/webhooks"):
        g.actor.require("webhooks:manage")


@bp.post("/webhooks")
def create_webhook():
    """Register an endpoint for event types; the answer carries its signing secret, once."""
    data = parse_json(WebhookCreate, request.get_data())
    endpoint = create_endpoint(g.actor, data.url, data.events, data.description)
    location = url_for("api.show_webhook", public_id=endpoint.public_id)
    return webhook_resource(endpoint, secret=endpoint.secret), 201, {"Location": location}


@bp.get("/webhooks")
def list_webhooks():
    """List endpoints, oldest first."""
    query = parse_values(Page, request.args.to_dict())
    rows, has_more, cursor = paginate(
        select(WebhookEndpoint), [(WebhookEndpoint.id, cursor_int)], query
    )
    return envelope([webhook_resource(e) for e in rows], has_more, cursor)


@bp.get("/webhooks/<public_id>")
def show_webhook(public_id):
    return webhook_resource(get_endpoint(public_id))


@bp.patch("/webhooks/<public_id>")
def update_webhook(public_id):
    """Change the URL, event types or description, or enable or disable the endpoint."""
    endpoint = get_endpoint(public_id)
    data = parse_json(WebhookUpdate, request.get_data())
    fields = data.model_dump(exclude_unset=True)
    return webhook_resource(update_endpoint(g.actor, endpoint, **fields))


@bp.delete("/webhooks/<public_id>")
def delete_webhook(public_id):
    """Remove an endpoint and its delivery history; nothing more is sent to it."""
    delete_endpoint(g.actor, get_endpoint(public_id))
    return "", 204


@bp.post("/webhooks/<public_id>/rotate-secret")
def rotate_webhook_secret(public_id):
    """Issue a new secret, shown once; the previous one also signs during the grace period."""
    endpoint = rotate_secret(g.actor, get_endpoint(public_id))
    return webhook_resource(endpoint, secret=endpoint.secret)


@bp.post("/webhooks/<public_id>/test")
def test_webhook(public_id):
    """Queue a ``webhook.test`` event for this endpoint alone."""
    delivery = send_test_event(g.actor, get_endpoint(public_id))
    return delivery_resource(delivery), 202


@bp.get("/webhooks/<public_id>/deliveries")
def list_deliveries(public_id):
    """The endpoint's deliveries, newest first, with attempts and the last status code."""
    endpoint = get_endpoint(public_id)
    query = parse_values(Page, request.args.to_dict())
    rows, has_more, cursor = paginate(
        find_deliveries(endpoint), [(WebhookDelivery.id, cursor_int)], query, descending=True
    )
    return envelope([delivery_resource(d) for d in rows], has_more, cursor)


@bp.post("/webhooks/<public_id>/deliveries/<delivery_id>/redeliver")
def redeliver_webhook(public_id, delivery_id):
    """Send a delivery again now, with the same ``webhook-id``."""
    delivery = get_delivery(get_endpoint(public_id), delivery_id)
    return delivery_resource(redeliver(g.actor, delivery)), 202
