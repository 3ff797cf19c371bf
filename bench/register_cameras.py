"""Benchmark (a): register 100,000 cameras with code allocation from a CSV file, ours vs a naive loop.

Run: .venv/bin/python bench/register_cameras.py [--cameras N] [--naive N] [--backend sqlite|postgres|both]
     [--repeat R]

Ours is `camreg import cameras` (registry.imports.service.run): the whole file validated with the
registry's own schemas, every location routed in one vectorised call, one locked counter update per
14-digit code prefix, rows inserted with executemany, one transaction. The naive loop does the same
work one camera at a time: validate, route the point, take one serial, add one ORM object, commit.
It is measured on a subset (--naive, default 5,000) and extrapolated linearly to the full count.
Each backend gets a scratch database (SQLite in a temp dir; PostgreSQL created like the tests' and
dropped after), seeded with 1,000 filed filings of 东城分局 operators.
"""

from __future__ import annotations

import argparse
import csv
import io
import os
import shutil
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime

import numpy as np
from sqlalchemy import func, insert, select
from sqlalchemy.engine import Engine
from sqlmodel import Session, col

from registry.actor import Actor
from registry.auth import service as auth_service
from registry.auth.models import Role, UserCreate
from registry.bootstrap import prepare
from registry.camera_codes import code_prefix, format_code, type_code_for
from registry.cameras.models import Camera, CameraCreate
from registry.filings.models import Filing, FilingState
from registry.imports import service as imports
from registry.imports.columns import CAMERA_COLUMNS, Kind
from registry.numbering.service import take_serials
from registry.operators.models import Operator
from registry.routing import locate_many
from registry.settings import Settings
from registry.uscc import make_uscc

