"""The inspection due list (应检清单) computed, counted and paged in SQL: every operator exactly once, most urgent
first (overdue, never inspected, due, done, then by name and id), the counts the rows' own, across the year
boundary, operators filed mid-half-year, the status filter, the export, and the unit's scope."""

from __future__ import annotations

import csv
import datetime as dt
import html
import io
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session

from registry.auth.models import Role
from registry.filings.models import Filing, FilingState
from registry.inspections import due
from registry.inspections.models import Inspection, InspectionKind, InspectionState
from registry.inspections.periods import HalfYear
from registry.operators.models import Operator
from tests.registry.conftest import Person
from tests.registry.page_helpers import sign_in
from tests.registry.test_inspections import set_today

UTC = dt.UTC
# The list's order of statuses, as the product states it (due.ORDER): overdue, never inspected, due, done.
RANK = {"overdue": 0, "never_inspected": 1, "due": 2, "done": 3}
EARLY = dt.datetime(2026, 2, 1, 2, tzinfo=UTC)  # filed in time for 2026H1 and every half-year after


@dataclass
class Spec:
    """One operator of the world: its name, when it was filed, its inspections (day, state)."""

    name: str
    filed_at: dt.datetime | None = EARLY
    inspections: list[tuple[dt.date, InspectionState]] = field(default_factory=list)
    filing_state: FilingState = FilingState.filed
    superseded_at: dt.datetime | None = None  # an earlier filing since superseded by a change


@dataclass
class World:
    """The operators of 东城's station, by name, their ids, and the people who look at their list."""

    ids: dict[str, int]
    names: dict[int, str]
    station: str
    branch: str
    inspector: Person


def _build(engine: Engine, make_operator: Callable[..., Operator], make_person: Callable[..., Person],
           specs: list[Spec]) -> World:
    """The operators, their filings and inspections written directly (the workflow is tested elsewhere)."""
    clerk = make_person(Role.admin, "001")
    ids: dict[str, int] = {}
    operators = [make_operator(name=s.name) for s in specs]
    with Session(engine) as session:
        for n, (spec, operator) in enumerate(zip(specs, operators, strict=True)):
            assert operator.id is not None
            ids[spec.name] = operator.id
            filings = [(spec.filing_state, spec.filed_at)]
            if spec.superseded_at is not None:
                filings.append((FilingState.superseded, spec.superseded_at))
            for state, filed_at in filings:
                session.add(Filing(operator_id=operator.id, filing_unit_code=operator.filing_unit_code,
                                   submitted_by_id=clerk.user.id, system_name="视频监控系统", system_location="大堂",
                                   system_in_use_date=dt.date(2026, 1, 5), retention_days=30,
                                   camera_count_declared=1, camera_types_declared="枪机×1", state=state,
                                   filed_at=filed_at if state != FilingState.submitted else None))
            for k, (day, state) in enumerate(spec.inspections):
                session.add(Inspection(number=f"TEST-{n:03d}-{k}", operator_id=operator.id,
                                       unit_code=operator.verifying_unit_code, kind=InspectionKind.periodic,
                                       state=state, inspected_on=day, created_by_id=clerk.user.id))
        session.commit()
    station, branch = operators[0].verifying_unit_code, operators[0].filing_unit_code
    assert all(o.verifying_unit_code == station for o in operators)
    return World(ids=ids, names={v: k for k, v in ids.items()}, station=station, branch=branch,
                 inspector=make_person(Role.inspector, station))


SIGNED, REFUSED, OPEN = InspectionState.signed, InspectionState.refused, InspectionState.open


