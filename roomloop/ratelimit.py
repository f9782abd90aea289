"""The rate limiter: whom it counts (a live bearer token, else the client address), what
it counts a request under, and the counter storages behind ``memory://`` (the default) and
``redis://``."""

import threading
import time
from typing import ClassVar

from flask import has_request_context, request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from limits.storage import MemoryStorage, RedisStorage

from .auth.tokens import find_bearer


def bearer_token():
    """The token of an ``Authorization: Bearer`` header, or ``None``."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    token = token.strip()
    return token if scheme.lower() == "bearer" and token else None


def current_bearer():
    """The live token row for this request's bearer token, looked up once per request."""
    # Kept on the request itself: ``g`` lives as long as the app context, which may
    # outlast one request.
    if "roomloop.bearer" not in request.environ:
        token = bearer_token()
        request.environ["roomloop.bearer"] = find_bearer(token) if token else None
    return request.environ["roomloop.bearer"]


def rate_limit_key():
    """A live token has its own quota; anything else (no token, a made-up or revoked one)
    counts against the client's address, so inventing tokens cannot escape the limit."""
    row = current_bearer()
    if row is None:
        return "addr:" + get_remote_address()
    # The limiter's storage (Redis in production) sees a digest, never the token itself.
    return "token:" + row.token_hash


# What a /v1 request for a path or method that does not exist counts under (see below).
UNROUTED = "api.unrouted"


def request_identity():
    """The name Flask-Limiter counts a request under: its endpoint. A ``/v1`` request for a
    path or method that does not exist has none, and Flask-Limiter would pass it uncounted:
    a caller could then try made-up tokens there without end. It gets a name of its own."""
    if request.endpoint is None and (request.path == "/v1" or request.path.startswith("/v1/")):
        return UNROUTED
    return request.endpoint or ""


limiter = Limiter(key_func=rate_limit_key, request_identifier=request_identity)


def keep_retry_after_for_refusals(response):
    """Flask-Limiter sends Retry-After on every limited response; it belongs on a 429 only."""
    if response.status_code not in (429, 503):
        response.headers.pop("Retry-After", None)
    return response


class ThreadSafeMemoryStorage(MemoryStorage):
    """``memory://`` that is safe under gunicorn's threads.

    limits 5.8 starts its expiry timer without a lock: two threads counting at once can
    both start the same timer, and the second request fails with "threads can only be
    started once" (fixed upstream in alisaifee/limits#352, not yet released). Its counters
    can also lose a hit: reading a key that has no expiry yet drops the count another
    thread has just made. Here one lock covers each operation of the fixed window (the
    strategy RoomLoop uses) and the sweep. Naming the ``memory`` scheme makes ``memory://``
    build this class instead.
    """

    STORAGE_SCHEME: ClassVar[list[str]] = ["memory"]
    # Counts are checked against the clock when read, so the sweep only frees memory; once
    # a second rather than limits' 10 ms spares a thread start per request.
    SWEEP_SECONDS = 1.0

    def __init__(self, *args, **kwargs):
        self._lock = threading.RLock()
        super().__init__(*args, **kwargs)

    def incr(self, key, expiry, amount=1):
        with self._lock:
            return super().incr(key, expiry, amount)

    def get(self, key):
        with self._lock:
            return super().get(key)

    def get_expiry(self, key):
        with self._lock:
            return super().get_expiry(key)

    def clear(self, key):
        with self._lock:
            super().clear(key)

    def _MemoryStorage__expire_events(self):
        with self._lock:
            super()._MemoryStorage__expire_events()

    def _MemoryStorage__schedule_expiry(self):
        with self._lock:
            if not self.timer.is_alive():
                self.timer = threading.Timer(self.SWEEP_SECONDS, self._MemoryStorage__expire_events)
                self.timer.daemon = True
                self.timer.start()


class RedisStorageAnsweringFromTheHit(RedisStorage):
    """``redis://`` in one round trip per request rather than three.

    Flask-Limiter counts a request's hit, then reads the window back for the RateLimit-*
    headers: the count (GET) and the time left (TTL), a round trip each. Here the hit's
    script returns both, and those reads in the same request are answered from it: the
    count this request made, which is what its headers should say.
    """

    STORAGE_SCHEME: ClassVar[list[str]] = ["redis", "rediss", "redis+unix"]
    SCRIPT_INCR_EXPIRE_TTL = """
        local current = redis.call("incrby", KEYS[1], ARGV[2])
        if tonumber(current) == tonumber(ARGV[2]) then
            redis.call("expire", KEYS[1], ARGV[1])
        end
        return {current, redis.call("ttl", KEYS[1])}
    """
    HIT = "roomloop.ratelimit_hits"  # {key: (count, expires at)}, in the request's environ

    def initialize_storage(self, uri):
        super().initialize_storage(uri)
        self.lua_incr_expire_ttl = self.get_connection().register_script(
            self.SCRIPT_INCR_EXPIRE_TTL
        )

    def incr(self, key, expiry, amount=1):
        count, ttl = self.lua_incr_expire_ttl([self.prefixed_key(key)], [expiry, amount])
        if has_request_context():
            hits = request.environ.setdefault(self.HIT, {})
            hits[key] = int(count), time.time() + max(int(ttl), 0)
        return int(count)

    def get(self, key):
        hit = self._hit(key)
        return super().get(key) if hit is None else hit[0]

    def get_expiry(self, key):
        hit = self._hit(key)
        return super().get_expiry(key) if hit is None else hit[1]

    def _hit(self, key):
        return request.environ.get(self.HIT, {}).get(key) if has_request_context() else None
