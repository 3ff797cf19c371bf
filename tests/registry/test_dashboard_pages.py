"""The supervisor's dashboard: scoped figures, each link opening a list with exactly that many rows."""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlmodel import Session

from registry.auth.models import Role
from registry.filings.models import Filing, FilingState
from registry.operators.models import Operator
from registry.timeutil import beijing_today
from tests.registry.conftest import Person
from tests.registry.page_helpers import sign_in
from tests.registry.test_scope import world  # noqa: F401  (the shared scenario fixture)

_LINK = re.compile(r'<a href="(/(?:filings|operators|cameras)(?:\?[^"]*)?)">([\d,]+)</a>')
_COUNT = re.compile(r'共 <b>([\d,]+)\+?</b> 条')


def _links(page: str) -> list[tuple[str, int]]:
    return [(html.unescape(url), int(n.replace(",", ""))) for url, n in _LINK.findall(page)]


def _list_count(client: TestClient, url: str) -> int:
    response = client.get(url)
    assert response.status_code == 200, url
    found = _COUNT.search(response.text)
    assert found, url
    return int(found.group(1).replace(",", ""))


def _check_links(client: TestClient, page: str) -> int:
    """Every figure's link opens a list of exactly that many rows; returns how many links were followed."""
    links = _links(page)
    for url, n in links:
        assert _list_count(client, url) == n, f"{url}: the dashboard says {n}"
    return len(links)


def test_city_supervisor_sees_every_district_and_every_figure_is_its_list(
        client: TestClient, world: dict[str, Any], make_person: Callable[..., Person]) -> None:  # noqa: F811
    liu = make_person(Role.supervisor, "001")
    sign_in(client, liu)
    page = client.get("/dashboard")
    assert page.status_code == 200
    assert 'href="/dashboard?district=110101"' in page.text and 'href="/dashboard?district=110108"' in page.text
    assert "/maps/city" in page.text and "/maps/district/110101" in page.text
    assert _check_links(client, page.text) >= 8
    # The district drills down to its stations, whose figures are lists too (filtered by station).
    district = client.get("/dashboard?district=110101")
    assert "派出所" in district.text and "station_id=" in district.text
    assert _check_links(client, district.text) >= 6


def test_a_branch_supervisor_starts_in_its_district_and_sees_only_its_own(
        client: TestClient, world: dict[str, Any], make_person: Callable[..., Person]) -> None:  # noqa: F811
    dongcheng = make_person(Role.supervisor, "101")
    sign_in(client, dongcheng)
    page = client.get("/dashboard")
    assert "统计概览 · 东城区" in page.text and "station_id=" in page.text
    _check_links(client, page.text)
    haidian = make_person(Role.supervisor, "108")
    sign_in(client, haidian)
    city = client.get("/dashboard?district=")
    assert "district=110101" not in city.text  # no 东城 row at all
    east = client.get("/dashboard?district=110101")
    assert "可见范围内尚无数据" in east.text


def test_overdue_decisions_are_counted_and_listed(client: TestClient, world: dict[str, Any], engine: Engine,  # noqa: F811
                                                  make_person: Callable[..., Person]) -> None:
    fid = world["ids"]["filing_id"]
    with Session(engine) as session:  # the deadline set at acceptance passed long ago
        filing = session.get_one(Filing, fid)
        filing.deadline = beijing_today() - timedelta(days=3)
        # The filing waits for the operator's correction: the police clock is suspended, nothing is 办理超期 (第九条).
        assert filing.state == FilingState.correction_requested
        session.add(filing)
        session.commit()
    sign_in(client, make_person(Role.supervisor, "001"))
    assert all(n == 0 for url, n in _links(client.get("/dashboard").text) if "overdue=true" in url)
    assert _list_count(client, "/filings?overdue=true") == 0 and _list_count(client, "/operators?overdue=true") == 0
    with Session(engine) as session:  # the clock runs again (here: as if corrected, deadline still passed)
        filing = session.get_one(Filing, fid)
        filing.state = FilingState.corrected
        session.add(filing)
        session.commit()
    page = client.get("/dashboard").text
    overdue = [(url, n) for url, n in _links(page) if "overdue=true" in url and "/filings" in url]
    assert overdue and all(n == 1 for _, n in overdue)
    assert _list_count(client, "/operators?overdue=true") == 1


def test_the_figures_take_the_same_queries_however_many_operators(
        client: TestClient, world: dict[str, Any], engine: Engine,  # noqa: F811
        make_person: Callable[..., Person], make_operator: Callable[..., Operator]) -> None:
    sign_in(client, make_person(Role.supervisor, "001"))
    statements: list[str] = []

    def count(*args: Any) -> None:
        statements.append(args[2])

    event.listen(engine, "before_cursor_execute", count)
    try:
        client.get("/dashboard")
        before = len(statements)
        for _ in range(5):
            make_operator()
        statements.clear()
        client.get("/dashboard")
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert len(statements) == before


def test_an_operator_is_refused(client: TestClient, world: dict[str, Any]) -> None:  # noqa: F811
    sign_in(client, world["desk"].hotel)
    response = client.get("/dashboard")
    assert response.status_code == 403 and "无权办理" in response.text
