"""Every lookup and list the API issues can be answered from an index: none must scan camera, filing, operator.

The SQL is not written here: the services run for real against a filled registry and the statements
they send are captured at the cursor, then EXPLAINed with the same parameters. A service that changes
its query shape is therefore checked as it is, not as it was.
"""

from __future__ import annotations

import importlib
import re
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import event, text
from sqlalchemy.engine import Engine
from sqlmodel import Session, SQLModel

from registry.actor import Actor
from registry.auth import service as auth_service
from registry.auth.models import Role, UserCreate
from registry.auth.scope import get_visible
from registry.bootstrap import prepare
from registry.cameras import service as cameras
from registry.cameras.models import Camera
from registry.filings import service as filings
from registry.filings.models import Filing, FilingState
from registry.fill.load import fill
from registry.operators import service as operators
from registry.settings import Settings
from tests.registry.conftest import PG_ADMIN_URL, _pg_admin

# Enough rows that the planners choose as they will on a real city: a scan would look cheap on 100 rows.
CAMERAS, FILINGS, OPERATORS = 30_000, 6_000, 4_000
BIG_TABLES = ("camera", "filing", "operator")
Call = Callable[[Session, Actor], object]


@dataclass
class Filled:
    """A filled registry and the people whose queries are checked."""

    backend: str
    engine: Engine
    actors: dict[str, Actor]
    sample: dict[str, Any]


def _people(engine: Engine) -> dict[str, Actor]:
    with Session(engine, expire_on_commit=False) as session:
        branch = session.execute(text("SELECT filing_unit_code FROM operator GROUP BY filing_unit_code "
                                      "ORDER BY count(*) DESC LIMIT 1")).scalar_one()
        station = session.execute(text("SELECT verifying_unit_code FROM operator WHERE filing_unit_code = :b "
                                       "AND routing_rule = 5 GROUP BY verifying_unit_code ORDER BY count(*) DESC "
                                       "LIMIT 1"), {"b": branch}).scalar_one()
        operator_id = session.execute(text("SELECT operator_id FROM filing WHERE state = 'filed' "
                                           "ORDER BY id LIMIT 1")).scalar_one()
        specs = {"city": (Role.supervisor, "001", None), "branch": (Role.intake, branch, None),
                 "station": (Role.inspector, station, None), "operator": (Role.operator, None, operator_id)}
        actors = {}
        for name, (role, unit, op) in specs.items():
            user = auth_service.create(session, data=UserCreate(
                username=f"plan-{name}", full_name=name, role=role, unit_code=unit, operator_id=op,
                password="correct horse battery"))
            actors[name] = Actor(user, "127.0.0.1")
        session.commit()
        return actors


def _sample(engine: Engine, actors: dict[str, Actor]) -> dict[str, Any]:
    """Real keys to look up: from the branch officer's own area, so lookups find something."""
    branch = actors["branch"].user.unit_code
    with engine.connect() as conn:
        row = conn.execute(text(
            "SELECT c.id, c.code, c.serial, c.mac, c.station_id, c.district_code, c.filing_id, c.operator_id "
            "FROM camera c JOIN operator o ON o.id = c.operator_id WHERE o.filing_unit_code = :b "
            "AND c.code IS NOT NULL ORDER BY c.id LIMIT 1 OFFSET 100"), {"b": branch}).one()
        middle = conn.execute(text("SELECT max(id) / 2 FROM camera")).scalar_one()
        quiet = conn.execute(text("SELECT district_code FROM camera GROUP BY district_code "
                                  "ORDER BY count(*), district_code LIMIT 1")).scalar_one()
    return {"camera_id": row[0], "code": row[1], "serial": row[2], "mac": row[3], "station": row[4],
            "district": row[5], "filing_id": row[6], "operator_id": row[7], "after": int(middle),
            "shared_ip": "192.168.1.64", "quiet_district": quiet}


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def filled(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Filled]:
    """A registry filled with a small city, analysed, on each backend."""
    data_dir: Path = tmp_path_factory.mktemp("plans")
    admin, name = None, f"camreg_plans_{uuid.uuid4().hex[:8]}"
    if request.param == "postgres":
        admin = _pg_admin()
        admin.execute(f'CREATE DATABASE "{name}"')
        settings = Settings(data_dir=data_dir, database_url=PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}")
    else:
        settings = Settings(data_dir=data_dir)
    engine = prepare(settings)
    # Sessions opened from here on carry the database settings migration 0003 made (random_page_cost).
    engine.dispose()
    try:
        fill(engine, settings, cameras=CAMERAS, filings=FILINGS, operators=OPERATORS, seed=7)
        actors = _people(engine)
        yield Filled(request.param, engine, actors, _sample(engine, actors))
    finally:
        engine.dispose()
        if admin is not None:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            admin.close()


