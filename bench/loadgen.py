"""An open-loop HTTP/1.1 load generator on asyncio streams (keep-alive GETs to one loopback server).

Open loop: request i is due at start + i / rate whatever happened to the earlier ones, and its latency
is counted from when it was due, so a stalled server cannot hide its queue (no coordinated omission).
Raw streams instead of an HTTP library keep the client's own cost near 0.1 ms per request, which matters
when client and server share two cores.
"""

from __future__ import annotations

import asyncio
import gc
import math
from collections.abc import Sequence
from dataclasses import dataclass, field

TIMEOUT = 10.0
MAX_CONNECTIONS = 256
IDLE_LIMIT = 4.0  # seconds; uvicorn closes a keep-alive connection idle for 5


@dataclass(frozen=True)
class Request:
    """One GET: a label for the report, the target path with query, and the bearer token."""

    kind: str
    target: str
    token: str
    who: str = ""


@dataclass
class Outcome:
    """What happened to one request: status (0: no answer in time, -1: connection failed), latency from due."""

    kind: str
    who: str
    status: int
    latency_ms: float
    due_s: float = 0.0  # when it was due, seconds from the start of the run


@dataclass
class Run:
    """All outcomes of a run and how long sending took."""

    outcomes: list[Outcome] = field(default_factory=list)
    seconds: float = 0.0


class _Pool:
    """Keep-alive connections to one host, opened on demand up to a cap."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.idle: list[tuple[asyncio.StreamReader, asyncio.StreamWriter, float]] = []
        self.slots = asyncio.Semaphore(MAX_CONNECTIONS)

    def _take_idle(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter] | None:
        """The most recently used idle connection, dropping any the server may be closing (keep-alive 5 s)."""
        now = asyncio.get_running_loop().time()
        while self.idle:
            reader, writer, used = self.idle.pop()
            if now - used < IDLE_LIMIT:
                return reader, writer
            writer.close()
        return None

    async def get(self, request: Request) -> int:
        async with self.slots:
            conn = self._take_idle()
            for attempt in (0, 1):
                fresh = conn is None
                if conn is None:
                    conn = await asyncio.open_connection(self.host, self.port)
                try:
                    status = await self._exchange(conn, request)
                except (ConnectionError, asyncio.IncompleteReadError):
                    conn[1].close()
                    conn = None
                    # A kept-alive connection can close under us: retry once, on a new connection.
                    if not fresh and attempt == 0:
                        continue
                    raise
                self.idle.append((*conn, asyncio.get_running_loop().time()))
                return status
        raise ConnectionError("unreachable")

    async def _exchange(self, conn: tuple[asyncio.StreamReader, asyncio.StreamWriter], request: Request) -> int:
        reader, writer = conn
        writer.write(f"GET {request.target} HTTP/1.1\r\nHost: {self.host}\r\n"
                     f"Authorization: Bearer {request.token}\r\n\r\n".encode())
        await writer.drain()
        status_line = await reader.readline()
        if not status_line:
            raise ConnectionError("connection closed")
        status = int(status_line.split()[1])
        length = 0
        while (line := await reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        await reader.readexactly(length)
        return status

    def close(self) -> None:
        for _reader, writer, _used in self.idle:
            writer.close()


async def _one(pool: _Pool, request: Request, due: float, start: float, run: Run) -> None:
    loop = asyncio.get_running_loop()
    try:
        status = await asyncio.wait_for(pool.get(request), TIMEOUT)
    except TimeoutError:
        status = 0
    except (OSError, asyncio.IncompleteReadError, ValueError, IndexError):
        status = -1
    run.outcomes.append(Outcome(request.kind, request.who, status, (loop.time() - due) * 1000, due - start))


async def _drive(host: str, port: int, requests: Sequence[Request], rate: float) -> Run:
    loop = asyncio.get_running_loop()
    pool, run, tasks = _Pool(host, port), Run(), []
    start = loop.time() + 0.05
    for i, request in enumerate(requests):
        due = start + i / rate
        delay = due - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(_one(pool, request, due, start, run)))
    run.seconds = loop.time() - start
    await asyncio.gather(*tasks)
    pool.close()
    return run


def open_loop(host: str, port: int, requests: Sequence[Request], rate: float) -> Run:
    """Send `requests` at a fixed `rate` per second; returns every outcome."""
    # The client's own garbage collection would stall sending and show as server latency: a run holds
    # every task and outcome (a few MB), so the collector is simply off while it runs.
    gc.collect()
    gc.disable()
    try:
        return asyncio.run(_drive(host, port, requests, rate))
    finally:
        gc.enable()


def percentile(values: Sequence[float], p: float) -> float:
    """The p-th percentile (nearest rank) of values; NaN when empty."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, math.ceil(p / 100 * len(ordered)) - 1))
    return ordered[rank]
