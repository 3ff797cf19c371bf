"""Benchmark (c): export 1,000,000 cameras to CSV — time and peak memory, ours vs loading the list first.

Run: .venv/bin/python bench/export_cameras.py [--cameras N] [--backend sqlite|postgres] [--no-baseline]

A scratch database is filled directly (bulk insert, not timed) with N cameras under 1,000 filed
filings of 东城分局. Each export runs in a fresh child process so its peak RSS (VmHWM)
is its own. Ours is what `camreg export cameras --out FILE.csv` and `GET /api/v1/exports/cameras.csv`
run: count + audit event, then scoped reads in id windows of 10,000 streamed through the csv module.
The baseline is the obvious alternative: load the whole visible list as ORM objects, then write it.
Both are run as a city-level supervisor (sees everything) and as a 东城分局 officer (scope sub-select).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import resource
import sqlite3
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import select
from sqlmodel import Session, col

sys.path.insert(0, str(Path(__file__).resolve().parent))

from register_cameras import scratch, seed

from registry.actor import Actor
from registry.auth import service as auth_service
from registry.auth.models import Role, User, UserCreate
from registry.cameras.models import Camera
from registry.db import make_engine
from registry.filings.models import Filing
from registry.imports.bulk import bulk_insert
from registry.settings import Settings

TARGET_SECONDS = 60.0
TARGET_MB = 300.0


def fill(settings: Settings, cameras: int) -> None:
    """N cameras with distinct codes spread over the seeded filings (set-up, not timed)."""
    engine = make_engine(settings)
    actor, _ = seed(engine)
    with Session(engine) as session:
        auth_service.create(session, data=UserCreate(username="bench_city", full_name="bench", role=Role.supervisor,
                                                     unit_code="001", password="bench password 2026"))
        filings = session.execute(select(col(Filing.id), col(Filing.operator_id)).order_by(col(Filing.id))).all()
        rng = np.random.default_rng(7)
        lons, lats = rng.uniform(116.385, 116.440, cameras), rng.uniform(39.875, 39.965, cameras)
        now = datetime.now(UTC)
        batch = 100_000
        for start in range(0, cameras, batch):
            rows: list[dict[str, Any]] = []
            for i in range(start, min(start + batch, cameras)):
                fid, oid = filings[i % len(filings)]
                rows.append({
                    "name": f"摄像机{i:07d}", "position_text": f"点位{i}", "lon": float(lons[i]), "lat": float(lats[i]),
                    "map_material_id": None, "map_page": None, "map_x": None, "map_y": None, "azimuth": i % 360,
                    "hfov": 90.0, "range_m": 50.0, "mount_height_m": 4.0, "device_type": "ipc",
                    "form_factor": "fixed", "manufacturer": "海康威视", "model": "DS-2CD", "serial": f"BSN{i:08d}",
                    "mac": f"02:00:{(i >> 24) & 255:02x}:{(i >> 16) & 255:02x}:{(i >> 8) & 255:02x}:{i & 255:02x}",
                    "ip": f"10.{(i >> 16) & 255}.{(i >> 8) & 255}.{i & 255}", "onvif_uuid": None, "indoor": False,
                    "public_area": True, "filing_id": fid, "operator_id": oid,
                    "code": f"110101{(i // 999_999) % 100:02d}50132{8}{i % 999_999 + 1:06d}", "code_edition": "2016",
                    "district_code": "110101", "station_id": None, "status": "active", "existing_code": None,
                    "created_at": now, "removed_at": None})
            bulk_insert(session, Camera.__table__, rows)  # type: ignore[attr-defined]
            session.commit()
            print(f"  filled {min(start + batch, cameras):,} cameras", file=sys.stderr, flush=True)
        if engine.dialect.name == "postgresql":
            session.connection().exec_driver_sql("ANALYZE")
            session.commit()
    engine.dispose()
    if not settings.database_url:
        # A fresh bulk load leaves a large WAL; a running registry has long checkpointed it.
        with sqlite3.connect(settings.data_dir / "camreg.sqlite3") as raw:
            raw.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    del actor


def peak_rss_mb() -> float:
    """This process's peak resident set: VmHWM (ru_maxrss would carry the parent's peak over fork+exec)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child(mode: str, url: str | None, data_dir: str, username: str, out: str) -> None:
    """Run one export in this (fresh) process and print seconds, rows and peak RSS as JSON."""
    from registry.exports import service
    from registry.imports.columns import Kind

    settings = Settings(data_dir=Path(data_dir), database_url=url)
    engine = make_engine(settings)
    with Session(engine, expire_on_commit=False) as session:
        user = session.execute(select(User).where(col(User.username) == username)).scalar_one()
    start = time.perf_counter()
    filters = service.Filters()
    rows = 0
    if mode == "ours":
        with Session(engine) as session:
            rows = service.count(session, kind=Kind.cameras, user=user, filters=filters)
            service.record(session, actor=Actor(user, "bench"), kind=Kind.cameras, fmt="csv", filters=filters,
                           rows=rows)
            session.commit()
        with open(out, "wb") as handle:
            for chunk in service.csv_chunks(engine, kind=Kind.cameras, user=user, filters=filters):
                handle.write(chunk)
    else:
        from registry.auth.scope import clause_for

        with Session(engine) as session:
            cameras = session.execute(select(Camera).where(clause_for(Camera, user))
                                      .order_by(col(Camera.id))).scalars().all()
            with open(out, "w", encoding="utf-8-sig", newline="") as handle:
                writer = csv.writer(handle)
                names = list(Camera.model_fields)
                writer.writerow(names)
                for camera in cameras:
                    writer.writerow([getattr(camera, n) for n in names])
            rows = len(cameras)
    seconds = time.perf_counter() - start
    peak_mb = peak_rss_mb()
    print(json.dumps({"seconds": seconds, "rows": rows, "peak_mb": peak_mb, "bytes": os.path.getsize(out)}))


