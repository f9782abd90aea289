"""Engine tuning for the database RoomLoop runs on: SQLite's in ``roomloop.sqlite``; a
server database's here."""

import time

from sqlalchemy import event, exc

from .sqlite import configure_sqlite

# A connection back in the pool for longer than this is pinged before its next use.
IDLE_PING_SECONDS = 10.0
IDLE_SINCE = "roomloop.idle_since"


def configure_engine(engine):
    if engine.dialect.name == "sqlite":
        configure_sqlite(engine)
    else:
        ping_after_idle(engine, IDLE_PING_SECONDS)


def ping_after_idle(engine, idle_seconds):
    """Check a pooled connection before use only when it has sat idle for a while.

    A connection dies while idle: a firewall or proxy drops it, the database restarts.
    SQLAlchemy's ``pool_pre_ping`` pings before every use instead, a round trip on every
    request of a busy server, where a connection comes back into use within milliseconds.
    A dead connection found here is replaced before the request sees it. One that dies
    within ``idle_seconds`` of its last use fails its request; SQLAlchemy then discards
    every connection of the pool opened before the failure.
    """

    @event.listens_for(engine, "checkin")
    def note_idle(_dbapi_connection, record):
        record.info[IDLE_SINCE] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def ping_if_idle(dbapi_connection, record, _proxy):
        idle_since = record.info.pop(IDLE_SINCE, None)
        if idle_since is None or time.monotonic() - idle_since < idle_seconds:
            return  # just opened, or in use a moment ago
        try:
            engine.dialect.do_ping(dbapi_connection)
        except engine.dialect.loaded_dbapi.Error as error:
            # The pool closes this connection and checks out another (a new one if need be).
            raise exc.DisconnectionError() from error