@contextmanager
def _captured(engine: Engine) -> Iterator[list[tuple[str, Any]]]:
    """Every SELECT the block sends to the database, with its parameters."""
    seen: list[tuple[str, Any]] = []

    def hook(_conn: Any, _cursor: Any, statement: str, parameters: Any, _context: Any, _many: bool) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            seen.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", hook)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", hook)


def _plan(filled: Filled, statement: str, parameters: Any) -> str:
    prefix = "EXPLAIN QUERY PLAN " if filled.backend == "sqlite" else "EXPLAIN "
    with filled.engine.connect() as conn:
        if filled.backend == "postgres":
            # On a test-sized city a scan of a few thousand rows is truly cheap and PostgreSQL rightly takes
            # it; pricing scans out asks the real question: is there an index path? A query without one
            # still shows its Seq Scan. (bench/load.py measures the planner's own choices on a million.)
            conn.exec_driver_sql("SET enable_seqscan = off")
        rows = conn.exec_driver_sql(prefix + statement, parameters).all()
    return "\n".join(str(r[-1]) for r in rows)


def _scans(backend: str, plan: str) -> list[str]:
    """Plan lines that read a whole big table (or a whole index of one, which is no better)."""
    if backend == "sqlite":
        pattern = rf"\bSCAN ({'|'.join(BIG_TABLES)})\b"
    else:
        pattern = rf"Seq Scan on ({'|'.join(BIG_TABLES)})\b"
    return [line.strip() for line in plan.splitlines() if re.search(pattern, line)]


