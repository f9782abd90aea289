"""Door displays: the tokens a tablet on a room's door reads that room's display with.

A token is random, shown once when it is created, and stored only as its SHA-256 hash. It
reads one facility's display and nothing else: it is not a bearer token of the API, and
it names no person.
"""

import re
import secrets
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from ..auth.tokens import hash_token
from ..errors import NotFound, ValidationError
from ..extensions import db
from ..models import DisplayToken, utcnow
from ..sqlite import commit_keeping_loaded, writing

DISPLAY_PREFIX = "dsp_tok_"
DISPLAY_ID = re.compile(r"dsp_[0-9a-f]{1,30}")
# A display polls every 30 s; knowing it was seen within the last five minutes is enough.
SEEN_PRECISION = timedelta(minutes=5)
MAX_DISPLAYS = 20  # per facility: one per door, with room to replace a lost tablet


def create_display(actor, facility, label=""):
    """A new display token for ``facility``; return the row and the token (shown once)."""
    actor.require("facilities:manage")
    count = db.session.scalar(
        select(db.func.count()).where(DisplayToken.facility_id == facility.id)
    )
    if count >= MAX_DISPLAYS:
        raise ValidationError(
            {"facility": f"A facility can have at most {MAX_DISPLAYS} displays; revoke one."}
        )
    token = DISPLAY_PREFIX + secrets.token_urlsafe(32)
    display = DisplayToken(
        facility_id=facility.id,
        token_hash=hash_token(token),
        label=label,
        created_by_id=actor.account.id,
    )
    with writing():
        db.session.add(display)
        db.session.commit()
    return display, token


def list_displays(actor, facility):
    actor.require("facilities:manage")
    return db.session.scalars(
        select(DisplayToken)
        .where(DisplayToken.facility_id == facility.id)
        .order_by(DisplayToken.created_at, DisplayToken.id)
    ).all()


def revoke_display(actor, facility, public_id):
    """Delete a display token: the tablet that holds it shows nothing any more."""
    actor.require("facilities:manage")
    display = DISPLAY_ID.fullmatch(public_id) and db.session.scalar(
        select(DisplayToken).where(
            DisplayToken.facility_id == facility.id, DisplayToken.public_id == public_id
        )
    )
    if not display:
        raise NotFound("display", public_id)
    with writing():
        db.session.delete(display)
        db.session.commit()


def find_display(facility, token):
    """The display that ``token`` opens for ``facility``, or None (any other facility's
    token, an API key or a revoked token alike). Records when it was last seen."""
    if not token or not token.startswith(DISPLAY_PREFIX) or len(token) > 100:
        return None
    display = db.session.scalar(
        select(DisplayToken).where(DisplayToken.token_hash == hash_token(token))
    )
    if display is None or display.facility_id != facility.id:
        return None
    now = utcnow()
    if display.last_seen_at is None or now - display.last_seen_at >= SEEN_PRECISION:
        try:
            with writing():
                display.last_seen_at = now
                commit_keeping_loaded()
        except OperationalError:  # a busy SQLite database: the display matters more
            db.session.rollback()
    return display
