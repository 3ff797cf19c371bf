"""Re-routing everything after a layer change: operators and cameras move, codes stay."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select
from typer.testing import CliRunner

from registry.cameras.models import Camera
from registry.cli import app as cli
from registry.operators.models import Operator
from registry.reroute import reroute_all
from registry.settings import Settings
from tests.registry.conftest import Person
from tests.registry.test_filing_workflow import Desk


@pytest.fixture
def stale(client: TestClient, make_operator: Callable[..., Operator], make_person: Callable[..., Person],
          engine: Engine) -> Desk:
    """A filed operator whose stored routing is what an older layer set said (海淀, a different station)."""
    desk = Desk(client, make_operator(), make_person)
    fid = desk.submit_complete()
    desk.call(desk.wang, "POST", f"/filings/{fid}/accept")
    desk.file(fid)
    with engine.begin() as conn:
        conn.execute(update(Operator).values(filing_unit_code="108", verifying_unit_code="11010821",
                                             station_id="11010821", district_code="110108"))
        conn.execute(update(Camera).values(station_id="11010821", district_code="110108"))
    return desk


def test_reroute_moves_back_and_keeps_codes(stale: Desk, engine: Engine) -> None:
    with Session(engine) as session:
        codes_before = sorted(c for c in session.exec(select(Camera.code)).all())
        report = reroute_all(session, actor=None)
        session.commit()
    assert (report.operators_checked, report.operators_moved) == (1, 1)
    assert report.moves == {"108→101": 1}
    assert (report.cameras_checked, report.cameras_moved) == (2, 2)
    with Session(engine) as session:
        operator = session.exec(select(Operator)).one()
        assert operator.filing_unit_code == "101" and operator.district_code == "110101"
        cameras = session.exec(select(Camera).order_by(col(Camera.id))).all()
        assert all(c.district_code == "110101" for c in cameras)
        assert sorted(c.code for c in cameras) == codes_before
        again = reroute_all(session, actor=None)
    assert (again.operators_moved, again.cameras_moved) == (0, 0)


def test_reroute_cli(stale: Desk, settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CAMREG_DATA_DIR", str(settings.data_dir))
    if settings.database_url:
        monkeypatch.setenv("CAMREG_DATABASE_URL", settings.database_url)
    result = CliRunner().invoke(cli, ["reroute", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["operators_moved"] == 1
