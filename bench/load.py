"""Benchmark 5b: 1,000,000 cameras on PostgreSQL, `camreg serve --workers 2`, 300 req/s for 60 s.

Run: .venv/bin/python bench/load.py [--reuse] [--rate 300] [--duration 60] [--cameras N --filings M]

Fills a scratch PostgreSQL database with `camreg fill` (kept for --reuse), starts the server on
loopback, and drives an open-loop mix of camera lookups (code, serial, MAC, a shared IP) and list pages
(station, district, deep keyset pages, filings) as a branch officer and as the city supervisor.
Baselines, each the same load on the same data: "before", the server as it was before the request
path was tuned (commit BEFORE_TUNING, from a git worktree); "unfrozen", today's app served without
`gc.freeze()` at worker start (bench/unfrozen_app.py); and "0002", ours with migration 0003 rolled back
(single-column indexes, the default random_page_cost), then re-applied. Last, deep pages by keyset
against OFFSET, in SQL. Target: p99 < 50 ms and no errors. Client and server share the machine
(2 cores): the client's own cost is in the figures.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import random
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlencode

import psycopg
from alembic import command
from loadgen import TIMEOUT, Request, Run, open_loop, percentile
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from registry.auth import service as auth_service
from registry.auth.models import Role, User, UserCreate
from registry.bootstrap import prepare
from registry.db import make_engine
from registry.fill.load import fill
from registry.migrate import alembic_config
from registry.settings import Settings

ADMIN_URL = os.environ.get("CAMREG_BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
TARGET_P99_MS = 50.0
BENCH_DIR = Path(__file__).resolve().parent
BASELINES = {"before": "before tuning", "unfrozen": "no gc.freeze", "0002": "without 0003"}
# The last commit before the request-path tuning (gc.freeze, plain rows, read-only routes): its server,
# run from a git worktree on the same data, is the "before" baseline.
BEFORE_TUNING = "b0b332f"
# Share of each request kind in the mix.
MIX = {"code": 15, "serial": 10, "mac": 10, "ip": 10, "station": 15, "station_deep": 10, "district": 10,
       "district_deep": 10, "filings": 10}


def _database(name: str, cameras: int, filings: int, reuse: bool, data_dir: Path) -> tuple[Settings, float | None]:
    """The filled database (reused when asked and it holds the requested city) and the fill time."""
    url = ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    settings = Settings(data_dir=data_dir, database_url=url)
    with psycopg.connect(ADMIN_URL, autocommit=True) as admin:
        exists = admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone() is not None
        if exists and reuse:
            engine = make_engine(settings)
            with engine.connect() as conn:
                have = conn.execute(text("SELECT count(*) FROM camera")).scalar_one()
            engine.dispose()
            if have == cameras:
                return settings, None
            print(f"database {name} holds {have} cameras, not {cameras}: filling anew")
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}"')
    engine = prepare(settings)
    report = fill(engine, settings, cameras=cameras, filings=filings,
                  progress=lambda stage, done, total: print(f"\r  fill {stage}: {done}/{total}   ", end=""))
    print()
    engine.dispose()
    return settings, report.seconds


def _token(session: Session, username: str, role: Role, unit: str) -> str:
    user = session.exec(select(User).where(User.username == username)).first()
    if user is None:
        user = auth_service.create(session, data=UserCreate(username=username, full_name=username, role=role,
                                                            unit_code=unit, password="bench-password-2026"))
    token, _ = auth_service.issue_token(session, user=user, ttl_hours=2)
    return token


def _requests(engine: Engine, count: int, seed: int) -> tuple[list[Request], str]:
    """`count` requests drawn from real keys: half as the biggest branch's officer, half as the city."""
    rng = random.Random(seed)
    with Session(engine) as session:
        branch = session.execute(text("SELECT filing_unit_code FROM operator GROUP BY 1 ORDER BY count(*) DESC "
                                      "LIMIT 1")).scalar_one()
        tokens = {"city": _token(session, "bench-city", Role.supervisor, "001"),
                  "branch": _token(session, f"bench-{branch}", Role.intake, branch)}
        session.commit()
        top = session.execute(text("SELECT max(id) FROM camera")).scalar_one()
        columns = "c.id, c.code, c.serial, c.mac, c.ip, c.station_id, c.district_code"
        city_rows = session.execute(text(f"SELECT {columns} FROM camera c WHERE c.id = ANY(:ids)"),
                                    {"ids": [rng.randint(1, top) for _ in range(3000)]}).all()
        branch_rows = session.execute(text(
            f"SELECT {columns} FROM camera c JOIN operator o ON o.id = c.operator_id "
            "WHERE o.filing_unit_code = :b AND c.id = ANY(:ids)"),
            {"b": branch, "ids": [rng.randint(1, top) for _ in range(3000 * 16)]}).all()
        filings_top = session.execute(text("SELECT max(id) FROM filing")).scalar_one()
    kinds, weights = list(MIX), list(MIX.values())
    requests = []
    for _ in range(count):
        who = rng.choice(("city", "branch"))
        cid, code, serial, mac, ip, station, district = rng.choice(city_rows if who == "city" else branch_rows)
        kind = rng.choices(kinds, weights)[0]
        params: dict[str, object] = {
            "code": {"code": code}, "serial": {"serial": serial}, "mac": {"mac": mac},
            # Shared IPs (192.168.1.x defaults) make this a list, not a single hit.
            "ip": {"ip": ip}, "station": {"station_id": station},
            "station_deep": {"station_id": station, "after": cid}, "district": {"district_code": district},
            "district_deep": {"district_code": district, "after": cid},
            "filings": {"state": "filed", "after": rng.randint(0, filings_top)},
        }[kind]
        path = "/api/v1/filings" if kind == "filings" else "/api/v1/cameras"
        requests.append(Request(kind, f"{path}?{urlencode(params)}", tokens[who], who))
    return requests, branch


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _before_tuning_tree() -> Path:
    """A git worktree of the repository at BEFORE_TUNING (made once, kept under /tmp)."""
    tree = Path(f"/tmp/camreg-before-{BEFORE_TUNING}")
    if not (tree / "registry").is_dir():
        made = subprocess.run(["git", "-C", str(BENCH_DIR.parent), "worktree", "add", "--force", "--detach",
                               str(tree), BEFORE_TUNING], capture_output=True, text=True)
        if made.returncode != 0:
            raise SystemExit(f"cannot check out {BEFORE_TUNING} for the 'before' baseline ({made.stderr.strip()}); "
                             "in a shallow clone run with --baselines unfrozen,0002")
    return tree