def _calls(s: dict[str, Any]) -> dict[str, Call]:
    """The lookups and lists behind the API's camera, filing and operator routes."""
    def cams(**kw: Any) -> Call:
        return lambda session, actor: cameras.list_visible(session, actor=actor, **kw)

    def fils(**kw: Any) -> Call:
        return lambda session, actor: filings.list_visible(session, actor=actor, **kw)

    def ops(**kw: Any) -> Call:
        return lambda session, actor: operators.list_visible(session, actor=actor, **kw)

    return {
        "camera by code": cams(code=s["code"]), "camera by serial": cams(serial=s["serial"]),
        "camera by mac": cams(mac=s["mac"]), "camera by shared ip": cams(ip=s["shared_ip"]),
        "cameras by station": cams(station_id=s["station"]),
        "cameras by station, deep page": cams(station_id=s["station"], after_id=s["after"]),
        "cameras by district": cams(district_code=s["district"]),
        "cameras by district, deep page": cams(district_code=s["district"], after_id=s["after"]),
        "cameras by quiet district": cams(district_code=s["quiet_district"]),
        "cameras by quiet district, deep page": cams(district_code=s["quiet_district"], after_id=s["after"]),
        "cameras of a filing": cams(filing_id=s["filing_id"]),
        "cameras of an operator": cams(operator_id=s["operator_id"]),
        "all cameras": cams(), "all cameras, deep page": cams(after_id=s["after"]),
        "one camera": lambda session, actor: _maybe(get_visible, session, Camera, s["camera_id"], actor.user),
        "filings": fils(), "filings by state": fils(state=FilingState.accepted),
        "filings by unit": fils(filing_unit_code="101"), "filings by district": fils(district_code=s["district"]),
        "filings of an operator": fils(operator_id=s["operator_id"]), "overdue filings": fils(overdue_on=date.today()),
        "filings, deep page": fils(after_id=s["after"] // 10),
        "one filing": lambda session, actor: _maybe(get_visible, session, Filing, s["filing_id"], actor.user),
        "filing history": lambda session, actor: _maybe(filings.history, session, actor=actor,
                                                         filing_id=s["filing_id"]),
        "receipt camera count": lambda session, _actor: cameras.count_active(session, filing_id=s["filing_id"]),
        "operators": ops(), "operators by district": ops(district_code=s["district"]),
        "operators by unit": ops(filing_unit_code="101"),
    }


def _maybe(function: Callable[..., object], *args: Any, **kwargs: Any) -> object:
    """Run a get that may rightly answer 404 for this user: the query is what is checked."""
    from registry.errors import NotFound

    try:
        return function(*args, **kwargs)
    except NotFound:
        return None


@pytest.mark.slow
@pytest.mark.parametrize("who", ["city", "branch", "station", "operator"])
def test_every_api_query_has_an_index_path(filled: Filled, who: str) -> None:
    actor = filled.actors[who]
    problems = []
    checked = 0
    for label, call in _calls(filled.sample).items():
        with Session(filled.engine) as session:
            with _captured(filled.engine) as statements:
                call(session, actor)
            session.rollback()
        assert statements, f"{label}: the service sent no query"
        for statement, parameters in statements:
            plan = _plan(filled, statement, parameters)
            checked += 1
            if _scans(filled.backend, plan):
                problems.append(f"{label}:\n  {statement}\n  {parameters}\n  {plan}")
    assert checked >= len(_calls(filled.sample))
    assert not problems, f"{len(problems)} queries scan a big table:\n" + "\n\n".join(problems)


# For the city supervisor (no scope clause) each filtered list must use the index designed for it:
# a primary-key walk with a filter would also avoid "Seq Scan" while reading the whole table. (For a
# district holding a fifth of the city such a walk finds 50 rows in 250 and PostgreSQL rightly takes it;
# the designed index must win where it matters, on a district with few cameras.)
DESIGNED = {
    "camera by code": ("ix_camera_code",), "camera by serial": ("ix_camera_serial_id",),
    "camera by mac": ("ix_camera_mac_id",), "camera by shared ip": ("ix_camera_ip_id",),
    "cameras by station": ("ix_camera_station_id_id",), "cameras by station, deep page": ("ix_camera_station_id_id",),
    "cameras by quiet district": ("ix_camera_district_code_id",),
    "cameras by quiet district, deep page": ("ix_camera_district_code_id",),
    "cameras of a filing": ("ix_camera_filing_id_id",), "cameras of an operator": ("ix_camera_operator_id_id",),
    "filings by state": ("ix_filing_state_id",), "filings by unit": ("ix_filing_filing_unit_code_id",),
    "filings of an operator": ("ix_filing_operator_id_id",),
    "operators by district": ("ix_operator_district_code_id",),
    "operators by unit": ("ix_operator_filing_unit_code_id",),
}


# A branch officer's lists carry the scope clause; they must still walk the same indexes (not start from the
# branch's operators, fetch all their cameras and sort them).
BRANCH_DESIGNED = ("cameras by station", "cameras by station, deep page", "cameras by quiet district",
                   "cameras by quiet district, deep page")


@pytest.mark.slow
@pytest.mark.parametrize("who", ["city", "branch"])
def test_lists_use_the_index_designed_for_them(filled: Filled, who: str) -> None:
    calls = _calls(filled.sample)
    wrong = []
    for label, indexes in DESIGNED.items():
        if who == "branch" and label not in BRANCH_DESIGNED:
            continue
        with Session(filled.engine) as session, _captured(filled.engine) as statements:
            calls[label](session, filled.actors[who])
        plan = _plan(filled, *statements[-1])
        if not any(name in plan for name in indexes):
            wrong.append(f"{label}: expected {' or '.join(indexes)}\n{plan}")
    assert not wrong, "\n\n".join(wrong)


@pytest.mark.slow
def test_deep_station_page_starts_at_the_cursor(filled: Filled) -> None:
    """A deep keyset page seeks into (station_id, id): the index condition carries the cursor."""
    with Session(filled.engine) as session, _captured(filled.engine) as statements:
        cameras.list_visible(session, actor=filled.actors["city"], station_id=filled.sample["station"],
                             after_id=filled.sample["after"])
    plan = _plan(filled, *statements[-1])
    assert "ix_camera_station_id_id" in plan, plan
    if filled.backend == "sqlite":
        assert re.search(r"station_id=\? AND (rowid|id)>\?", plan), plan
    else:
        assert re.search(r"Index Cond: .*station_id.* AND \(id > \d+\)", plan), plan


@pytest.mark.slow
def test_models_and_migrations_declare_the_same_indexes(filled: Filled) -> None:
    """Autogenerate finds nothing to do: the ORM and migration 0003 agree on every index."""
    with filled.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), SQLModel.metadata)
    assert diff == []


