"""Webhooks: the event outbox, the endpoints that receive events, and each delivery.

Every change writes its event, and a delivery row for each subscribed endpoint, in its own
transaction: if the change commits, its deliveries exist; if it rolls back, none do.
"""

from ..extensions import db
from .base import TimestampMixin, new_public_id, utcnow

ENDPOINT_STATUSES = ("enabled", "disabled")
DELIVERY_STATUSES = ("pending", "succeeded", "failed")


class Event(db.Model):
    __tablename__ = "events"

    id = db.Column(db.Integer, primary_key=True)
    public_id = db.Column(
        db.String(32), nullable=False, unique=True, default=lambda: new_public_id("evt_")
    )
    type = db.Column(db.String(40), nullable=False, index=True)
    data = db.Column(db.JSON, nullable=False)
    created_at = db.Column(db.DateTime, nullable=False, default=utcnow)


class WebhookEndpoint(TimestampMixin, db.Model):
    __tablename__ = "webhook_endpoints"

    id = db.Column(db.Integer, primary_key=True)
    public_id = db.Column(
        db.String(32), nullable=False, unique=True, default=lambda: new_public_id("wh_")
    )
    url = db.Column(db.String(2000), nullable=False)
    events = db.Column(db.JSON, nullable=False)  # patterns: "reservation.*" or exact types
    description = db.Column(db.String(200), nullable=False, default="")
    status = db.Column(db.String(20), nullable=False, default="enabled")
    disabled_reason = db.Column(db.String(200), nullable=False, default="")
    # The signing secret must be readable to sign with, so it is kept, not hashed; it is
    # never shown again after creation or rotation. After a rotation the previous secret
    # also signs until ``previous_secret_expires_at``, so receivers can switch without a gap.
    secret = db.Column(db.String(100), nullable=False)
    previous_secret = db.Column(db.String(100), nullable=True)
    previous_secret_expires_at = db.Column(db.DateTime, nullable=True)
    created_by_id = db.Column(
        db.Integer, db.ForeignKey("accounts.id", ondelete="SET NULL"), nullable=True
    )

    created_by = db.relationship("Account")

    def __repr__(self):
        return f"<WebhookEndpoint {self.public_id} {self.url}>"


class WebhookDelivery(db.Model):
    """One event on its way to one endpoint: its attempts, and when to try next."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        db.UniqueConstraint("endpoint_id", "event_id"),
        # The sender's question: which pending deliveries are due?
        db.Index("ix_webhook_deliveries_due", "status", "next_attempt_at"),
    )

    id = db.Column(db.Integer, primary_key=True)
    public_id = db.Column(
        db.String(32), nullable=False, unique=True, default=lambda: new_public_id("dlv_")
    )
    endpoint_id = db.Column(
        db.Integer, db.ForeignKey("webhook_endpoints.id", ondelete="CASCADE"), nullable=False
    )
    event_id = db.Column(
        db.Integer, db.ForeignKey("events.id", ondelete="CASCADE"), nullable=False, index=True
    )
    status = db.Column(db.String(20), nullable=False, default="pending")
    attempts = db.Column(db.Integer, nullable=False, default=0)
    next_attempt_at = db.Column(db.DateTime, nullable=False, default=utcnow)
    # A sender that claims a delivery owns it until then; one that dies lets it go again.
    claimed_until = db.Column(db.DateTime, nullable=True)
    last_attempt_at = db.Column(db.DateTime, nullable=True)
    last_status_code = db.Column(db.Integer, nullable=True)
    last_error = db.Column(db.String(300), nullable=False, default="")
    delivered_at = db.Column(db.DateTime, nullable=True)
    created_at = db.Column(db.DateTime, nullable=False, default=utcnow)

    endpoint = db.relationship("WebhookEndpoint")
    event = db.relationship("Event")
