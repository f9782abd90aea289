"""Booking operations: create, change, confirm, cancel and delete reservations.

Every operation checks the actor's capabilities, runs the rules engine where a booking is
decided, writes the change and its outbox event in one transaction, and commits. Pages and
the API call these same functions.
"""

from contextlib import contextmanager
from types import SimpleNamespace
from typing import NamedTuple

from sqlalchemy import bindparam, delete, func, insert, inspect, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from ..auth.permissions import (
    require_cancel_reservation,
    require_confirm_reservation,
    require_edit_reservation,
)
from ..errors import NotFound, ValidationError
from ..extensions import db
from ..models import Account, HeldSlot, Reservation, new_public_id, utcnow
from ..outbox import prepare_outbox, record_event, subscribed_endpoints, write_outbox
from ..outbox.events import Outbox
from ..resources import reservation_resource, series_resource
from ..sqlite import commit_keeping_loaded, writing
from .availability import suggest_alternatives
from .rules import (
    BookingRequest,
    RuleContext,
    RuleParams,
    RuleViolation,
    account_unchanged,
    evaluate,
)
from .schedule import get_schedule, school_now
from .school_calendar import series_window_end
from .settings import get_setting

PAST_RESERVATIONS_SHOWN = 50


class Booked(NamedTuple):
    """A new reservation's id, and its resource as the API and the webhook event show it.

    The resource is built before the commit: answering with it needs no second transaction
    (on SQLite, no second wait for the write lock). ``reservation`` loads the stored row,
    for the pages.
    """

    reservation_id: int
    resource: dict

    @property
    def reservation(self):
        return db.session.get(Reservation, self.reservation_id)


def rule_context(request, now=None):
    return RuleContext(request, get_schedule(), RuleParams.from_settings(), now or school_now())


def decide(request, now=None, confirming=False):
    """Run the rules for ``request``; a refusal comes back with suggestions attached."""
    ctx = rule_context(request, now)
    with suggesting(ctx):
        return evaluate(ctx, confirming=confirming)


@contextmanager
def suggesting(ctx):
    """A refusal raised in the block leaves it with bookable alternatives attached."""
    try:
        yield
    except RuleViolation as violation:
        violation.suggestions = suggest_alternatives(ctx)
        raise


def check_slot_range(schedule, start_slot, end_slot):
    """Slots must exist in the bell schedule; ``end_slot`` is inclusive and not before the start."""
    errors = {}
    for name, value in (("start_slot", start_slot), ("end_slot", end_slot)):
        if value not in schedule:
            errors[name] = (
                f"Slot {value} is not in the bell schedule ({schedule.first}–{schedule.last})."
            )
    if not errors and end_slot < start_slot:
        errors["end_slot"] = "end_slot must not be before start_slot."
    if errors:
        raise ValidationError(errors)


def create_reservation(
    actor,
    facility,
    day,
    start_slot,
    end_slot,
    purpose,
    attendees=None,
    account=None,
    overrides=(),
    now=None,
):
    """Book ``facility`` for ``account`` (the actor by default) if the rules allow it.

    Returns a ``Booked``; raises ``RuleViolation`` (with suggestions) when a rule refuses.
    """
    account = account or actor.account
    actor.require("reservations:book")
    if account.id != actor.account.id:
        actor.require("reservations:manage")
    if overrides:
        actor.require("rules:override")
    if account.status != "active":
        raise ValidationError({"user_id": f"{account.name}'s account is disabled."})
    schedule = get_schedule()
    check_slot_range(schedule, start_slot, end_slot)

    request = BookingRequest(
        facility,
        account,
        day,
        start_slot,
        end_slot,
        attendees,
        frozenset(overrides),
        for_self=account.id == actor.account.id,
    )
    # One person's bookings are decided one after another. On PostgreSQL the person's row
    # is locked first and the decision made under the lock. On SQLite the decision is made
    # before the write lock, so that other bookings write meanwhile, and inside the lock
    # only what could have changed since is read again. Everything the booking writes is
    # worked out before the lock too, which it then holds for the INSERTs alone.
    locked = lock_account(account)
    ctx = rule_context(request, now)
    with suggesting(ctx):
        outcome = evaluate(ctx)
    endpoints = subscribed_endpoints("reservation.created")
    booking = _new_booking(request, purpose, outcome, schedule, endpoints)
    with suggesting(ctx), writing():
        if not locked and not account_unchanged(ctx):
            # The person booked or cancelled meanwhile: decide again on what is there now.
            ctx = rule_context(request, now)
            booking = _new_booking(request, purpose, evaluate(ctx), schedule, endpoints)
        # Core INSERTs: an ORM flush of the new row took three times as long, all of it
        # inside the write lock, and nothing here needs the row as an object.
        connection = db.session.connection()
        try:
            added = connection.execute(INSERT_RESERVATION, booking.values)
            reservation_id = added.inserted_primary_key[0]
            held = dict(
                reservation_id=reservation_id, facility_id=facility.id, account_id=account.id
            )
            connection.execute(
                INSERT_HELD_SLOTS,
                [held | {"date": day, "slot": n} for n in request.slot_numbers],
            )
        except IntegrityError:
            # Another booking took a slot since the decision: the held slots' unique index
            # refused ours. Decide again: R-03 now sees the winner and says who holds it.
            db.session.rollback()
            evaluate(rule_context(request, now))
            raise
        write_outbox(booking.outbox)
        db.session.commit()
    resource = booking.outbox.events[0]["data"]
    return Booked(reservation_id, resource)


