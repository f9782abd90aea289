"""Series: one booking made on a repeating pattern, each date an ordinary reservation."""

from ..extensions import db
from .base import TimestampMixin, new_public_id

SERIES_STATUSES = ("active", "cancelled")


class Series(TimestampMixin, db.Model):
    """What a series asked for; its dates are the reservations that point to it.

    ``skipped`` keeps the dates the rules refused when it was booked with
    ``on_conflict: skip``, each with its error, as the answer gave them.
    """

    __tablename__ = "series"

    id = db.Column(db.Integer, primary_key=True)
    public_id = db.Column(
        db.String(32), nullable=False, unique=True, default=lambda: new_public_id("ser_")
    )
    facility_id = db.Column(db.Integer, db.ForeignKey("facilities.id"), nullable=False)
    account_id = db.Column(db.Integer, db.ForeignKey("accounts.id"), nullable=False, index=True)
    start_slot = db.Column(db.Integer, nullable=False)
    end_slot = db.Column(db.Integer, nullable=False)
    purpose = db.Column(db.String(200), nullable=False)
    attendees = db.Column(db.Integer, nullable=True)
    weekdays = db.Column(db.JSON, nullable=False)  # ["tue", "thu"]
    every_weeks = db.Column(db.Integer, nullable=False, default=1)
    cycle_week = db.Column(db.Integer, nullable=True)  # 1 = week A, 2 = week B, ...
    first_date = db.Column(db.Date, nullable=False)
    until = db.Column(db.Date, nullable=False)
    status = db.Column(db.String(20), nullable=False, default="active")
    skipped = db.Column(db.JSON, nullable=False, default=list)
    rules = db.Column(db.JSON, nullable=False, default=dict)  # overrides asked for

    facility = db.relationship("Facility", lazy="joined")
    account = db.relationship("Account", lazy="joined")

    def __repr__(self):
        return f"<Series {self.public_id} {self.status}>"
