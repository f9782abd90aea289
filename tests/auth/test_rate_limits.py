"""Rate limits on ``/v1``: per token, announced in headers, refused with a JSON 429.

With ``ROOMLOOP_RATE_LIMIT=5/minute`` a client sees its quota count down on every answer and
gets 429 ``rate_limited`` with ``Retry-After`` on the sixth call, while other tokens (even of
the same account) carry on. Under gunicorn with Redis storage the count is shared by every
worker, and Redis only ever sees a digest of the token.
"""

import hashlib
import os
import socket
import sys
import threading
import time
import uuid
from urllib.parse import urlsplit

import pytest
import redis
import requests
from limits.storage import storage_from_string
from sqlalchemy import func, select

from roomloop.auth.tokens import create_api_key
from roomloop.extensions import db
from roomloop.models import Reservation

from conftest import make_app, school_day

LIMIT = "5/minute"
REDIS_URL = os.environ.get("ROOMLOOP_TEST_REDIS_URL", "redis://127.0.0.1:6379/9")


def bearer(key):
    return {"Authorization": f"Bearer {key}"}


@pytest.fixture(params=["memory", "redis"])
def limited(request, app, database_url):
    """Return a test client of a fresh app started with ``RATE_LIMIT=5/minute``, counting
    in memory (the default) or in Redis (production's storage)."""
    config = {"RATE_LIMIT": LIMIT}
    if request.param == "redis":
        prefix = request.getfixturevalue("redis_prefix")
        config |= {"RATELIMIT_STORAGE_URI": REDIS_URL, "RATELIMIT_KEY_PREFIX": prefix}
    limited_app = make_app(database_url, **config)
    yield limited_app.test_client()
    with limited_app.app_context():
        db.engine.dispose()


@pytest.fixture
def two_keys(create_account):
    """Create one teacher with two API keys; return both keys."""
    account = create_account()
    return create_api_key(account, label="first")[1], create_api_key(account, label="second")[1]


# --- One process, memory storage ---------------------------------------------------------


@pytest.fixture
def eager_thread_switching():
    """Let threads interleave at almost every bytecode, as a busy server's threads do."""
    previous = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    yield
    sys.setswitchinterval(previous)


