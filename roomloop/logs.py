"""Logs: one line per request and per event worth knowing, each with its request id.

Production writes JSON lines (one object per line, for a log shipper); development writes
plain text. Neither ever contains a bearer token: the request line has the path without
its query string, and no headers. A path that carries a secret itself (a calendar feed's
address) is logged with the secret masked.
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
# URL arguments that are secrets: whoever reads the logs must not be able to open them.
SECRET_ARGUMENTS = ("token",)
MASK = "[token]"


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


def path_secrets():
    """The secrets this request's path carries in its URL arguments."""
    arguments = request.view_args or {}
    return [str(arguments[name]) for name in SECRET_ARGUMENTS if arguments.get(name)]


def logged_path():
    """The request's path as the logs may show it: secrets in it masked."""
    path = request.path
    for secret in path_secrets():
        path = path.replace(secret, MASK)
    return path


class RequestContext(logging.Filter):
    """Stamp every record with the request id (``-`` outside a request), and mask the
    path's secrets in any message that repeats it (Flask's own "Exception on <path>")."""

    def filter(self, record):
        if not has_request_context():
            record.request_id = "-"
            return True
        record.request_id = request_id()
        hidden = path_secrets()
        if hidden:
            message = record.getMessage()
            for secret in hidden:
                message = message.replace(secret, MASK)
            record.msg, record.args = message, None
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
        path = logged_path()
        request_log.info(
            "%s %s %s",
            request.method,
            path,
            response.status_code,
            extra={
                "method": request.method,
                "path": path,
                "status": response.status_code,
                "duration_ms": duration,
                "account": request.environ.get(ACCOUNT),
            },
        )
        return response
