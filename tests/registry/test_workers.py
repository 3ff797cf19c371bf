"""`camreg serve --workers 4` on PostgreSQL: concurrent filing work survives a worker killed with SIGKILL.

Clients in threads accept filings, issue correction notices, add cameras and file (codes issued) for the
same two filing units through four uvicorn workers; one worker is SIGKILLed mid-run. Afterwards the
database must show unique, gap-free numbers and serials, every 2xx stored, and nothing half-stored by a
refused or unanswered request. Loopback only; about 200 requests; bounded by RUN_TIMEOUT.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlmodel import Session

from registry.actor import Actor
from registry.auth import service as auth_service
from registry.auth.models import Role, UserCreate
from registry.bootstrap import prepare
from registry.filings import service as filings_service
from registry.filings.models import FilingCreate, MaterialKind
from registry.operators import service as operators_service
from registry.settings import Settings
from tests.registry.conftest import DONGCHENG_POINT, HAIDIAN_POINT, PG_ADMIN_URL, _pg_admin, operator_data
from tests.registry.invariants import registry_problems

WORKERS = 4
FILINGS_PER_UNIT = 18
CLIENT_THREADS = 8
KILL_AFTER = 60  # answered requests before one worker is killed
RUN_TIMEOUT = 90.0
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
UNITS = {"101": DONGCHENG_POINT, "108": HAIDIAN_POINT}


@dataclass
class Call:
    """One HTTP request and what became of it (status None: no answer after the retries)."""

    method: str
    path: str
    who: str
    status: int | None = None
    body: Any = None
    unanswered: int = 0
    found_stored: bool = False  # unanswered, but the client found its work stored before sending it again


@dataclass
class Cast:
    """Tokens of the people acting in one filing unit, and its submitted filings."""

    point: tuple[float, float]
    tokens: dict[str, str] = field(default_factory=dict)
    filings: list[int] = field(default_factory=list)
    verifiers: list[str] = field(default_factory=list)
    maps: list[int] = field(default_factory=list)  # each filing's deployment map, the cameras placed on it


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _children(pid: int) -> list[int]:
    try:
        return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except FileNotFoundError:
        return []


def _workers(master: int) -> list[int]:
    """uvicorn's worker processes: spawned children of the master (not multiprocessing's resource tracker)."""
    found = []
    for child in _children(master):
        try:
            cmdline = Path(f"/proc/{child}/cmdline").read_bytes().replace(b"\0", b" ")
        except FileNotFoundError:
            continue
        if b"spawn_main" in cmdline:
            found.append(child)
    return found


def _arrange(engine: Engine, settings: Settings) -> dict[str, Cast]:
    """Officers, operators and submitted filings with their materials, made through the services."""
    casts: dict[str, Cast] = {}
    with Session(engine, expire_on_commit=False) as session:
        admin = auth_service.create(session, data=UserCreate(username="admin1", full_name="admin", role=Role.admin,
                                                             unit_code="001", password="correct horse battery"))
        clerk = Actor(admin, "127.0.0.1")
        serial = iter(range(1, 1000))
        for unit, (lon, lat) in UNITS.items():
            cast = casts[unit] = Cast((lon, lat))
            for role, name in ((Role.intake, "intake"), (Role.intake, "intake2"), (Role.reviewer, "reviewer")):
                user = auth_service.create(session, data=UserCreate(
                    username=f"{name}-{unit}", full_name=name, role=role, unit_code=unit,
                    password="correct horse battery"))
                cast.tokens[name], _ = auth_service.issue_token(session, user=user, ttl_hours=2)
            for i in range(FILINGS_PER_UNIT):
                operator = operators_service.create(session, actor=clerk, data=operator_data(
                    next(serial), lon=lon + (i % 7) * 3e-4, lat=lat + (i // 7) * 3e-4))
                assert operator.filing_unit_code == unit, operator.routing_explanation
                owner = auth_service.create(session, data=UserCreate(
                    username=f"op-{operator.id}", full_name="operator", role=Role.operator,
                    operator_id=operator.id, password="correct horse battery"))
                cast.tokens[f"op{i}"], _ = auth_service.issue_token(session, user=owner, ttl_hours=2)
                # The station of the operator's area records the 核对 (issue 13): one account per station.
                station = f"station-{operator.verifying_unit_code}"
                if station not in cast.tokens:
                    inspector = auth_service.create(session, data=UserCreate(
                        username=f"{station}-{unit}", full_name="inspector", role=Role.inspector,
                        unit_code=operator.verifying_unit_code, password="correct horse battery"))
                    cast.tokens[station], _ = auth_service.issue_token(session, user=inspector, ttl_hours=2)
                cast.verifiers.append(station)
                actor = Actor(owner, "127.0.0.1")
                filing = filings_service.submit(session, actor=actor, settings=settings, data=FilingCreate(
                    operator_id=operator.id or 0, system_name="监控系统", system_location="北京市测试路1号",
                    system_in_use_date=date.today() - timedelta(days=5),
                    acceptance_date=date.today() - timedelta(days=6), retention_days=30,
                    camera_count_declared=3, camera_types_declared="枪机×3"))
                assert filing.id is not None
                for kind in (MaterialKind.form, MaterialKind.location_diagram, MaterialKind.deployment_map):
                    material = filings_service.upload_material(session, actor=actor, filing_id=filing.id,
                                                               kind=kind, filename="plan.png", data=PNG,
                                                               settings=settings)
                cast.filings.append(filing.id)
                cast.maps.append(material.id or 0)
        session.commit()
    return casts


class Driver:
    """Clients that retry on connection errors (a killed worker) and record every answer."""

    def __init__(self, base: str, deadline: float) -> None:
        self.base, self.deadline = base, deadline
        self.calls: list[Call] = []
        self.lock = threading.Lock()
        self.answered = 0
        self.halfway = threading.Event()
        self.local = threading.local()

    def client(self) -> httpx.Client:
        if not hasattr(self.local, "client"):
            self.local.client = httpx.Client(base_url=self.base, timeout=20.0)
        client: httpx.Client = self.local.client
        return client

    def call(self, token: str, who: str, method: str, path: str, *,
             stored: Callable[[str], Any] | None = None, **kwargs: Any) -> Call:
        """Send until answered; `stored` (for a request that is not safe to repeat) looks for its work first."""
        record = Call(method, path, who)
        with self.lock:
            self.calls.append(record)
        for _attempt in range(6):
            if time.monotonic() > self.deadline:
                break
            try:
                response = self.client().request(method, f"/api/v1{path}",
                                                 headers={"Authorization": f"Bearer {token}"}, **kwargs)
            except httpx.TransportError:
                # The worker died with the request: it may or may not have committed. A state change is safe to
                # ask again (the state machine refuses a repeat); adding rows is not, so a careful client first
                # looks whether they were stored (a blind resend would list the cameras twice).
                record.unanswered += 1
                time.sleep(0.3)
                found = stored(token) if stored is not None else None
                if found:
                    record.status, record.body, record.found_stored = 201, found, True
                    break
                continue
            record.status, record.body = response.status_code, response.json()
            with self.lock:
                self.answered += 1
                if self.answered >= KILL_AFTER:
                    self.halfway.set()
            break
        return record

    def listed_cameras(self, token: str, fid: int) -> list[dict[str, Any]] | None:
        """The filing's camera list as stored, or None when it cannot be read now."""
        try:
            response = self.client().get("/api/v1/cameras", params={"filing_id": fid},
                                         headers={"Authorization": f"Bearer {token}"})
        except httpx.TransportError:
            return None
        items: list[dict[str, Any]] = response.json()["items"] if response.status_code == 200 else []
        return items or None

    def script(self, cast: Cast, index: int) -> None:
        """One filing's life: cameras, accept (raced by a second officer), maybe correction, review twice."""
        fid, op = cast.filings[index], f"op{index}"
        cameras = [{"name": f"cam{k}", "position_text": "大门", "lon": cast.point[0] + k * 1e-4,
                    "lat": cast.point[1], "device_type": "ipc", "serial": f"SN{fid}-{k}",
                    "map_material_id": cast.maps[index], "map_page": 1, "map_x": 10 + k, "map_y": 10} for k in range(3)]
        self.call(cast.tokens[op], op, "POST", f"/filings/{fid}/cameras", json=cameras,
                  stored=lambda token: self.listed_cameras(token, fid))
        with ThreadPoolExecutor(2) as race:
            list(race.map(lambda who: self.call(cast.tokens[who], who, "POST", f"/filings/{fid}/accept"),
                          ("intake", "intake2")))
        if index % 3 == 0:
            self.call(cast.tokens["intake"], "intake", "POST", f"/filings/{fid}/correction-notice",
                      json={"items": [{"item": "deployment_map", "message": "缺少摄像机位置"}]})
            self.call(cast.tokens[op], op, "POST", f"/filings/{fid}/corrected")
        station = cast.verifiers[index]
        self.call(cast.tokens[station], station, "POST", f"/filings/{fid}/verifications",
                  json={"result": "matches", "notes": "现场一致"})
        # The officer who accepted cannot re-check (two-person rule): one of these is refused.
        self.call(cast.tokens["intake"], "intake", "POST", f"/filings/{fid}/review")
        self.call(cast.tokens["reviewer"], "reviewer", "POST", f"/filings/{fid}/review")


