"""What a page costs in queries, whatever its rows: no query per row (bench/pages.py measures the time)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import event
from sqlalchemy.engine import Engine

from registry.auth.models import Role
from registry.operators.models import Operator
from tests.registry.conftest import DONGCHENG_POINT, HAIDIAN_POINT, Person
from tests.registry.page_helpers import sign_in


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
    # The layout's own unit (one row), then every name at once when the rows name a second unit.
    assert len(unit_reads) == 2, unit_reads
    assert "东城" in page.text and "海淀" in page.text  # names, not codes


def test_a_detail_page_reads_only_the_units_it_shows(
        client: TestClient, engine: Engine, make_person: Callable[..., Person]) -> None:
    sign_in(client, make_person(Role.supervisor, "001"))
    with statements(engine) as seen:
        assert client.get("/account/password").status_code == 200
    assert len([s for s in seen if "FROM police_unit" in s]) <= 1
