"""数据报送 statistics (notice, section 五): the figures of a built scenario, the scope, the xlsx read back, the CLI.

The scenario gives one operator two filings, two cameras each, three inspections (one with two hazards),
two rectification notices, two footage accesses and a fine, so any join that multiplies rows (filings ×
cameras, inspections × checklist lines, operators × anything) shows as a wrong number.
"""

from __future__ import annotations

import datetime as dt
import io
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select
from typer.testing import CliRunner

from registry.audit.models import AuditEvent
from registry.auth.models import Role
from registry.cameras.models import Camera, FormFactor
from registry.cli import app as cli
from registry.dashboard import cache
from registry.filings.models import CorrectionNotice, Filing
from registry.inspections.periods import HalfYear
from registry.operators.models import Operator
from registry.penalties.models import PenaltyCase
from registry.settings import Settings
from registry.statistics import service
from registry.statistics.export import FIRST_DATA_ROW, HEADER_ROW, TITLE
from registry.statistics.periods import Period, PeriodKind
from registry.statistics.service import NAMES
from registry.units.models import PoliceUnit
from tests.registry.conftest import HAIDIAN_POINT, Person
from tests.registry.test_filing_workflow import PNG, Desk, _form, placed
from tests.registry.test_footage import entry as footage_entry
from tests.registry.test_inspections import Site, set_today

UTC = dt.UTC


def at(day: str, hour: int = 2) -> dt.datetime:
    """A UTC instant on a day (02:00 UTC is 10:00 in Beijing: the same date)."""
    return dt.datetime.fromisoformat(day).replace(hour=hour, tzinfo=UTC)


def backdate_filing(engine: Engine, filing_id: int, *, submitted: dt.datetime, accepted: dt.datetime | None = None,
                    filed: dt.datetime | None = None, late: bool = False) -> None:
    """Move a filing (and its cameras' registration) to fixed days, so the periods are deterministic."""
    with Session(engine) as session:
        filing = session.get_one(Filing, filing_id)
        filing.submitted_at, filing.late = submitted, late
        filing.accepted_at = accepted or filing.accepted_at
        filing.filed_at = filed if filed is not None else filing.filed_at
        session.add(filing)
        for camera in session.exec(select(Camera).where(Camera.filing_id == filing_id)).all():
            camera.created_at = submitted
            session.add(camera)
        session.commit()


def file_new(site: Site, cameras: tuple[int, ...]) -> int:
    """A further filing of the site's operator with cameras of its own, accepted and filed."""
    desk = site.desk
    filing = desk.call(desk.hotel, "POST", "/filings", json=_form(site.operator.id))
    fid = int(filing["body"]["id"])
    plan = desk.materials(fid)
    assert desk.call(desk.hotel, "POST", f"/filings/{fid}/cameras",
                     json=[{**site.camera(n), **placed(plan)} for n in cameras])["status"] == 201
    assert desk.call(desk.wang, "POST", f"/filings/{fid}/accept")["status"] == 200
    assert desk.file(fid)["status"] == 200
    return fid


def inspect(site: Site, client: TestClient, day: dt.date, hazards: int = 0, record: bool = True) -> dict[str, Any]:
    """An inspection of the site on `day` (the clock moved there), with `hazards` checklist lines found wanting."""
    set_today(client, day)
    inspection = site.open(day)
    if not record:
        return inspection
    answers = [{"key": item["key"], "result": "ok"} for item in inspection["items"]]
    for index in range(hazards):
        answers[index] = {"key": answers[index]["key"], "result": "hazard", "note": f"隐患{index + 1}"}
    assert site.call(site.zhang, "PUT", f"/inspections/{inspection['id']}/items",
                     json={"items": answers}).status_code == 200
    recorded = site.call(site.zhang, "POST", f"/inspections/{inspection['id']}/record", json={
        "findings": "现场检查", "representative_name": "赵经理", "signed": True})
    assert recorded.status_code == 200, recorded.text
    return dict(recorded.json())


def access_on(operator_id: int, day: str) -> dict[str, Any]:
    """A footage-access entry taken on `day`: the night before's footage, approved the day before."""
    before = str(dt.date.fromisoformat(day) - dt.timedelta(days=1))
    return footage_entry(operator_id, accessed_on=day, approved_on=before, footage_from=f"{before}T20:00:00",
                         footage_to=f"{before}T23:30:00")


