"""Engine tuning that the embedded SQLite default needs to behave like a server database,
and the write blocks (``writing``, ``write_later``) that line up a request's writes on
either database."""

import logging
import os
from contextlib import contextmanager

from flask import current_app, has_request_context, request
from sqlalchemy import event
from sqlalchemy.exc import OperationalError

from .extensions import db

try:
    import fcntl
except ImportError:  # Windows: SQLite's busy handler alone
    fcntl = None

READ_ONLY_METHODS = {"GET", "HEAD", "OPTIONS"}
WRITING = "roomloop.sqlite_writing"  # set on the request while ``writing()`` holds the lock
LATER = "roomloop.sqlite_later"  # small writes held back for the request's write transaction

log = logging.getLogger(__name__)


def configure_sqlite(engine):
    """Turn on WAL, foreign keys and a busy timeout, and take the write lock at BEGIN.

    pysqlite begins transactions lazily and upgrades a read transaction to a write one on
    the first INSERT; under WAL that upgrade fails at once ("database is locked") when
    another process committed meanwhile. Beginning write transactions with BEGIN IMMEDIATE
    makes concurrent writers queue instead, while reads stay concurrent. A request that may
    write begins IMMEDIATE from its first statement, unless its view reads first
    (``reads_first``) and takes the lock for its writes only (``writing``). RoomLoop's own
    writers queue in a ``WriterQueue`` before they ask SQLite.
    """
    writers = WriterQueue.beside(engine.url.database)

    @event.listens_for(engine, "connect")
    def on_connect(dbapi_connection, _record):
        dbapi_connection.isolation_level = None  # SQLAlchemy emits BEGIN itself, below
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def on_begin(connection):
        if _reading_first():
            connection.exec_driver_sql("BEGIN")
            return
        if writers:
            writers.enter(connection.connection.info)
        connection.exec_driver_sql("BEGIN IMMEDIATE")

    if writers:
        # The transaction has ended (committed or rolled back) when its connection returns.
        event.listen(engine, "checkin", lambda _conn, record: writers.leave(record.info))
        event.listen(engine, "close", lambda _conn, record: writers.close(record.info))


class WriterQueue:
    """Lines up RoomLoop's writers to one SQLite file in the kernel.

    SQLite's busy handler waits for the write lock by sleeping 1, 2, 5, 10... up to 100 ms
    and trying again, so under load the lock often sits free while every waiter sleeps,
    and an unlucky one waits for a second (the booking benchmark's p99 went from 0.7-1 s
    to 0.3-0.4 s with this queue).
    Each writer here first takes an exclusive ``flock`` on a file beside the database,
    which wakes a waiting writer (of any thread or process) the moment the one before has
    finished; it waits as long as that one writes, not the busy timeout. SQLite's own lock
    still guards the data against every other program (backups, the sqlite3 shell).
    """

    HOLDS = "roomloop.writer_holds"
    FILE = "roomloop.writer_file"

    def __init__(self, path):
        self.path = path

    @classmethod
    def beside(cls, database):
        """The queue for a database file; ``None`` in memory, for a ``file:`` URI (left to
        SQLite alone), or where there is no flock."""
        if fcntl is None or not database or database == ":memory:" or database.startswith("file:"):
            return None
        return cls(database + "-writers")

    def enter(self, info):
        """Wait for this connection's turn to write; it keeps it until ``leave``."""
        if not info.get(self.HOLDS):
            fcntl.flock(self._file(info), fcntl.LOCK_EX)
            info[self.HOLDS] = True

    def leave(self, info):
        if info.pop(self.HOLDS, False):
            fcntl.flock(self._file(info), fcntl.LOCK_UN)

    def close(self, info):
        self.leave(info)
        _pid, fd = info.pop(self.FILE, (None, None))
        if fd is not None:
            os.close(fd)

    def _file(self, info):
        # One open file per connection: flock makes each open file wait for the others, in
        # this process too. One opened before a fork would be shared with the child, so a
        # forked process opens its own.
        pid, fd = info.get(self.FILE, (None, None))
        if pid != os.getpid():
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
            info[self.FILE] = (os.getpid(), fd)
        return fd