def run_child(mode: str, settings: Settings, username: str, out: Path) -> dict[str, Any]:
    """One export in a fresh interpreter; its own peak RSS."""
    command = [sys.executable, __file__, "--child", mode, settings.database_url or "", str(settings.data_dir),
               username, str(out)]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"{mode} export failed:\n{done.stderr}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    """Fill a scratch database, run each export in a child process, print them side by side."""
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        mode, url, data_dir, username, out = sys.argv[2:7]
        child(mode, url or None, data_dir, username, out)
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cameras", type=int, default=1_000_000)
    parser.add_argument("--backend", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--no-baseline", action="store_true", help="skip loading the whole list first")
    args = parser.parse_args()
    results = []
    with scratch(args.backend) as (settings, engine):
        engine.dispose()
        fill(settings, args.cameras)
        for who, username in (("city supervisor", "bench_city"), ("东城 officer", "bench_intake")):
            for mode in ("ours",) if args.no_baseline else ("ours", "load-all"):
                result = run_child(mode, settings, username, settings.data_dir / f"{mode}.csv")
                assert result["rows"] == args.cameras, result
                results.append((who, mode, result))
                print(f"  {who} {mode}: {result['seconds']:.1f} s, {result['peak_mb']:.0f} MB", file=sys.stderr,
                      flush=True)
    print(f"\nExport of {args.cameras:,} cameras to CSV on {args.backend} (2-core machine, each in a fresh process)")
    header = f"{'as':<16} {'method':<10} {'seconds':>8} {'rows/s':>9} {'peak RSS MB':>12} {'CSV MB':>7}  target"
    print(header)
    print("-" * len(header))
    for who, mode, r in results:
        met = r["seconds"] < TARGET_SECONDS and r["peak_mb"] < TARGET_MB
        target = f"< {TARGET_SECONDS:.0f} s, < {TARGET_MB:.0f} MB: {'met' if met else 'NOT met'}" if mode == "ours" \
            else "(baseline)"
        print(f"{who:<16} {mode:<10} {r['seconds']:>8.1f} {r['rows'] / r['seconds']:>9,.0f} {r['peak_mb']:>12.0f} "
              f"{r['bytes'] / 2**20:>7.0f}  {target}")
    by = {(w, m): r for w, m, r in results}
    for who in ("city supervisor", "东城 officer"):
        if (who, "load-all") in by:
            ours, base = by[(who, "ours")], by[(who, "load-all")]
            print(f"{who}: ours uses {base['peak_mb'] / ours['peak_mb']:.1f}× less memory and is "
                  f"{base['seconds'] / ours['seconds']:.1f}× as fast as loading the list first")


if __name__ == "__main__":
    main()
