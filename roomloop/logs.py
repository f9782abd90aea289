"""Logs: one line per request and per event worth knowing, each with its request id.

Production writes JSON lines (one object per line, for a log shipper); development writes
plain text. Neither ever contains a bearer token: the request line has the path without
its query string, and no headers.
"""

import json
import logging
import sys
import time
import uuid

from flask import has_request_context, request

REQUEST_ID = "roomloop.request_id"
ACCOUNT = "roomloop.account"
request_log = logging.getLogger("roomloop.request")


def request_id():
    """This request's id: the caller's ``X-Request-ID`` when it is sane, else a fresh one."""
    if REQUEST_ID not in request.environ:
        given = request.headers.get("X-Request-ID", "")
        ok = 0 < len(given) <= 64 and given.replace("-", "").replace("_", "").isalnum()
        request.environ[REQUEST_ID] = given if (ok and given.isascii()) else uuid.uuid4().hex
    return request.environ[REQUEST_ID]


def identify(account):
    """Name the caller in this request's log line; kept as text, since the row may be expired
    (and reloading it cost a query) by the time the line is written."""
    request.environ[ACCOUNT] = account.public_id


class RequestContext(logging.Filter):
    """Stamp every record with the request id (``-`` outside a request)."""

    def filter(self, record):
        record.request_id = request_id() if has_request_context() else "-"
        return True


class JsonLines(logging.Formatter):
    FIELDS = ("method", "path", "status", "duration_ms", "account")

    def format(self, record):
        entry = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", "-"),
        }
        entry.update({k: getattr(record, k) for k in self.FIELDS if hasattr(record, k)})
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False)


def init_app(app):
    """Send RoomLoop's logs to stderr in the configured format, and log each request."""
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(RequestContext())
    if app.config["LOG_FORMAT"] == "json":
        handler.setFormatter(JsonLines())
    else:
        handler.setFormatter(
            logging.Formatter("%(asctime)s %(levelname)s [%(request_id)s] %(name)s: %(message)s")
        )
    root = logging.getLogger("roomloop")
    root.handlers[:] = [handler]
    root.setLevel(app.config["LOG_LEVEL"])
    root.propagate = False

    @app.before_request
    def start_clock():
        request.environ["roomloop.started"] = time.perf_counter()

    @app.after_request
    def log_request(response):
        response.headers.setdefault("X-Request-ID", request_id())
        started = request.environ.get("roomloop.started")
        duration = round((time.perf_counter() - started) * 1000, 1) if started else None
        request_log.info(
            "%s %s %s",
            request.method,
            request.path,
            response.status_code,
            extra={
                "method": request.method,
                "path": request.path,
                "status": response.status_code,
                "duration_ms": duration,
                "account": request.environ.get(ACCOUNT),
            },
        )
        return response