def reads_first(view):
    """Mark a view that reads a good deal before it writes, such as booking.

    On SQLite its transactions begin deferred, so that its reads (the caller's token, the
    rules' data) leave other writers free; it holds the write lock only inside
    ``writing()``, which wraps its writes.
    """
    view.reads_first = True
    return view


def _reading_first():
    """Whether the request reads before it writes (a GET, or a ``reads_first`` view, outside
    its ``writing()`` block): on SQLite its transactions begin deferred."""
    if not has_request_context() or request.environ.get(WRITING):
        return False
    if request.method in READ_ONLY_METHODS:
        return True
    view = current_app.view_functions.get(request.endpoint)
    return getattr(view, "reads_first", False)


@contextmanager
def writing():
    """Hold SQLite's write lock for the block, which commits its writes.

    Where the request's transactions begin deferred, a write after a read would fail at
    once if another process committed in between. This ends the read transaction first,
    keeping the rows it loaded, so that the block's first statement begins IMMEDIATE and
    waits its turn, after the small writes held back for it (``write_later``). On an
    exception the block's transaction is rolled back. On PostgreSQL the block writes in the
    request's transaction, the held-back writes first. In a request whose transactions
    begin IMMEDIATE anyway it does nothing.
    """
    session = db.session()
    if not _reading_first():
        yield
        return
    request.environ[WRITING] = True
    later = request.environ.pop(LATER, [])
    try:
        if session.in_transaction() and session.get_bind().dialect.name == "sqlite":
            _begin_writing_in_place(session.connection())
        for statement, params in later:
            session.execute(statement, params)
        yield
    except BaseException:
        session.rollback()
        request.environ.setdefault(LATER, []).extend(later)  # for ``write_held_back``
        raise
    finally:
        request.environ.pop(WRITING, None)


def write_later(statement, params):
    """Hold back a small write that need not be made at once (a key's last use) for the
    request's write transaction, so that it costs no transaction of its own (on PostgreSQL
    a COMMIT, a BEGIN and the settings' stamp read again; on SQLite a wait for the write
    lock); a request that writes nothing has it written as it ends (``write_held_back``).
    Returns ``False`` where nothing is held back (a request whose transactions begin
    IMMEDIATE anyway): the caller writes it now. A write rolled back with the block that
    carried it (a series that lost a race) is made on the key's next use instead."""
    if not _reading_first():
        return False
    request.environ.setdefault(LATER, []).append((statement, params))
    return True


def write_held_back():
    """Write what ``write_later`` held back and no write transaction took, in a transaction
    of its own, once the request's own has ended. A database busy past its timeout skips
    them: they are records of use, not changes anyone asked for."""
    held_back = len(request.environ.get(LATER, ()))
    if not held_back:
        return
    session = db.session()
    try:
        with writing():
            session.commit()
    except OperationalError:
        session.rollback()
        request.environ.pop(LATER, None)
        log.info("Skipped %d held-back writes: database busy", held_back)


def _begin_writing_in_place(connection):
    """End the request's read transaction and begin a write one on the same connection.

    COMMIT ends the snapshot (it only read), BEGIN IMMEDIATE waits for the write lock,
    behind RoomLoop's other writers. The session's transaction and the rows it loaded carry
    on: a session commit here would hand the connection back to the pool and check it out
    again, which cost 0.15 ms of the 2.1 ms of CPU a booking takes in process. So does the
    request's copy of the settings (``configured``): the writes follow the decision made on
    it, as if made a moment earlier.
    """
    connection.exec_driver_sql("COMMIT")
    writers = WriterQueue.beside(connection.engine.url.database)
    if writers:
        writers.enter(connection.connection.info)
    connection.exec_driver_sql("BEGIN IMMEDIATE")


def commit_keeping_loaded():
    """Commit without expiring the objects the session has loaded, for a commit in the middle
    of a request whose rows are still current: nothing reloads them afterwards."""
    session = db.session()
    keep, session.expire_on_commit = session.expire_on_commit, False
    try:
        session.commit()
    finally:
        session.expire_on_commit = keep