class NewBooking(NamedTuple):
    values: dict  # the reservation's row
    outbox: Outbox  # its event and emails


def _new_booking(request, purpose, outcome, schedule, endpoints):
    """The rows a booking decided as ``outcome`` writes, but for ids the INSERTs give."""
    now_utc = utcnow()
    values = dict(
        public_id=new_public_id("res_"),
        facility_id=request.facility.id,
        account_id=request.account.id,
        date=request.date,
        start_slot=request.start_slot,
        end_slot=request.end_slot,
        purpose=purpose,
        attendees=request.attendees,
        status=outcome.status,
        rules=rules_record(outcome),
        cancel_reason=None,
        cancelled_by_id=None,
        checked_in_at=None,
        created_at=now_utc,
        updated_at=now_utc,
    )
    new = SimpleNamespace(**values, facility=request.facility, account=request.account, series=None)
    event = {
        "public_id": new_public_id("evt_"),
        "type": "reservation.created",
        "data": reservation_resource(new, schedule),
        "created_at": now_utc,
    }
    return NewBooking(values, prepare_outbox([event], {"reservation.created": endpoints}))


# Built once: every booking runs them.
INSERT_RESERVATION = insert(Reservation.__table__)
INSERT_HELD_SLOTS = insert(HeldSlot.__table__)


def lock_account(account):
    """On PostgreSQL, make the person's own bookings wait for each other from here to the
    commit, and return True; on SQLite (False) the write lock lines up every writer later.

    The account's row is locked ``FOR NO KEY UPDATE``, which leaves the foreign keys that
    point at it alone. The lock is a statement of its own, run before the decision reads
    anything: under READ COMMITTED a statement that waited for a lock still reads other
    tables as they were when it began, while the statements after it see what the booking
    it waited for committed (joined with the read of the held slots, a test saw double
    bookings).
    """
    if db.session.get_bind().dialect.name == "sqlite":
        return False
    db.session.execute(ACCOUNT_LOCK, {"account_id": account.id})
    return True


# Built once, like the rules' queries: every booking on PostgreSQL runs it.
ACCOUNT_LOCK = (
    select(Account.id).where(Account.id == bindparam("account_id")).with_for_update(key_share=True)
)
ACCOUNTS_LOCK = (
    select(Account.id)
    .where(Account.id.in_(bindparam("account_ids", expanding=True)))
    .order_by(Account.id)
    .with_for_update(key_share=True)
)


def lock_accounts(account_ids):
    """``lock_account`` for several people at once (a timetable's), in the order of their
    ids, so that two such locks never wait for each other in a circle."""
    if db.session.get_bind().dialect.name == "sqlite":
        return False
    db.session.execute(ACCOUNTS_LOCK, {"account_ids": sorted(account_ids)}).all()
    return True


def lock_reservation(reservation):
    """The reservation as it is now, locked until the commit, or ``NotFound`` once deleted.

    A change is decided on this, not on what the request read earlier: two people changing
    one reservation at once then change it one after the other. PostgreSQL locks the row;
    on SQLite the write lock that ``writing()`` holds already keeps other writers out.
    """
    (key,) = inspect(reservation).identity  # no reload: the row may be gone
    current = db.session.execute(
        RESERVATION_LOCK, {"id": key}, execution_options={"populate_existing": True}
    ).scalar()
    if current is None:
        raise NotFound("reservation", reservation.public_id)
    return current


RESERVATION_LOCK = (
    select(Reservation)
    .where(Reservation.id == bindparam("id"))
    .with_for_update(of=Reservation.__table__)
)


def update_reservation(
    actor,
    reservation,
    purpose=None,
    status=None,
    seen_status=None,
    now=None,
    cancel_reason=None,
):
    """Change the purpose and/or the status (``confirmed`` from pending, or ``cancelled``,
    with the canceller's ``cancel_reason`` if they give one).

    Cancelling a cancelled reservation changes nothing. ``seen_status``, when given, is the
    status the actor decided on: if the reservation has another one now, nothing changes.
    Returns the reservation as it is after the change, loaded.
    """
    with writing():
        reservation = lock_reservation(reservation)
        if seen_status is not None and reservation.status != seen_status:
            raise ValidationError({"status": f"Already {reservation.status}; nothing changed."})
        if reservation.status == "cancelled":
            if status == "cancelled" and purpose in (None, reservation.purpose):
                return reservation  # as asked, already
            raise ValidationError(
                {"status": "This reservation is cancelled and can no longer change."}
            )
        events = _changes(actor, reservation, purpose, status, now, cancel_reason)
        if events:
            db.session.flush()
            data = reservation_resource(reservation, get_schedule())
            for event_type in events:
                record_event(event_type, data, by=actor.account)
            if "reservation.cancelled" in events and reservation.series_id is not None:
                end_series_if_empty(reservation.series)
        commit_keeping_loaded()  # the caller shows the reservation: it must not reload
    return reservation


