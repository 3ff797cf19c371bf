"""Registry fixtures: every test gets a fresh database on SQLite and on PostgreSQL."""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlmodel import Session

from registry.actor import Actor
from registry.app import create_app
from registry.auth import service as auth_service
from registry.auth.models import Role, User, UserCreate
from registry.bootstrap import prepare
from registry.checks.models import DEFAULT_TERMS
from registry.db import make_engine
from registry.operators import service as operators_service
from registry.operators.models import Operator, OperatorCreate
from registry.settings import SAMPLE_DATA_DIR, Settings
from registry.uscc import make_uscc
from tests.conftest import skip_or_fail

PG_ADMIN_URL = os.environ.get("CAMREG_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
KEEP_TABLES = {"alembic_version", "police_unit"}



@pytest.fixture(autouse=True)
def _dashboard_counts_every_time(monkeypatch: pytest.MonkeyPatch) -> None:
    """The dashboard keeps figures that were slow to count until the audit chain moves (registry/dashboard/
    cache.py); tests that write rows directly, outside the workflow, would read kept figures on a busy
    machine. Here every count is fresh, except where a test asks for the cache (test_dashboard_pages.py)."""
    from registry.dashboard import cache

    monkeypatch.setattr(cache, "SLOW_S", float("inf"))

def _pg_admin() -> Any:
    import psycopg

    try:
        return psycopg.connect(PG_ADMIN_URL, autocommit=True, connect_timeout=3)
    except psycopg.OperationalError as exc:
        skip_or_fail(f"PostgreSQL is not reachable at {PG_ADMIN_URL}: {exc}".strip())


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file with the police units, copied for each test."""
    data_dir = tmp_path_factory.mktemp("sqlite-template")
    settings = Settings(data_dir=data_dir)
    engine = prepare(settings)
    engine.dispose()
    return data_dir / "camreg.sqlite3"


@pytest.fixture(scope="session")
def pg_database() -> Iterator[str]:
    """A PostgreSQL database of our own for this test session, migrated, dropped at the end."""
    name = f"camreg_test_{uuid.uuid4().hex[:10]}"
    admin = _pg_admin()
    admin.execute(f'CREATE DATABASE "{name}"')
    url = PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    engine = prepare(Settings(database_url=url))
    engine.dispose()
    try:
        yield url
    finally:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


def _reset_postgres(engine: Engine) -> None:
    with engine.begin() as conn:
        tables = [r[0] for r in conn.execute(text(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public'")) if r[0] not in KEEP_TABLES]
        # A tamper test may have disabled the append-only trigger; every test starts with it on.
        conn.execute(text("ALTER TABLE audit_event ENABLE TRIGGER audit_event_append_only"))
        # The fixtures (a superuser) may empty the log between tests; the registry's role may not (migration 0004).
        conn.execute(text("ALTER TABLE audit_event DISABLE TRIGGER audit_event_no_truncate"))
        conn.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
        conn.execute(text("ALTER TABLE audit_event ENABLE TRIGGER audit_event_no_truncate"))
        conn.execute(text("INSERT INTO audit_head (id, last_seq, last_hash) VALUES (1, 0, :h)"), {"h": "0" * 64})
        # The data migration 0012 loads: the default prohibited-place terms.
        conn.execute(text("INSERT INTO prohibited_term (term, active, note, changed_at) VALUES (:t, true, '', now())"),
                     [{"t": t} for t in DEFAULT_TERMS])


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def backend(request: pytest.FixtureRequest) -> str:
    """Which database this run of the test uses."""
    return str(request.param)


@pytest.fixture
def settings(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> Settings:
    """Settings pointing at a fresh database of the chosen backend."""
    if backend == "sqlite":
        template = request.getfixturevalue("sqlite_template")
        shutil.copy(template, tmp_path / "camreg.sqlite3")
        return Settings(data_dir=tmp_path)
    return Settings(data_dir=tmp_path, database_url=request.getfixturevalue("pg_database"))


@pytest.fixture
def engine(settings: Settings, backend: str) -> Iterator[Engine]:
    """An engine on the test's own database (PostgreSQL tables are emptied first)."""
    engine = make_engine(settings)
    if backend == "postgres":
        _reset_postgres(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    """A session for arranging and checking data directly."""
    with Session(engine, expire_on_commit=False) as session:
        yield session


@pytest.fixture
def client(settings: Settings, engine: Engine) -> Iterator[TestClient]:
    """An API client on the test's database."""
    with TestClient(create_app(settings, engine)) as client:
        yield client


@dataclass
class Person:
    """A user with a bearer token, ready for API calls."""

    user: User
    token: str

    @property
    def headers(self) -> dict[str, str]:
        """Authorization header for this user."""
        return {"Authorization": f"Bearer {self.token}"}

    @property
    def actor(self) -> Actor:
        """The user as a service-layer actor."""
        return Actor(self.user, "127.0.0.1")


@pytest.fixture
def make_person(engine: Engine) -> Callable[..., Person]:
    """Factory: a user of a role in a unit (or of an operator), with a token."""
    counter = iter(range(1, 10_000))

    def factory(role: Role, unit_code: str | None = None, operator_id: int | None = None) -> Person:
        with Session(engine, expire_on_commit=False) as session:
            user = auth_service.create(session, data=UserCreate(
                username=f"{role.value}{next(counter)}", full_name=f"Test {role.value}", role=role,
                unit_code=unit_code, operator_id=operator_id, password="correct horse battery"))
            token, _ = auth_service.issue_token(session, user=user, ttl_hours=1)
            session.commit()
            return Person(user, token)

    return factory


# 东城区, inside 东城分局's area away from special-branch areas (near 雍和宫).
DONGCHENG_POINT = (116.4170, 39.9470)
# 海淀区 (中关村).
HAIDIAN_POINT = (116.3100, 39.9830)


def operator_data(n: int, *, lon: float = DONGCHENG_POINT[0], lat: float = DONGCHENG_POINT[1],
                  **changes: Any) -> OperatorCreate:
    """Valid operator input with a deterministic credit code."""
    fields: dict[str, Any] = {
        "name": f"测试酒店{n}", "uscc": make_uscc(n), "address": f"北京市东城区测试路{n}号", "industry_code": "50",
        "contact_name": "赵经理", "contact_phone": "010-6512 3456", "lon": lon, "lat": lat}
    fields.update(changes)
    return OperatorCreate(**fields)


@pytest.fixture
def make_operator(engine: Engine, make_person: Callable[..., Person]) -> Callable[..., Operator]:
    """Factory: an operator created through the service (so it is routed and audited)."""
    clerk: dict[str, Person] = {}
    counter = iter(range(1, 10_000))

    def factory(**changes: Any) -> Operator:
        if "clerk" not in clerk:
            clerk["clerk"] = make_person(Role.admin, "001")
        with Session(engine, expire_on_commit=False) as session:
            operator = operators_service.create(session, actor=clerk["clerk"].actor,
                                                data=operator_data(next(counter), **changes))
            session.commit()
            return operator

    return factory


@pytest.fixture
def sample_dir() -> Path:
    """The repository's sample data."""
    return SAMPLE_DATA_DIR
