"""The bare stack's ceiling: Flask and SQLAlchemy inserting one row per request.

``bench.booking`` runs this app under the same gunicorn settings as RoomLoop and loads it
the same way, so its requests per second are what the stack itself can do on this machine
and database: parse a JSON body, insert one row in its own write transaction, answer 201
with JSON. Everything RoomLoop does for a booking beyond that (authentication, rate limits,
validation, the rules engine, held slots, the outbox) is the difference between the two.

Run: ``BENCH_CEILING_DATABASE_URL=... gunicorn -c gunicorn.conf.py bench.ceiling:app``.
The table must exist (``create_table``). The engine is tuned exactly as RoomLoop's
(``roomloop.database``: on SQLite WAL, a busy timeout, writes begun with BEGIN IMMEDIATE;
on PostgreSQL a ping before using a connection that sat idle).
"""

import os
from datetime import date

from flask import Flask, jsonify, request
from sqlalchemy import Column, Date, Integer, MetaData, String, Table, create_engine, insert

from roomloop.database import configure_engine

metadata = MetaData()
rows = Table(
    "bench_ceiling_rows",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("facility_id", String(64), nullable=False),
    Column("date", Date, nullable=False),
    Column("start_slot", Integer, nullable=False),
    Column("end_slot", Integer, nullable=False),
    Column("purpose", String(200), nullable=False),
)


def make_engine(database_url):
    engine = create_engine(database_url)
    configure_engine(engine)  # tuned exactly as RoomLoop's
    return engine


def create_table(database_url):
    engine = create_engine(database_url)
    metadata.create_all(engine)
    engine.dispose()


def drop_table(database_url):
    engine = create_engine(database_url)
    metadata.drop_all(engine)
    engine.dispose()


def create_ceiling_app(database_url):
    app = Flask(__name__)
    engine = make_engine(database_url)

    @app.get("/")
    def index():
        return "ok"

    @app.post("/rows")
    def add_row():
        data = request.get_json()
        values = {
            "facility_id": data["facility_id"],
            "date": date.fromisoformat(data["date"]),
            "start_slot": int(data["start_slot"]),
            "end_slot": int(data["end_slot"]),
            "purpose": data["purpose"],
        }
        with engine.begin() as conn:
            new_id = conn.execute(insert(rows).values(values)).inserted_primary_key[0]
        return jsonify(id=new_id, **data), 201

    return app


database_url = os.environ.get("BENCH_CEILING_DATABASE_URL")
app = create_ceiling_app(database_url) if database_url else None
