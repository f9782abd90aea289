"""gunicorn settings for production: `gunicorn -c gunicorn.conf.py wsgi:app`.

Each can be overridden by its environment variable. Several workers use several cores.
RoomLoop logs one line per request itself (with its request id), so gunicorn's access log
is off.
"""

import multiprocessing
import os

bind = os.environ.get("ROOMLOOP_BIND", "0.0.0.0:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2 + 1))
# On SQLite one thread per worker: a booking that holds the write lock must get Python's
# GIL back after each statement, and a sibling thread busy with another request kept it
# waiting. The booking benchmark (SQLite): 5 x 1 about 350-410 bookings/s, 5 x 4 about 260.
# On PostgreSQL the shapes gave the same throughput (about 200 bookings/s); there four
# threads per worker overlap the round trips to the database, as before.
on_sqlite = not os.environ.get("ROOMLOOP_DATABASE_URL", "").startswith("postgresql")
threads = int(os.environ.get("ROOMLOOP_THREADS", 1 if on_sqlite else 4))
# A worker of one thread is a sync worker: it accepts a connection only when it is free, so
# requests wait their turn in the kernel's queue, first come first served. A gthread worker
# accepts connections while its thread is busy and keeps each for its keep-alive: under
# load one worker held 24 of the benchmark's 32 connections while another held 2, and
# their requests waited 320 ms against 20 (bookings p95 140 -> 70 ms with sync workers).
# Several threads share a worker through gthread (gunicorn switches to it by itself).
worker_class = "sync" if threads == 1 else "gthread"
# A sync worker is stopped when one request runs longer than this (the largest export
# measured, 1,000,000 rows of XLSX on SQLite, took 46 s); gthread workers are not.
timeout = int(os.environ.get("ROOMLOOP_WORKER_TIMEOUT", 120))
graceful_timeout = 30
keepalive = 5  # gthread only; a sync worker closes each connection after its answer
# Recycle workers now and then, so that a slow leak can never take a server down.
max_requests = 10_000
max_requests_jitter = 1_000
accesslog = None
errorlog = "-"
loglevel = os.environ.get("ROOMLOOP_GUNICORN_LOG_LEVEL", "info")
