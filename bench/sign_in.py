"""Benchmark: what the throttle adds to a successful sign-in, against the sign-in before it existed.

Run: .venv/bin/python bench/sign_in.py [--backend sqlite|postgres|both] [--n N]

Ours is `registry.auth.service.sign_in` (advisory lock on PostgreSQL, one read of the account's and
address's throttle rows, the password check, clearing the account's failures, the audit event) plus
issuing the token, in one transaction as the route runs it. The baseline is the sign-in before this
work: `authenticate` (the password check) plus issuing the token. Both use the same Argon2id hash,
which dominates; the figure that matters is the difference. Each sign-in is timed from the first
statement to the commit; the median and the 95th percentile of N are printed.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy.engine import Engine
from sqlmodel import Session

from registry.auth import service
from registry.auth.models import Role, UserCreate
from registry.bootstrap import prepare
from registry.settings import Settings

PG_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
PASSWORD = "correct horse battery"


@contextmanager
def scratch(backend: str) -> Iterator[tuple[Settings, Engine]]:
    """A migrated scratch database of the backend, removed afterwards."""
    with tempfile.TemporaryDirectory() as tmp:
        if backend == "sqlite":
            settings = Settings(data_dir=Path(tmp))
            engine = prepare(settings)
            yield settings, engine
            engine.dispose()
            return
        import psycopg

        name = f"camreg_bench_{uuid.uuid4().hex[:8]}"
        with psycopg.connect(PG_ADMIN_URL, autocommit=True) as admin:
            admin.execute(f'CREATE DATABASE "{name}"')
            try:
                settings = Settings(data_dir=Path(tmp), database_url=PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}")
                engine = prepare(settings)
                yield settings, engine
                engine.dispose()
            finally:
                admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def timed(engine: Engine, n: int, step: Callable[[Session], None]) -> list[float]:
    """Milliseconds of `step` plus commit, n times."""
    out = []
    for _ in range(n):
        with Session(engine, expire_on_commit=False) as session:
            start = time.perf_counter()
            step(session)
            session.commit()
            out.append((time.perf_counter() - start) * 1000)
    return out


def run(backend: str, n: int) -> None:
    """Print ours beside the baseline for one backend."""
    with scratch(backend) as (settings, engine):
        with Session(engine) as session:
            service.create(session, data=UserCreate(username="bench_officer", full_name="Bench", role=Role.intake,
                                                    unit_code="101", password=PASSWORD))
            session.commit()

        def baseline(session: Session) -> None:
            user = service.authenticate(session, username="bench_officer", password=PASSWORD)
            service.issue_token(session, user=user, ttl_hours=1)

        def ours(session: Session) -> None:
            user = service.sign_in(session, username="bench_officer", password=PASSWORD, client_addr="10.0.0.7",
                                   settings=settings)
            service.issue_token(session, user=user, ttl_hours=1)

        timed(engine, 3, ours)  # warm up connections and caches
        results = {"baseline (no throttle)": timed(engine, n, baseline), "ours (throttled, audited)": timed(
            engine, n, ours)}
    print(f"{backend}: successful sign-in, {n} each")
    for label, values in results.items():
        ordered = sorted(values)
        print(f"  {label:28} median {statistics.median(values):7.1f} ms   p95 {ordered[int(0.95 * (n - 1))]:7.1f} ms")
    extra = statistics.median(results["ours (throttled, audited)"]) - statistics.median(
        results["baseline (no throttle)"])
    print(f"  throttle + audit add {extra:+.1f} ms to the median")


def main() -> None:
    """Parse arguments and run."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=("sqlite", "postgres", "both"), default="both")
    parser.add_argument("--n", type=int, default=40)
    args = parser.parse_args()
    for backend in ("sqlite", "postgres") if args.backend == "both" else (args.backend,):
        run(backend, args.n)


if __name__ == "__main__":
    main()