def _changes(actor, reservation, purpose, status, now, cancel_reason):
    """Check the actor may make the change, make it, and return the events it writes."""
    new_purpose = purpose is not None and purpose != reservation.purpose
    new_status = status is not None and status != reservation.status
    if new_purpose:
        require_edit_reservation(actor, reservation)
    if new_status:
        if status == "cancelled":
            require_cancel_reservation(actor, reservation)
            _require_not_started(reservation, now)
        elif status == "confirmed":
            require_confirm_reservation(
                actor, reservation, own_allowed=get_setting("approvers_confirm_own")
            )
            outcome = decide(request_for(reservation), now, confirming=True)
        else:
            raise ValidationError({"status": "A reservation cannot return to pending."})

    events = []
    if new_purpose:
        reservation.purpose = purpose
        events.append("reservation.updated")
    if new_status and status == "cancelled":
        cancel(reservation, actor.account, cancel_reason)
        events.append("reservation.cancelled")
    elif new_status:
        reservation.status = "confirmed"
        reservation.rules = rules_record(outcome)
        events.append("reservation.confirmed")
    return events


def series_counts(series):
    """A series' dates by status, and the dates it skipped when it was booked."""
    counts = {"confirmed": 0, "pending": 0, "cancelled": 0, "skipped": len(series.skipped)}
    rows = db.session.execute(
        select(Reservation.status, func.count())
        .where(Reservation.series_id == series.id)
        .group_by(Reservation.status)
    )
    for status, number in rows:
        counts[status] = number
    return counts


def end_series_if_empty(series):
    """A series whose last date was cancelled is cancelled too (one date at a time)."""
    left = db.session.scalar(
        select(func.count())
        .select_from(Reservation)
        .where(Reservation.series_id == series.id, Reservation.status != "cancelled")
    )
    if not left and series.status != "cancelled":
        series.status = "cancelled"
        db.session.flush()
        record_event(
            "series.cancelled", series_resource(series, get_schedule(), series_counts(series))
        )


def cancel(reservation, account, reason=None):
    """Cancel in place and free the slots, saying who did and why; the caller has checked
    the right to, and records the event."""
    reservation.status = "cancelled"
    reservation.cancel_reason = reason or None
    reservation.cancelled_by_id = account.id if account is not None else None
    free_slots(reservation)


def free_slots(reservation):
    db.session.execute(delete(HeldSlot).where(HeldSlot.reservation_id == reservation.id))
    db.session.expire(reservation, ["held_slots"])


def delete_reservation(actor, reservation):
    """Remove a reservation for good (admins only); its event keeps a copy of what it was."""
    actor.require("reservations:delete")
    with writing():
        reservation = lock_reservation(reservation)
        data = reservation_resource(reservation, get_schedule())
        db.session.delete(reservation)
        record_event("reservation.deleted", data)
        db.session.commit()


def reservations_of(account, today):
    """The account's reservations: upcoming (soonest first) and past (latest first)."""
    # Who cancelled each one is shown beside it: read at once, not one query per item.
    base = (
        select(Reservation)
        .where(Reservation.account_id == account.id)
        .options(selectinload(Reservation.cancelled_by))
    )
    upcoming = db.session.scalars(
        base.where(Reservation.date >= today).order_by(Reservation.date, Reservation.start_slot)
    ).all()
    past = db.session.scalars(
        base.where(Reservation.date < today)
        .order_by(Reservation.date.desc(), Reservation.start_slot.desc())
        .limit(PAST_RESERVATIONS_SHOWN)
    ).all()
    return upcoming, past


def has_started(reservation, now=None):
    return get_schedule().starts_at(reservation.date, reservation.start_slot) <= (
        now or school_now()
    )


def _require_not_started(reservation, now):
    """What has begun has happened: cancelling it afterwards would falsify the usage reports."""
    if has_started(reservation, now):
        raise ValidationError(
            {"status": "This reservation has already started and can no longer be cancelled."}
        )


def request_for(reservation):
    """The booking request a stored reservation makes, to decide it again (confirming)."""
    series = reservation.series
    return BookingRequest(
        reservation.facility,
        reservation.account,
        reservation.date,
        reservation.start_slot,
        reservation.end_slot,
        reservation.attendees,
        overrides=frozenset(reservation.rules.get("overridden", ())),
        reservation_id=reservation.id,
        window_end=series_window_end(series.first_date) if series is not None else None,
    )


def rules_record(outcome):
    return {"outcome": outcome.status, "checked": outcome.checked, "overridden": outcome.overridden}