@pytest.fixture
def pg_settings(tmp_path: Path) -> Iterator[Settings]:
    """A scratch PostgreSQL database (the workers test needs a real multi-process server)."""
    admin = _pg_admin()
    name = f"camreg_workers_{uuid.uuid4().hex[:8]}"
    admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield Settings(data_dir=tmp_path, database_url=PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}")
    finally:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


def _serve(settings: Settings, port: int, log: Path) -> subprocess.Popen[bytes]:
    camreg = Path(sys.executable).with_name("camreg")
    command = [str(camreg)] if camreg.exists() else [sys.executable, "-c", "from registry.cli import main; main()"]
    env = {**os.environ, "CAMREG_DATABASE_URL": str(settings.database_url), "CAMREG_DATA_DIR": str(settings.data_dir)}
    with log.open("wb") as out:
        # A session of its own: the cleanup can then reach every worker, not only the master.
        return subprocess.Popen([*command, "serve", "--workers", str(WORKERS), "--port", str(port)], env=env,
                                stdout=out, stderr=subprocess.STDOUT, start_new_session=True)


def _respawned(master: int, victim: int, deadline: float) -> list[int]:
    """The workers once the supervisor has replaced the victim (it checks every half second)."""
    workers = _workers(master)
    while (victim in workers or len(workers) < WORKERS) and time.monotonic() < deadline:
        time.sleep(0.2)
        workers = _workers(master)
    return workers


