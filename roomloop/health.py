"""``GET /healthz`` for load balancers and orchestrators: is this process able to serve?

It checks the database (one ``SELECT 1``) and, when it is shared (Redis), the rate-limit
storage. It answers 200 or 503 with what failed, needs no sign-in, and is answered over
plain HTTP too, because health checks usually come from inside the network.
"""

import logging

from flask import Blueprint, current_app
from sqlalchemy import text

from .extensions import db
from .ratelimit import limiter

bp = Blueprint("health", __name__)
log = logging.getLogger(__name__)
PATH = "/healthz"


@bp.get(PATH)
def healthz():
    """Report whether the database and the rate-limit storage answer."""
    checks = {"database": _database_ok(), "rate_limit_storage": _rate_limit_storage_ok()}
    healthy = all(checks.values())
    body = {
        "status": "ok" if healthy else "unavailable",
        **{name: "ok" if ok else "unreachable" for name, ok in checks.items()},
    }
    return body, 200 if healthy else 503, {"Cache-Control": "no-store"}


def _database_ok():
    try:
        db.session.execute(text("SELECT 1"))
        return True
    except Exception:  # any failure means "not ready"; the log says which
        log.exception("health check: the database does not answer")
        return False
    finally:
        db.session.rollback()


def _rate_limit_storage_ok():
    if current_app.config["RATELIMIT_STORAGE_URI"].startswith("memory://"):
        return True
    try:
        return bool(limiter.storage.check())
    except Exception:
        log.exception("health check: the rate-limit storage does not answer")
        return False