@pytest.mark.slow
@pytest.mark.parametrize("who", ["city", "branch"])
def test_the_statistics_count_cameras_from_their_index(filled: Filled, who: str) -> None:
    """数据报送's camera figures read the coded cameras' covering index (migration 0016) on PostgreSQL; no scan."""
    from registry.statistics import service
    from registry.statistics.periods import Period
    from registry.units.models import PoliceUnit

    union: list[tuple[str, Any]] = []  # the one statement of every figure but the due counts (WITH …)

    def hook(_conn: Any, _cursor: Any, statement: str, parameters: Any, _context: Any, _many: bool) -> None:
        if "UNION ALL" in statement:
            union.append((statement, parameters))

    event.listen(filled.engine, "before_cursor_execute", hook)
    try:
        with Session(filled.engine) as session:
            unit = session.get_one(PoliceUnit, filled.actors[who].user.unit_code)
            service.count(session, unit=unit, period=Period.parse("2026-Q4"), today=date(2026, 12, 5),
                          now=datetime(2026, 12, 5, 4, tzinfo=UTC))
    finally:
        event.remove(filled.engine, "before_cursor_execute", hook)
    assert len(union) == 1, union
    plan = _plan(filled, *union[0])
    if filled.backend == "postgres":  # SQLite, the small registry's database, may walk (operator_id, id) instead
        assert "ix_camera_coded_tally" in plan, plan
    assert not [line for line in _scans(filled.backend, plan) if "camera" in line], plan


def _queue_statements(filled: Filled, queue: str) -> list[tuple[str, Any]]:
    """The rows and the count the desk's queue or the 核对 queue sends for the branch's intake officer."""
    from registry.ui.forms import FormErrors
    from registry.ui.listing import ListResult, fetch

    # The filing pages import the desk's at their end: they come first.
    filing_rows = importlib.import_module("registry.filings.pages").filing_rows
    from registry.filings import desk_pages, verify_pages

    user = filled.actors["branch"].user
    if queue == "desk":
        spec, query = desk_pages.QUEUE, filing_rows(user, desk_pages.QueueFilters().to_export(user.unit_code))
    else:
        spec, query = verify_pages.QUEUE, verify_pages.queue_rows(user, verify_pages.QueueFilters().to_export())
    result = ListResult(spec=spec, params={}, filters=None, errors=FormErrors(), sort_key="deadline")
    with Session(filled.engine) as session, _captured(filled.engine) as statements:
        fetch(session, spec, query, result)
    assert result.rows, f"the {queue} queue of the filled city is empty"
    return statements


@pytest.mark.slow
@pytest.mark.parametrize(("queue", "index", "states"), [
    ("desk", "ix_filing_open_unit_deadline", "('submitted', 'accepted', 'corrected', 'correction_requested')"),
    ("verify", "ix_filing_awaiting_verification_deadline", "('accepted', 'corrected')")])
def test_queues_walk_their_partial_index_in_deadline_order(filled: Filled, queue: str, index: str,
                                                           states: str) -> None:
    """The desk's queue and the 核对 queue read their page (and count) from migration 0017's partial indexes in
    deadline order, instead of reading every open filing of the branch and sorting it. The states are written
    into the SQL: as parameters, a prepared statement's generic plan (psycopg prepares a statement run five
    times) could not prove the index's predicate and fell back to the sort."""
    rows, count = _queue_statements(filled, queue)
    assert f"state IN {states}" in rows[0] and f"state IN {states}" in count[0], rows[0]
    for statement, parameters in (rows, count):
        plan = _plan(filled, statement, parameters)
        # (SQLite "SCAN"s the partial index in order: it holds only the queue's filings.)
        assert not [line for line in _scans(filled.backend, plan) if index not in line], plan
        if queue == "desk":
            assert index in plan, f"{statement}\n{plan}"
        # The 核对 queue of a test city holds a hundred filings: its (state, deadline) index serves them as well
        # (bench/pages.py: the partial index at 100,000 filings). Either way the operators the unit verifies
        # are looked up by their index, not read whole to test the OR of the two units.
        elif filled.backend == "postgres":
            assert "Index Cond: ((verifying_unit_code)" in plan, plan
