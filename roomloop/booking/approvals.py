"""The approvals queue, and its daily digest for the approvers who chose one.

A request waits while it is pending and its first period has not begun; a series' waiting
dates are one request. An approver who chose a digest hour (``Account.digest_hour``, school
time) gets the queue in one email a day from that hour on, when it is not empty, instead of
an email per request: the background sender calls ``write_digests`` every round.
"""

from dataclasses import dataclass

from sqlalchemy import or_, select, update

from ..extensions import db
from ..models import Account, Reservation
from ..outbox import APPROVER_ROLES, queue_emails
from ..resources import reservation_resource
from ..sqlite import writing
from .operations import has_started
from .schedule import get_schedule, school_now

DIGEST_LISTED = 50  # requests a digest lists; the rest it counts


def pending_reservations(now):
    """Pending reservations that have not started yet, soonest first."""
    rows = db.session.scalars(
        select(Reservation)
        .where(Reservation.status == "pending", Reservation.date >= now.date())
        .order_by(Reservation.date, Reservation.start_slot, Reservation.created_at)
    ).all()
    return [r for r in rows if not has_started(r, now)]


@dataclass(frozen=True)
class SeriesRequest:
    """A series' dates waiting for approval, shown as one request."""

    series: object
    dates: list  # its pending reservations, soonest first


def queue_of(pending):
    """The queue's requests: each reservation, or each series' dates as one request where
    its soonest date is."""
    requests, by_series = [], {}
    for reservation in pending:
        if reservation.series_id is None:
            requests.append(reservation)
        elif reservation.series_id in by_series:
            by_series[reservation.series_id].dates.append(reservation)
        else:
            by_series[reservation.series_id] = SeriesRequest(reservation.series, [reservation])
            requests.append(by_series[reservation.series_id])
    return requests


def digest_due(today, hour):
    """Approvers whose digest hour has come today and who have had no digest today."""
    return (
        Account.digest_hour.is_not(None),
        Account.digest_hour <= hour,
        or_(Account.last_digest_on.is_(None), Account.last_digest_on < today),
    )


def write_digests(now=None):
    """Queue today's digest for every approver whose hour has come; return how many.

    Each approver's day is claimed by a conditional UPDATE of ``last_digest_on`` before
    their digest is written, in one transaction: of several senders running this at once,
    one claims it and the others find it taken. A day with nothing waiting is claimed too,
    and sends nothing; what arrives later waits for the next day's digest.
    """
    now = now or school_now()
    today = now.date()
    due = db.session.scalars(
        select(Account.id).where(
            *digest_due(today, now.hour),
            Account.status == "active",
            Account.role.in_(APPROVER_ROLES),
        )
    ).all()
    if not due:
        db.session.rollback()  # the sender's round holds no transaction between its steps
        return 0
    told = digest_of(queue_of(pending_reservations(now)), today)
    written = 0
    for account_id in due:
        with writing():
            claimed = db.session.execute(
                update(Account)
                .where(Account.id == account_id, *digest_due(today, now.hour))
                .values(last_digest_on=today)
                .returning(Account.public_id)
            ).scalar()
            if claimed and told["requests"]:
                queue_emails([(claimed, "digest", told)])
                written += 1
            db.session.commit()
    return written


def digest_of(requests, today):
    """What a digest tells: the first ``DIGEST_LISTED`` requests, each its reservations'
    resources, and how many wait in all."""
    schedule = get_schedule()
    listed = [
        {
            "reservations": [
                reservation_resource(r, schedule)
                for r in (item.dates if isinstance(item, SeriesRequest) else [item])
            ]
        }
        for item in requests[:DIGEST_LISTED]
    ]
    return {"date": today.isoformat(), "requests": listed, "total": len(requests)}