PG_ADMIN_URL = os.environ.get("CAMREG_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
TARGET_SECONDS_SQLITE = 20.0
TARGET_RATIO = 20.0
FILINGS = 1000
# Around 东城分局's area; a few points fall in neighbouring districts, all inside Beijing.
BBOX = (116.385, 39.875, 116.440, 39.965)


@contextmanager
def scratch(backend: str) -> Iterator[tuple[Settings, Engine]]:
    """A migrated scratch database with the police units, removed afterwards."""
    tmp = tempfile.mkdtemp(prefix="camreg-bench-")
    name = f"camreg_bench_{uuid.uuid4().hex[:10]}"
    admin = None
    try:
        if backend == "postgres":
            import psycopg

            admin = psycopg.connect(PG_ADMIN_URL, autocommit=True)
            admin.execute(f'CREATE DATABASE "{name}"')
            settings = Settings(data_dir=tmp, database_url=PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}")
        else:
            settings = Settings(data_dir=tmp)
        engine = prepare(settings)
        try:
            yield settings, engine
        finally:
            engine.dispose()
    finally:
        if admin is not None:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            admin.close()
        shutil.rmtree(tmp, ignore_errors=True)


def seed(engine: Engine, filings: int = FILINGS) -> tuple[Actor, list[str]]:
    """An administrator of 东城分局 (migration mode) and `filings` filed filings (inserted directly: set-up)."""
    with Session(engine, expire_on_commit=False) as session:
        user = auth_service.create(session, data=UserCreate(
            username="bench_admin", full_name="bench", role=Role.admin, unit_code="101",
            password="bench password 2026"))
        now = datetime.now(UTC)
        session.execute(insert(Operator.__table__), [{  # type: ignore[attr-defined]
            "name": f"基准单位{i}", "uscc": make_uscc(10_000 + i), "address": f"东城区基准路{i}号",
            "industry_code": "50", "industry_edition": "2016", "affiliation_code": None, "system_kind": "ordinary",
            "contact_name": "基准", "contact_phone": "010-0000 0000", "lon": 116.417, "lat": 39.947,
            "entered_datum": "wgs84", "district_code": "110101", "station_id": None, "filing_unit_code": "101",
            "verifying_unit_code": "101", "routing_rule": 5, "routing_explanation": "bench", "routing_flags": [],
            "created_at": now, "updated_at": now} for i in range(filings)])
        ids = session.execute(select(col(Operator.id)).order_by(col(Operator.id))).scalars().all()
        numbers = [f"1012026{i + 1:06d}" for i in range(filings)]
        session.execute(insert(Filing.__table__), [{  # type: ignore[attr-defined]
            "operator_id": oid, "system_name": "视频监控系统", "system_location": "东城区", "retention_days": 30,
            "system_in_use_date": date(2026, 1, 5),
            "acceptance_date": date(2026, 1, 5), "camera_count_declared": 100, "camera_types_declared": "枪机",
            "network_digit": 8, "kind": "new", "state": FilingState.filed.name, "number": number,
            "filing_unit_code": "101", "channel": "desk", "late": False, "late_days": 0, "submitted_at": now,
            "submitted_by_id": user.id, "filed_at": now, "deadline_provisional": False, "updated_at": now}
            for oid, number in zip(ids, numbers, strict=True)])
        session.commit()
        return Actor(user, "bench"), numbers


def camera_csv(n: int, numbers: list[str], seed_value: int = 2013) -> bytes:
    """A deterministic file of `n` cameras spread over the filings, in the template layout."""
    rng = np.random.default_rng(seed_value)
    lons = rng.uniform(BBOX[0], BBOX[2], n)
    lats = rng.uniform(BBOX[1], BBOX[3], n)
    kinds = ["网络摄像机", "网络摄像机", "网络摄像机", "模拟摄像机"]
    forms = ["枪机", "球机", "云台"]
    out = io.StringIO(newline="")
    writer = csv.writer(out)
    writer.writerow([c.zh for c in CAMERA_COLUMNS if c.field != "filing_id"])
    writer.writerow([c.field for c in CAMERA_COLUMNS if c.field != "filing_id"])
    fields = [c.field for c in CAMERA_COLUMNS if c.field != "filing_id"]
    for i in range(n):
        row = {"filing_number": numbers[i % len(numbers)], "name": f"摄像机{i:06d}", "position_text": f"点位{i}",
               "lon": f"{lons[i]:.6f}", "lat": f"{lats[i]:.6f}", "device_type": kinds[i % 4],
               "form_factor": forms[i % 3],
               "azimuth": i % 360, "hfov": 90, "range_m": 50, "manufacturer": "海康威视", "model": "DS-2CD",
               "serial": f"BSN{i:08d}", "mac": f"02:00:{(i >> 24) & 255:02x}:{(i >> 16) & 255:02x}:"
                                                f"{(i >> 8) & 255:02x}:{i & 255:02x}",
               "ip": f"10.{(i >> 16) & 255}.{(i >> 8) & 255}.{i & 255}", "public_area": "是"}
        writer.writerow([row.get(f, "") for f in fields])
    return ("\ufeff" + out.getvalue()).encode()


def run_ours(engine: Engine, settings: Settings, actor: Actor, data: bytes, expected: int) -> float:
    """Import the whole file in one transaction; returns seconds (file bytes in hand to commit)."""
    start = time.perf_counter()
    with Session(engine, expire_on_commit=False) as session:
        report = imports.run(session, actor=actor, kind=Kind.cameras, filename="cameras.csv", data=data,
                             settings=settings, migration=True)
        session.commit()
    elapsed = time.perf_counter() - start
    assert report.committed and report.created == expected == report.codes_issued, report.counts()
    check_codes(engine, expected)
    return elapsed


def check_codes(engine: Engine, expected: int) -> None:
    """Every camera has a code and no code is used twice."""
    with Session(engine) as session:
        total, distinct = session.execute(select(func.count(col(Camera.id)),
                                                 func.count(func.distinct(col(Camera.code))))).one()
    assert total == distinct == expected, (total, distinct, expected)


def run_naive(engine: Engine, data: bytes, limit: int) -> float:
    """One camera at a time: validate, route, take one serial, add one ORM object, commit."""
    lines = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    fields, rows = lines[1], lines[2 : 2 + limit]
    with Session(engine, expire_on_commit=False) as session:
        filings = {f.number: f for f in session.execute(select(Filing)).scalars()}
        operators = {o.id: o for o in session.execute(select(Operator)).scalars()}
    labels = {c.field: c.labels for c in CAMERA_COLUMNS}
    start = time.perf_counter()
    with Session(engine, expire_on_commit=False) as session:
        for line in rows:
            values = {f: (labels[f].get(v, v) if labels[f] else v) for f, v in zip(fields, line, strict=True) if v}
            filing = filings[values.pop("filing_number")]
            item = CameraCreate.model_validate({**values, "indoor": False, "public_area": True})
            operator = operators[filing.operator_id]
            place = locate_many([item.lon], [item.lat])[0]
            assert place is not None
            prefix = code_prefix(district=place[0], grassroots="00", industry=operator.industry_code,
                                 type_code=type_code_for(item.device_type), network=str(filing.network_digit))
            serial = take_serials(session, prefix=prefix, count=1)[0]
            session.add(Camera.model_validate(item, update={
                "filing_id": filing.id, "operator_id": operator.id, "district_code": place[0],
                "station_id": place[1], "code": format_code(prefix, serial)}))
            session.commit()
    elapsed = time.perf_counter() - start
    check_codes(engine, len(rows))
    return elapsed


def main() -> None:
    """Run both sides on each backend and print them side by side."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cameras", type=int, default=100_000)
    parser.add_argument("--naive", type=int, default=5_000, help="cameras for the naive loop (extrapolated)")
    parser.add_argument("--backend", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--repeat", type=int, default=3, help="runs per side, each on a fresh database; best kept")
    args = parser.parse_args()
    backends = ["sqlite", "postgres"] if args.backend == "both" else [args.backend]
    results = []
    for backend in backends:
        ours_runs, naive_runs = [], []
        for _ in range(args.repeat):
            with scratch(backend) as (settings, engine):
                actor, numbers = seed(engine)
                ours_runs.append(run_ours(engine, settings, actor, camera_csv(args.cameras, numbers), args.cameras))
            with scratch(backend) as (settings, engine):
                _, numbers = seed(engine)
                naive_runs.append(run_naive(engine, camera_csv(args.naive, numbers), args.naive))
            print(f"[{backend}] ours {ours_runs[-1]:.1f} s for {args.cameras:,}; naive {naive_runs[-1]:.1f} s for "
                  f"{args.naive:,}", flush=True)
        ours, naive = min(ours_runs), min(naive_runs)
        results.append((backend, ours, naive, naive / args.naive * args.cameras))
    print()
    print(f"Registering {args.cameras:,} cameras with code allocation from a CSV file (2-core machine)")
    header = (f"{'backend':<9} {'ours s':>8} {'ours cam/s':>11} {'naive ms/cam':>13} {'naive s (extrap.)':>18} "
              f"{'ratio':>7}  target")
    print(header)
    print("-" * len(header))
    for backend, ours, naive, naive_full in results:
        ratio = naive_full / ours
        target = f"< {TARGET_SECONDS_SQLITE:.0f} s and ≥ {TARGET_RATIO:.0f}×" if backend == "sqlite" else \
            f"≥ {TARGET_RATIO:.0f}×"
        met = ratio >= TARGET_RATIO and (backend != "sqlite" or ours < TARGET_SECONDS_SQLITE)
        print(f"{backend:<9} {ours:>8.1f} {args.cameras / ours:>11,.0f} {naive / args.naive * 1000:>13.2f} "
              f"{naive_full:>18.0f} {ratio:>6.1f}×  {target}: {'met' if met else 'NOT met'}")
    print(f"(best of {args.repeat} runs per side, each on a fresh database; naive measured on {args.naive:,} cameras, "
          f"one commit each, extrapolated linearly; load average at the end {os.getloadavg()[0]:.1f})")


if __name__ == "__main__":
    main()