def penalty(desk: Desk, make_person: Callable[..., Person], operator_id: int, fine: int | None) -> int:
    """A case against the operator; with a fine, taken to the issued decision."""
    case = desk.client.post("/api/v1/penalties", headers=desk.wang.headers, json={
        "operator_id": operator_id, "violation": "not_filed", "facts": "未按规定备案的事实"}).json()
    if fine is None:
        return int(case["id"])
    leader = make_person(Role.leader, "101")
    desk.client.post(f"/api/v1/penalties/{case['id']}/evidence", headers=desk.wang.headers,
                     data={"description": "笔录"}, files={"file": ("x.png", PNG, "image/png")})
    for person, step, body in ((desk.li, "join", None),
                               (desk.li, "propose", {"decision": "fine", "fine_yuan": fine, "reason": "逾期未备案"}),
                               (leader, "approve", {}), (desk.wang, "issue", None)):
        answer = desk.client.post(f"/api/v1/penalties/{case['id']}/{step}", headers=person.headers, json=body)
        assert answer.status_code == 200, answer.text
    return int(case["id"])


@dataclass
class City:
    """The scenario: 东城's hotels A (filed twice) and B (correcting) at one station, 海淀's H (filed)."""

    a: Site
    b: Operator
    h: Operator
    station: str
    haidian: Person
    city: Person


@pytest.fixture
def city(client: TestClient, engine: Engine, make_operator: Callable[..., Operator],
         make_person: Callable[..., Person]) -> City:
    set_today(client, dt.date(2026, 9, 10))
    a = Site(client, make_operator(), make_person)                       # its first filing: filed in Q3
    f2 = file_new(a, (3, 4))                                             # filed 1 October in Beijing: Q4
    backdate_filing(engine, a.filing_id, submitted=at("2026-07-10"), accepted=at("2026-07-11"),
                    filed=at("2026-08-01"), late=True)
    backdate_filing(engine, f2, submitted=at("2026-09-20"), accepted=at("2026-09-21"),
                    filed=at("2026-09-30", 17))
    b = make_operator()
    b_desk = Desk(client, b, make_person)
    f3 = b_desk.submit_complete()
    b_desk.call(b_desk.wang, "POST", f"/filings/{f3}/accept")
    b_desk.call(b_desk.wang, "POST", f"/filings/{f3}/correction-notice",
                json={"items": [{"item": "deployment_map", "message": "布防图不清"}]})
    assert b_desk.call(b_desk.hotel, "POST", f"/filings/{f3}/corrected")["status"] == 200
    # 30 June 16:30 UTC is 1 July 00:30 in Beijing: received in Q3.
    backdate_filing(engine, f3, submitted=at("2026-06-30", 16), accepted=at("2026-07-02"))
    h = make_operator(lon=HAIDIAN_POINT[0], lat=HAIDIAN_POINT[1])
    h_desk = Desk(client, h, make_person)
    h_desk.wang, h_desk.li = make_person(Role.intake, "108"), make_person(Role.reviewer, "108")
    f4 = h_desk.submit_complete()
    h_desk.call(h_desk.wang, "POST", f"/filings/{f4}/accept")
    assert h_desk.file(f4)["status"] == 200
    backdate_filing(engine, f4, submitted=at("2026-08-01"), accepted=at("2026-08-02"), filed=at("2026-08-20"))
    with Session(engine) as session:
        notice = session.exec(select(CorrectionNotice).where(CorrectionNotice.filing_id == f3)).one()
        notice.issued_at, notice.corrected_at = at("2026-07-03"), at("2026-07-06")
        session.add(notice)
        for operator in session.exec(select(Operator)).all():
            operator.created_at = at("2026-06-01")
            session.add(operator)
        first = session.exec(select(Camera).where(Camera.filing_id == a.filing_id).order_by(col(Camera.id))).first()
        assert first is not None
        first.form_factor = FormFactor.dome
        session.add(first)
        session.commit()

    first_check = inspect(a, client, dt.date(2026, 9, 10), hazards=2)   # two hazards, one notice
    follow = inspect(a, client, dt.date(2026, 9, 20))
    closed = a.call(a.zhang, "POST", f"/rectifications/{first_check['rectification_id']}/follow-up",
                    json={"inspection_id": follow["id"], "rectified": True, "note": "已整改"})
    assert closed.status_code == 200, closed.text
    inspect(a, client, dt.date(2026, 9, 25), hazards=1)                  # its notice stays open
    inspect(a, client, dt.date(2026, 9, 26), record=False)               # not recorded: not counted
    inspect(a, client, dt.date(2026, 10, 9))                             # Q4

    for hotel, operator_id, day in ((a.desk.hotel, a.operator.id, "2026-08-05"), (a.desk.hotel, a.operator.id,
                                    "2026-09-30"), (a.desk.hotel, a.operator.id, "2026-10-01"),
                                    (h_desk.hotel, h.id, "2026-08-20")):
        added = client.post("/api/v1/footage-accesses", headers=hotel.headers, json=access_on(operator_id, day))
        assert added.status_code == 201, added.text

    fined = penalty(a.desk, make_person, a.operator.id, fine=5000)
    opened = penalty(a.desk, make_person, b.id, fine=None)
    with Session(engine) as session:
        case = session.get_one(PenaltyCase, fined)
        case.opened_at, case.issued_at = at("2026-08-15"), at("2026-09-01")
        other = session.get_one(PenaltyCase, opened)
        other.opened_at = dt.datetime(2026, 9, 30, 15, 59, 59, tzinfo=UTC)  # 23:59:59 on 30 September, Beijing
        session.add_all([case, other])
        session.commit()
    set_today(client, dt.date(2026, 12, 5))
    return City(a, b, h, a.station, make_person(Role.intake, "108"), make_person(Role.supervisor, "001"))


