"""Facilities (rooms) and the dates they cannot be booked."""

from ..extensions import db
from .base import TimestampMixin

FACILITY_STATUSES = ("active", "maintenance", "closed")


class Facility(TimestampMixin, db.Model):
    __tablename__ = "facilities"

    id = db.Column(db.Integer, primary_key=True)
    code = db.Column(db.String(64), nullable=False, unique=True)  # public id: f1, lab-alpha
    name = db.Column(db.String(120), nullable=False)
    type = db.Column(db.String(40), nullable=False, index=True)
    building = db.Column(db.String(80), nullable=False, default="", index=True)
    capacity = db.Column(db.Integer, nullable=False, default=0)
    amenities = db.Column(db.JSON, nullable=False, default=list)
    status = db.Column(db.String(20), nullable=False, default="active")
    requires_approval = db.Column(db.Boolean, nullable=False, default=False)
    description = db.Column(db.Text, nullable=False, default="")
    # Booking restrictions: empty lists allow everyone; None keeps the school-wide R-04 limit.
    allowed_departments = db.Column(db.JSON, nullable=False, default=list)
    allowed_roles = db.Column(db.JSON, nullable=False, default=list)
    max_slots_per_booking = db.Column(db.Integer, nullable=True)
    # Bookings must be checked in; one nobody checked in by ``release_after_minutes`` after
    # its first period starts is released (cancelled "no_show") for others to book.
    check_in_required = db.Column(db.Boolean, nullable=False, default=False, server_default="0")
    release_after_minutes = db.Column(db.Integer, nullable=False, default=15, server_default="15")

    def __repr__(self):
        return f"<Facility {self.code}>"


class BlackoutDate(db.Model):
    """A holiday or exam period: school-wide, or for one facility when ``facility_id`` is set."""

    __tablename__ = "blackout_dates"

    id = db.Column(db.Integer, primary_key=True)
    start_date = db.Column(db.Date, nullable=False, index=True)
    end_date = db.Column(db.Date, nullable=False)
    reason = db.Column(db.String(200), nullable=False, default="")
    facility_id = db.Column(
        db.Integer, db.ForeignKey("facilities.id", ondelete="CASCADE"), nullable=True
    )

    facility = db.relationship("Facility")
