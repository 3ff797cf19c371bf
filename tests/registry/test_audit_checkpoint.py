"""The audit head anchored outside the database: a cut-off tail or a TRUNCATE no longer verifies."""

from __future__ import annotations

import json
import stat
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session
from typer.testing import CliRunner

from registry.audit import checkpoint
from registry.audit.service import append, verify, verify_anchored
from registry.cli import app as cli
from registry.operators.models import Operator
from registry.settings import Settings
from tests.registry.conftest import PG_ADMIN_URL, Person
from tests.registry.test_filing_workflow import Desk


@pytest.fixture
def busy(client: TestClient, make_operator: Callable[..., Operator], make_person: Callable[..., Person]) -> Desk:
    """A filed filing: a few dozen audit events."""
    desk = Desk(client, make_operator(), make_person)
    fid = desk.submit_complete()
    desk.call(desk.wang, "POST", f"/filings/{fid}/accept")
    desk.file(fid)
    return desk


def _cut_tail(engine: Engine, keep: int) -> None:
    """What an attacker with database rights does: drop the guards, delete the tail, rewind the head."""
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text("ALTER TABLE audit_event DISABLE TRIGGER audit_event_append_only"))
        else:
            conn.execute(text("DROP TRIGGER audit_event_no_delete"))
        conn.execute(text("DELETE FROM audit_event WHERE seq > :k"), {"k": keep})
        last_hash = conn.execute(text("SELECT hash FROM audit_event WHERE seq = :k"), {"k": keep}).scalar()
        conn.execute(text("UPDATE audit_head SET last_seq = :k, last_hash = :h"), {"k": keep, "h": last_hash})


def _head(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(text("SELECT last_seq FROM audit_head")).scalar_one())


def test_a_cut_tail_with_the_head_rewound_is_caught(busy: Desk, engine: Engine, settings: Settings) -> None:
    written = checkpoint.advance(settings, engine)
    assert written is not None and written.seq == _head(engine)
    _cut_tail(engine, keep=written.seq - 3)
    with Session(engine) as session:
        assert verify(session).ok  # the chain alone cannot tell
        result = verify_anchored(session, settings=settings)
    assert result.problem is not None and result.problem.kind == "truncated"
    assert result.problem.seq == written.seq - 2


@pytest.mark.postgres
@pytest.mark.parametrize("backend", ["postgres"], indirect=True)
def test_truncate_is_refused_and_caught(busy: Desk, engine: Engine, settings: Settings) -> None:
    checkpoint.advance(settings, engine)
    with pytest.raises(DBAPIError, match="TRUNCATE refused"), engine.begin() as conn:
        conn.execute(text("TRUNCATE audit_event"))
    with engine.begin() as conn:  # a superuser switches the trigger off first
        conn.execute(text("ALTER TABLE audit_event DISABLE TRIGGER audit_event_no_truncate"))
        conn.execute(text("TRUNCATE audit_event"))
        conn.execute(text("UPDATE audit_head SET last_seq = 0, last_hash = :h"), {"h": "0" * 64})
        conn.execute(text("ALTER TABLE audit_event ENABLE TRIGGER audit_event_no_truncate"))
    with Session(engine) as session:
        assert verify(session).ok
        result = verify_anchored(session, settings=settings)
    assert result.problem is not None and result.problem.kind == "truncated" and result.problem.seq == 1


@pytest.mark.postgres
@pytest.mark.slow
def test_the_registry_role_may_not_truncate_its_audit_log(tmp_path: Path) -> None:
    """Migrated by a plain role (as in production), that role loses TRUNCATE even with the trigger off."""
    import psycopg

    from registry.bootstrap import prepare

    try:
        admin = psycopg.connect(PG_ADMIN_URL, autocommit=True, connect_timeout=3)
    except psycopg.OperationalError as exc:
        from tests.conftest import skip_or_fail

        skip_or_fail(f"PostgreSQL is not reachable at {PG_ADMIN_URL}: {exc}")
    name = f"camreg_role_{uuid.uuid4().hex[:8]}"
    admin.execute(f'CREATE ROLE "{name}" LOGIN')
    admin.execute(f'CREATE DATABASE "{name}" OWNER "{name}"')
    url = PG_ADMIN_URL.split("://", 1)[0] + f"://{name}@" + PG_ADMIN_URL.split("@", 1)[1].rsplit("/", 1)[0] + f"/{name}"
    try:
        engine = prepare(Settings(database_url=url, data_dir=tmp_path))
        with engine.begin() as conn:
            conn.execute(text("ALTER TABLE audit_event DISABLE TRIGGER audit_event_no_truncate"))  # owner may
        with pytest.raises(DBAPIError, match="permission denied"), engine.begin() as conn:
            conn.execute(text("TRUNCATE audit_event"))
        engine.dispose()
    finally:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.execute(f'DROP ROLE IF EXISTS "{name}"')
        admin.close()