def _serve_command(app: str, workers: int, port: int) -> list[str]:
    """Ours is `camreg serve`; the baselines run uvicorn with the same options on another app."""
    if app == "ours":
        camreg = Path(sys.executable).with_name("camreg")
        return [str(camreg), "serve", "--workers", str(workers), "--port", str(port), "--no-access-log"]
    # --app-dir goes first on sys.path: the "before" worktree's packages shadow the installed ones.
    factory, app_dir = (("registry.asgi:build", _before_tuning_tree()) if app == "before"
                        else ("unfrozen_app:build", BENCH_DIR))
    return [sys.executable, "-m", "uvicorn", "--factory", factory, "--app-dir", str(app_dir),
            "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers), "--no-access-log"]


@contextmanager
def _server(settings: Settings, app: str, workers: int, log: Path) -> Iterator[int]:
    """The server for `app` with N workers on a free loopback port, stopped on exit."""
    import httpx

    port = _free_port()
    env = {**os.environ, "CAMREG_DATABASE_URL": str(settings.database_url), "CAMREG_DATA_DIR": str(settings.data_dir)}
    with log.open("ab") as out:
        # A session of its own, so stopping it reaches the workers too, even a stuck one.
        master = subprocess.Popen(_serve_command(app, workers, port), env=env,
                                  stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/api/v1/openapi.json", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline or master.poll() is not None:
                raise RuntimeError(f"camreg serve did not start; see {log}")
            time.sleep(0.3)
        time.sleep(1.0)  # let every worker finish starting, not only the first to answer
        yield port
    finally:
        master.send_signal(signal.SIGINT)
        try:
            master.wait(timeout=30)
        except subprocess.TimeoutExpired:
            print(f"camreg serve did not stop in 30 s; killing its process group (see {log})")
        with contextlib.suppress(ProcessLookupError):
            os.killpg(master.pid, signal.SIGKILL)
        master.wait(timeout=10)


def _measure(settings: Settings, app: str, args: argparse.Namespace, requests: list[Request], log: Path) -> Run:
    with _server(settings, app, args.workers, log) as port:
        warm = max(1, int(args.rate * 3))
        open_loop("127.0.0.1", port, requests[-warm:], args.rate)  # warm caches and connections, not counted
        return open_loop("127.0.0.1", port, requests, args.rate)


def _summary(name: str, run: Run) -> dict[str, float]:
    ok = [o.latency_ms for o in run.outcomes if 200 <= o.status < 300]
    failed = Counter(o.status for o in run.outcomes if not 200 <= o.status < 300)
    if failed:
        print(f"  {name}: failed requests by status (0 = no answer in {TIMEOUT:g} s, -1 = connection failed): "
              f"{dict(failed)}")
    return {"p50": percentile(ok, 50), "p95": percentile(ok, 95), "p99": percentile(ok, 99),
            "max": max(ok, default=float("nan")), "errors": float(len(run.outcomes) - len(ok)),
            "rate": len(run.outcomes) / run.seconds if run.seconds else float("nan")}


def _slow_seconds(runs: dict[str, Run], log_dir: Path) -> None:
    """Whether slow answers are spread out or bunched in a few seconds (a stall), and a CSV of every request."""
    print(f"\n{'seconds with':16}" + "".join(f"{name:>15}" for name in runs))
    slow_by_run = []
    for name, run in runs.items():
        slow = Counter(int(o.due_s) for o in run.outcomes if o.latency_ms > TARGET_P99_MS)
        slow_by_run.append(slow)
        with (log_dir / f"requests-{name.replace(' ', '-')}.csv").open("w") as out:
            out.write("due_s,kind,who,status,latency_ms\n")
            out.writelines(f"{o.due_s:.4f},{o.kind},{o.who},{o.status},{o.latency_ms:.2f}\n" for o in run.outcomes)
    for label, test in (("any > 50 ms", lambda n: n > 0), ("≥ 10 > 50 ms", lambda n: n >= 10)):
        print(f"{label:16}" + "".join(f"{sum(1 for n in slow.values() if test(n)):15}" for slow in slow_by_run))
    print(f"(every request of every run: {log_dir}/requests-*.csv)")


def _per_kind(runs: dict[str, Run]) -> None:
    """p99 per request kind, ours and each baseline: where the indexes matter."""
    print(f"\n{'p99 ms by kind':16}" + "".join(f"{name:>15}" for name in runs))
    for kind in MIX:
        cells = [percentile([o.latency_ms for o in run.outcomes if o.kind == kind and 200 <= o.status < 300], 99)
                 for run in runs.values()]
        print(f"{kind:16}" + "".join(f"{cell:15.1f}" for cell in cells))


def _migrate(engine: Engine, revision: str) -> None:
    """Move the schema to `revision` (down to 0002 for the baseline, back up to head), then re-analyse."""
    config = alembic_config()
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        (command.downgrade if revision != "head" else command.upgrade)(config, revision)
    with engine.connect() as conn:
        conn.execute(text("ANALYZE"))
        conn.commit()


def _keyset_vs_offset(engine: Engine, district: str) -> list[tuple[int, float, float]]:
    """Milliseconds for one 50-row page deep into a district: keyset cursor against OFFSET."""
    results = []
    with engine.connect() as conn:
        for depth in (1_000, 10_000, 100_000):
            after = conn.execute(text("SELECT id FROM camera WHERE district_code = :d ORDER BY district_code, id "
                                      "OFFSET :k LIMIT 1"), {"d": district, "k": depth}).scalar()
            if after is None:
                continue
            timings = []
            for query, params in (
                    ("SELECT * FROM camera WHERE district_code = :d AND id > :a ORDER BY district_code, id LIMIT 50",
                     {"d": district, "a": after}),
                    ("SELECT * FROM camera WHERE district_code = :d ORDER BY id OFFSET :k LIMIT 50",
                     {"d": district, "k": depth})):
                conn.execute(text(query), params).all()  # warm
                start = time.perf_counter()
                for _ in range(5):
                    conn.execute(text(query), params).all()
                timings.append((time.perf_counter() - start) / 5 * 1000)
            results.append((depth, timings[0], timings[1]))
    return results


def _print_summary(args: argparse.Namespace, summaries: dict[str, dict[str, float]]) -> None:
    """Ours and each baseline side by side; ratio is baseline / ours."""
    ours = summaries["ours"]
    print(f"\n{'':16}" + "".join(f"{name:>15}{'ratio':>7}" if name != "ours" else f"{name:>15}"
                                  for name in summaries) + "   target")
    for key, label, target in (("p50", "p50 ms", ""), ("p95", "p95 ms", ""), ("p99", "p99 ms", f"< {TARGET_P99_MS:g}"),
                               ("max", "max ms", ""), ("errors", "errors", "0"),
                               ("rate", "achieved req/s", f"{args.rate:g}")):
        row = f"{label:16}{ours[key]:15.1f}"
        for name, other in summaries.items():
            if name != "ours":
                ratio = f"{other[key] / ours[key]:7.1f}" if ours[key] and key not in ("errors", "rate") else " " * 7
                row += f"{other[key]:15.1f}{ratio}"
        print(f"{row}   {target}")
    verdict = ours["p99"] < TARGET_P99_MS and ours["errors"] == 0
    print(f"target p99 < {TARGET_P99_MS:g} ms and no errors: {'met' if verdict else 'NOT met'}")


def main() -> None:
    """Fill (or reuse), measure ours and the baselines, print them side by side."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cameras", type=int, default=1_000_000)
    parser.add_argument("--filings", type=int, default=100_000)
    parser.add_argument("--rate", type=float, default=300.0, help="requests per second (open loop)")
    parser.add_argument("--duration", type=float, default=60.0, help="seconds per run (ours, then each baseline)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--database", default="camreg_bench_million", help="scratch database name")
    parser.add_argument("--reuse", action="store_true", help="keep a database already filled with --cameras")
    parser.add_argument("--no-baseline", action="store_true", help="measure ours only")
    parser.add_argument("--baselines", type=lambda v: v.split(","), default=list(BASELINES),
                        help=f"comma-separated, from: {', '.join(BASELINES)} (default: all)")
    args = parser.parse_args()
    if unknown := sorted(set(args.baselines) - set(BASELINES)):
        parser.error(f"--baselines: unknown {', '.join(unknown)}; choose from {', '.join(BASELINES)}")
    data_dir = Path(f"/tmp/{args.database}")
    data_dir.mkdir(exist_ok=True)
    log = data_dir / "serve.log"
    settings, fill_seconds = _database(args.database, args.cameras, args.filings, args.reuse, data_dir)
    print(f"database {args.database}: {args.cameras:,} cameras over {args.filings:,} filings, "
          + (f"filled in {fill_seconds:.0f} s" if fill_seconds is not None else "reused"))
    engine = make_engine(settings)
    requests, branch = _requests(engine, int(args.rate * args.duration), seed=5)
    print(f"load: {len(requests):,} GETs at {args.rate:g}/s for {args.duration:g} s, {args.workers} workers, "
          f"half as branch {branch}'s officer, half as the city supervisor; loopback")
    runs = {"ours": _measure(settings, "ours", args, requests, log)}
    for name in [] if args.no_baseline else args.baselines:
        if name in ("before", "unfrozen"):
            runs[BASELINES[name]] = _measure(settings, name, args, requests, log)
            continue
        _migrate(engine, "0002")
        try:
            engine.dispose()
            runs[BASELINES[name]] = _measure(settings, "ours", args, requests, log)
        finally:
            _migrate(engine, "head")
            engine.dispose()
    _print_summary(args, {name: _summary(name, run) for name, run in runs.items()})
    _per_kind(runs)
    _slow_seconds(runs, data_dir)
    with engine.connect() as conn:
        biggest = conn.execute(text("SELECT district_code FROM camera GROUP BY 1 ORDER BY count(*) DESC "
                                    "LIMIT 1")).scalar_one()
    print(f"\none 50-row page deep into district {biggest}, SQL only:  depth  keyset ms  OFFSET ms  ratio")
    for depth, keyset, offset in _keyset_vs_offset(engine, biggest):
        print(f"{'':52}{depth:>7,}{keyset:11.2f}{offset:11.2f}{offset / keyset:7.0f}")
    engine.dispose()


if __name__ == "__main__":
    main()
