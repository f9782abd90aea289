"""Reservations and the slots they hold."""

from sqlalchemy import event
from sqlalchemy.orm import object_session

from ..extensions import db
from .base import TimestampMixin, new_public_id

RESERVATION_STATUSES = ("pending", "confirmed", "cancelled")
HOLDING_STATUSES = ("pending", "confirmed")


class Reservation(TimestampMixin, db.Model):
    __tablename__ = "reservations"
    __table_args__ = (
        db.Index("ix_reservations_facility_date", "facility_id", "date"),
        # A date range's reservations, and its cancelled ones without reading the others'
        # rows; and one person's reservations of a range (usage reports count per account).
        db.Index("ix_reservations_date_status", "date", "status"),
        db.Index("ix_reservations_account_date", "account_id", "date"),
    )

    id = db.Column(db.Integer, primary_key=True)
    public_id = db.Column(
        db.String(32), nullable=False, unique=True, default=lambda: new_public_id("res_")
    )
    facility_id = db.Column(db.Integer, db.ForeignKey("facilities.id"), nullable=False)
    account_id = db.Column(db.Integer, db.ForeignKey("accounts.id"), nullable=False)
    date = db.Column(db.Date, nullable=False)
    start_slot = db.Column(db.Integer, nullable=False)
    end_slot = db.Column(db.Integer, nullable=False)
    purpose = db.Column(db.String(200), nullable=False)
    attendees = db.Column(db.Integer, nullable=True)
    status = db.Column(db.String(20), nullable=False)
    rules = db.Column(db.JSON, nullable=False, default=dict)  # the engine's outcome, as returned
    # The series this date belongs to (series are cancelled, never deleted).
    series_id = db.Column(db.Integer, db.ForeignKey("series.id"), nullable=True, index=True)
    # Why it was cancelled, when whoever cancelled said so (or "no_show"), and by whom.
    cancel_reason = db.Column(db.String(500), nullable=True)
    cancelled_by_id = db.Column(db.Integer, db.ForeignKey("accounts.id"), nullable=True)
    checked_in_at = db.Column(db.DateTime, nullable=True)
    # Grows with each change (``_count_revision``): a calendar app's SEQUENCE.
    revision = db.Column(db.Integer, nullable=False, default=0, server_default="0")

    facility = db.relationship("Facility", lazy="joined")
    account = db.relationship("Account", lazy="joined", foreign_keys=[account_id])
    cancelled_by = db.relationship("Account", foreign_keys=[cancelled_by_id])
    series = db.relationship("Series", lazy="joined")
    held_slots = db.relationship(
        "HeldSlot", back_populates="reservation", cascade="all, delete-orphan"
    )

    @property
    def slot_numbers(self):
        return range(self.start_slot, self.end_slot + 1)

    def __repr__(self):
        return f"<Reservation {self.public_id} {self.status}>"


@event.listens_for(Reservation, "before_update")
def _count_revision(mapper, connection, target):
    """Every change that is written counts, however it was made: calendar apps replace an
    event only when its SEQUENCE grows."""
    if object_session(target).is_modified(target, include_collections=False):
        target.revision = (target.revision or 0) + 1


class HeldSlot(db.Model):
    """One row per slot a pending or confirmed reservation holds.

    The unique index over (facility, date, slot) is what makes R-03 hold under concurrency:
    two transactions racing for one slot cannot both commit, whatever the number of processes.
    A cancelled reservation's rows are deleted, which frees its slots.
    """

    __tablename__ = "held_slots"
    __table_args__ = (
        db.UniqueConstraint("facility_id", "date", "slot"),
        db.Index("ix_held_slots_account_date", "account_id", "date"),
        # Usage reports count a date range's held slots by day and slot: this index answers
        # that alone, in its own order, without reading the table or sorting.
        db.Index("ix_held_slots_date_slot_facility", "date", "slot", "facility_id"),
    )

    id = db.Column(db.Integer, primary_key=True)
    reservation_id = db.Column(
        db.Integer,
        db.ForeignKey("reservations.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    )
    facility_id = db.Column(db.Integer, db.ForeignKey("facilities.id"), nullable=False)
    account_id = db.Column(db.Integer, db.ForeignKey("accounts.id"), nullable=False)
    date = db.Column(db.Date, nullable=False)
    slot = db.Column(db.Integer, nullable=False)

    reservation = db.relationship("Reservation", back_populates="held_slots")