def _wait_ready(base: str, master: subprocess.Popen[bytes], deadline: float) -> None:
    while time.monotonic() < deadline:
        if master.poll() is not None:
            raise AssertionError(f"camreg serve exited with {master.returncode}")
        try:
            if httpx.get(f"{base}/api/v1/openapi.json", timeout=2).status_code == 200 \
                    and len(_workers(master.pid)) == WORKERS:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.3)
    raise AssertionError("camreg serve did not become ready")


@pytest.mark.slow
@pytest.mark.postgres
def test_four_workers_one_killed_numbers_and_codes_stay_whole(pg_settings: Settings) -> None:
    engine = prepare(pg_settings)
    casts = _arrange(engine, pg_settings)
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    log = pg_settings.data_dir / "serve.log"
    master = _serve(pg_settings, port, log)
    killed: list[int] = []
    try:
        _wait_ready(base, master, time.monotonic() + 60)
        driver = Driver(base, time.monotonic() + RUN_TIMEOUT)
        jobs = [(cast, i) for i in range(FILINGS_PER_UNIT) for cast in casts.values()]
        with ThreadPoolExecutor(CLIENT_THREADS) as pool:
            futures = [pool.submit(driver.script, cast, i) for cast, i in jobs]
            assert driver.halfway.wait(RUN_TIMEOUT), "the clients never got half-way"
            victim = _workers(master.pid)[0]
            os.kill(victim, signal.SIGKILL)
            killed.append(victim)
            answered_at_kill = driver.answered
            for future in futures:
                future.result(timeout=RUN_TIMEOUT)
        respawned = _respawned(master.pid, victim, time.monotonic() + 30)
    finally:
        master.send_signal(signal.SIGINT)
        with contextlib.suppress(subprocess.TimeoutExpired):
            master.wait(timeout=30)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(master.pid, signal.SIGKILL)
        master.wait(timeout=10)
    served = log.read_text(errors="replace")
    calls = driver.calls
    answered = [c for c in calls if c.status is not None]
    # The kill fell in the middle: work was answered before it and after it.
    assert len(calls) >= 200 and KILL_AFTER <= answered_at_kill < driver.answered
    # uvicorn's supervisor replaced the dead worker (the clients retried meanwhile).
    assert killed[0] not in respawned and len(respawned) == WORKERS, served[-2000:]
    assert all(c.status is not None for c in calls), [(c.path, c.unanswered) for c in calls if c.status is None]
    errors = [(c.path, c.body) for c in answered if c.status is not None and c.status >= 500]
    assert not errors, errors
    _check_stored(engine, answered)
    statuses = sorted({(c.path.rsplit("/", 1)[-1], c.status) for c in calls})
    print(f"{len(calls)} requests, {sum(c.unanswered for c in calls)} attempts unanswered (worker {killed[0]} "
          f"killed after {answered_at_kill} answers), {sum(c.found_stored for c in calls)} found stored before "
          f"a resend; outcomes {statuses}")
    with engine.connect() as conn:
        assert registry_problems(conn, audit_per_action=True) == []
        filed = conn.execute(text("SELECT count(*) FROM filing WHERE state = 'filed'")).scalar_one()
        unfiled = conn.execute(text("SELECT f.id, f.state, (SELECT count(*) FROM camera c WHERE c.filing_id = f.id) "
                                    "FROM filing f WHERE f.state <> 'filed'")).all()
    # Every filing ends filed: a refused step (a lost accept race, a one-officer review) changed nothing.
    refusals = [(c.path, c.who, c.body) for c in answered if c.status == 409 and not c.path.endswith("/accept")
                and not (c.path.endswith("/review") and c.who == "intake")]
    assert filed == len(jobs), (unfiled, refusals)
    engine.dispose()


