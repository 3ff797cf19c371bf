"""What a page costs in queries, whatever its rows: no query per row (bench/pages.py measures the time)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import delete, event, insert, update
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from registry.auth.models import Role
from registry.filings.models import Filing
from registry.operators.models import Operator
from registry.units.models import PoliceUnit, UnitKind
from tests.registry.conftest import DONGCHENG_POINT, HAIDIAN_POINT, Person
from tests.registry.page_helpers import sign_in
from tests.registry.test_filing_workflow import Desk


@contextmanager
def statements(engine: Engine) -> Iterator[list[str]]:
    """Every SQL statement the engine runs inside the block."""
    seen: list[str] = []

    def note(*args: Any) -> None:
        seen.append(args[2])

    event.listen(engine, "before_cursor_execute", note)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", note)


def test_unit_names_on_a_list_take_one_query_however_many_units(
        client: TestClient, engine: Engine, make_person: Callable[..., Person],
        make_operator: Callable[..., Operator]) -> None:
    operators = [make_operator(lon=DONGCHENG_POINT[0], lat=DONGCHENG_POINT[1]),
                 make_operator(lon=HAIDIAN_POINT[0], lat=HAIDIAN_POINT[1])]
    sign_in(client, make_person(Role.supervisor, "001"))
    with statements(engine) as seen:
        page = client.get("/operators")
    assert page.status_code == 200
    units = {code for o in operators for code in (o.filing_unit_code, o.verifying_unit_code, o.station_id) if code}
    assert len(units) >= 4  # two branches and their stations, each shown by name
    for o in operators:
        assert o.name in page.text
    unit_reads = [s for s in seen if "FROM police_unit" in s]
    # Every name at once, read when a page first names a unit, then kept for the process.
    assert len(unit_reads) <= 1, unit_reads
    assert "东城" in page.text and "海淀" in page.text  # names, not codes
    with statements(engine) as seen:
        assert client.get("/operators").status_code == 200
    assert not [s for s in seen if "FROM police_unit" in s]


def test_kept_unit_names_follow_a_rename_and_a_unit_added_elsewhere(
        engine: Engine, session: Session, monkeypatch: pytest.MonkeyPatch) -> None:
    from registry.units import names
    from registry.units import service as units

    assert names.UnitNames(session)("101") == "东城分局"  # the names are now kept
    try:
        # Renamed here (committed through the service): the kept names are dropped at once.
        units.update(session, actor=None, code="101", name="东城分局（更名）")
        session.commit()
        assert names.UnitNames(session)("101") == "东城分局（更名）"
        # Added, then renamed, by another process (straight into the table): a code not among the kept names
        # reads them all again; a rename shows once the kept names are MAX_AGE_S old.
        session.rollback()  # SQLite: the session's transaction holds the write lock
        with engine.begin() as other:
            other.execute(insert(PoliceUnit).values(code="199", name="新设分局", kind=UnitKind.branch,
                                                    district_code="110101"))
        assert names.UnitNames(session)("199") == "新设分局"
        session.rollback()  # SQLite: the session's transaction holds the write lock
        with engine.begin() as other:
            other.execute(update(PoliceUnit).where(col(PoliceUnit.code) == "199").values(name="新设分局二"))
        assert names.UnitNames(session)("199") == "新设分局"
        monkeypatch.setattr(names, "MAX_AGE_S", 0.0)
        assert names.UnitNames(session)("199") == "新设分局二"
        assert names.UnitNames(session)("999") == "999"  # no such unit: its code
    finally:  # the police units are kept between tests
        session.rollback()
        session.execute(delete(PoliceUnit).where(col(PoliceUnit.code) == "199"))
        units.update(session, actor=None, code="101", name="东城分局")
        session.commit()


def test_a_detail_page_reads_only_the_units_it_shows(
        client: TestClient, engine: Engine, make_person: Callable[..., Person]) -> None:
    sign_in(client, make_person(Role.supervisor, "001"))
    with statements(engine) as seen:
        assert client.get("/account/password").status_code == 200
    assert len([s for s in seen if "FROM police_unit" in s]) <= 1


def _copy_filing(session: Session, filing_id: int, copies: int) -> None:
    """Rows like an existing filing (its number left empty: it is unique), straight into the table."""
    columns = [c for c in Filing.__table__.columns if c.name not in ("id", "number")]  # type: ignore[attr-defined]
    for _ in range(copies):
        session.execute(insert(Filing).from_select([c.name for c in columns],
                                                   select(*columns).where(col(Filing.id) == filing_id)))
    session.commit()


def test_the_queues_and_the_to_do_cost_the_same_queries_for_two_filings_as_for_sixty(
        client: TestClient, engine: Engine, session: Session, make_person: Callable[..., Person],
        make_operator: Callable[..., Operator]) -> None:
    """The desk's queue (waiting working days and the deadline of every row), the 核对 queue and the home page's
    to-do: a fixed handful of statements whatever the rows (the calendar read once, the unit names at most
    twice), and the same with 60 open filings, more than a page, as with 2."""
    desk = Desk(client, make_operator(), make_person)
    submitted, accepted = desk.submit_complete(), desk.submit_complete()
    assert desk.call(desk.wang, "POST", f"/filings/{accepted}/accept")["status"] == 200
    sign_in(client, desk.wang)
    pages = {"/desk": 6, "/verifications": 6, "/": 10}  # the queries each takes today

    def cost() -> dict[str, int]:
        spent = {}
        for url in pages:
            with statements(engine) as seen:
                page = client.get(url)
            assert page.status_code == 200, page.text
            spent[url] = len([s for s in seen if s.lstrip().upper().startswith("SELECT")])  # not SQLite's BEGIN
        return spent

    few = cost()
    _copy_filing(session, submitted, 30)
    _copy_filing(session, accepted, 30)
    queue = client.get("/desk")
    assert queue.text.count('<tr>') > 50 and "下一页" in queue.text  # a full page of rows, and more
    assert cost() == few
    assert all(few[url] <= bound for url, bound in pages.items()), few