def _specs() -> list[Spec]:
    """Two dozen operators of every status in 2026H2, names out of id order, two of them the same name."""
    specs = [
        Spec("乙单位", inspections=[(dt.date(2026, 9, 1), SIGNED)]),                 # done
        Spec("甲单位", inspections=[(dt.date(2026, 11, 2), REFUSED)]),               # done: the refusal noted
        Spec("丙单位", inspections=[(dt.date(2026, 3, 1), SIGNED)]),                 # due: inspected in H1 only
        Spec("丁单位", inspections=[(dt.date(2026, 3, 1), SIGNED), (dt.date(2026, 12, 1), OPEN)]),  # due: not recorded
        Spec("戊单位"),                                                               # never inspected
        Spec("己单位", inspections=[(dt.date(2026, 12, 2), OPEN)]),                  # never: only an open record
        Spec("同名单位"), Spec("同名单位"),                                           # never, the same name: by id
        Spec("庚单位", filed_at=dt.datetime(2026, 9, 30, 15, tzinfo=UTC)),           # 30 Sep 23:00 Beijing: in time
        Spec("辛单位", filed_at=dt.datetime(2026, 9, 30, 17, tzinfo=UTC)),           # 1 Oct in Beijing: next half
        Spec("壬单位", filed_at=dt.datetime(2026, 11, 15, 2, tzinfo=UTC)),           # filed mid-half: next half
        Spec("癸单位", filing_state=FilingState.submitted),                           # not filed: on no list
        Spec("子单位", filed_at=dt.datetime(2026, 11, 15, 2, tzinfo=UTC),            # changed in November: counts
             superseded_at=dt.datetime(2026, 4, 1, 2, tzinfo=UTC)),                  # from its first filing
        Spec("波浪~单位"), Spec("百分%单位", inspections=[(dt.date(2026, 8, 8), SIGNED)]),
    ]
    for n in range(11):  # more of each, so that pages of 20 turn
        day = [dt.date(2026, 10, 1 + n)] if n % 3 == 0 else [dt.date(2025, 10, 1 + n)] if n % 3 == 1 else []
        specs.append(Spec(f"测试单位{(n * 7) % 11:02d}", inspections=[(d, SIGNED) for d in day]))
    return specs


def _expected(world: World, half: str, today: dt.date) -> list[tuple[int, str]]:
    """(operator id, status) in the list's order, classified here by hand from the specs."""
    specs = {s.name: s for s in _specs()}
    h = HalfYear.parse(half)
    beijing = dt.timezone(dt.timedelta(hours=8))
    cutoff = dt.datetime.combine(h.first_due_cutoff + dt.timedelta(days=1), dt.time(), beijing)
    rows = []
    for name, operator_id in world.ids.items():
        spec = specs[name]
        filed = [t for s, t in ((spec.filing_state, spec.filed_at), (FilingState.superseded, spec.superseded_at))
                 if t is not None and s != FilingState.submitted]
        if not filed or min(filed) >= cutoff:
            continue
        recorded = [d for d, s in spec.inspections if s != OPEN and d <= max(h.end, today)]
        if any(h.start <= d <= h.end for d in recorded):
            status = "done"
        elif today > h.end:
            status = "overdue"
        else:
            status = "due" if recorded else "never_inspected"
        rows.append((operator_id, status))
    return sorted(rows, key=lambda r: (RANK[r[1]], world.names[r[0]], r[0]))


def _api_pages(client: TestClient, person: Person, query: str, limit: int) -> tuple[list[dict[str, Any]], Any]:
    """Every page of the API's due list, following next_after; the rows and the last page's counts."""
    items: list[dict[str, Any]] = []
    after: str | None = None
    for _ in range(100):
        paging = urlencode({"limit": limit, **({"after": after} if after is not None else {})})
        response = client.get(f"/api/v1/inspections/due?{query}&{paging}", headers=person.headers)
        assert response.status_code == 200, response.text
        body = response.json()
        assert len(body["items"]) <= limit
        items.extend(body["items"])
        after = body["next_after"]
        if after is None:
            return items, body["counts"]
    raise AssertionError("the due list never ended")


@pytest.fixture
def world(client: TestClient, engine: Engine, make_operator: Callable[..., Operator],
          make_person: Callable[..., Person]) -> World:
    set_today(client, dt.date(2026, 12, 5))
    return _build(engine, make_operator, make_person, _specs())


def _same_name_ids(world: World, rows: list[dict[str, Any]]) -> list[int]:
    return sorted(r["operator_id"] for r in rows if r["name"] == "同名单位")


