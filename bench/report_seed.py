"""The school that ``bench.reports`` measures: 200 facilities, 2,000 accounts in 15
departments, school holidays every year and any number of reservations.

Rows are bulk-loaded, not sent through the API: the rules engine would take hours over a
million bookings. Facilities, accounts and blackouts go in with SQLAlchemy Core
(``insert()`` with a list of parameter sets); reservations and held slots, in batches of
``BATCH``, as one DBAPI ``executemany`` each on SQLite (values already in the text form
SQLAlchemy stores) and as ``COPY`` on PostgreSQL.

Everything is deterministic. Reservations fill school days from ``FIRST_DAY`` (or the
``first_day`` given) on, in date
order, two to four per facility and day, each in its own two-period block, so no two hold
the same (facility, date, slot) and the unique index on ``held_slots`` holds. About 5% are
cancelled; the others hold their slots in ``held_slots``, as the booking code would.
"""

import contextlib
import time
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import bindparam, event, func, insert, select, text

from roomloop.models import Account, BlackoutDate, Facility, Reservation

FIRST_DAY = date(2020, 1, 6)  # a Monday
FACILITIES = 200
ACCOUNTS = 2_000
BATCH = 20_000
BLOCKS = 4  # two-period blocks in the default eight-period day
DEPARTMENTS = (
    "Science", "Mathematics", "English", "History", "Geography", "Modern Languages",
    "Arts", "Music", "Drama", "Physical Education", "Computing", "Design & Technology",
    "Religious Studies", "Economics", "Learning Support",
)  # fmt: skip
BUILDINGS = ("Main Building", "Curie Science Building", "Ellis Arts & Sports Centre", "Annexe")
TYPES = ("classroom", "lab", "computer_lab", "library", "gym", "music_room", "art_studio")
PURPOSES = (
    "Year 9 chemistry practical",
    "Revision session",
    "Parents' evening, Year 11",
    "=1+1",
    "Debate club: \"This house would ban homework\"",
    "+44 call with partner school",
    "-- staff briefing --",
    "@home learning catch-up",
    "Réunion des assistants – salle calme",
    "Mock exam (GCSE maths, paper 2)",
    "=HYPERLINK(\"http://example.com\",\"click\")",
    "Orchestra rehearsal",
    "Sixth-form careers talk",
    "Football trials; bring boots",
    "Coding club",
    "Art portfolio review",
)  # fmt: skip


@dataclass
class Seeded:
    """What was stored, and the days that bound the export ranges."""

    reservations: int
    held_slots: int
    first_day: date
    last_day: date
    small_last_day: date  # the day of the ``small``-th reservation
    seconds: float


def school_holidays(year):
    """The school-wide blackouts of a calendar year: half term, winter and spring breaks."""
    return [
        (date(year, 1, 1), date(year, 1, 3), "Winter break"),
        (date(year, 4, 6), date(year, 4, 17), "Spring break"),
        (date(year, 10, 26), date(year, 10, 30), "Half term"),
        (date(year, 12, 21), date(year, 12, 31), "Winter break"),
    ]


def holiday_days(year):
    """Every day of ``year``'s school-wide blackouts."""
    return {
        start + timedelta(days=n)
        for start, end, _ in school_holidays(year)
        for n in range((end - start).days + 1)
    }


def school_days(first_day=FIRST_DAY):
    """Weekdays from ``first_day`` on that are not in a school-wide blackout, for ever."""
    day, year, holidays = first_day, None, set()
    while True:
        if day.year != year:
            year = day.year
            holidays = holiday_days(year)
        if day.weekday() < 5 and day not in holidays:
            yield day
        day += timedelta(days=1)


def reservation_rows(count, dialect, first_day=FIRST_DAY):
    """Yield ``count`` reservations as (reservation row, held-slot rows), in column order."""
    number = 0
    for index, day in enumerate(school_days(first_day)):
        stored_day = day.isoformat() if dialect == "sqlite" else day
        midnight = datetime.combine(day, datetime.min.time())
        for facility in range(1, FACILITIES + 1):
            per_day = 2 + (facility * 5 + index * 3) % 3
            offset = (facility + index) % BLOCKS
            for block in range(per_day):
                number += 1
                start_slot = 2 * ((offset + block) % BLOCKS) + 1
                yield reservation(number, facility, stored_day, midnight, start_slot, dialect)
                if number == count:
                    return


