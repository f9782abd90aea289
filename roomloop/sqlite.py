"""Engine tuning that the embedded SQLite default needs to behave like a server database."""

from flask import has_request_context, request
from sqlalchemy import event

READ_ONLY_METHODS = {"GET", "HEAD", "OPTIONS"}


def configure_sqlite(engine):
    """Turn on WAL, foreign keys and a busy timeout, and take the write lock at BEGIN.

    pysqlite begins transactions lazily and upgrades a read transaction to a write one on
    the first INSERT; under WAL that upgrade fails at once ("database is locked") when
    another process committed meanwhile. Beginning write transactions with BEGIN IMMEDIATE
    makes concurrent writers queue on the busy timeout instead, while reads stay concurrent.
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
        read_only = has_request_context() and request.method in READ_ONLY_METHODS
        connection.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")
