"""The district that ``bench.booking`` measures, and what it checks afterwards.

The school of ``bench.report_seed`` (200 facilities, 2,000 accounts, bulk-loaded
reservations with their held slots), placed in time so that its reservations run from the
past up to beyond the end of today's booking window: a busy district where half the future
periods are already taken. Teachers get API keys made by ``create_api_key``, as an admin's
page or the CLI would make them.
"""

import math
from datetime import UTC, datetime, timedelta

import flask_migrate
from sqlalchemy import create_engine, func, select, text

from roomloop import create_app
from roomloop.auth.tokens import create_api_key
from roomloop.booking.settings import DEFAULTS
from roomloop.extensions import db
from roomloop.models import Account, ApiToken, Event, Facility, HeldSlot, Reservation

from .report_seed import (
    BLOCKS,
    FACILITIES,
    FIRST_DAY,
    holiday_days,
    reservation_rows,
    seed,
    tune_for_loading,
)

BOOKING_WINDOW_DAYS = DEFAULTS["booking_window_days"]
SEEDED_BEYOND_WINDOW_DAYS = 14
HOLDING = "('pending', 'confirmed')"

# Each a count that must be zero. The first two are double bookings: two pending or
# confirmed reservations holding one facility in one period of one day.
INTEGRITY_CHECKS = {
    "double_held_slots": (
        "SELECT count(*) FROM (SELECT 1 FROM held_slots "
        "GROUP BY facility_id, date, slot HAVING count(*) > 1) AS shared"
    ),
    "overlapping_reservations": (
        "SELECT count(*) FROM reservations a JOIN reservations b "
        "ON b.facility_id = a.facility_id AND b.date = a.date AND b.id > a.id "
        "AND b.start_slot <= a.end_slot AND a.start_slot <= b.end_slot "
        f"WHERE a.status IN {HOLDING} AND b.status IN {HOLDING}"
    ),
    # A holding reservation must hold each of its slots, and nothing else may be held.
    "reservations_missing_held_slots": (
        "SELECT count(*) FROM reservations r "
        f"WHERE r.status IN {HOLDING} AND r.end_slot - r.start_slot + 1 <> "
        "(SELECT count(*) FROM held_slots h WHERE h.reservation_id = r.id "
        "AND h.facility_id = r.facility_id AND h.date = r.date "
        "AND h.account_id = r.account_id AND h.slot BETWEEN r.start_slot AND r.end_slot)"
    ),
    "stray_held_slots": (
        "SELECT count(*) FROM held_slots h JOIN reservations r ON r.id = h.reservation_id "
        f"WHERE r.status NOT IN {HOLDING} OR h.slot NOT BETWEEN r.start_slot AND r.end_slot"
    ),
    # R-10 across rooms: one teacher holding two rooms in the same period.
    "teacher_double_bookings": (
        "SELECT count(*) FROM (SELECT 1 FROM held_slots "
        "GROUP BY account_id, date, slot HAVING count(*) > 1) AS shared"
    ),
}


def today():
    """The school's today (RoomLoop's default time zone, UTC, which the server also uses)."""
    return datetime.now(UTC).date()


def first_day_for(count, last_day):
    """The first day from which ``count`` seeded reservations end on about ``last_day``."""
    first_rows = reservation_rows(FACILITIES * BLOCKS + 1, "sqlite", FIRST_DAY)
    per_day = sum(1 for row, _ in first_rows if row[4] == FIRST_DAY.isoformat())
    needed, day, holidays, year = math.ceil(count / per_day), last_day, set(), None
    while True:
        if day.year != year:
            year = day.year
            holidays = holiday_days(year)
        if day.weekday() < 5 and day not in holidays:
            needed -= 1
            if needed == 0:
                return day
        day -= timedelta(days=1)


def make_app(database_url):
    return create_app(
        {
            "SQLALCHEMY_DATABASE_URI": database_url,
            "SECRET_KEY": "bench",
            "WEBHOOK_SENDER": "process",
            "LOG_LEVEL": "WARNING",
        }
    )


def build(database_url, count):
    """Migrate an empty database and bulk-load the district; return ``report_seed.Seeded``."""
    app = make_app(database_url)
    with app.app_context():
        flask_migrate.upgrade()
        db.engine.dispose()
    last_day = today() + timedelta(days=BOOKING_WINDOW_DAYS + SEEDED_BEYOND_WINDOW_DAYS)
    engine = create_engine(database_url)
    tune_for_loading(engine)
    seeded = seed(engine, count, count, first_day=first_day_for(count, last_day))
    engine.dispose()  # on SQLite, the last connection to close folds the WAL back in
    return seeded


def create_teacher_keys(database_url, count):
    """API keys for the first ``count`` teachers: {account id: key}."""
    app = make_app(database_url)
    keys = {}
    with app.app_context():
        teachers = db.session.scalars(
            select(Account).where(Account.role == "teacher").order_by(Account.id).limit(count)
        ).all()
        for account in teachers:
            _row, keys[account.id] = create_api_key(account, label="booking bench")
        db.engine.dispose()
    return keys


def row_counts(engine):
    models = {
        "facilities": Facility,
        "accounts": Account,
        "reservations": Reservation,
        "held_slots": HeldSlot,
        "api_tokens": ApiToken,
        "events": Event,
    }
    with engine.connect() as conn:
        return {
            name: conn.scalar(select(func.count()).select_from(model))
            for name, model in models.items()
        }


def check_integrity(engine, seeded_count):
    """Run ``INTEGRITY_CHECKS``; also count the reservations stored after the seed."""
    with engine.connect() as conn:
        found = {name: conn.scalar(text(sql)) for name, sql in INTEGRITY_CHECKS.items()}
        found["created_by_run"] = conn.scalar(
            select(func.count()).select_from(Reservation).where(Reservation.id > seeded_count)
        )
    found["double_bookings"] = found["double_held_slots"] + found["overlapping_reservations"]
    return found