def test_paging_the_api_returns_every_operator_once_most_urgent_first_with_exact_counts(
        client: TestClient, world: World) -> None:
    rows, counts = _api_pages(client, world.inspector, "half=2026H2", limit=4)
    ids = [r["operator_id"] for r in rows]
    assert len(ids) == len(set(ids)) == 23  # 26 operators: 辛 and 壬 are first due next half, 癸 is not filed
    for name in ("辛单位", "壬单位", "癸单位"):
        assert world.ids[name] not in ids
    twins = _same_name_ids(world, rows)
    assert len(twins) == 2
    world.names[twins[0]] = world.names[twins[1]] = "同名单位"
    world.ids.pop("同名单位")
    expected = _expected(world, "2026H2", dt.date(2026, 12, 5))
    expected_all = sorted([*expected, *((t, "never_inspected") for t in twins)],
                          key=lambda r: (RANK[r[1]], world.names[r[0]], r[0]))
    assert [(r["operator_id"], r["status"]) for r in rows] == expected_all
    assert [r["operator_id"] for r in rows if r["name"] == "同名单位"] == twins  # the same name: by id
    by_name = {r["name"]: r for r in rows}
    assert by_name["甲单位"]["status"] == "done" and by_name["丁单位"]["status"] == "due"
    assert by_name["己单位"]["status"] == "never_inspected" and by_name["己单位"]["last_inspected_on"] is None
    assert by_name["庚单位"]["status"] == "never_inspected"  # filed at 23:00 on 30 September, Beijing time
    assert by_name["子单位"]["first_filed_on"] == "2026-04-01"  # its superseded filing's date
    assert by_name["乙单位"]["inspections_in_half"] == 1 and by_name["乙单位"]["last_inspected_on"] == "2026-09-01"
    assert by_name["丙单位"]["due_by"] == "2026-12-31"
    # The counts are the rows' own, on every page; and the SQL's CASE (the export's, due_list's) agrees.
    tally = Counter(r["status"] for r in rows)
    assert counts == {"total": 23, "overdue": 0, **{s: tally[s] for s in ("never_inspected", "due", "done")}}
    # Every status filter pages through exactly its rows, in the same order.
    for status in ("never_inspected", "due", "done", "overdue"):
        only, only_counts = _api_pages(client, world.inspector, f"half=2026H2&status={status}", limit=3)
        assert [r["operator_id"] for r in only] == [r["operator_id"] for r in rows if r["status"] == status]
        assert only_counts == counts
    assert client.get("/api/v1/inspections/due?after=nonsense", headers=world.inspector.headers).status_code == 422


def test_the_sql_case_and_the_paged_statuses_agree(client: TestClient, engine: Engine, world: World) -> None:
    for half, today in (("2026H2", dt.date(2026, 12, 5)), ("2026H2", dt.date(2027, 1, 4)),
                        ("2027H1", dt.date(2027, 1, 4)), ("2026H1", dt.date(2026, 12, 5))):
        with Session(engine) as session:
            listed = due.due_list(session, unit_code=world.station, half=HalfYear.parse(half), today=today)
            c = due.classified(HalfYear.parse(half), today)
            paged, cursor = [], None
            while True:
                rows, cursor = due.due_page(session, c, where=due.unit_scope(world.station), after=cursor, limit=5)
                paged.extend(rows)
                if cursor is None:
                    break
            counts = due.counts(session, half=HalfYear.parse(half), today=today, where=due.unit_scope(world.station))
        assert paged == listed, half
        assert counts == {"total": len(listed), **{s.value: sum(r.status == s for r in listed) for s in due.DueStatus}}


def test_across_the_year_boundary(client: TestClient, world: World) -> None:
    set_today(client, dt.date(2027, 1, 4))
    last, counts = _api_pages(client, world.inspector, "half=2026H2", limit=50)
    statuses = {r["name"]: r["status"] for r in last}
    assert set(statuses.values()) == {"overdue", "done"}  # the half-year is over
    assert statuses["乙单位"] == "done" and statuses["丙单位"] == statuses["戊单位"] == "overdue"
    assert [r["status"] for r in last] == sorted((r["status"] for r in last), key=RANK.__getitem__)
    assert counts["overdue"] == sum(r["status"] == "overdue" for r in last) and counts["due"] == 0
    current, counts = _api_pages(client, world.inspector, "", limit=7)
    statuses = {r["name"]: r["status"] for r in current}
    assert "done" not in statuses.values() and counts["done"] == 0
    # Filed in November and on 1 October (Beijing): first due in 2027H1, never inspected.
    assert statuses["壬单位"] == statuses["辛单位"] == "never_inspected"
    assert statuses["乙单位"] == "due" and statuses["戊单位"] == "never_inspected"
    assert "癸单位" not in statuses and counts["total"] == len(current) == 25
    overdue_only, _ = _api_pages(client, world.inspector, "status=overdue", limit=5)
    assert overdue_only == []  # nothing is overdue before the half-year ends