def test_checkpoints_follow_every_nth_event(busy: Desk, engine: Engine, settings: Settings,
                                            make_person: object) -> None:
    every = 3
    checkpoint.configure(engine, settings.model_copy(update={"audit_checkpoint_every": every}))
    head_before = _head(engine)
    desk = busy
    for _ in range(2):
        desk.submit_complete()
    head = _head(engine)
    assert head > head_before
    written = checkpoint.read(settings)
    assert written is not None
    assert written.seq % every == 0 or written.seq == head  # written by the commit that crossed a multiple
    assert head - every < written.seq <= head
    assert stat.S_IMODE(settings.audit_key_path.stat().st_mode) == 0o600


def test_an_edited_checkpoint_is_reported(busy: Desk, engine: Engine, settings: Settings) -> None:
    written = checkpoint.advance(settings, engine)
    assert written is not None
    body = json.loads(settings.audit_checkpoint_path.read_text())
    body["seq"] = written.seq - 5  # rewind the anchor to hide a cut
    settings.audit_checkpoint_path.write_text(json.dumps(body))
    with Session(engine) as session:
        result = verify_anchored(session, settings=settings)
    assert result.problem is not None and result.problem.kind == "checkpoint"
    assert "signature" in result.problem.message


def test_cli_checkpoint_refuses_to_bless_a_cut_chain(busy: Desk, engine: Engine, settings: Settings,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CAMREG_DATA_DIR", str(settings.data_dir))
    if settings.database_url:
        monkeypatch.setenv("CAMREG_DATABASE_URL", settings.database_url)
    first = CliRunner().invoke(cli, ["audit", "checkpoint"])
    assert first.exit_code == 0, first.output
    seq = _head(engine)
    _cut_tail(engine, keep=seq - 2)
    again = CliRunner().invoke(cli, ["audit", "checkpoint"])
    assert again.exit_code == 1 and "cut or rewritten" in again.output
    verified = CliRunner().invoke(cli, ["audit", "verify", "--json"])
    assert verified.exit_code == 1
    report = json.loads(verified.stdout)
    assert report["first_problem"]["kind"] == "truncated" and report["checkpoint_seq"] == seq


def test_api_verify_holds_the_chain_against_the_checkpoint(busy: Desk, engine: Engine, settings: Settings,
                                                           make_person: object) -> None:
    from registry.auth.models import Role

    supervisor: Person = make_person(Role.supervisor, "001")  # type: ignore[operator]
    written = checkpoint.advance(settings, engine)
    assert written is not None
    _cut_tail(engine, keep=written.seq - 1)
    report = busy.client.get("/api/v1/audit/verify", headers=supervisor.headers).json()
    assert report["ok"] is False and report["first_problem"]["kind"] == "truncated"


def test_a_savepoint_release_waits_for_the_outer_commit(busy: Desk, engine: Engine, settings: Settings,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """A savepoint (the camera identity guard) releasing is no commit: checkpointing there read past the outer
    transaction's write lock (SQLite stalled a whole busy timeout and wrote nothing); the outer commit writes it."""
    checkpoint.configure(engine, settings.model_copy(update={"audit_checkpoint_every": 1}))
    calls: list[bool] = []
    real_advance = checkpoint.advance

    def advance(settings_: Settings, engine_: Engine) -> checkpoint.Checkpoint | None:
        calls.append(True)
        return real_advance(settings_, engine_)

    monkeypatch.setattr(checkpoint, "advance", advance)
    with Session(engine) as session:
        with session.begin_nested():
            seq = append(session, actor=None, action="test.savepoint", object_type="test", object_id=1).seq
        assert calls == []  # released the savepoint: nothing checkpointed inside the outer transaction
        session.commit()
    assert calls == [True]
    written = checkpoint.read(settings)
    assert written is not None and written.seq == seq == _head(engine)