RESERVATION_COLUMNS = (
    "id", "public_id", "facility_id", "account_id", "date", "start_slot", "end_slot",
    "purpose", "attendees", "status", "rules", "created_at", "updated_at",
)  # fmt: skip
HELD_SLOT_COLUMNS = ("reservation_id", "facility_id", "account_id", "date", "slot")


# How long before its day a reservation was made: the pattern repeats every 1,800 rows.
BOOKED_AHEAD = [timedelta(days=3 + n % 40, minutes=n % 900, seconds=n % 60) for n in range(1800)]
ONE_DAY = timedelta(days=1)


def reservation(number, facility, day, midnight, start_slot, dialect):
    end_slot = start_slot + (number * 13 + facility) % 2
    account = (number * 7919) % ACCOUNTS + 1
    status = "cancelled" if number % 20 == 7 else "pending" if number % 9 == 0 else "confirmed"
    created = midnight - BOOKED_AHEAD[number % 1800]
    updated = created + ONE_DAY if status == "cancelled" else created
    if dialect == "sqlite":  # stored as text, in the format SQLAlchemy writes and reads
        created, updated = f"{created}.000000", f"{updated}.000000"
    row = (
        number, f"res_{number:010x}", facility, account, day, start_slot, end_slot,
        PURPOSES[number % len(PURPOSES)], None if number % 11 == 0 else 8 + number % 25,
        status, "{}", created, updated,
    )  # fmt: skip
    if status == "cancelled":
        return row, ()
    if end_slot == start_slot:
        return row, ((number, facility, account, day, start_slot),)
    return row, (
        (number, facility, account, day, start_slot),
        (number, facility, account, day, end_slot),
    )


def facility_rows(now):
    rows = []
    for n in range(1, FACILITIES + 1):
        status = "closed" if n % 100 == 0 else "maintenance" if n % 40 == 0 else "active"
        rows.append(
            {
                "id": n,
                "code": f"room-{n:03d}",
                "name": f"Room {n:03d}",
                "type": TYPES[n % len(TYPES)],
                "building": BUILDINGS[n % len(BUILDINGS)],
                "capacity": 20 + n % 40,
                "amenities": ["projector", "whiteboard"][: n % 3],
                "status": status,
                "requires_approval": n % 10 == 0,
                "description": "",
                "allowed_departments": [],
                "allowed_roles": [],
                "max_slots_per_booking": None,
                "created_at": now,
                "updated_at": now,
            }
        )
    return rows


def account_rows(now):
    return [
        {
            "id": n,
            "public_id": f"usr_{n:010x}",
            "email": f"teacher{n:04d}@school.example",
            "name": f"Teacher {n:04d}",
            "department": DEPARTMENTS[n % len(DEPARTMENTS)],
            "role": "approver" if n % 50 == 0 else "teacher",
            "status": "active",
            "created_at": now,
            "updated_at": now,
        }
        for n in range(1, ACCOUNTS + 1)
    ]


def blackout_rows(first_day, last_day):
    rows = [
        {"start_date": start, "end_date": end, "reason": reason, "facility_id": None}
        for year in range(first_day.year, last_day.year + 1)
        for start, end, reason in school_holidays(year)
    ]
    # A few rooms closed for works now and then: bookings made before stay on the books.
    for n in range(1, 11):
        start = first_day + timedelta(days=97 * n)
        if start <= last_day:
            rows.append(
                {"start_date": start, "end_date": start + timedelta(days=4),
                 "reason": "Refurbishment", "facility_id": n * 7}
            )  # fmt: skip
    return rows


def tune_for_loading(engine):
    """Loading needs no durability until it is over: let SQLite skip the fsyncs."""
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def on_connect(dbapi_connection, _record):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA synchronous=OFF")
        cursor.execute("PRAGMA cache_size=-262144")  # 256 MB
        cursor.close()


