"""What admins set and every booking reads: the settings, the blackout dates, the enabled
webhook endpoints and the facilities, kept in each process until they change.

A request reads one value, the stamp that database triggers renew with every change to those
tables (``ConfigStamp``); the tables themselves are read again only when the stamp differs
from the one this process holds. A change is therefore seen by the next request of every
process, as if the tables were read each time, however it was made.
"""

from dataclasses import dataclass, field

from flask import current_app, has_request_context, request
from sqlalchemy import event, select

from .extensions import db
from .models import BlackoutDate, ConfigStamp, Facility, Setting, WebhookEndpoint

STAMP_QUERY = select(ConfigStamp.__table__.c.stamp)
# The stamp as a column of another query: the bearer token's lookup reads it too.
STAMP_COLUMN = STAMP_QUERY.scalar_subquery().label("config_stamp")
# Plain rows of the tables, like the rules' queries (``booking.rules.HELD``).
SETTINGS = Setting.__table__
SETTINGS_QUERY = select(SETTINGS.c.key, SETTINGS.c.value)
BLACKOUTS = BlackoutDate.__table__
BLACKOUTS_QUERY = select(BLACKOUTS).order_by(BLACKOUTS.c.id)
ENDPOINTS = WebhookEndpoint.__table__
ENABLED_ENDPOINTS_QUERY = select(ENDPOINTS.c.id, ENDPOINTS.c.events).where(
    ENDPOINTS.c.status == "enabled"
)
FACILITIES = Facility.__table__
FACILITIES_QUERY = select(FACILITIES).order_by(FACILITIES.c.id)

HELD = "roomloop.configured"  # the app's copy, in app.extensions
MEMO = "roomloop.configured"  # this request's, in its environ, until it writes


@dataclass(frozen=True)
class Configured:
    stamp: str | None  # None: unchanged since the migration
    settings: dict  # stored values by key (defaults are booking/settings.py's)
    blackouts: tuple  # rows of blackout_dates, by id
    endpoints: tuple  # enabled webhook endpoints: rows with id and events
    facilities: tuple  # rows of facilities, by id: read-only stand-ins for Facility objects
    by_code: dict = field(init=False, repr=False)

    def __post_init__(self):
        object.__setattr__(self, "by_code", {f.code: f for f in self.facilities})

    def blackouts_between(self, first, last, facility_ids):
        """School-wide blackouts and those of ``facility_ids`` that touch ``first``..``last``."""
        return [
            b
            for b in self.blackouts
            if b.start_date <= last
            and b.end_date >= first
            and (b.facility_id is None or b.facility_id in facility_ids)
        ]


def configured():
    """The settings, blackouts, enabled endpoints and facilities as this transaction sees them."""
    memo = has_request_context() and request.environ.get(MEMO)
    if memo:
        return memo
    stamp = db.session.scalar(STAMP_QUERY)
    held = current_app.extensions.get(HELD)
    if held is None or held.stamp != stamp:
        # Read after the stamp: at worst newer than it, which only costs a reread later.
        held = Configured(
            stamp,
            dict(db.session.execute(SETTINGS_QUERY).all()),
            tuple(db.session.execute(BLACKOUTS_QUERY)),
            tuple(db.session.execute(ENABLED_ENDPOINTS_QUERY)),
            tuple(db.session.execute(FACILITIES_QUERY)),
        )
        current_app.extensions[HELD] = held
    if has_request_context():
        request.environ[MEMO] = held
    return held


def stamp_seen(stamp):
    """Note a stamp that this transaction read along with something else (the bearer token's
    lookup reads ``STAMP_COLUMN``): if the process holds that stamp's copy, ``configured()``
    answers with it, without a statement of its own, until the request writes."""
    held = current_app.extensions.get(HELD)
    if held is not None and held.stamp == stamp and has_request_context():
        request.environ[MEMO] = held


def forget():
    """Read the stamp again at the next use: this request is changing what it covers."""
    if has_request_context():
        request.environ.pop(MEMO, None)


# A flush may change the tables (their triggers renew the stamp in this transaction); a
# rollback undoes changes the memo may have seen.
for _moment in ("after_flush", "after_commit", "after_rollback"):
    event.listen(db.session, _moment, lambda *_args: forget())
