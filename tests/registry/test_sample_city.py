"""The sample city: a deterministic generator, and a loader that replays it through the services."""

from __future__ import annotations

import csv
import importlib.util
import itertools
import sys
from collections import defaultdict
from pathlib import Path
from types import ModuleType

import pytest
from sqlalchemy import func
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from registry.audit import service as audit
from registry.audit.models import AuditEvent
from registry.auth.models import User
from registry.bootstrap import prepare
from registry.camera_codes import validate_code
from registry.cameras.models import Camera
from registry.filings.models import CorrectionNotice, Filing, FilingState, Material
from registry.operators.models import Operator
from registry.sample_city import SampleCityError, load_sample_city, read_city
from registry.settings import SAMPLE_DATA_DIR, Settings
from registry.timeutil import as_utc

ROOT = Path(__file__).resolve().parents[2]
CITY_DIR = SAMPLE_DATA_DIR / "city"
LIMIT = 20


def _generator() -> ModuleType:
    path = ROOT / "scripts" / "generate_sample_city.py"
    spec = importlib.util.spec_from_file_location("generate_sample_city", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def _files(directory: Path) -> dict[str, bytes]:
    """Every generated file's bytes (the hand-written README is not generated)."""
    return {str(p.relative_to(directory)): p.read_bytes() for p in sorted(directory.rglob("*"))
            if p.is_file() and p.name != "README.md"}


def test_generator_gives_the_same_bytes_every_run(tmp_path: Path) -> None:
    generator = _generator()
    first = generator.generate(tmp_path / "a", operators=12)
    second = generator.generate(tmp_path / "b", operators=12)
    files = _files(tmp_path / "a")
    assert first == second
    assert files == _files(tmp_path / "b")
    assert {"operators.csv", "filings.jsonl", "cameras.csv", "plans/index.csv"} <= set(files)
    assert sum(name.endswith(".png") for name in files) >= 30


def _counts(session: Session) -> tuple[int, ...]:
    return tuple(session.exec(select(func.count()).select_from(model)).one()
                 for model in (Operator, Filing, Camera, CorrectionNotice, Material, AuditEvent))


def _assert_gap_free(numbers: list[str]) -> None:
    """Per unit and year, the sequences are exactly 1..n."""
    by_prefix: dict[str, list[int]] = defaultdict(list)
    for number in numbers:
        assert len(number) == 13 and number.isdigit(), number
        by_prefix[number[:7]].append(int(number[7:]))
    for prefix, sequence in by_prefix.items():
        assert sorted(sequence) == list(range(1, len(sequence) + 1)), prefix


def _plan_sizes() -> dict[str, tuple[int, int]]:
    with (CITY_DIR / "plans" / "index.csv").open(encoding="utf-8") as handle:
        return {row["file"]: (int(row["width"]), int(row["height"])) for row in csv.DictReader(handle)}


# The sample city replays filings as they reached the police; a draft is an operator's unsent work.
SAMPLED_STATES = set(FilingState) - {FilingState.draft}


def test_loading_part_of_the_city_replays_the_whole_workflow(engine: Engine, settings: Settings) -> None:
    seen: list[tuple[int, int]] = []
    report = load_sample_city(engine, settings, limit=LIMIT, progress=lambda done, total: seen.append((done, total)))
    assert report.mismatches == []
    assert report.operators_loaded == LIMIT
    assert seen and seen[-1] == (report.events, report.events)
    with Session(engine) as session:
        states = set(session.exec(select(Filing.state)).all())
        assert states == SAMPLED_STATES
        assert session.exec(select(Filing).where(Filing.late)).first() is not None
        assert session.exec(select(Filing).where(col(Filing.changes_filing_id).is_not(None))).first() is not None
        assert len(set(session.exec(select(Operator.routing_rule)).all())) == 5
        _assert_gap_free([n for n in session.exec(select(Filing.number)).all() if n])
        _assert_gap_free(list(session.exec(select(CorrectionNotice.number)).all()))
        # Numbers rise with acceptance time within each unit and year.
        accepted = [(f.number or "", as_utc(f.accepted_at)) for f in session.exec(
            select(Filing).where(col(Filing.accepted_at).is_not(None)).order_by(col(Filing.number))).all()
            if f.accepted_at is not None]
        for (n1, t1), (n2, t2) in itertools.pairwise(accepted):
            if n1[:7] == n2[:7]:
                assert t1 <= t2, (n1, n2)
        filed = session.exec(select(Camera, Filing.state).join(Filing, col(Camera.filing_id) == Filing.id)
                             .where(Filing.state == FilingState.filed)).all()
        assert filed
        # Every filed filing went through the verifying unit's 核对 (issue 13), by someone other than the reviewer.
        for filing in session.exec(select(Filing).where(Filing.state == FilingState.filed)).all():
            assert filing.verification_result == "matches" and filing.verified_by_id != filing.reviewed_by_id
            verifier = session.get_one(User, filing.verified_by_id)
            assert verifier.unit_code == session.get_one(Operator, filing.operator_id).verifying_unit_code
        for camera, _state in filed:
            assert camera.code is not None, camera.name
            assert validate_code(camera.code, camera.code_edition).valid, camera.code
        codes = [c for c in session.exec(select(Camera.code)).all() if c]
        assert len(codes) == len(set(codes))
        sizes = _plan_sizes()
        placed = session.exec(select(Camera, Material).join(Material, col(Camera.map_material_id) == Material.id)).all()
        assert placed
        for camera, material in placed:
            width, height = sizes[material.filename]
            assert camera.map_x is not None and camera.map_y is not None
            assert 0 <= camera.map_x <= width and 0 <= camera.map_y <= height, (camera.name, material.filename)
        assert audit.verify(session).ok
        before = _counts(session)
    again = load_sample_city(engine, settings, limit=LIMIT)
    assert (again.operators_loaded, again.operators_skipped, again.events) == (0, LIMIT, 0)
    with Session(engine) as session:
        assert _counts(session) == before


def test_malformed_files_name_the_file_line_and_field(tmp_path: Path) -> None:
    for name in ("operators.csv", "cameras.csv"):
        (tmp_path / name).write_bytes((CITY_DIR / name).read_bytes())
    lines = (CITY_DIR / "filings.jsonl").read_text(encoding="utf-8").splitlines()
    (tmp_path / "filings.jsonl").write_text("\n".join([lines[0], "{not json"]) + "\n", encoding="utf-8")
    with pytest.raises(SampleCityError, match=r"filings\.jsonl line 2"):
        read_city(tmp_path)
    (tmp_path / "filings.jsonl").write_text('{"ref": "F1"}\n', encoding="utf-8")
    with pytest.raises(SampleCityError, match="line 1: field 'operator' missing"):
        read_city(tmp_path)
    (tmp_path / "operators.csv").write_text("ref,name\nO1,x\n", encoding="utf-8")
    with pytest.raises(SampleCityError, match=r"operators\.csv: missing columns"):
        read_city(tmp_path)


@pytest.mark.slow
def test_committed_city_is_what_the_generator_writes(tmp_path: Path) -> None:
    _generator().generate(tmp_path)
    assert _files(tmp_path) == _files(CITY_DIR)


@pytest.mark.slow
def test_the_whole_city_loads(tmp_path: Path) -> None:
    """SQLite only: PostgreSQL runs the partial load above."""
    settings = Settings(data_dir=tmp_path)
    engine = prepare(settings)
    report = load_sample_city(engine, settings)
    assert report.mismatches == []
    assert report.operators_skipped == 0
    assert set(report.states) == SAMPLED_STATES
    assert report.cameras >= 15_000
    with Session(engine) as session:
        _assert_gap_free([n for n in session.exec(select(Filing.number)).all() if n])
        assert session.exec(select(CorrectionNotice).where(CorrectionNotice.late)).first() is not None
        assert audit.verify(session).ok
    engine.dispose()
