"""Accounts: teachers and staff who may sign in and book."""

from flask_login import UserMixin

from ..extensions import db
from .base import TimestampMixin, new_public_id

ROLES = ("teacher", "approver", "admin")
ACCOUNT_STATUSES = ("active", "disabled")


class Account(UserMixin, TimestampMixin, db.Model):
    __tablename__ = "accounts"

    id = db.Column(db.Integer, primary_key=True)
    public_id = db.Column(
        db.String(32), nullable=False, unique=True, default=lambda: new_public_id("usr_")
    )
    email = db.Column(db.String(254), nullable=False, unique=True)  # stored lower-case
    name = db.Column(db.String(120), nullable=False)
    department = db.Column(db.String(80), nullable=False, default="", index=True)
    role = db.Column(db.String(20), nullable=False, default="teacher")
    status = db.Column(db.String(20), nullable=False, default="active")
    google_sub = db.Column(db.String(255), nullable=True, unique=True)
    # Which kinds of email this person turned off or on; missing kinds keep their default.
    notifications = db.Column(db.JSON, nullable=True)
    # Approvers who chose a daily digest: the hour it is sent (school time), else None.
    digest_hour = db.Column(db.Integer, nullable=True)
    last_digest_on = db.Column(db.Date, nullable=True)
    # Mixed into the signed token of the personal calendar feed: a new salt kills old URLs.
    calendar_salt = db.Column(db.String(32), nullable=True)

    # The token of the browser session this object was signed in with, in this request: set
    # by the pages when they sign in or load the account, never stored.
    browser_session_token = None

    def get_id(self):
        """The account's identity, which UserMixin's ``==`` compares; not kept in the cookie."""
        return self.public_id

    def get_browser_session_token(self):
        """What Flask-Login keeps in the cookie (its ``id_attribute``): the token of a browser
        session, which can be ended, rather than the account's id, which cannot."""
        return self.browser_session_token

    @property
    def is_active(self):
        """Flask-Login signs in only active accounts."""
        return self.status == "active"

    def __repr__(self):
        return f"<Account {self.email}>"
