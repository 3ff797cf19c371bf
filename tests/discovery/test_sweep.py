"""The sweep on loopback: ports, ONVIF check, statuses, total deadline, rate limiter."""

from __future__ import annotations

import asyncio
import socket
import time

from discovery.models import Status
from discovery.sweep import RateLimiter, SweepOptions, check_onvif, sweep
from tests.discovery.fakes import CameraSpec, fake_camera


def test_sweep_finds_onvif_and_names_what_else_answers() -> None:
    with fake_camera(CameraSpec(), host="127.0.0.41") as (_, port), \
            fake_camera(CameraSpec(mode="html"), host="127.0.0.42") as (_, port2):
        opts = SweepOptions(ports=[port, port2], unicast_probe=False, host_timeout_s=0.5)
        res = asyncio.run(sweep(["127.0.0.41", "127.0.0.42", "127.0.0.43"], options=opts))
    assert res.hits["127.0.0.41"].onvif_urls == [f"http://127.0.0.41:{port}/onvif/device_service"]
    assert res.hits["127.0.0.41"].status is None
    assert res.hits["127.0.0.42"].status is Status.NOT_ONVIF and "web page" in res.hits["127.0.0.42"].error
    assert "127.0.0.43" not in res.hits and res.completed == 3 and not res.timed_out


def test_a_camera_that_wants_credentials_even_for_its_clock_is_onvif() -> None:
    for failure in ("fault", "http401"):
        spec = CameraSpec(username="admin", password="x", mode="clock_auth", auth_failure=failure)
        with fake_camera(spec) as (_, port):
            assert check_onvif(f"http://127.0.0.1:{port}/onvif/device_service", 1.0) == (None, ""), failure


def test_hostile_http_is_a_status_not_a_crash() -> None:
    for mode, status in (("bomb", Status.HOSTILE_REPLY), ("endless", Status.HOSTILE_REPLY)):
        with fake_camera(CameraSpec(mode=mode)) as (_, port):
            assert check_onvif(f"http://127.0.0.1:{port}/onvif/device_service", 1.0)[0] is status


def test_total_deadline_stops_the_sweep() -> None:
    with fake_camera(CameraSpec(mode="slow"), host="127.0.0.44") as (_, port):
        opts = SweepOptions(ports=[port], unicast_probe=False, http_timeout_s=5, total_deadline_s=0.5)
        res = asyncio.run(sweep(["127.0.0.44"], options=opts))
    assert res.timed_out and res.completed == 0


def test_out_of_scope_hosts_are_never_contacted() -> None:
    with socket.socket() as server:
        server.bind(("127.0.0.45", 0))
        server.listen()
        port = server.getsockname()[1]
        opts = SweepOptions(ports=[port], unicast_probe=False)
        res = asyncio.run(sweep(["127.0.0.45"], options=opts, in_scope=lambda h: False))
        server.settimeout(0.2)
        try:
            server.accept()
            contacted = True
        except TimeoutError:
            contacted = False
    assert not contacted and res.hits == {}


def test_rate_limiter_schedules_one_slot_per_interval() -> None:
    async def burst() -> tuple[float, float]:
        limiter = RateLimiter(100)
        t = time.monotonic()
        for _ in range(11):
            await limiter.wait()
        return t, limiter._next

    start, last_slot = asyncio.run(burst())
    assert last_slot - start >= 11 * 0.01 - 1e-3  # 11 events took 11 slots of 10 ms