def report(client: TestClient, person: Person, **params: str) -> dict[str, Any]:
    answer = client.get("/api/v1/statistics", headers=person.headers, params=params)
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


def row(body: dict[str, Any], unit: str) -> dict[str, int]:
    found = [r for r in body["rows"] if r["unit_code"] == unit]
    assert len(found) == 1, [r["unit_code"] for r in body["rows"]]
    return dict(found[0]["figures"])


ZERO = dict.fromkeys(NAMES, 0)
STATION_Q3 = {**ZERO, "operators": 2, "filings_received": 3, "filings_accepted": 3, "corrections_issued": 1,
              "corrections_done": 1, "filings_filed": 1, "filings_late": 1, "cameras_in_use": 2, "cameras_fixed": 1,
              "cameras_dome": 1, "cameras_filed": 2, "inspections_due": 1, "inspections_done": 1, "inspections": 3,
              "hazards": 3, "rectifications_issued": 2, "rectifications_closed": 1, "rectifications_open": 1,
              "penalty_cases": 2, "penalty_decisions": 1, "penalty_fines": 1, "fines_yuan": 5000,
              "footage_accesses": 2}
HAIDIAN_Q3 = {**ZERO, "operators": 1, "filings_received": 1, "filings_accepted": 1, "filings_filed": 1,
              "cameras_in_use": 2, "cameras_fixed": 2, "cameras_filed": 2, "inspections_due": 1,
              "footage_accesses": 1}


def test_a_branch_report_counts_each_thing_once(client: TestClient, city: City) -> None:
    body = report(client, city.a.desk.wang, period="2026-Q3")
    assert body["unit_code"] == "101" and body["label"] == "2026年第三季度" and not body["rollup"]
    assert (body["start"], body["end"]) == ("2026-07-01", "2026-09-30")
    assert [f["name"] for f in body["figures"]] == list(NAMES)
    assert row(body, city.station) == STATION_Q3
    assert row(body, "101") == ZERO  # 东城分局 verifies none of them itself
    assert body["total"]["figures"] == STATION_Q3  # 海淀's hotel is not 东城's
    codes = [r["unit_code"] for r in body["rows"]]
    assert codes[0] == "101" and len(codes) > 10  # the branch, then every station under it

    q4 = report(client, city.a.desk.wang, period="2026-Q4")["total"]["figures"]
    assert q4 == {**ZERO, "operators": 2, "filings_filed": 1, "cameras_in_use": 4, "cameras_fixed": 3,
                  "cameras_dome": 1, "cameras_filed": 2, "inspections_due": 1, "inspections_done": 1,
                  "inspections": 1, "rectifications_open": 1, "rectifications_overdue": 1, "footage_accesses": 1}
    september = report(client, city.a.desk.wang, period="2026-09")["total"]["figures"]
    assert (september["inspections"], september["hazards"], september["footage_accesses"]) == (3, 3, 1)
    assert september["filings_received"] == 1 and september["penalty_cases"] == 1
    year = report(client, city.a.desk.wang, period="2026")["total"]["figures"]
    assert year["inspections"] == 4 and year["filings_filed"] == 2 and year["fines_yuan"] == 5000
    assert year["inspections_due"] == 1  # filed in August: not due in the first half-year


