"""The bookings already made for a blackout's days: listed for the admin who added it, and
cancelled together with one reason when the admin decides so.

A blackout itself cancels nothing (``blackouts``). Cancelling them goes the way one
cancellation does (``operations.cancel``, a ``reservation.cancelled`` event for each, a
series ended with its last date), all of them in one transaction.
"""

from dataclasses import dataclass
from typing import NamedTuple

from sqlalchemy import select

from ..auth.permissions import require_cancel_reservation
from ..extensions import db
from ..models import Reservation
from ..resources import reservation_resource
from ..sqlite import commit_keeping_loaded, writing
from .blackouts import bookings_during, held_during
from .operations import cancel, end_series_if_empty, has_started
from .schedule import get_schedule, school_now
from .series_booking import record_series_events

BOOKINGS_SHOWN = 50


@dataclass(frozen=True)
class CoveredBookings:
    """The bookings on a blackout's days: the first ones, soonest first, how many in all,
    and the ids of those that have begun (they stay)."""

    blackout: object
    shown: list  # of Reservation
    total: int
    begun: frozenset

    @property
    def cancellable(self):
        return self.total - len(self.begun)


class BlackoutCancelled(NamedTuple):
    cancelled: int
    begun: int  # left alone: they had begun


def covered_bookings(blackout, now=None, shown=BOOKINGS_SHOWN):
    """The pending or confirmed bookings that hold slots on ``blackout``'s days."""
    now = now or school_now()
    during = _during(blackout)
    first = db.session.scalars(
        during.order_by(Reservation.date, Reservation.start_slot, Reservation.id).limit(shown)
    ).all()
    # Only what is dated today or before can have begun: a few rows at most.
    started = db.session.scalars(during.where(Reservation.date <= now.date()))
    begun = frozenset(r.id for r in started if has_started(r, now))
    return CoveredBookings(blackout, first, bookings_during(blackout), begun)


def cancel_bookings_during(actor, blackout, reason=None, now=None):
    """Cancel every booking on ``blackout``'s days that has not begun, as ``actor`` (an
    admin), each with ``reason``: all of them, or none when the actor may not cancel one.
    What has begun stays: cancelling it would falsify the usage reports."""
    actor.require("settings:manage")
    now = now or school_now()
    with writing():
        try:
            result = _cancel_all(actor, blackout, reason, now)
        except Exception:
            # Bookings cancelled before the refusal must not show as cancelled to whoever
            # renders the page next in this request.
            db.session.rollback()
            raise
        commit_keeping_loaded()
    return result


def _cancel_all(actor, blackout, reason, now):
    # Locked in the order of their ids, as one change locks its reservation
    # (``lock_reservation``), and decided on as they are now.
    locked = db.session.scalars(
        _during(blackout).order_by(Reservation.id).with_for_update(of=Reservation.__table__),
        execution_options={"populate_existing": True},
    ).all()
    holding = [r for r in locked if r.status != "cancelled"]  # cancelled meanwhile
    to_cancel = [r for r in holding if not has_started(r, now)]
    for reservation in to_cancel:
        require_cancel_reservation(actor, reservation)
        cancel(reservation, actor.account, reason)
    db.session.flush()
    schedule = get_schedule()
    record_series_events(
        [("reservation.cancelled", reservation_resource(r, schedule)) for r in to_cancel]
    )
    ending = {r.series_id: r.series for r in to_cancel if r.series_id is not None}
    for series_id in sorted(ending):
        end_series_if_empty(ending[series_id])
    return BlackoutCancelled(len(to_cancel), len(holding) - len(to_cancel))


def _during(blackout):
    return select(Reservation).where(Reservation.id.in_(held_during(blackout)))
