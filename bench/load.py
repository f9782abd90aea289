"""An HTTP load generator (asyncio and aiohttp, in the process that runs the benchmark, not
the server's), in two ways:

- ``run_load``: N concurrent clients over keep-alive connections; each takes the next call
  as soon as its previous one is answered, so the server always has N requests in hand
  (a closed loop: throughput, and latency at saturation);
- ``run_paced``: calls sent at a fixed rate whatever the answers (an open loop: latency at
  a given load).

Every call's latency is measured on the client, network and queueing included.
"""

import asyncio
import time
from collections import Counter
from dataclasses import dataclass, field

import aiohttp

UNEXPECTED_KEPT = 5  # unexpected answers kept, with the start of their bodies


@dataclass
class Call:
    method: str
    path: str
    json: dict | None = None
    headers: dict = field(default_factory=dict)
    expect: int = 200  # the status the plan predicts
    accept: tuple = ()  # other statuses that are right too (either side of a race)


@dataclass
class Result:
    calls: int
    seconds: float
    latencies_ms: list
    statuses: Counter
    expected: Counter  # statuses the plan predicted, to compare with ``statuses``
    unexpected: int = 0  # answers with another status than predicted
    client_errors: int = 0  # no answer: refused, reset or timed out
    samples: list = field(default_factory=list)

    @property
    def rps(self):
        return self.calls / self.seconds if self.seconds else 0.0

    @property
    def server_errors(self):
        return sum(n for status, n in self.statuses.items() if status >= 500)

    @classmethod
    def combined(cls, results):
        """One ``Result`` of several runs: their calls, time and answers together."""
        return cls(
            calls=sum(r.calls for r in results),
            seconds=sum(r.seconds for r in results),
            latencies_ms=[ms for r in results for ms in r.latencies_ms],
            statuses=sum((r.statuses for r in results), Counter()),
            expected=sum((r.expected for r in results), Counter()),
            unexpected=sum(r.unexpected for r in results),
            client_errors=sum(r.client_errors for r in results),
            samples=[s for r in results for s in r.samples][:UNEXPECTED_KEPT],
        )

    def percentile(self, q):
        """The ``q``-th percentile (0-100) of the latencies, by the nearest-rank method."""
        if not self.latencies_ms:
            return float("nan")
        ordered = sorted(self.latencies_ms)
        rank = max(1, -(-len(ordered) * q // 100))  # ceil
        return ordered[int(rank) - 1]


def run_load(base_url, calls, concurrency, timeout=120):
    """Send ``calls`` to ``base_url`` from ``concurrency`` clients; return the ``Result``."""
    return asyncio.run(_run(base_url, calls, concurrency, timeout))


async def _run(base_url, calls, concurrency, timeout):
    pending = iter(calls)
    result = Result(len(calls), 0.0, [], Counter(), Counter(c.expect for c in calls))
    connector = aiohttp.TCPConnector(limit=concurrency)
    client_timeout = aiohttp.ClientTimeout(total=timeout)
    async with aiohttp.ClientSession(base_url, connector=connector, timeout=client_timeout) as s:
        started = time.perf_counter()
        await asyncio.gather(*(_client(s, pending, result) for _ in range(concurrency)))
        result.seconds = time.perf_counter() - started
    return result


async def _client(session, pending, result):
    for call in pending:  # one shared iterator: each call is sent once, by whichever is free
        await _send(session, call, result, time.perf_counter())


def run_paced(base_url, calls, rate, timeout=120):
    """Send ``calls`` at ``rate`` per second, each at its own time whether or not earlier
    ones have been answered (an open loop: users do not wait for each other), and measure
    each from the time it was due, so that a slow answer cannot hide the queue it builds."""
    return asyncio.run(_run_paced(base_url, calls, rate, timeout))


async def _run_paced(base_url, calls, rate, timeout):
    result = Result(len(calls), 0.0, [], Counter(), Counter(c.expect for c in calls))
    client_timeout = aiohttp.ClientTimeout(total=timeout)
    connector = aiohttp.TCPConnector(limit=0)  # as many connections as calls in flight
    async with aiohttp.ClientSession(base_url, connector=connector, timeout=client_timeout) as s:
        started = time.perf_counter()

        async def send_when_due(n, call):
            due = started + n / rate
            await asyncio.sleep(max(0.0, due - time.perf_counter()))
            await _send(s, call, result, due)

        await asyncio.gather(*(send_when_due(n, call) for n, call in enumerate(calls)))
        result.seconds = time.perf_counter() - started
    return result


async def _send(session, call, result, started):
    try:
        async with session.request(
            call.method, call.path, json=call.json, headers=call.headers
        ) as response:
            body = await response.read()
            status = response.status
    except (aiohttp.ClientError, TimeoutError):
        result.client_errors += 1
        return
    result.latencies_ms.append((time.perf_counter() - started) * 1000)
    result.statuses[status] += 1
    if status != call.expect and status not in call.accept:
        result.unexpected += 1
        if len(result.samples) < UNEXPECTED_KEPT:
            text = body[:300].decode(errors="replace")
            result.samples.append(f"{call.method} {call.path} -> {status}: {text}")