def test_the_city_roll_up_has_a_row_per_unit_and_their_total(client: TestClient, city: City,
                                                             engine: Engine) -> None:
    body = report(client, city.city, period="2026-Q3")
    assert body["rollup"] and body["unit_code"] == "001"
    with Session(engine) as session:
        filing_units = session.exec(select(PoliceUnit.code).where(PoliceUnit.kind != "station")).all()
    assert sorted(r["unit_code"] for r in body["rows"]) == sorted(filing_units)
    assert row(body, "101") == STATION_Q3 and row(body, "108") == HAIDIAN_Q3 and row(body, "102") == ZERO
    assert body["total"]["figures"] == {name: STATION_Q3[name] + HAIDIAN_Q3[name] for name in NAMES}
    station = report(client, city.city, period="2026-Q3", unit_code=city.station)
    assert [r["unit_code"] for r in station["rows"]] == [city.station]
    assert station["total"]["figures"] == STATION_Q3


def test_scope_a_unit_sees_itself_and_its_stations_only(client: TestClient, city: City,
                                                       make_person: Callable[..., Person]) -> None:
    wang, hotel = city.a.desk.wang, city.a.desk.hotel
    assert report(client, wang, unit_code=city.station, period="2026-Q3")["total"]["figures"] == STATION_Q3
    assert report(client, city.a.zhang, period="2026-Q3")["unit_code"] == city.station
    refusals = [
        (hotel, {}), (hotel, {"unit_code": "101"}),                      # operators: never
        (city.haidian, {"unit_code": "101"}), (city.haidian, {"unit_code": city.station}),
        (city.a.zhang, {"unit_code": "101"}),                             # a station: not its branch
        (wang, {"unit_code": "001"}), (wang, {"unit_code": "108"}),
    ]
    for person, params in refusals:
        for path in ("/api/v1/statistics", "/api/v1/statistics/export.xlsx"):
            answer = client.get(path, headers=person.headers, params={**params, "period": "2026-Q3"})
            assert answer.status_code == 403, (person.user.role, params, path, answer.status_code)
            assert "统计" in answer.json()["error"]["message"]
    haidian = report(client, city.haidian, period="2026-Q3")
    assert haidian["total"]["figures"] == HAIDIAN_Q3  # its own: 东城's figures are not in it
    missing = client.get("/api/v1/statistics?unit_code=999", headers=city.city.headers)
    assert missing.status_code == 404 and missing.json()["error"]["field"] == "unit_code"
    for bad in ("2026-Q5", "2026-13", "26", "2026-Q3x"):
        answer = client.get(f"/api/v1/statistics?period={bad}", headers=wang.headers)
        assert answer.status_code == 422 and answer.json()["error"]["field"] == "period", bad
        assert "统计期间" in answer.json()["error"]["message"]
    default = report(client, make_person(Role.leader, "101"))
    assert default["period"] == "2026-Q4"  # the app's clock says 5 December


