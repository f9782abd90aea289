"""gunicorn settings for production: `gunicorn -c gunicorn.conf.py wsgi:app`.

Each can be overridden by its environment variable. Several workers use several cores.
RoomLoop logs one line per request itself (with its request id), so gunicorn's access log
is off.
"""

import multiprocessing
import os

bind = os.environ.get("ROOMLOOP_BIND", "0.0.0.0:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2 + 1))
# One thread per worker: a booking that holds SQLite's write lock must get Python's lock
# (the GIL) back after each statement, and a sibling thread busy with another request kept
# it waiting meanwhile. The booking benchmark: 5 x 1 about 350-410 bookings/s, 5 x 4 about
# 260 and 2 x 4 about 280-320 (SQLite); on PostgreSQL the shapes came out even.
threads = int(os.environ.get("ROOMLOOP_THREADS", 1))
worker_class = "gthread"
# A large XLSX export takes a while to write; gthread workers stay alive meanwhile.
timeout = int(os.environ.get("ROOMLOOP_WORKER_TIMEOUT", 120))
graceful_timeout = 30
keepalive = 5
# Recycle workers now and then, so that a slow leak can never take a server down.
max_requests = 10_000
max_requests_jitter = 1_000
accesslog = None
errorlog = "-"
loglevel = os.environ.get("ROOMLOOP_GUNICORN_LOG_LEVEL", "info")