def _check_stored(engine: Engine, answered: list[Call]) -> None:
    """Every 2xx answer is in the database as the client was told."""
    with engine.connect() as conn:
        for call in answered:
            if call.status is None or not 200 <= call.status < 300:
                continue
            fid = int(call.path.split("/")[2])
            if call.path.endswith("/accept"):
                assert conn.execute(text("SELECT number FROM filing WHERE id = :f"), {"f": fid}).scalar_one() \
                    == call.body["number"]
            elif call.path.endswith("/correction-notice"):
                assert conn.execute(text("SELECT number FROM correction_notice WHERE filing_id = :f"),
                                    {"f": fid}).scalar_one() == call.body["number"]
            elif call.path.endswith("/cameras"):
                ids = [c["id"] for c in call.body]
                stored = conn.execute(text("SELECT count(*) FROM camera WHERE filing_id = :f AND id = ANY(:ids)"),
                                      {"f": fid, "ids": ids}).scalar_one()
                assert stored == len(ids) == 3
            elif call.path.endswith("/verifications"):
                assert conn.execute(text("SELECT count(*) FROM verification WHERE id = :v AND filing_id = :f"),
                                    {"v": call.body["id"], "f": fid}).scalar_one() == 1
            elif call.path.endswith("/review"):
                assert conn.execute(text("SELECT state FROM filing WHERE id = :f"), {"f": fid}).scalar_one() \
                    == "filed"
