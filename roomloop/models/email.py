"""Email messages: one row per message the outbox owes a person, sent with retries."""

from ..extensions import db
from .base import new_public_id, utcnow

EMAIL_STATUSES = ("pending", "sent", "failed")


class EmailMessage(db.Model):
    """A message written in the transaction of the change it tells of, and sent later.

    ``data`` is what the message is rendered from when it is sent (the reservation as the
    event shows it, who acted and why), so a change that rolls back leaves no message.
    """

    __tablename__ = "email_messages"
    __table_args__ = (
        # The sender's question: which pending messages are due?
        db.Index("ix_email_messages_due", "status", "next_attempt_at"),
    )

    id = db.Column(db.Integer, primary_key=True)
    public_id = db.Column(
        db.String(32), nullable=False, unique=True, default=lambda: new_public_id("eml_")
    )
    account_id = db.Column(
        db.Integer, db.ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False, index=True
    )
    kind = db.Column(db.String(40), nullable=False)
    data = db.Column(db.JSON, nullable=False)
    status = db.Column(db.String(20), nullable=False, default="pending")
    attempts = db.Column(db.Integer, nullable=False, default=0)
    next_attempt_at = db.Column(db.DateTime, nullable=False, default=utcnow)
    # A sender that claims a message owns it until then; one that dies lets it go again.
    claimed_until = db.Column(db.DateTime, nullable=True)
    last_error = db.Column(db.String(300), nullable=False, default="")
    sent_at = db.Column(db.DateTime, nullable=True)
    created_at = db.Column(db.DateTime, nullable=False, default=utcnow)

    account = db.relationship("Account")

    def __repr__(self):
        return f"<EmailMessage {self.public_id} {self.kind} {self.status}>"