def test_the_xlsx_reads_back_in_the_fixed_layout(client: TestClient, city: City, engine: Engine) -> None:
    with Session(engine) as session:
        unit = session.get_one(PoliceUnit, city.station)
        unit.name = "=HYPERLINK(\"http://x.example\",\"点击\")"
        session.add(unit)
        session.commit()
    answer = client.get("/api/v1/statistics/export.xlsx?period=2026-Q3", headers=city.a.desk.wang.headers)
    assert answer.status_code == 200
    assert answer.headers["content-disposition"].endswith('statistics-101-2026-Q3.xlsx"')
    sheet = load_workbook(io.BytesIO(answer.content))["数据报送"]
    assert sheet["A1"].value == TITLE
    assert sheet["B2"].value == "2026年第三季度（2026-07-01 至 2026-09-30）" and sheet["C2"].value == "2026-Q3"
    assert sheet["B3"].value == "东城分局（101）"
    assert sheet["A4"].value == "生成时间" and sheet["B4"].value.endswith("（北京时间）")
    english = [c.value for c in sheet[HEADER_ROW + 2]]
    assert english == ["unit_code", "unit_name", *NAMES]
    assert sheet.cell(HEADER_ROW, 3).value == "使用单位" and sheet.cell(HEADER_ROW + 1, 4).value == "收到备案申请"
    rows = {}
    for cells in sheet.iter_rows(min_row=FIRST_DATA_ROW, values_only=False):
        if cells[0].value is None and cells[1].value is None:
            break
        rows[cells[0].value] = cells
    station = rows[city.station]
    assert station[1].value.startswith("=HYPERLINK") and station[1].data_type == "s"  # text, not a formula
    assert dict(zip(NAMES, (c.value for c in station[2:]), strict=True)) == STATION_Q3
    total = rows[""] if "" in rows else rows[None]
    assert total[1].value == "合计"
    assert dict(zip(NAMES, (c.value for c in total[2:]), strict=True)) == STATION_Q3
    with Session(engine) as session:
        event = session.exec(select(AuditEvent).where(AuditEvent.object_type == "statistics")).one()
    assert event.details == {"unit_code": "101", "period": "2026-Q3", "rows": len(rows) - 1}


def test_the_page_shows_the_table_and_exports_it(client: TestClient, city: City) -> None:
    from tests.registry.page_helpers import sign_in

    sign_in(client, city.a.desk.wang)
    page = client.get("/statistics?unit_code=101&year=2026&part=Q3")
    assert page.status_code == 200
    text = page.text
    assert "统计报表 · 东城分局 · 2026年第三季度" in text and "收到备案申请" in text and "5,000" in text
    assert 'href="/statistics/export.xlsx?unit_code=101&amp;period=2026-Q3"' in text
    month = client.get("/statistics?year=2026&part=M9")
    assert month.status_code == 200 and "2026年9月" in month.text
    bad = client.get("/statistics?year=1999&part=Q3")
    assert bad.status_code == 422 and "年份应在" in bad.text
    xlsx = client.get("/statistics/export.xlsx?unit_code=101&period=2026-Q3")
    assert xlsx.status_code == 200 and load_workbook(io.BytesIO(xlsx.content))["数据报送"]["C2"].value == "2026-Q3"
    assert client.get("/statistics?unit_code=108").status_code == 403
    sign_in(client, city.a.desk.hotel)
    refused = client.get("/statistics")
    assert refused.status_code == 403 and "无权办理" in refused.text


