"""SQLite's writers queue on a lock file beside the database, whatever the test database.

A write transaction holds an exclusive ``flock`` on ``<database>-writers`` from its BEGIN
IMMEDIATE until its connection returns to the pool; any other writer, in another thread or
another process, waits in the kernel meanwhile and goes on as soon as it is released.
"""

import fcntl
import subprocess
import sys
import threading

import flask_migrate
import pytest
from sqlalchemy import create_engine, text

from roomloop.extensions import db
from roomloop.models import Setting
from roomloop.sqlite import configure_sqlite, writing

from conftest import make_app


@pytest.fixture
def sqlite_file(tmp_path):
    """Return a tuned engine on a fresh SQLite file, and the path of its writers' lock."""
    database = tmp_path / "roomloop.db"
    engine = create_engine(f"sqlite:///{database}")
    configure_sqlite(engine)
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE notes (body TEXT)"))
    yield engine, tmp_path / "roomloop.db-writers"
    engine.dispose()


def is_locked(path):
    """Whether some open file holds the exclusive lock on ``path`` (asked without waiting)."""
    with open(path, "a") as probe:
        try:
            fcntl.flock(probe, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        fcntl.flock(probe, fcntl.LOCK_UN)
        return False


def write_in_thread(engine, body):
    """Start a thread that inserts a note; return it and the event it sets once written."""
    wrote = threading.Event()

    def write():
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO notes VALUES (:body)"), {"body": body})
        wrote.set()

    thread = threading.Thread(target=write)
    thread.start()
    return thread, wrote


def test_a_write_transaction_holds_the_lock_until_its_connection_returns(sqlite_file):
    engine, lock = sqlite_file
    conn = engine.connect()
    conn.begin()
    conn.execute(text("INSERT INTO notes VALUES ('first')"))
    assert is_locked(lock)
    conn.commit()
    conn.close()
    assert not is_locked(lock)

    with pytest.raises(RuntimeError), engine.begin() as conn:
        conn.execute(text("INSERT INTO notes VALUES ('rolled back')"))
        raise RuntimeError
    assert not is_locked(lock)


def test_a_writer_of_another_thread_waits_its_turn(sqlite_file):
    engine, lock = sqlite_file
    first = engine.connect()
    first.begin()
    first.execute(text("INSERT INTO notes VALUES ('first')"))
    thread, second_wrote = write_in_thread(engine, "second")
    assert not second_wrote.wait(0.5)  # queued behind the first
    first.commit()
    first.close()
    assert second_wrote.wait(10)
    thread.join()
    assert not is_locked(lock)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT body FROM notes ORDER BY rowid")).scalars().all() == [
            "first",
            "second",
        ]


def test_a_writer_waits_for_one_in_another_process(sqlite_file):
    engine, lock = sqlite_file
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import fcntl, sys; f = open(sys.argv[1], 'a'); fcntl.flock(f, fcntl.LOCK_EX); "
            "print('held', flush=True); sys.stdin.readline()",
            str(lock),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout.readline() == "held\n"
    thread, wrote = write_in_thread(engine, "after the other process")
    try:
        assert not wrote.wait(0.5)
    finally:
        holder.communicate("done\n", timeout=10)  # the other process ends, and its lock with it
    assert wrote.wait(10)
    thread.join()


def test_a_booking_reads_then_writes_on_one_connection_seeing_what_others_wrote(tmp_path):
    """A booking reads (its token, the rules' data) in a read transaction, then writes under
    the lock: inside ``writing()`` it sees what another writer committed in between (its
    snapshot has ended), holds the writers' lock until its commit, and keeps its connection
    and the rows it loaded throughout."""
    database = tmp_path / "roomloop.db"
    app = make_app(f"sqlite:///{database}")
    with app.app_context():
        flask_migrate.upgrade()
        db.session.add(Setting(key="note", value="before"))
        db.session.commit()
    other = create_engine(f"sqlite:///{database}")
    configure_sqlite(other)
    lock = tmp_path / "roomloop.db-writers"
    # A booking's view reads first: its transactions begin deferred.
    with app.test_request_context("/v1/reservations", method="POST"):
        loaded = db.session.get(Setting, "note")
        connection = db.session.connection().connection.dbapi_connection
        with other.begin() as conn:  # another worker books meanwhile
            conn.execute(text("UPDATE settings SET value = '\"after\"' WHERE key = 'note'"))
        with writing():
            assert db.session.connection().connection.dbapi_connection is connection
            seen = db.session.execute(text("SELECT value FROM settings WHERE key = 'note'"))
            assert seen.scalar() == '"after"'
            assert is_locked(lock)
            assert loaded.value == "before"  # as loaded: not expired and read again
            db.session.add(Setting(key="booked", value=True))
            db.session.commit()
        assert not is_locked(lock)
    other.dispose()
    with app.app_context():
        db.engine.dispose()