def test_memory_storage_counts_every_hit_from_many_threads(eager_thread_switching):
    """gunicorn's threads share one ``memory://`` storage: requests arriving together are all
    counted and none fails. limits 5.8 alone starts its expiry timer without a lock, so a
    burst after a quiet moment can start it twice and raise; most runs of this test see that
    happen when the storage is limits' own."""
    storage = storage_from_string("memory://")
    threads, bursts = 16, 150
    # Every burst starts together after the previous one's expiry timer has run out.
    burst = threading.Barrier(threads, action=lambda: time.sleep(0.012))
    failures = []

    def count():
        for _ in range(bursts):
            burst.wait()
            try:
                storage.incr("token:shared", expiry=60)
            except Exception as error:  # any failure is what this test looks for
                failures.append(error)

    workers = [threading.Thread(target=count) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()

    assert failures == []
    assert storage.get("token:shared") == threads * bursts


def test_quota_counts_down_in_headers_then_429(limited, two_keys):
    """Five calls succeed with RateLimit-* headers counting down; the sixth is a JSON 429."""
    key, _ = two_keys
    started = time.time()
    remaining = []
    for _ in range(5):
        response = limited.get("/v1/facilities", headers=bearer(key))
        assert response.status_code == 200, response.get_data(as_text=True)
        assert response.headers["RateLimit-Limit"] == "5"
        remaining.append(int(response.headers["RateLimit-Remaining"]))
        # RateLimit-Reset is the Unix time at which the window ends: within the next minute.
        reset = int(response.headers["RateLimit-Reset"])
        assert started - 1 <= reset <= time.time() + 61
        assert "Retry-After" not in response.headers  # only a refusal says when to retry
    assert remaining == [4, 3, 2, 1, 0]

    refused = limited.get("/v1/facilities", headers=bearer(key))

    assert refused.status_code == 429
    assert refused.mimetype == "application/json"
    error = refused.get_json()["error"]
    assert error["code"] == "rate_limited"
    assert error["message"]
    assert error["request_id"] == refused.headers["X-Request-ID"]
    assert 1 <= int(refused.headers["Retry-After"]) <= 60
    assert refused.headers["RateLimit-Remaining"] == "0"


def test_another_token_of_the_same_account_is_unaffected(limited, two_keys):
    """Exhausting one key leaves the same account's second key its full quota."""
    first, second = two_keys
    statuses = [limited.get("/v1/facilities", headers=bearer(first)).status_code for _ in range(6)]
    assert statuses == [200] * 5 + [429]

    response = limited.get("/v1/facilities", headers=bearer(second))

    assert response.status_code == 200
    assert response.headers["RateLimit-Remaining"] == "4"
    assert limited.get("/v1/facilities", headers=bearer(first)).status_code == 429


def test_quota_is_shared_by_every_endpoint_of_a_token(limited, two_keys, create_facility):
    """Calls to different endpoints draw on one quota per token, not one per endpoint."""
    create_facility(code="f1")
    key, _ = two_keys
    paths = [
        "/v1/facilities",
        "/v1/facilities/f1",
        f"/v1/facilities/f1/availability?date={school_day().isoformat()}",
        "/v1/reservations",
        "/v1/facilities",
    ]
    assert [limited.get(p, headers=bearer(key)).status_code for p in paths] == [200] * 5
    assert limited.get("/v1/reservations", headers=bearer(key)).status_code == 429


def test_made_up_tokens_are_limited_by_address(limited, two_keys):
    """Cycling made-up tokens from one address hits 429 too; a real key there is unaffected."""
    key, _ = two_keys
    statuses = [
        limited.get("/v1/facilities", headers=bearer(f"sk_live_made-up-{n:035d}")).status_code
        for n in range(6)
    ]
    assert statuses == [401] * 5 + [429]
    assert limited.get("/v1/facilities", headers=bearer(key)).status_code == 200


def test_refused_call_does_nothing(limited, two_keys, create_facility):
    """A booking sent after the quota is spent gets 429 and books nothing."""
    create_facility(code="f1")
    key, _ = two_keys
    body = {
        "facility_id": "f1",
        "date": school_day().isoformat(),
        "start_slot": 2,
        "end_slot": 2,
        "purpose": "Year 9 Biology",
    }
    for _ in range(5):  # refused calls count too
        response = limited.post(
            "/v1/reservations", json={**body, "start_slot": 0}, headers=bearer(key)
        )
        assert response.status_code == 400

    response = limited.post("/v1/reservations", json=body, headers=bearer(key))

    assert response.status_code == 429
    assert response.get_json()["error"]["code"] == "rate_limited"
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(Reservation)) == 0


# --- Several gunicorn workers, Redis storage ---------------------------------------------


@pytest.fixture
def redis_prefix():
    """Return a key prefix of this test's own in the test Redis; its keys are removed after.

    Redis must be reachable: the test fails (it does not skip) when it is not.
    """
    client = redis.Redis.from_url(REDIS_URL)
    client.ping()
    prefix = f"roomloop-test-{uuid.uuid4().hex}"
    yield prefix
    for name in client.scan_iter(match=f"*{prefix}*"):
        client.delete(name)
    client.close()


def call(url, key):
    return requests.get(url + "/v1/facilities", headers=bearer(key), timeout=30)


def occupy_a_worker(url):
    """Send half a request: the sync worker that accepts it waits for the rest.

    With two single-threaded workers, holding one this way forces the next calls onto
    the other, so a test decides which worker serves which call.
    """
    parts = urlsplit(url)
    sock = socket.create_connection((parts.hostname, parts.port), timeout=30)
    sock.sendall(b"GET /v1/facilities HTTP/1.1\r\nHost: roomloop.test\r\n")
    time.sleep(0.5)  # an idle worker accepts it at once; this leaves it ample time
    return sock