def test_cli_stats(city: City, settings: Settings, monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> None:
    monkeypatch.setenv("CAMREG_DATA_DIR", str(settings.data_dir))
    if settings.database_url:
        monkeypatch.setenv("CAMREG_DATABASE_URL", settings.database_url)
    out = tmp_path / "q3.xlsx"
    done = CliRunner().invoke(cli, ["stats", "--unit", "001", "--period", "2026-Q3", "--out", str(out), "--json"])
    assert done.exit_code == 0, done.output
    body = json.loads(done.output)
    assert body["rows"]["108"] == HAIDIAN_Q3 and body["total"]["footage_accesses"] == 3
    assert load_workbook(out)["数据报送"]["B3"].value == "市局科技信息化部（001）"
    refused = CliRunner().invoke(cli, ["stats", "--unit", "101", "--period", "2026-Q3", "--out", str(out),
                                       "--user", city.haidian.user.username, "--json"])
    assert refused.exit_code == 1 and json.loads(refused.output)["error"]["code"] == "forbidden"
    bad = CliRunner().invoke(cli, ["stats", "--unit", "101", "--period", "Q3", "--out", str(out), "--json"])
    assert bad.exit_code == 1 and json.loads(bad.output)["error"]["field"] == "period"


def test_periods() -> None:
    assert Period.parse("2026-Q3") == Period(2026, PeriodKind.quarter, 3)
    assert Period.parse("2026-7") == Period.parse("2026-07") == Period(2026, PeriodKind.month, 7)
    december = Period.parse("2026-12")
    assert (december.start, december.end) == (dt.date(2026, 12, 1), dt.date(2026, 12, 31))
    assert Period.parse("2024-02").end == dt.date(2024, 2, 29)
    q4 = Period.parse("2026Q4")
    assert (q4.start, q4.end, q4.label, str(q4)) == (dt.date(2026, 10, 1), dt.date(2026, 12, 31), "2026年第四季度",
                                                     "2026-Q4")
    assert q4.start_utc == dt.datetime(2026, 9, 30, 16, tzinfo=UTC)
    assert q4.end_utc == dt.datetime(2026, 12, 31, 16, tzinfo=UTC)
    assert Period.parse("2026").halves() == [HalfYear(2026, 1), HalfYear(2026, 2)]
    assert Period.parse("2026-Q2").halves() == [HalfYear(2026, 1)]
    assert Period.containing(dt.date(2026, 12, 5), PeriodKind.quarter) == q4


def _statements(engine: Engine) -> tuple[list[str], Callable[[], None]]:
    """Every statement sent to the database from now on, and how to stop listening."""
    seen: list[str] = []

    def hook(*args: Any) -> None:
        seen.append(args[2])

    event.listen(engine, "before_cursor_execute", hook)
    return seen, lambda: event.remove(engine, "before_cursor_execute", hook)


@pytest.mark.parametrize("unit_code", ["001", "101"])
def test_the_report_is_one_statement_beside_the_due_counts(city: City, engine: Engine, unit_code: str) -> None:
    """Every figure but the due counts comes from one UNION ALL over the operators in scope (selected once), and
    the figures are those a separate grouped query per operator gives (bench/supervision.py's loop)."""
    with Session(engine) as session:
        unit = session.get_one(PoliceUnit, unit_code)
        for text in ("2026-Q3", "2026", "2026-09"):
            period = Period.parse(text)
            seen, stop = _statements(engine)
            try:
                report = service.count(session, unit=unit, period=period, today=dt.date(2026, 12, 5),
                                       now=at("2026-12-05"))
            finally:
                stop()
            # The listed units, the due counts (one per half-year) and the rest: nothing per table or operator.
            assert len(seen) == 2 + len(period.halves()), seen
            assert sum("UNION ALL" in s for s in seen) == 1
            operators = session.exec(select(Operator)).all()
            by_operator = dict.fromkeys(NAMES, 0)
            for operator in operators:
                scope = col(Operator.id) == operator.id
                for grouped in service._queries(session, key=col(Operator.id), scope=scope, period=period,
                                                today=dt.date(2026, 12, 5)):
                    for figures in grouped.values():
                        for name, n in figures.items():
                            by_operator[name] += n
            if unit_code == "001":
                assert report.total.figures == by_operator, text


def test_a_slow_report_is_kept_until_the_workflow_writes(client: TestClient, city: City, engine: Engine,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """A report slow to count is served again, with the time it was counted, until the audit chain moves."""
    monkeypatch.setattr(cache, "SLOW_S", 0.0)  # every count counts as slow: kept (a branch's takes ~0.5 s)
    first = report(client, city.a.desk.wang, period="2026-Q4")
    seen, stop = _statements(engine)
    try:
        again = report(client, city.a.desk.wang, period="2026-Q4")
    finally:
        stop()
    assert again == first  # generated_at included: the kept report says when it was counted
    assert not [s for s in seen if "GROUP BY" in s]
    assert report(client, city.a.desk.wang, period="2026-Q3")["total"]["figures"] == STATION_Q3  # its own key
    added = client.post("/api/v1/footage-accesses", headers=city.a.desk.hotel.headers,
                        json=access_on(city.a.operator.id, "2026-11-02"))
    assert added.status_code == 201, added.text  # audited: the chain moves, the report is counted again
    after = report(client, city.a.desk.wang, period="2026-Q4")
    assert after["total"]["figures"]["footage_accesses"] == first["total"]["figures"]["footage_accesses"] + 1
