"""`camreg fill`: a bulk-written city obeys the same rules as one built request by request."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, func, select
from typer.testing import CliRunner

from registry.auth.models import Role
from registry.calendars import current_calendar
from registry.camera_codes import validate_code
from registry.cameras.models import Camera, CameraCreate
from registry.commands.fill import fill_app
from registry.filings import clock
from registry.filings.models import CorrectionNotice, Filing
from registry.fill.load import FillError, fill
from registry.settings import Settings
from tests.registry.conftest import Person
from tests.registry.invariants import registry_problems


@pytest.mark.slow
def test_filled_city_is_consistent_and_readable(engine: Engine, settings: Settings, client: TestClient,
                                                make_person: Callable[..., Person]) -> None:
    report = fill(engine, settings, cameras=3000, filings=300, seed=11)
    assert (report.operators, report.filings, report.cameras) == (150, 300, 3000)
    with engine.connect() as conn:
        assert registry_problems(conn, audit_per_action=False) == []
        codes = [r[0] for r in conn.execute(text("SELECT code FROM camera WHERE code IS NOT NULL"))]
        declared = conn.execute(text("SELECT sum(camera_count_declared) FROM filing")).scalar_one()
        station = conn.execute(text("SELECT station_id FROM camera GROUP BY station_id "
                                    "ORDER BY count(*) DESC LIMIT 1")).scalar_one()
        per_station = conn.execute(text("SELECT count(*) FROM camera WHERE station_id = :s"),
                                   {"s": station}).scalar_one()
    assert len(codes) == report.codes > 0 and declared == 3000
    assert all(validate_code(code).valid and not validate_code(code).warnings for code in codes[:500])
    # Every generated row passes the input schema (e.g. azimuth < 360, MACs normalised, IPs valid).
    with Session(engine) as session:
        for camera in session.exec(select(Camera)):
            CameraCreate.model_validate(camera, from_attributes=True)
    # Deadlines as the workflow sets them: 15 working days, the clock stopped from notice to correction.
    with Session(engine) as session:
        calendar = current_calendar(session)
        accepted = session.exec(select(Filing).where(col(Filing.accepted_at).is_not(None))).all()
        wrong = [(f.id, f.deadline) for f in accepted
                 if f.deadline != clock.recompute(calendar, f, clock.notice_of(session, f.id)).date]
        resumed = session.exec(select(func.count()).select_from(CorrectionNotice)
                               .where(col(CorrectionNotice.corrected_at).is_not(None))).one()
    assert wrong == [] and resumed > 0
    # The API reads bulk rows like any others, and pages through them by keyset.
    city = make_person(Role.supervisor, "001")
    seen, after = 0, 0
    while True:
        page = client.get("/api/v1/cameras", params={"station_id": station, "after": after, "limit": 100},
                          headers=city.headers)
        assert page.status_code == 200, page.text
        body = page.json()
        seen += len(body["items"])
        if body["next_after"] is None:
            break
        after = body["next_after"]
    assert seen == per_station


def test_fill_refuses_a_registry_that_has_data(engine: Engine, settings: Settings) -> None:
    fill(engine, settings, cameras=40, filings=10, seed=1)
    with pytest.raises(FillError, match="table operator already has 5 rows"):
        fill(engine, settings, cameras=40, filings=10, seed=2)


def test_fill_refuses_fewer_cameras_than_filings(engine: Engine, settings: Settings) -> None:
    with pytest.raises(FillError, match="filings <= cameras"):
        fill(engine, settings, cameras=5, filings=10)


def test_fill_command_reports_json(settings: Settings, engine: Engine) -> None:
    engine.dispose()
    args = ["--cameras", "30", "--filings", "6", "--data-dir", str(settings.data_dir), "--json"]
    if settings.database_url:
        args += ["--database-url", settings.database_url]
    result = CliRunner().invoke(fill_app, args)
    assert result.exit_code == 0, result.output
    assert '"cameras": 30' in result.stdout


def test_invariants_notice_a_skipped_number_and_a_half_filed_filing(engine: Engine, settings: Settings) -> None:
    fill(engine, settings, cameras=200, filings=40, seed=5)
    with engine.begin() as conn:
        conn.execute(text("UPDATE number_counter SET last = last + 1 WHERE kind = 'filing'"))
        conn.execute(text("UPDATE camera SET code = NULL WHERE id = (SELECT min(id) FROM camera "
                          "WHERE code IS NOT NULL)"))
    with engine.connect() as conn:
        problems = "\n".join(registry_problems(conn, audit_per_action=False))
    assert "counter says" in problems
    assert "filed: every active camera has its code" in problems
    assert "prefix" in problems  # the serial that lost its camera is now a hole