def six_calls_across_two_workers(url, key):
    """Make three calls on one worker and three on the other; return the six statuses."""
    first = occupy_a_worker(url)  # worker A waits on it
    statuses = [call(url, key).status_code for _ in range(3)]  # served by worker B
    second = occupy_a_worker(url)  # worker B waits on it
    first.close()  # worker A is free again
    statuses += [call(url, key).status_code for _ in range(3)]  # served by worker A
    second.close()
    return statuses


@pytest.mark.server
def test_quota_is_shared_by_gunicorn_workers_through_redis(start_server, redis_prefix, two_keys):
    """Two workers sharing Redis: the sixth call is 429 though its worker saw only three."""
    key, other = two_keys
    url = start_server(
        workers=2,
        threads=1,
        RATE_LIMIT=LIMIT,
        RATELIMIT_STORAGE_URI=REDIS_URL,
        RATELIMIT_KEY_PREFIX=redis_prefix,
    )

    statuses = six_calls_across_two_workers(url, key)

    assert statuses == [200] * 5 + [429]
    refused = call(url, key)
    assert refused.status_code == 429
    assert refused.json()["error"]["code"] == "rate_limited"
    assert int(refused.headers["Retry-After"]) >= 1
    response = call(url, other)
    assert response.status_code == 200
    assert response.headers["RateLimit-Remaining"] == "4"


@pytest.mark.server
def test_memory_storage_counts_per_worker(start_server, two_keys):
    """The control for the Redis test: without shared storage each worker counts alone."""
    key, _ = two_keys
    url = start_server(workers=2, threads=1, RATE_LIMIT=LIMIT, RATELIMIT_STORAGE_URI="memory://")

    statuses = six_calls_across_two_workers(url, key)

    # Worker A has seen three calls only, so it lets the sixth through: the calls above
    # really were split across both workers.
    assert statuses == [200] * 6


@pytest.mark.server
def test_redis_never_sees_the_raw_token(start_server, redis_prefix, two_keys):
    """Redis holds the limit counters under a SHA-256 digest of the token, never the token."""
    key, other = two_keys
    url = start_server(
        workers=2,
        threads=1,
        RATE_LIMIT=LIMIT,
        RATELIMIT_STORAGE_URI=REDIS_URL,
        RATELIMIT_KEY_PREFIX=redis_prefix,
    )
    for token in (key, key, other):
        assert call(url, token).status_code == 200

    client = redis.Redis.from_url(REDIS_URL, decode_responses=True)
    names = list(client.scan_iter(match=f"*{redis_prefix}*"))
    assert names, "the limiter stored nothing in Redis"
    for token in (key, other):
        assert not any(token in name for name in names)
        assert not any(token[8:20] in name for name in names)  # not even part of it
        digest = hashlib.sha256(token.encode()).hexdigest()
        assert any(digest in name for name in names)
    for name in names:
        if client.type(name) == "string":
            assert all(token not in client.get(name) for token in (key, other))
    client.close()


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [("GET", "/v1/nope", 404), ("DELETE", "/v1/facilities", 405), ("GET", "/v1", 404)],
)
def test_calls_to_paths_that_do_not_exist_count_too(limited, two_keys, method, path, status):
    """Made-up tokens sent to a path or method that does not exist meet the limit by address
    like any other call (else they would be an unlimited way to try tokens); a real key's
    calls there count against its quota, with the headers that say so."""
    # An address of this test's own: counts by address outlive a test in Redis.
    address = {"REMOTE_ADDR": f"10.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}.7"}
    made_up = [
        limited.open(
            path, method=method, headers=bearer(f"sk_live_made-up-{n:035d}"), environ_base=address
        )
        for n in range(6)
    ]
    assert [r.status_code for r in made_up] == [401] * 5 + [429]
    assert made_up[-1].get_json()["error"]["code"] == "rate_limited"

    key, _ = two_keys
    answers = [limited.open(path, method=method, headers=bearer(key)) for _ in range(5)]
    assert [r.status_code for r in answers] == [status] * 5
    assert [r.headers["RateLimit-Remaining"] for r in answers] == ["4", "3", "2", "1", "0"]
    assert limited.get("/v1/facilities", headers=bearer(key)).status_code == 429