def _page_rows(text: str) -> list[int]:
    return [int(n) for n in re.findall(r'<tr>\s*<td><a href="/operators/(\d+)">', text)]


def _link(text: str, rel: str) -> str | None:
    found = re.search(rf'<a class="button secondary" href="([^"]+)"[^>]*rel="{rel}"', text)
    return html.unescape(found.group(1)) if found else None


def test_the_page_pages_by_keyset_with_exact_counts_and_exports_the_rows_shown(
        client: TestClient, world: World) -> None:
    api, _ = _api_pages(client, world.inspector, "half=2026H2", limit=50)
    sign_in(client, world.inspector)
    page = client.get("/inspections/due?half=2026H2&per_page=20")
    assert page.status_code == 200
    assert "共 <b>23</b> 条" in page.text and "精确计数" not in page.text
    first = _page_rows(page.text)
    assert len(first) == 20
    following = _link(page.text, "next")
    assert following is not None and "after=" in following
    second_page = client.get(following)
    second = _page_rows(second_page.text)
    assert first + second == [r["operator_id"] for r in api]  # each once, in the list's order
    assert _link(second_page.text, "next") is None
    back = _link(second_page.text, "prev")
    assert back is not None and _page_rows(client.get(back).text) == first
    htmx = client.get(following, headers={"HX-Request": "true"})
    assert htmx.status_code == 200 and _page_rows(htmx.text) == second and "<html" not in htmx.text
    # The counts by status, each linking to its rows.
    done = [r["operator_id"] for r in api if r["status"] == "done"]
    assert re.search(rf'status=done[^"]*">本期已检</a><b>{len(done)}</b>', page.text)
    filtered = client.get("/inspections/due?half=2026H2&status=done")
    assert _page_rows(filtered.text) == done and f"共 <b>{len(done)}</b> 条" in filtered.text
    searched = client.get("/inspections/due?half=2026H2&q=%25")  # a literal %, not a wildcard
    assert _page_rows(searched.text) == [world.ids["百分%单位"]] and "共 <b>1</b> 条" in searched.text
    # 导出: exactly the filtered rows, with their status.
    export = client.get("/inspections/due/export.csv?half=2026H2&status=done")
    assert export.status_code == 200, export.text
    lines = list(csv.reader(io.StringIO(export.content.decode("utf-8-sig"))))
    assert lines[1][:2] == ["operator_id", "name"]
    assert [int(r[0]) for r in lines[2:]] == done  # in the list's order
    assert {r[lines[1].index("status")] for r in lines[2:]} == {"本期已检"}
    assert "/inspections/due/export.xlsx?" in page.text
    xlsx = client.get("/inspections/due/export.xlsx?half=2026H2")
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"
    every = client.get("/inspections/due/export.csv?half=2026H2").content.decode("utf-8-sig")
    assert [int(r[0]) for r in list(csv.reader(io.StringIO(every)))[2:]] == [r["operator_id"] for r in api]


def test_another_units_officer_sees_none_of_the_list(client: TestClient, world: World,
                                                     make_person: Callable[..., Person]) -> None:
    haidian = make_person(Role.inspector, "108")
    assert client.get(f"/api/v1/inspections/due?unit_code={world.station}",
                      headers=haidian.headers).status_code == 403
    rows, counts = _api_pages(client, haidian, "half=2026H2", limit=50)
    assert rows == [] and counts["total"] == 0
    sign_in(client, haidian)
    assert client.get(f"/inspections/due?unit_code={world.branch}").status_code == 403
    assert client.get(f"/inspections/due/export.csv?unit_code={world.station}").status_code == 403
    own = client.get("/inspections/due?half=2026H2")
    assert own.status_code == 200 and _page_rows(own.text) == [] and "乙单位" not in own.text
    export = client.get("/inspections/due/export.csv?half=2026H2")
    assert export.status_code == 200 and len(export.content.decode("utf-8-sig").splitlines()) == 2
    # The station's branch sees its stations' operators.
    branch = make_person(Role.intake, world.branch)
    rows, counts = _api_pages(client, branch, "half=2026H2", limit=50)
    assert counts["total"] == len(rows) == 23
