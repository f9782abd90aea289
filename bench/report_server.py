"""RoomLoop under gunicorn for ``bench.reports`` (and ``bench.booking``): start and stop it,
give it an API key, download from it over real HTTP while sampling its worker's memory.
"""

import contextlib
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import requests

REPO_ROOT = Path(__file__).resolve().parent.parent
ADMIN_EMAIL = "reports-bench@admin.example"
CHUNK = 1 << 16


def flask_command(database_url, *args):
    """Run ``flask --app roomloop ARGS`` on the database; return its standard output."""
    done = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "roomloop", *args],
        cwd=REPO_ROOT,
        env={**os.environ, "ROOMLOOP_DATABASE_URL": database_url},
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode:
        raise RuntimeError(f"flask {' '.join(args)} failed:\n{done.stderr}")
    return done.stdout


def create_reports_key(database_url):
    """An admin and a ``reports:read`` API key for it, made with the CLI as an operator would."""
    flask_command(database_url, "create-admin", ADMIN_EMAIL, "--name", "Reports Bench")
    out = flask_command(
        database_url, "create-api-key", ADMIN_EMAIL, "--scope", "reports:read", "--label", "bench"
    )
    return out.strip().splitlines()[-1]


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    """One gunicorn master with one worker of a few threads, as a small school would run it.

    ``workers``, ``app`` (another WSGI app) and ``env`` (more environment variables) change
    that; with ``config`` (a gunicorn config file such as ``gunicorn.conf.py``) the sizes
    and the address go through the environment variables that file reads, as in production.
    """

    def __init__(
        self,
        database_url,
        threads=4,
        rate_limit="100000/minute",
        *,
        workers=1,
        app="wsgi:app",
        env=None,
        config=None,
    ):
        self.database_url, self.threads, self.rate_limit = database_url, threads, rate_limit
        self.workers, self.app, self.extra_env, self.config = workers, app, env or {}, config
        self.process = self.url = None
        # The server's own output (request logs) would break up the figures; it is shown
        # only when the server does not start.
        self.output = tempfile.TemporaryFile()  # noqa: SIM115 - closed in __exit__

    def __enter__(self):
        # Another program may take the free port between our look and gunicorn's bind.
        for _attempt in range(3):
            if self._start(free_port()):
                return self
        self.output.seek(0)
        message = self.output.read().decode(errors="replace")[-4000:]
        self.output.close()
        raise RuntimeError(f"gunicorn did not start:\n{message}")

    def _start(self, port):
        env = {
            **os.environ,
            "ROOMLOOP_DATABASE_URL": self.database_url,
            "ROOMLOOP_SECRET_KEY": "reports-bench",
            "ROOMLOOP_TIMEZONE": "UTC",
            "ROOMLOOP_RATE_LIMIT": self.rate_limit,
            **self.extra_env,
        }
        if self.config:
            env.update(
                ROOMLOOP_BIND=f"127.0.0.1:{port}",
                WEB_CONCURRENCY=str(self.workers),
                ROOMLOOP_THREADS=str(self.threads),
                ROOMLOOP_GUNICORN_LOG_LEVEL="warning",
            )
            command = [sys.executable, "-m", "gunicorn", "-c", str(self.config), self.app]
        else:
            command = [
                sys.executable, "-m", "gunicorn", "--workers", str(self.workers),
                "--threads", str(self.threads), "--timeout", "0", "--graceful-timeout", "5",
                "--bind", f"127.0.0.1:{port}", "--log-level", "warning", self.app,
            ]  # fmt: skip
        self.process = subprocess.Popen(
            command,
            cwd=REPO_ROOT,
            env=env,
            stdout=self.output,
            stderr=subprocess.STDOUT,
        )  # fmt: skip
        self.url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and self.process.poll() is None:
            try:
                requests.get(self.url + "/", timeout=5)
            except requests.RequestException:  # not listening yet, or the worker booting
                time.sleep(0.1)
                continue
            # The master spawns its workers only once it holds the port: the answer was ours.
            if self.process.poll() is None and len(self._workers()) >= self.workers:
                return True
            time.sleep(0.1)
        self._stop()
        return False

    def __exit__(self, *_exc):
        self._stop()
        self.output.close()

    def _stop(self):
        workers = self._workers()
        if self.process.poll() is None:
            self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        for worker in workers:
            # A worker still busy with a request the client gave up on would go on using
            # the CPU and skew the next measurement.
            with contextlib.suppress(OSError):
                if b"gunicorn" in Path(f"/proc/{worker}/cmdline").read_bytes():
                    os.kill(worker, signal.SIGKILL)

    @property
    def worker_pid(self):
        """The worker's pid: the master's only child."""
        pid = self._worker()
        if pid is None:
            raise RuntimeError("no gunicorn worker found")
        return pid

    @property
    def worker_pids(self):
        """Every worker's pid: the master's children."""
        return self._workers()

    def _worker(self):
        workers = self._workers()
        return workers[0] if workers else None

    def _workers(self):
        master, found = self.process.pid, []
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    stat = (entry / "stat").read_text()
                except OSError:
                    continue
                # ``pid (comm) state ppid ...``; comm may hold spaces, so split after it.
                if int(stat.rsplit(")", 1)[1].split()[1]) == master:
                    found.append(int(entry.name))
        return sorted(found)


