"""Engine tuning that the embedded SQLite default needs to behave like a server database."""

from contextlib import contextmanager

from flask import current_app, has_request_context, request
from sqlalchemy import event

from .extensions import db

READ_ONLY_METHODS = {"GET", "HEAD", "OPTIONS"}
WRITING = "roomloop.sqlite_writing"  # set on the request while ``writing()`` holds the lock


def configure_sqlite(engine):
    """Turn on WAL, foreign keys and a busy timeout, and take the write lock at BEGIN.

    pysqlite begins transactions lazily and upgrades a read transaction to a write one on
    the first INSERT; under WAL that upgrade fails at once ("database is locked") when
    another process committed meanwhile. Beginning write transactions with BEGIN IMMEDIATE
    makes concurrent writers queue on the busy timeout instead, while reads stay concurrent.
    A request that may write begins IMMEDIATE from its first statement, unless its view
    reads first (``reads_first``) and takes the lock for its writes only (``writing``).
    """

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
        connection.exec_driver_sql("BEGIN" if _begins_deferred() else "BEGIN IMMEDIATE")


def reads_first(view):
    """Mark a view that reads a good deal before it writes, such as booking.

    On SQLite its transactions begin deferred, so that its reads (the caller's token, the
    rules' data) leave other writers free; it holds the write lock only inside
    ``writing()``, which wraps its writes.
    """
    view.reads_first = True
    return view


def _begins_deferred():
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
    waits its turn. On an exception the block's transaction is rolled back. Elsewhere
    (PostgreSQL, or a request whose transactions begin IMMEDIATE anyway) it does nothing.
    """
    session = db.session()
    if session.get_bind().dialect.name != "sqlite" or not _begins_deferred():
        yield
        return
    if session.in_transaction():
        keep, session.expire_on_commit = session.expire_on_commit, False
        try:
            session.commit()  # reads only: ends the snapshot, expires nothing
        finally:
            session.expire_on_commit = keep
    request.environ[WRITING] = True
    try:
        yield
    except BaseException:
        session.rollback()
        raise
    finally:
        request.environ.pop(WRITING, None)