def seed(engine, count, small, first_day=FIRST_DAY):
    """Store the school and ``count`` reservations from ``first_day`` on; return what was
    stored and how long it took."""
    started = time.perf_counter()
    now = datetime(2019, 12, 1, 9, 0)
    with engine.begin() as conn:
        conn.execute(insert(Facility.__table__), facility_rows(now))
        conn.execute(insert(Account.__table__), account_rows(now))
    with deferred_indexes(engine, ("reservations", "held_slots")):
        held_total, last_day, small_last_day = load_reservations(engine, count, small, first_day)
    with engine.begin() as conn:
        conn.execute(insert(BlackoutDate.__table__), blackout_rows(first_day, last_day))
        finish_loading(conn)
    seconds = time.perf_counter() - started
    return Seeded(count, held_total, first_day, last_day, small_last_day, seconds)


def load_reservations(engine, count, small, first_day=FIRST_DAY):
    """Insert the reservations and their held slots, a batch per transaction."""
    held_total = 0
    small_last_day = last_day = first_day
    rows = reservation_rows(count, engine.dialect.name, first_day)
    while True:
        batch, held = [], []
        for row, slots in rows:
            batch.append(row)
            held += slots
            if len(batch) == BATCH:
                break
        if not batch:
            break
        with engine.begin() as conn:
            bulk_insert(conn, "reservations", RESERVATION_COLUMNS, batch)
            bulk_insert(conn, "held_slots", HELD_SLOT_COLUMNS, held)
        held_total += len(held)
        last_day = date.fromisoformat(str(batch[-1][4]))
        if batch[0][0] <= small <= batch[-1][0]:
            small_last_day = date.fromisoformat(str(batch[small - batch[0][0]][4]))
    if small > count:
        small_last_day = last_day
    return held_total, last_day, small_last_day


@contextlib.contextmanager
def deferred_indexes(engine, tables):
    """Drop the tables' plain indexes for the load and build them again after it, from
    their own definitions: one sort per index instead of a million scattered inserts.
    Unique constraints stay, so the load is checked as the application's writes would be.
    """
    with engine.begin() as conn:
        found = conn.execute(PLAIN_INDEXES[conn.dialect.name], {"tables": list(tables)}).all()
        for name, _ in found:
            conn.execute(text(f'DROP INDEX "{name}"'))
    try:
        yield
    finally:
        with engine.begin() as conn:
            for _, definition in found:
                conn.execute(text(definition))


# (name, definition) of each index that no constraint owns, on the tables named.
PLAIN_INDEXES = {
    "sqlite": text(
        "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name IN :tables "
        "AND sql IS NOT NULL"  # the indexes behind constraints have none
    ),
    "postgresql": text(
        "SELECT i.relname, pg_get_indexdef(i.oid) FROM pg_index x "
        "JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid "
        "WHERE t.relname IN :tables AND t.relnamespace = current_schema()::regnamespace "
        "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.oid)"
    ),
}
PLAIN_INDEXES = {
    name: query.bindparams(bindparam("tables", expanding=True))
    for name, query in PLAIN_INDEXES.items()
}


def bulk_insert(conn, table, columns, rows):
    """Insert ``rows`` (tuples in ``columns`` order) as one executemany, or one COPY.

    The values are already in the form the driver stores, so no per-value conversion runs.
    """
    if conn.dialect.name == "postgresql":
        cursor = conn.connection.driver_connection.cursor()
        with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        return
    placeholders = ", ".join("?" for _ in columns)
    conn.exec_driver_sql(
        f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({placeholders})", rows
    )


def finish_loading(conn):
    """Leave the database as a running server would find it after such a history."""
    if conn.dialect.name == "postgresql":
        # Rows came with their ids: move each sequence past them for the rows added later.
        for table in ("facilities", "accounts", "reservations", "held_slots", "blackout_dates"):
            conn.execute(
                text(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                    f"(SELECT coalesce(max(id), 0) + 1 FROM {table}), false)"
                )
            )
        conn.execute(text("ANALYZE"))  # what autovacuum would have done by now


def count_between(engine, first, last):
    stmt = select(func.count()).select_from(Reservation)
    stmt = stmt.where(Reservation.date.between(first, last))
    with engine.connect() as conn:
        return conn.scalar(stmt)
