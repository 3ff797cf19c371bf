"""Unicast sweep for routed networks that multicast does not reach.

For every address: a unicast WS-Discovery Probe to 3702, a TCP check of the usual camera ports, then an
unauthenticated GetSystemDateAndTime on /onvif/device_service of each open HTTP port. Bounded
concurrency, per-host timeouts, a total deadline and a rate cap on packets and connection attempts.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from discovery import httpclient, wsd
from discovery.models import ProbeMatch, Status
from discovery.safexml import HostileXML, looks_like_html, parse_untrusted
from discovery.wsd import WSD_PORT

DEFAULT_PORTS = (80, 8000, 8080, 8899, 554)
NON_HTTP_PORTS = frozenset({554})  # RTSP: evidence of a camera, but no ONVIF service there
ONVIF_PATH = "/onvif/device_service"
_GET_TIME = (
    b'<?xml version="1.0" encoding="UTF-8"?>'
    b'<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope">'
    b'<s:Body><GetSystemDateAndTime xmlns="http://www.onvif.org/ver10/device/wsdl"/></s:Body></s:Envelope>'
)
_SOAP_HEADERS = {
    "Content-Type": 'application/soap+xml; charset=utf-8; action="http://www.onvif.org/ver10/'
    'device/wsdl/GetSystemDateAndTime"'
}


@dataclass
class SweepOptions:
    """Knobs of one sweep."""

    ports: Sequence[int] = DEFAULT_PORTS
    host_timeout_s: float = 1.0
    http_timeout_s: float = 2.0
    total_deadline_s: float = 60.0
    concurrency: int = 128
    rate_pps: float = 2000.0
    unicast_probe: bool = True
    wsd_port: int = WSD_PORT


@dataclass
class SweepHit:
    """What the sweep learnt about one address that answered anything."""

    address: str
    open_ports: list[int] = field(default_factory=list)
    onvif_urls: list[str] = field(default_factory=list)
    probe_matches: list[ProbeMatch] = field(default_factory=list)
    status: Status | None = None  # why no ONVIF service answered, when none did
    error: str = ""


@dataclass
class SweepResult:
    """Every address that answered, plus counters."""

    hits: dict[str, SweepHit] = field(default_factory=dict)
    hosts: int = 0
    completed: int = 0
    timed_out: bool = False
    seconds: float = 0.0
    wsd_errors: dict[str, str] = field(default_factory=dict)


class RateLimiter:
    """At most `rate` events per second, shared by all tasks of one sweep."""

    def __init__(self, rate: float) -> None:
        self._interval = 1.0 / rate if rate > 0 else 0.0
        self._next = time.monotonic()
        self._lock = asyncio.Lock()

    async def wait(self) -> None:
        """Block until the next event may happen."""
        if not self._interval:
            return
        async with self._lock:
            now = time.monotonic()
            slot = max(self._next, now)  # the first event goes at once, each later one an interval on
            self._next = slot + self._interval
            delay = slot - now
        if delay > 0:
            await asyncio.sleep(delay)


async def _port_open(address: str, port: int, timeout: float, limiter: RateLimiter) -> bool:
    await limiter.wait()
    try:
        _, writer = await asyncio.wait_for(asyncio.open_connection(address, port), timeout)
    except (OSError, TimeoutError):
        return False
    writer.close()
    with contextlib.suppress(OSError, TimeoutError):
        await asyncio.wait_for(writer.wait_closed(), 0.5)
    return True


_HTTP_STATUS = {
    httpclient.Refused: Status.REFUSED,
    httpclient.Unreachable: Status.UNREACHABLE,
    httpclient.Timeout: Status.TIMEOUT,
    httpclient.TooLarge: Status.HOSTILE_REPLY,
    httpclient.Unending: Status.HOSTILE_REPLY,
    httpclient.BadHttp: Status.NOT_ONVIF,
}


def check_onvif(url: str, timeout_s: float) -> tuple[Status | None, str]:
    """Unauthenticated GetSystemDateAndTime: (None, '') when ONVIF answered, else (status, why).

    Some cameras want credentials even for the clock (https://github.com/lumeohq/onvif-rs/pull/65): an HTTP
    Digest challenge on the ONVIF path counts as an answer (ONVIF's HTTP authentication is Digest), and so
    does a SOAP fault; the body decides, not its Content-Type.
    """
    try:
        reply = httpclient.post(url, _GET_TIME, _SOAP_HEADERS, timeout_s=timeout_s, max_bytes=256 * 1024)
    except httpclient.HttpError as exc:
        return _HTTP_STATUS.get(type(exc), Status.NOT_ONVIF), str(exc)
    if reply.status == 401 and any(c.strip().lower().startswith("digest ") for c in reply.challenges):
        return None, ""
    if looks_like_html(reply.body):
        return Status.NOT_ONVIF, f"HTTP {reply.status}: a web page, not an ONVIF reply"
    try:
        root = parse_untrusted(reply.body, max_bytes=256 * 1024)
    except HostileXML as exc:
        return Status.HOSTILE_REPLY, f"hostile reply: {exc}"
    names = {el.tag.rsplit("}", 1)[-1] for el in root.iter() if isinstance(el.tag, str)}
    if "GetSystemDateAndTimeResponse" in names or "Fault" in names:
        return None, ""  # a SOAP fault still proves an ONVIF stack answers (it may require auth)
    return Status.NOT_ONVIF, f"HTTP {reply.status}: not an ONVIF reply"


async def _sweep_host(
    address: str,
    opts: SweepOptions,
    limiter: RateLimiter,
    sem: asyncio.Semaphore,
    pool: ThreadPoolExecutor,
    result: SweepResult,
    on_host: Callable[[str], None] | None,
) -> None:
    async with sem:
        checks = [_port_open(address, p, opts.host_timeout_s, limiter) for p in opts.ports]
        opened = [p for p, ok in zip(opts.ports, await asyncio.gather(*checks), strict=True) if ok]
        if opened:
            hit = result.hits.setdefault(address, SweepHit(address))
            hit.open_ports = sorted(set(hit.open_ports) | set(opened))
            errors = []
            loop = asyncio.get_running_loop()
            for port in (p for p in opened if p not in NON_HTTP_PORTS):
                url = f"http://{address}{'' if port == 80 else f':{port}'}{ONVIF_PATH}"
                status, err = await loop.run_in_executor(pool, check_onvif, url, opts.http_timeout_s)
                if status is None:
                    hit.onvif_urls.append(url)
                else:
                    hit.status = hit.status or status
                    errors.append(f"port {port}: {err}")
            if hit.onvif_urls:
                hit.status = None
            else:
                hit.status = hit.status or Status.NOT_ONVIF
                hit.error = "; ".join(errors) or f"ports {opened} open, none answers ONVIF"
    result.completed += 1
    if on_host:
        on_host(address)


async def sweep(
    hosts: Sequence[str],
    *,
    options: SweepOptions | None = None,
    in_scope: Callable[[str], bool] = lambda _h: True,
    on_host: Callable[[str], None] | None = None,
) -> SweepResult:
    """Sweep `hosts` (already vetted against the allow-list by the caller)."""
    opts = options or SweepOptions()
    start = time.monotonic()
    result = SweepResult(hosts=len(hosts))
    hosts = [h for h in hosts if in_scope(h)]
    limiter = RateLimiter(opts.rate_pps)
    sem = asyncio.Semaphore(opts.concurrency)
    # A private pool: asyncio's default one has only cores+4 threads, and a slow device holds one.
    pool = ThreadPoolExecutor(max_workers=32, thread_name_prefix="sweep-http")
    tasks: list[asyncio.Future[Any]] = [
        asyncio.ensure_future(_sweep_host(h, opts, limiter, sem, pool, result, on_host)) for h in hosts
    ]
    if opts.unicast_probe and hosts:
        # Unicast probes share the rate cap's budget: half of it, the TCP checks use the rest.
        probe_task = asyncio.ensure_future(
            wsd.probe([(h, opts.wsd_port) for h in hosts], in_scope=in_scope, rate_pps=opts.rate_pps / 2, repeats=2)
        )
        tasks.append(probe_task)
    else:
        probe_task = None
    if not tasks:
        return result
    try:
        done, pending = await asyncio.wait(tasks, timeout=opts.total_deadline_s)
        for task in pending:
            task.cancel()
        if pending:
            result.timed_out = True
            await asyncio.gather(*pending, return_exceptions=True)
    finally:
        pool.shutdown(wait=False, cancel_futures=True)
    if probe_task is not None and probe_task in done and not probe_task.cancelled():
        probes = probe_task.result()
        result.wsd_errors = probes.errors
        for m in probes.matches:
            result.hits.setdefault(m.sender, SweepHit(m.sender)).probe_matches.append(m)
    result.seconds = time.monotonic() - start
    return result
