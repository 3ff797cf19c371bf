"""Exports: scoped like the lists, audited, readable back as CSV and .xlsx, re-importable without duplicates."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select
from typer.testing import CliRunner

from registry.audit.models import AuditEvent
from registry.auth.models import Role
from registry.commands.data import export_app
from registry.filings.models import Filing
from registry.imports.columns import Kind
from registry.operators.models import Operator
from registry.settings import Settings
from registry.timeutil import beijing_today
from tests.registry.conftest import HAIDIAN_POINT, Person
from tests.registry.test_filing_workflow import Desk
from tests.registry.test_imports import upload


@pytest.fixture
def desk(client: TestClient, make_operator: Callable[..., Operator], make_person: Callable[..., Person]) -> Desk:
    """东城: one filed filing with two cameras and one open filing; 海淀: one operator."""
    desk = Desk(client, make_operator(), make_person)
    fid = desk.submit_complete()
    desk.call(desk.wang, "POST", f"/filings/{fid}/accept")
    desk.file(fid)
    desk.submit_complete()
    make_operator(lon=HAIDIAN_POINT[0], lat=HAIDIAN_POINT[1])
    return desk


def read_back(content: bytes, fmt: str) -> list[dict[str, Any]]:
    """Data rows keyed by the English field-name row (row 2), from either format."""
    if fmt == "csv":
        lines = list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
    else:
        ws = load_workbook(io.BytesIO(content), read_only=True).worksheets[0]
        lines = [["" if v is None else str(v) for v in row] for row in ws.iter_rows(values_only=True)]
    width = len(lines[1])  # a streamed workbook has no dimension record: short rows are not padded
    return [dict(zip(lines[1], line + [""] * (width - len(line)), strict=True)) for line in lines[2:]]


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_exports_are_scoped_and_audited(client: TestClient, desk: Desk, make_person: Callable[..., Person],
                                        engine: Engine, fmt: str) -> None:
    haidian = make_person(Role.intake, "108")
    for kind, own in (("operators", 1), ("filings", 2), ("cameras", 4)):
        mine = client.get(f"/api/v1/exports/{kind}.{fmt}", headers=desk.wang.headers)
        assert mine.status_code == 200 and mine.headers["content-disposition"].endswith(f'.{fmt}"')
        rows = read_back(mine.content, fmt)
        assert len(rows) == own, (kind, rows)
        theirs = read_back(client.get(f"/api/v1/exports/{kind}.{fmt}", headers=haidian.headers).content, fmt)
        assert not [r for r in theirs if str(desk.operator.id) in (r.get("operator_id"), r.get("id"))]
    cameras = read_back(client.get(f"/api/v1/exports/cameras.{fmt}", headers=desk.wang.headers).content, fmt)
    assert sum(1 for c in cameras if len(c["code"]) == 20) == 2 and {c["status"] for c in cameras} == {"active"}
    with Session(engine) as session:
        events = session.exec(select(AuditEvent).where(AuditEvent.action == "export")
                              .order_by(col(AuditEvent.seq))).all()
    assert [(e.actor, e.object_type, e.details["rows"]) for e in events][:2] == [
        (desk.wang.user.username, "operators", 1), (haidian.user.username, "operators", 1)]
    assert all(e.details["format"] == fmt for e in events) and len(events) == 7


def test_filters_and_overdue_operators(client: TestClient, desk: Desk, engine: Engine) -> None:
    with Session(engine) as session:
        open_filing = session.exec(select(Filing).where(Filing.state == "submitted")).one()
    desk.call(desk.wang, "POST", f"/filings/{open_filing.id}/accept")
    with Session(engine) as session:
        stored = session.get_one(Filing, open_filing.id)
        stored.deadline = beijing_today() - timedelta(days=1)
        session.add(stored)
        session.commit()
    supervisor_rows = read_back(client.get("/api/v1/exports/operators.xlsx?overdue=true",
                                           headers=desk.wang.headers).content, "xlsx")
    assert [r["uscc"] for r in supervisor_rows] == [desk.operator.uscc]
    filed = read_back(client.get("/api/v1/exports/filings.csv?state=filed", headers=desk.wang.headers).content, "csv")
    assert len(filed) == 1 and filed[0]["state"] == "filed" and filed[0]["operator_uscc"] == desk.operator.uscc
    overdue = client.get("/api/v1/exports/filings.csv?overdue=true", headers=desk.wang.headers)
    assert [r["id"] for r in read_back(overdue.content, "csv")] == [str(open_filing.id)]
    with Session(engine) as session:
        last = session.exec(select(AuditEvent).order_by(col(AuditEvent.seq).desc())).first()
    assert last is not None and last.details["filters"] == {"overdue_on": beijing_today().isoformat()}


def test_exported_cameras_reimport_as_present(client: TestClient, desk: Desk) -> None:
    exported = client.get("/api/v1/exports/cameras.xlsx", headers=desk.wang.headers).content
    body = upload(client, desk.wang, Kind.cameras, exported, "xlsx")
    assert body["committed"] and body["created"] == 0 and body["present"] == 4, body["notes"]
    assert {"ID", "编码"} <= set(body["ignored_columns"])


def test_cli_export(desk: Desk, settings: Settings, engine: Engine, monkeypatch: pytest.MonkeyPatch,
                    tmp_path: Any) -> None:
    monkeypatch.setenv("CAMREG_DATA_DIR", str(settings.data_dir))
    if settings.database_url:
        monkeypatch.setenv("CAMREG_DATABASE_URL", settings.database_url)
    for fmt in ("csv", "xlsx"):
        out = tmp_path / f"cameras.{fmt}"
        result = CliRunner().invoke(export_app, ["cameras", "--out", str(out), "--user", desk.wang.user.username,
                                                 "--status", "active", "--json"])
        assert result.exit_code == 0, result.output
        assert len(read_back(out.read_bytes(), fmt)) == 4 and '"rows": 4' in result.output
    bad = CliRunner().invoke(export_app, ["cameras", "--out", str(tmp_path / "x.pdf"), "--user", "x"])
    assert bad.exit_code != 0
    with Session(engine) as session:
        actors = session.exec(select(AuditEvent.client_addr).where(AuditEvent.action == "export")).all()
    assert actors == ["cli", "cli"]
