"""Admin pages: webhook endpoints, their deliveries, and the signing secret shown once.

The add form is validated by the same ``WebhookCreate`` schema as ``POST /v1/webhooks`` and
calls the same domain functions, so a page and the API accept and refuse the same values.
A signing secret appears only in the answer to the post that creates or rotates it, never
on a page loaded later, and that answer is not stored by the browser (``no-store``).
"""

import re
from http import HTTPStatus

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from sqlalchemy.orm import joinedload

from ..errors import NotFound, ValidationError
from ..extensions import db, htmx
from ..models import WebhookDelivery, utcnow
from ..outbox import (
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
from ..schemas import WebhookCreate, WebhookUpdate, parse_values
from . import current_actor
from .admin import requires
from .forms import ActionForm, WebhookForm, WebhookStatusForm

bp = Blueprint("admin_webhooks", __name__, url_prefix="/admin/webhooks")

PER_PAGE = 25
# The schema's and the domain's words, in the words of a form with checkboxes.
FRIENDLIER = [
    (
        r"^String should have at least 1 character$",
        "Enter the receiver's full URL, such as https://example.org/hooks/roomloop.",
    ),
    (r"^String should have at most (\d+) characters$", r"At most \1 characters."),
    (r"^List at least one event type.*$", "Tick at least one event."),
]
TOGGLED = {
    "enabled": "Enabled: events are sent to this endpoint again, waiting deliveries first.",
    "disabled": "Disabled: nothing is sent to this endpoint until it is enabled again; "
    "its deliveries wait.",
}


@bp.get("")
@requires("webhooks:manage")
def index():
    """List the endpoints with their health, and the form that adds one."""
    return _page(WebhookForm(formdata=None))


@bp.post("")
@requires("webhooks:manage")
def create():
    """Add an endpoint and show its signing secret, once; nothing is stored on an error."""
    form = WebhookForm()
    if not form.validate_on_submit():
        return _page(form, status=400)
    try:
        data = parse_values(
            WebhookCreate,
            {
                "url": (form.url.data or "").strip(),
                "events": form.events.data or [],
                "description": (form.description.data or "").strip(),
            },
        )
        endpoint = create_endpoint(current_actor(), data.url, data.events, data.description)
    except ValidationError as exc:
        db.session.rollback()
        _show_errors(form, exc.fields)
        return _page(form, status=400)
    flash(f"Added the endpoint {endpoint.url}.", "info")
    return _page(WebhookForm(formdata=None), secret={"endpoint": endpoint, "rotated": False})


@bp.post("/<public_id>/status")
@requires("webhooks:manage")
def set_status(public_id):
    """Enable or disable an endpoint; a disabled one keeps its deliveries waiting."""
    endpoint = _endpoint_or_404(public_id)
    form = WebhookStatusForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        status = parse_values(WebhookUpdate, {"status": form.status.data or ""}).status
    except ValidationError:
        abort(400)
    update_endpoint(current_actor(), endpoint, status=status)
    return _changed(endpoint, TOGGLED[status])


@bp.post("/<public_id>/test")
@requires("webhooks:manage")
def send_test(public_id):
    """Queue a ``webhook.test`` event for this endpoint alone."""
    endpoint = _endpoint_or_404(public_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    delivery = send_test_event(current_actor(), endpoint)
    message = f"Test event {delivery.event.public_id} queued. " + (
        "The receiver's answer shows under Deliveries once it is sent, usually within seconds."
        if endpoint.status == "enabled"
        else "It waits until the endpoint is enabled."
    )
    if request.args.get("back") == "deliveries":
        flash(message, "info")
        return redirect(url_for(".deliveries", public_id=endpoint.public_id), code=303)
    return _changed(endpoint, message)


@bp.route("/<public_id>/rotate", methods=["GET", "POST"])
@requires("webhooks:manage")
def rotate(public_id):
    """Ask to confirm, then give the endpoint a new secret, shown once."""
    endpoint = _endpoint_or_404(public_id)
    form = ActionForm()
    if request.method == "GET" or not form.validate_on_submit():
        return _confirm(endpoint, "rotate", form, status=200 if request.method == "GET" else 400)
    rotate_secret(current_actor(), endpoint)
    flash(f"Rotated the signing secret of {endpoint.url}.", "info")
    return _page(WebhookForm(formdata=None), secret={"endpoint": endpoint, "rotated": True})


@bp.route("/<public_id>/delete", methods=["GET", "POST"])
@requires("webhooks:manage")
def delete(public_id):
    """Ask to confirm, then delete the endpoint and its deliveries."""
    endpoint = _endpoint_or_404(public_id)
    form = ActionForm()
    if request.method == "GET" or not form.validate_on_submit():
        return _confirm(endpoint, "delete", form, status=200 if request.method == "GET" else 400)
    url = endpoint.url
    delete_endpoint(current_actor(), endpoint)
    flash(f"Deleted the endpoint {url}; nothing more is sent to it.", "info")
    return redirect(url_for(".index"), code=303)


@bp.get("/<public_id>/deliveries")
@requires("webhooks:manage")
def deliveries(public_id):
    """The endpoint's deliveries, newest first, a page at a time, each with Redeliver."""
    endpoint = _endpoint_or_404(public_id)
    query = find_deliveries(endpoint).options(joinedload(WebhookDelivery.event))
    before, lost = request.args.get("before", ""), False
    if before:
        try:
            query = query.where(WebhookDelivery.id < get_delivery(endpoint, before).id)
        except NotFound:
            before, lost = "", True
    rows = db.session.scalars(query.order_by(WebhookDelivery.id.desc()).limit(PER_PAGE + 1)).all()
    return render_template(
        "admin/webhook_deliveries.html",
        endpoint=endpoint,
        deliveries=rows[:PER_PAGE],
        older=rows[PER_PAGE - 1].public_id if len(rows) > PER_PAGE else None,
        before=before,
        lost=lost,
        health=endpoint_health([endpoint])[endpoint.id],
        **_helpers(),
    )


@bp.post("/<public_id>/deliveries/<delivery_id>/redeliver")
@requires("webhooks:manage")
def redeliver_one(public_id, delivery_id):
    """Send a delivery again now, with the same ``webhook-id``."""
    endpoint = _endpoint_or_404(public_id)
    try:
        delivery = get_delivery(endpoint, delivery_id)
    except NotFound:
        abort(404)
    if not ActionForm().validate_on_submit():
        abort(400)
    redeliver(current_actor(), delivery)
    message = "Queued again." + ("" if endpoint.status == "enabled" else
                                 " It waits until the endpoint is enabled.")  # fmt: skip
    if htmx:
        return render_template(
            "admin/partials/webhook_delivery_row.html",
            endpoint=endpoint,
            delivery=delivery,
            notice=message,
            before=request.args.get("before", ""),
            **_helpers(),
        )
    flash(f"{delivery.event.type} {delivery.event.public_id}: {message}", "info")
    target = url_for(
        ".deliveries",
        public_id=endpoint.public_id,
        before=request.args.get("before") or None,
        _anchor=f"delivery-{delivery.public_id}",
    )
    return redirect(target, code=303)


# --- Rendering --------------------------------------------------------------------------


def _endpoint_or_404(public_id):
    try:
        return get_endpoint(public_id)
    except NotFound:
        abort(404)


def _helpers():
    return {
        "action_form": ActionForm(formdata=None),
        "status_form": WebhookStatusForm(formdata=None),
        "now": utcnow(),
        "answer": _answer,
    }


def _answer(delivery):
    """A delivery's last outcome in words: ``200 OK``, or why there was no answer."""
    if delivery.last_status_code is None:
        return delivery.last_error or "—"
    try:
        words = f"{delivery.last_status_code} {HTTPStatus(delivery.last_status_code).phrase}"
    except ValueError:
        words = str(delivery.last_status_code)
    return f"{words}. {delivery.last_error}" if delivery.last_error else words


def _page(form, status=200, secret=None):
    endpoints = list_endpoints()
    page = render_template(
        "admin/webhooks.html",
        endpoints=endpoints,
        health=endpoint_health(endpoints),
        form=form,
        secret=secret,
        grace_hours=current_app.config["WEBHOOK_SECRET_GRACE_HOURS"],
        **_helpers(),
    )
    # htmx swaps only 2xx answers: it takes the refused form from the page, messages and all.
    response = make_response(page, 200 if htmx else status)
    if secret:  # the secret must not outlive this answer in the browser's cache or history
        response.headers["Cache-Control"] = "no-store"
    return response


def _changed(endpoint, message):
    """After a change to one endpoint: its item for htmx, else the list with a message."""
    if htmx:
        return render_template(
            "admin/partials/webhook_item.html",
            endpoint=endpoint,
            health=endpoint_health([endpoint]),
            notice=message,
            **_helpers(),
        )
    flash(message, "info")
    return redirect(url_for(".index", _anchor=f"webhook-{endpoint.public_id}"), code=303)


def _confirm(endpoint, action, form, status):
    context = {
        "endpoint": endpoint,
        "action": action,
        "action_form": form,
        "now": utcnow(),
        "grace_hours": current_app.config["WEBHOOK_SECRET_GRACE_HOURS"],
    }
    if htmx:
        return render_template("admin/partials/webhook_confirm.html", **context)
    return render_template("admin/webhook_confirm.html", **context), status


def _show_errors(form, fields):
    for name, message in fields.items():
        for pattern, words in FRIENDLIER:
            message = re.sub(pattern, words, message)
        field = getattr(form, name.split(".")[0], None)
        if field is None or not hasattr(field, "errors"):
            form.form_errors.append(message)
        else:
            field.errors = [*field.errors, message]
