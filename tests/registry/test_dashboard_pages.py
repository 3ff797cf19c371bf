"""The supervisor's dashboard: scoped figures, each link opening a list with exactly that many rows."""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlmodel import Session

from registry.auth.models import Role
from registry.filings.models import Filing, FilingState
from registry.operators.models import Operator
from registry.timeutil import beijing_today
from registry.units.models import PoliceUnit
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


# --- the half-year's inspections: completion per area (issue 11 point 3) ----------------------------------------

_DUE_LINK = re.compile(r'<a href="(/inspections/due\?[^"]*)">([\d,]+)</a>')
_DUE_COUNT = re.compile(r'共 <b>([\d,]+)</b> 条')  # the due list's count is exact (never 1,000+)


def _completion_row(page: str, label: str) -> list[str]:
    """The cells of one row of the completion table (the row whose header holds `label`)."""
    table = page.split('id="inspection-completion"', 1)[1].split("</table>", 1)[0]
    for row in re.findall(r"<tr>(.*?)</tr>", table, re.S):
        if label in row:
            return [re.sub(r"<[^>]+>|\s+", "", c) for c in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
    raise AssertionError(f"no row {label}")


def _check_due_links(client: TestClient, page: str) -> int:
    """Every completion figure that links opens the due list of exactly that many operators."""
    links = [(html.unescape(url), int(n.replace(",", ""))) for url, n in _DUE_LINK.findall(page)]
    for url, n in links:
        response = client.get(url)
        assert response.status_code == 200, url
        found = _DUE_COUNT.search(response.text)
        assert found and int(found.group(1)) == n, f"{url}: the dashboard says {n}"
    return len(links)


def test_inspection_completion_per_area_on_the_dashboard(
        client: TestClient, engine: Engine, make_operator: Callable[..., Operator],
        make_person: Callable[..., Person]) -> None:
    import datetime as dt

    from registry.inspections.models import Inspection
    from tests.registry.test_inspections import Site, set_filed_at, set_today

    set_today(client, dt.date(2026, 12, 5))
    early = dt.datetime(2026, 1, 10, 2, tzinfo=dt.UTC)
    inspected, inspected_before, never, filed_late = (Site(client, make_operator(), make_person) for _ in range(4))
    for site in (inspected, inspected_before, never):
        set_filed_at(engine, site.filing_id, early)
    set_filed_at(engine, filed_late.filing_id, dt.datetime(2026, 11, 1, 2, tzinfo=dt.UTC))  # first due in 2027H1
    this_half = inspected.complete()
    inspected_before.complete(on=dt.date(2026, 3, 1))
    with Session(engine) as session:  # its unit's 科信 reviewed it (the window's rules are tested elsewhere)
        row = session.get_one(Inspection, this_half["id"])
        row.reviewed_at = dt.datetime(2026, 10, 10, 2, tzinfo=dt.UTC)
        session.add(row)
        session.commit()
    with Session(engine) as session:
        station = session.get_one(PoliceUnit, inspected.station).name

    sign_in(client, make_person(Role.supervisor, "001"))
    page = client.get("/dashboard?district=")
    assert page.status_code == 200 and "检查完成情况 · 2026年下半年" in page.text
    # 应检 已检 完成率 从未检查 本期待检 逾期未检 检查笔录 科信已复查: the late filer is not due yet.
    assert _completion_row(page.text, "东城区") == ["3", "1", "33%", "1", "1", "0", "1", "1（100%）"]
    assert 'id="done-percent">33%<' in page.text
    assert _check_due_links(client, page.text) >= 8  # the district's row and the total, each figure its list

    # The station's row inside the district, its figures the station's part of the due list.
    district = client.get("/dashboard?district=110101").text
    assert "station_id=" in district and _check_due_links(client, district) >= 8
    assert _completion_row(district, station)[:3] == ["3", "1", "33%"]

    # The first half-year, now over: the two not inspected in it are overdue.
    first = client.get("/dashboard?district=&half=2026H1").text
    assert "检查完成情况 · 2026年上半年" in first
    assert _completion_row(first, "东城区") == ["3", "1", "33%", "0", "0", "2", "1", "0（0%）"]
    overdue = client.get("/inspections/due?half=2026H1&status=overdue&district_code=110101").text
    assert never.operator.name in overdue and inspected.operator.name in overdue
    assert inspected_before.operator.name not in overdue
    assert _check_due_links(client, first) >= 6  # zeros are not links

    # The branch sees the same figures for its district; another district's supervisor sees none of them.
    sign_in(client, make_person(Role.supervisor, "101"))
    assert _completion_row(client.get("/dashboard").text, station)[:3] == ["3", "1", "33%"]
    sign_in(client, make_person(Role.supervisor, "108"))
    other = client.get("/dashboard?district=").text
    assert "东城区" not in other.split('id="inspection-completion"', 1)[1]
    # A malformed area on the due list is named, not a crash.
    bad = client.get("/inspections/due?district_code=abc")
    assert bad.status_code == 200 and "区域代码格式不正确" in bad.text


def test_slow_figures_are_kept_and_recounted_behind_the_page_after_a_change_or_a_minute(
        client: TestClient, world: dict[str, Any], engine: Engine, monkeypatch: pytest.MonkeyPatch,  # noqa: F811
        make_person: Callable[..., Person], make_operator: Callable[..., Operator]) -> None:
    from registry.dashboard import cache

    monkeypatch.setattr(cache, "SLOW_S", 0.0)  # every count counts as slow: kept (a city's takes ~1 s)
    branch = TestClient(client.app)  # a 东城 officer in a browser of his own, signed in first
    sign_in(branch, make_person(Role.supervisor, "101"))
    sign_in(client, make_person(Role.supervisor, "001"))
    first = client.get("/dashboard?district=").text
    assert "沿用" not in first
    statements: list[str] = []

    def count(*args: Any) -> None:
        statements.append(args[2])

    event.listen(engine, "before_cursor_execute", count)
    try:
        again = client.get("/dashboard?district=").text
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert "沿用" in again and _links(again) == _links(first)
    assert not [s for s in statements if "GROUP BY" in s]  # nothing counted again
    # Another unit's view is its own: the branch's officer does not get the city's kept figures.
    own = branch.get("/dashboard?district=").text
    assert "沿用" not in own and dict(_links(own))["/operators"] < dict(_links(first))["/operators"]
    operators = dict(_links(first))["/operators"]
    make_operator()  # through the service, audited: the chain moves, the figures are counted again
    # The request after the change is served the kept figures, saying they are being counted again
    # (refresh-ahead: nobody waits for the recount); the next one, once it is done, has the new operator.
    during = client.get("/dashboard?district=").text
    assert "正在重新统计" in during and dict(_links(during))["/operators"] == operators
    cache.settle()
    after = client.get("/dashboard?district=").text
    assert "沿用" in after and "正在重新统计" not in after and dict(_links(after))["/operators"] == operators + 1
    # A row written outside the workflow (the chain does not move) is found by the minute's recount, which
    # runs behind the page: the request that finds the figures older than a minute is served them still.
    with Session(engine) as session:
        moved = session.get(Operator, world["ids"]["operator_id"])
        assert moved is not None and moved.district_code == "110101"
        moved.district_code = "110102"
        session.commit()
    monkeypatch.setattr(cache, "MAX_AGE_S", 0.0)
    served = client.get("/dashboard?district=").text
    assert "正在重新统计" in served and _links(served) == _links(after)
    cache.settle()
    recounted = dict(_links(client.get("/dashboard?district=").text))
    assert recounted["/operators?district_code=110101"] == dict(_links(after))["/operators?district_code=110101"] - 1
    # Figures too old to serve (the recount failed, or nobody looked for a while) are counted while one waits.
    monkeypatch.setattr(cache, "STALE_LIMIT_S", 0.0)
    assert "沿用" not in client.get("/dashboard?district=").text
    cache.settle()
