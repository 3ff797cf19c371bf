"""The audit log: every state change and material read appended, hash-chained, tamper-evident."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session, col, select
from typer.testing import CliRunner

from registry.audit.models import AuditEvent
from registry.audit.service import verify
from registry.cli import app as cli
from registry.operators.models import Operator
from registry.settings import Settings
from tests.registry.conftest import Person
from tests.registry.test_filing_workflow import Desk


@pytest.fixture
def busy_log(client: TestClient, make_operator: Callable[..., Operator], make_person: Callable[..., Person]) -> Desk:
    desk = Desk(client, make_operator(), make_person)
    fid = desk.submit_complete()
    desk.call(desk.wang, "POST", f"/filings/{fid}/accept")
    desk.file(fid)
    material = desk.call(desk.li, "GET", f"/filings/{fid}/materials")["body"][0]
    assert desk.client.get(f"/api/v1/materials/{material['id']}", headers=desk.li.headers).status_code == 200
    return desk


def _actions(engine: Engine) -> list[str]:
    with Session(engine) as session:
        return list(session.exec(select(AuditEvent.action).order_by(col(AuditEvent.seq))).all())


def _tamper(engine: Engine, statement: str) -> None:
    """An attacker with database rights drops the append-only triggers first."""
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text("ALTER TABLE audit_event DISABLE TRIGGER audit_event_append_only"))
        else:
            conn.execute(text("DROP TRIGGER audit_event_no_update"))
            conn.execute(text("DROP TRIGGER audit_event_no_delete"))
        conn.execute(text(statement))


def test_state_changes_and_material_reads_are_recorded(busy_log: Desk, engine: Engine) -> None:
    actions = _actions(engine)
    for expected in ("operator.create", "filing.submit", "material.upload", "filing.cameras.add", "filing.accept",
                     "filing.file", "material.read"):
        assert expected in actions
    with Session(engine) as session:
        read = session.exec(select(AuditEvent).where(AuditEvent.action == "material.read")).one()
    assert read.actor == busy_log.li.user.username and read.client_addr
    with Session(engine) as session:
        assert verify(session).ok


def test_the_database_refuses_edits(busy_log: Desk, engine: Engine) -> None:
    with pytest.raises(DBAPIError), engine.begin() as conn:
        conn.execute(text("UPDATE audit_event SET actor = 'x' WHERE seq = 1"))
    with pytest.raises(DBAPIError), engine.begin() as conn:
        conn.execute(text("DELETE FROM audit_event WHERE seq = 1"))


@pytest.mark.parametrize(("statement", "kind", "seq"), [
    ("UPDATE audit_event SET actor = 'someone else' WHERE seq = 3", "edited", 3),
    ("DELETE FROM audit_event WHERE seq = 4", "deleted", 4),
    ("UPDATE audit_event SET prev_hash = '" + "f" * 64 + "', hash = 'x' WHERE seq = 5", "inserted", 5),
])
def test_verify_reports_the_first_tampered_event(busy_log: Desk, engine: Engine, statement: str, kind: str,
                                                 seq: int) -> None:
    _tamper(engine, statement)
    with Session(engine) as session:
        result = verify(session)
    assert result.problem is not None
    assert (result.problem.kind, result.problem.seq) == (kind, seq)


def test_verify_notices_a_deleted_tail(busy_log: Desk, engine: Engine) -> None:
    last = len(_actions(engine))
    _tamper(engine, f"DELETE FROM audit_event WHERE seq = {last}")
    with Session(engine) as session:
        result = verify(session)
    assert result.problem is not None and result.problem.kind == "deleted" and result.problem.seq == last


def test_cli_verify(busy_log: Desk, engine: Engine, settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CAMREG_DATA_DIR", str(settings.data_dir))
    if settings.database_url:
        monkeypatch.setenv("CAMREG_DATABASE_URL", settings.database_url)
    ok = CliRunner().invoke(cli, ["audit", "verify", "--json"])
    assert ok.exit_code == 0 and json.loads(ok.stdout)["ok"] is True
    _tamper(engine, "UPDATE audit_event SET details = '{}' WHERE seq = 2")
    broken = CliRunner().invoke(cli, ["audit", "verify", "--json"])
    assert broken.exit_code == 1
    assert json.loads(broken.stdout)["first_problem"]["seq"] == 2