def memory_mb(pid, field="VmRSS"):
    """A ``/proc/<pid>/status`` memory figure (VmRSS: now, VmHWM: peak so far), in MB."""
    status = Path(f"/proc/{pid}/status").read_text()
    return int(re.search(rf"^{field}:\s+(\d+) kB", status, re.M).group(1)) * 1024 / 1e6


class PeakMemory(threading.Thread):
    """Sample a process's resident size every ``interval`` seconds; keep the highest."""

    def __init__(self, pid, interval=0.05):
        super().__init__(daemon=True)
        self.pid, self.interval = pid, interval
        self.peak = memory_mb(pid)
        self.stopped = threading.Event()

    def run(self):
        while not self.stopped.wait(self.interval):
            try:
                self.peak = max(self.peak, memory_mb(self.pid))
            except (OSError, AttributeError):  # the worker has gone
                return

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *_exc):
        self.stopped.set()
        self.join()
        self.peak = max(self.peak, memory_mb(self.pid))


@dataclass
class Download:
    seconds: float
    first_byte: float  # seconds until the first byte of the body
    size: int  # bytes
    lines: int


def download(session, url, params, read_timeout):
    """GET ``url`` streamed, reading the body a chunk at a time and dropping it."""
    started = time.perf_counter()
    first_byte, size, lines = None, 0, 0
    with session.get(url, params=params, stream=True, timeout=(10, read_timeout)) as response:
        if response.status_code != 200:
            raise RuntimeError(f"{url} answered {response.status_code}: {response.text[:500]}")
        for chunk in response.iter_content(CHUNK):
            if first_byte is None:
                first_byte = time.perf_counter() - started
            size += len(chunk)
            lines += chunk.count(b"\n")
    return Download(time.perf_counter() - started, first_byte or 0.0, size, lines)


def timed_calls(session, url, params, count):
    """Milliseconds of ``count`` GETs of ``url``, after one untimed call."""
    timings = []
    for n in range(count + 1):
        started = time.perf_counter()
        response = session.get(url, params=params, timeout=600)
        elapsed = (time.perf_counter() - started) * 1000
        if response.status_code != 200:
            raise RuntimeError(f"{url} answered {response.status_code}: {response.text[:500]}")
        if n:
            timings.append(elapsed)
    return timings


def percentiles(timings):
    ordered = sorted(timings)
    return statistics.median(ordered), ordered[max(0, round(len(ordered) * 0.95) - 1)]
