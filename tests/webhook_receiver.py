"""A webhook receiver for tests: a real HTTP server on 127.0.0.1, in a thread of its own.

It records every request (path, headers, raw body) and what it answered, and can be told
what to answer: a queue of status codes (then 200), a delay before each answer, or to hold
one request open until released. Created without starting it, it is a receiver that is
down: its port is chosen but nothing listens there yet. Given an ``ssl.SSLContext``, it
speaks HTTPS.
"""

import socket
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from standardwebhooks.webhooks import Webhook

REDIRECT_TARGET = "/moved-here"


@dataclass
class Arrival:
    """One request as the receiver saw it; ``status`` is None until (unless) it is answered."""

    method: str
    path: str
    headers: dict
    body: bytes
    status: int | None = None
    at: float = field(default_factory=time.monotonic)

    @property
    def webhook_id(self):
        return self.headers.get("webhook-id")

    def verify(self, secret):
        """The payload, verified the way a receiver does with the Standard Webhooks library."""
        return Webhook(secret).verify(self.body, self.headers)


class Receiver:
    """A receiver at ``url``; ``start()`` brings it up, ``stop()`` takes it down."""

    def __init__(self, tls=None):
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}/hooks/roomloop"
        self.statuses = deque()
        self.delay = 0.0
        self.hold_at = None  # the number (1-based) of the request to hold open
        self.held = threading.Event()
        self.release = threading.Event()
        self.arrivals = []
        self.in_flight = 0
        self.max_in_flight = 0
        self.lock = threading.Lock()
        self.server = None
        self.tls = tls

    def answer(self, *statuses):
        """Answer the next requests with these status codes, in order (200 afterwards)."""
        self.statuses.extend(statuses)

    def start(self):
        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), _Handler)
        self.server.receiver = self
        if self.tls is not None:  # each connection's handshake happens as it is accepted
            self.server.socket = self.tls.wrap_socket(self.server.socket, server_side=True)
        threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True).start()
        return self

    def stop(self):
        self.release.set()
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None

    def answered(self):
        """The requests answered with a 2xx, in arrival order."""
        with self.lock:
            return [a for a in self.arrivals if a.status is not None and 200 <= a.status < 300]

    def wait_for(self, count, timeout=15):
        """Wait until ``count`` requests were answered with a 2xx; return them."""
        wait_until(lambda: len(self.answered()) >= count, timeout)
        return self.answered()

    def _arrive(self, handler):
        length = int(handler.headers.get("Content-Length") or 0)
        arrival = Arrival(
            handler.command,
            handler.path,
            {k.lower(): v for k, v in handler.headers.items()},
            handler.rfile.read(length),
        )
        with self.lock:
            self.arrivals.append(arrival)
            number = len(self.arrivals)
            status = self.statuses.popleft() if self.statuses else 200
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
        landed = False
        try:
            if number == self.hold_at:
                self.held.set()
                self.release.wait()
                return  # never answered: the connection just closes
            time.sleep(self.delay)
            handler.send_response(status)
            if 300 <= status < 400:
                handler.send_header("Location", f"http://127.0.0.1:{self.port}{REDIRECT_TARGET}")
            handler.send_header("Content-Length", "0")
            # Recorded before the answer leaves: the sender may act on it (and a test read
            # the arrivals), and post its next request, before this thread runs again.
            arrival.status = status
            landed = True
            self._land()
            handler.end_headers()
        except OSError:  # the sender gave up waiting and hung up: the request was not answered
            arrival.status = None
        finally:
            if not landed:
                self._land()

    def _land(self):
        """A request is no longer in flight."""
        with self.lock:
            self.in_flight -= 1


class _Handler(BaseHTTPRequestHandler):
    def do_POST(self):
        self.server.receiver._arrive(self)

    do_GET = do_PUT = do_POST

    def log_message(self, *args):
        pass


def wait_until(condition, timeout=15, interval=0.02):
    """Poll ``condition`` until it holds; fail the test if it does not within ``timeout``."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"still not true after {timeout} s")
        time.sleep(interval)


def register_webhook(client, headers, url, events=("reservation.*", "account.*")):
    """Register ``url`` through ``POST /v1/webhooks``; return the answer (with its secret)."""
    response = client.post(
        "/v1/webhooks", json={"url": url, "events": list(events)}, headers=headers
    )
    assert response.status_code == 201, response.get_data(as_text=True)
    return response.get_json()


def deliveries(client, headers, webhook):
    """The endpoint's deliveries as ``GET /v1/webhooks/:id/deliveries`` lists them, newest first."""
    path = f"/v1/webhooks/{webhook['id']}/deliveries?limit=500"
    response = client.get(path, headers=headers)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()["data"]
