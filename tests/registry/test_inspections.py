"""Inspections (第十四条): two officers, the checklist, a scan and photos, the signed 检查笔录, rectification,
due lists across the year boundary, the 科信 review and city spot-check windows."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from registry.audit.models import AuditEvent
from registry.auth.models import Role
from registry.filings.models import Filing
from registry.inspections.periods import HalfYear, first_due_half, review_window, spot_check_window
from registry.inspections.spotcheck import draw_sample
from registry.operators.models import Operator
from tests.registry import pdf_tools
from tests.registry.conftest import Person
from tests.registry.test_filing_workflow import PNG, Desk, _camera, _form, placed
from tests.registry.test_scans import _device, _report

BEIJING = dt.timezone(dt.timedelta(hours=8))


def set_today(client: TestClient, day: dt.date) -> None:
    """Move the app's clock to 10:00 Beijing time on `day`."""
    moment = dt.datetime(day.year, day.month, day.day, 10, tzinfo=BEIJING)
    client.app.state.clock = lambda: moment  # type: ignore[attr-defined]


class Site:
    """东城's hotel, filed, with two inspectors of its station and the scan of its network."""

    def __init__(self, client: TestClient, operator: Operator, make_person: Callable[..., Person]) -> None:
        self.client = client
        self.desk = Desk(client, operator, make_person)
        self.operator = operator
        self.filing_id = self.submit()
        self.desk.call(self.desk.wang, "POST", f"/filings/{self.filing_id}/accept")
        filed = self.desk.file(self.filing_id)
        assert filed["status"] == 200, filed
        self.station = operator.verifying_unit_code
        self.zhang = make_person(Role.inspector, self.station)
        self.zhao = make_person(Role.inspector, self.station)

    def camera(self, n: int) -> dict[str, Any]:
        """Camera n of this site, its serial and MAC its own (a camera is filed by one operator only)."""
        k = self.operator.id or 0
        return _camera(n, serial=f"SN{k:04d}{n:02d}", mac=f"00:11:22:{k // 256:02x}:{k % 256:02x}:{n:02x}",
                       ip=f"192.0.2.{n}")

    def submit(self) -> int:
        desk = self.desk
        filing = desk.call(desk.hotel, "POST", "/filings", json=_form(self.operator.id))
        assert filing["status"] == 201, filing
        fid = int(filing["body"]["id"])
        plan = desk.materials(fid)
        cams = desk.call(desk.hotel, "POST", f"/filings/{fid}/cameras",
                         json=[{**self.camera(n), **placed(plan)} for n in (1, 2)])
        assert cams["status"] == 201, cams
        return fid

    def call(self, person: Person, method: str, path: str, **kwargs: Any) -> Any:
        response = self.client.request(method, f"/api/v1{path}", headers=person.headers, **kwargs)
        return response

    def scan(self) -> int:
        up = self.client.post(f"/api/v1/filings/{self.filing_id}/scans", headers=self.zhang.headers, files={
            "file": ("scan.json", _report([_device("192.0.2.1", self.camera(1)["serial"], self.camera(1)["mac"]),
                                           _device("192.0.2.77", "NEW001", "00:11:22:33:44:77")],
                                          dt.datetime(2026, 6, 1, tzinfo=dt.UTC)))})
        assert up.status_code == 201, up.text
        return int(up.json()["id"])

    def open(self, on: dt.date | None = None, **changes: Any) -> dict[str, Any]:
        body: dict[str, Any] = {"operator_id": self.operator.id, "kind": "periodic",
                                "officer_ids": [self.zhang.user.id, self.zhao.user.id]}
        if on is not None:
            body["inspected_on"] = on.isoformat()
        body.update(changes)
        response = self.call(self.zhang, "POST", "/inspections", json=body)
        assert response.status_code == 201, response.text
        return dict(response.json())

    def complete(self, on: dt.date | None = None, hazard: bool = False, signed: bool = True) -> dict[str, Any]:
        """Open, answer every line (one hazard if asked), record; the recorded inspection."""
        inspection = self.open(on)
        answers = [{"key": i["key"], "result": "ok"} for i in inspection["items"]]
        if hazard:
            answers[1] = {"key": "signage", "result": "hazard", "note": "大堂入口未设置提示标识"}
        assert self.call(self.zhang, "PUT", f"/inspections/{inspection['id']}/items",
                         json={"items": answers}).status_code == 200
        recorded = self.call(self.zhang, "POST", f"/inspections/{inspection['id']}/record", json={
            "findings": "现场检查监控室及大堂", "representative_name": "赵经理", "representative_title": "保卫部经理",
            "signed": signed, "refusal_note": "" if signed else "赵经理称需请示总经理，拒绝签名"})
        assert recorded.status_code == 200, recorded.text
        return dict(recorded.json())


@pytest.fixture
def site(client: TestClient, make_operator: Callable[..., Operator], make_person: Callable[..., Person]) -> Site:
    set_today(client, dt.date(2026, 12, 5))
    return Site(client, make_operator(), make_person)


def set_filed_at(engine: Engine, filing_id: int, when: dt.datetime) -> None:
    with Session(engine) as session:
        filing = session.get_one(Filing, filing_id)
        filing.filed_at = when
        session.add(filing)
        session.commit()


# --- two officers ---------------------------------------------------------------------------------------

def test_an_inspection_needs_two_distinct_officers_of_the_unit(site: Site, make_person: Callable[..., Person]) -> None:
    zhang, zhao = site.zhang.user.id, site.zhao.user.id
    other_unit = make_person(Role.inspector, "101").user.id
    cases = {"one officer": [zhang], "the same officer twice": [zhang, zhang],
             "an officer of another unit": [zhang, other_unit], "the hotel's account": [zhang, site.desk.hotel.user.id],
             "without the recorder": [zhao, make_person(Role.inspector, site.station).user.id]}
    for case, officers in cases.items():
        refused = site.call(site.zhang, "POST", "/inspections", json={"operator_id": site.operator.id,
                                                                      "officer_ids": officers})
        assert refused.status_code == 422, (case, refused.text)
        assert refused.json()["error"]["field"] == "officer_ids", case
    assert "二名民警" in site.call(site.zhang, "POST", "/inspections", json={
        "operator_id": site.operator.id, "officer_ids": [zhang]}).json()["error"]["message"]
    opened = site.open()
    assert opened["state"] == "open" and opened["officer_ids"] == [zhang, zhao]
    assert len(opened["items"]) == 9 and any(i["signage"] for i in opened["items"])
    assert opened["number"].startswith(f"{site.station}2026")
    future = site.call(site.zhang, "POST", "/inspections", json={
        "operator_id": site.operator.id, "officer_ids": [zhang, zhao], "inspected_on": "2026-12-06"})
    assert future.status_code == 422
    hotel = site.call(site.desk.hotel, "POST", "/inspections", json={
        "operator_id": site.operator.id, "officer_ids": [zhang, zhao]})
    assert hotel.status_code == 403


# --- the record -----------------------------------------------------------------------------------------

def test_checklist_scan_photo_and_signed_record(site: Site, engine: Engine, client: TestClient,
                                                make_operator: Callable[..., Operator],
                                                make_person: Callable[..., Person]) -> None:
    inspection = site.open()
    iid = inspection["id"]
    no_note = site.call(site.zhang, "PUT", f"/inspections/{iid}/items",
                        json={"items": [{"key": "signage", "result": "hazard"}]})
    assert no_note.status_code == 422 and no_note.json()["error"]["field"] == "items.0.note"
    unknown = site.call(site.zhang, "PUT", f"/inspections/{iid}/items", json={"items": [{"key": "x", "result": "ok"}]})
    assert unknown.status_code == 422
    answered = site.call(site.zhang, "PUT", f"/inspections/{iid}/items", json={"items": [
        {"key": "signage", "result": "hazard", "note": "大堂入口未设置提示标识"},
        {"key": "outsourcing_confidentiality", "result": "na"}]})
    assert answered.status_code == 200
    early = site.call(site.zhang, "POST", f"/inspections/{iid}/record", json={
        "representative_name": "赵经理", "signed": True})
    assert early.status_code == 422 and len(early.json()["error"]["details"]["missing"]) == 7
    rest = [{"key": i["key"], "result": "ok"} for i in answered.json()["items"] if i["result"] is None]
    assert site.call(site.zhang, "PUT", f"/inspections/{iid}/items", json={"items": rest}).status_code == 200

    # The scan of this operator's site is attached and its reconciliation shown; another site's is refused.
    scan_id = site.scan()
    other = Site(client, make_operator(), make_person)
    other_scan = other.scan()
    wrong = site.call(site.zhang, "POST", f"/inspections/{iid}/scan", json={"scan_id": other_scan})
    assert wrong.status_code in (404, 422)
    attached = site.call(site.zhang, "POST", f"/inspections/{iid}/scan", json={"scan_id": scan_id})
    assert attached.status_code == 200 and attached.json()["scan_counts"]["unfiled"] == 1
    photo = site.client.post(f"/api/v1/inspections/{iid}/photos", headers=site.zhao.headers,
                             files={"file": ("lobby.png", PNG, "image/png")}, data={"caption": "大堂入口"})
    assert photo.status_code == 201, photo.text
    not_an_image = site.client.post(f"/api/v1/inspections/{iid}/photos", headers=site.zhao.headers,
                                    files={"file": ("x.png", b"hello", "image/png")})
    assert not_an_image.status_code == 422
    outsider = make_person(Role.inspector, site.station)
    assert site.call(outsider, "PUT", f"/inspections/{iid}/items",
                     json={"items": [{"key": "signage", "result": "ok"}]}).status_code == 403

    refused_without_note = site.call(site.zhang, "POST", f"/inspections/{iid}/record", json={
        "representative_name": "赵经理", "signed": False})
    assert refused_without_note.status_code == 422 and refused_without_note.json()["error"]["field"] == "refusal_note"
    recorded = site.call(site.zhang, "POST", f"/inspections/{iid}/record", json={
        "findings": "监控室值班正常", "representative_name": "赵经理", "representative_title": "保卫部经理",
        "signed": True, "representative_statement": "提示标识将于一周内补设"})
    assert recorded.status_code == 200, recorded.text
    body = recorded.json()
    assert body["state"] == "signed" and body["rectification_id"] and body["document_id"]
    assert site.call(site.zhang, "PUT", f"/inspections/{iid}/items",
                     json={"items": [{"key": "signage", "result": "ok"}]}).status_code == 409
    assert site.call(site.zhang, "POST", f"/inspections/{iid}/record", json={
        "representative_name": "赵经理", "signed": True}).status_code == 409

    pdf = site.call(site.desk.wang, "GET", f"/inspections/{iid}/record.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    text = pdf_tools.text(pdf.content)
    for expected in ("检查笔录", site.operator.name, "提示标识", "大堂入口未设置提示标识", "赵经理", "一致1台",
                     "未备案1台", body["number"]):
        assert expected in text.replace(" ", ""), expected
    again = site.call(site.desk.hotel, "GET", f"/inspections/{iid}/record.pdf")
    assert again.status_code == 200 and again.content == pdf.content  # issued once, frozen
    notice = site.call(site.zhang, "GET", f"/rectifications/{body['rectification_id']}/notice.pdf")
    assert notice.status_code == 200 and "整改通知书" in pdf_tools.text(notice.content)
    photo_bytes = site.call(site.desk.wang, "GET", f"/inspection-photos/{photo.json()['id']}")
    assert photo_bytes.status_code == 200 and photo_bytes.content == PNG

    with Session(engine) as session:
        actions = set(session.exec(select(AuditEvent.action).where(AuditEvent.object_type.in_(  # type: ignore[attr-defined]
            ["inspection", "rectification"]))).all())
    assert {"inspection.open", "inspection.items", "inspection.scan", "inspection.photo", "inspection.record",
            "rectification.issue", "inspection.photo.read"} <= actions


def test_a_refusal_to_sign_is_noted_on_the_record(site: Site) -> None:
    recorded = site.complete(signed=False)
    assert recorded["state"] == "refused" and recorded["rectification_id"] is None
    text = pdf_tools.text(site.call(site.zhang, "GET", f"/inspections/{recorded['id']}/record.pdf").content)
    assert "拒绝签名" in text and "需请示总经理" in text.replace(" ", "")


# --- rectification --------------------------------------------------------------------------------------

def test_rectification_deadline_follow_up_and_overdue_list(site: Site, client: TestClient) -> None:
    first = site.complete(dt.date(2026, 12, 1), hazard=True)
    rid = first["rectification_id"]
    notice = site.call(site.zhang, "GET", f"/rectifications/{rid}").json()
    assert notice["state"] == "open" and notice["workdays"] == 10 and notice["items"][0]["key"] == "signage"
    assert notice["due_date"] == "2026-12-18"  # 10 working days after Saturday 5 December
    listed = site.call(site.desk.wang, "GET", "/rectifications").json()["items"]
    assert [r["id"] for r in listed] == [rid] and not listed[0]["overdue"]
    assert site.call(site.zhang, "GET", "/rectifications?overdue=true").json()["items"] == []
    assert [r["id"] for r in site.call(site.desk.hotel, "GET", "/rectifications").json()["items"]] == [rid]

    set_today(client, dt.date(2026, 12, 21))
    overdue = site.call(site.desk.wang, "GET", "/rectifications?overdue=true").json()["items"]
    assert [r["id"] for r in overdue] == [rid] and overdue[0]["overdue"]
    same = site.call(site.zhang, "POST", f"/rectifications/{rid}/follow-up",
                     json={"inspection_id": first["id"], "rectified": True, "note": "x"})
    assert same.status_code == 422
    unrecorded = site.open(dt.date(2026, 12, 21))
    early = site.call(site.zhang, "POST", f"/rectifications/{rid}/follow-up",
                      json={"inspection_id": unrecorded["id"], "rectified": True, "note": "x"})
    assert early.status_code == 422
    wang = site.call(site.desk.wang, "POST", f"/rectifications/{rid}/follow-up",
                     json={"inspection_id": unrecorded["id"], "rectified": True, "note": "x"})
    assert wang.status_code == 403  # 东城分局 did not issue the notice; the station did
    follow = site.complete(dt.date(2026, 12, 21))
    closed = site.call(site.zhang, "POST", f"/rectifications/{rid}/follow-up",
                       json={"inspection_id": follow["id"], "rectified": True, "note": "已补设提示标识"})
    assert closed.status_code == 200 and closed.json()["state"] == "closed"
    assert site.call(site.zhang, "POST", f"/rectifications/{rid}/follow-up", json={
        "inspection_id": follow["id"], "rectified": False, "note": "x"}).status_code == 409
    assert site.call(site.desk.wang, "GET", "/rectifications?overdue=true").json()["items"] == []


def test_an_unrectified_hazard_is_escalated(site: Site) -> None:
    first = site.complete(dt.date(2026, 12, 1), hazard=True)
    follow = site.complete(dt.date(2026, 12, 5), hazard=True)
    escalated = site.call(site.zhang, "POST", f"/rectifications/{first['rectification_id']}/follow-up",
                          json={"inspection_id": follow["id"], "rectified": False, "note": "仍未设置，移交处罚"})
    assert escalated.status_code == 200 and escalated.json()["state"] == "escalated"


# --- due lists ------------------------------------------------------------------------------------------

def test_due_list_across_the_year_boundary_and_for_operators_filed_mid_year(
        client: TestClient, engine: Engine, make_operator: Callable[..., Operator],
        make_person: Callable[..., Person]) -> None:
    set_today(client, dt.date(2026, 12, 20))
    a = Site(client, make_operator(), make_person)          # filed in March, inspected 20 December
    set_filed_at(engine, a.filing_id, dt.datetime(2026, 3, 1, 2, tzinfo=dt.UTC))
    a.complete(dt.date(2026, 12, 20))
    b = Site(client, make_operator(), make_person)          # filed in November: first due next half-year
    set_filed_at(engine, b.filing_id, dt.datetime(2026, 11, 15, 2, tzinfo=dt.UTC))
    c = Site(client, make_operator(), make_person)          # filed in August, never inspected
    set_filed_at(engine, c.filing_id, dt.datetime(2026, 8, 1, 2, tzinfo=dt.UTC))
    d = Site(client, make_operator(), make_person)          # 30 Sep 17:00 UTC is 1 October in Beijing: too late
    set_filed_at(engine, d.filing_id, dt.datetime(2026, 9, 30, 17, tzinfo=dt.UTC))
    name = {s.operator.id: n for n, s in zip("abcd", (a, b, c, d), strict=True)}

    def statuses(half: str) -> dict[str, str]:
        answer = a.call(a.desk.wang, "GET", f"/inspections/due?half={half}")
        assert answer.status_code == 200, answer.text
        return {name[r["operator_id"]]: r["status"] for r in answer.json()["items"] if r["operator_id"] in name}

    assert statuses("2026H2") == {"a": "done", "c": "never_inspected"}
    set_today(client, dt.date(2027, 1, 4))
    assert statuses("2026H2") == {"a": "done", "c": "overdue"}
    current = a.call(a.desk.wang, "GET", "/inspections/due").json()
    assert current["half"] == "2027H1" and current["label"] == "2027年上半年"
    assert {name[r["operator_id"]]: r["status"] for r in current["items"] if r["operator_id"] in name} == {
        "a": "due", "b": "never_inspected", "c": "never_inspected", "d": "never_inspected"}
    assert current["counts"]["never_inspected"] == 3 and current["counts"]["due"] == 1
    station_list = a.call(a.zhang, "GET", "/inspections/due?status=due").json()
    assert [r["operator_id"] for r in station_list["items"]] == [a.operator.id]
    assert a.call(a.desk.hotel, "GET", "/inspections/due").status_code == 403
    haidian = make_person(Role.intake, "108")
    assert a.call(haidian, "GET", f"/inspections/due?unit_code={a.station}").status_code == 403
    assert a.call(haidian, "GET", "/inspections/due").json()["items"] == []
    assert a.call(a.desk.wang, "GET", "/inspections/due?half=2026H3").status_code == 422
    city = make_person(Role.supervisor, "001")
    rollup = a.call(city, "GET", "/inspections/due/summary?half=2026H2").json()
    assert rollup[a.station]["done"] == 1 and rollup[a.station]["overdue"] == 1


def test_half_years_and_windows() -> None:
    assert HalfYear.parse("2026H2") == HalfYear(2026, 2) == HalfYear.parse("2026-2")
    assert HalfYear(2026, 2).next() == HalfYear(2027, 1) and HalfYear(2027, 1).previous() == HalfYear(2026, 2)
    assert first_due_half(dt.date(2026, 3, 31)) == HalfYear(2026, 1)
    assert first_due_half(dt.date(2026, 4, 1)) == HalfYear(2026, 2)
    assert first_due_half(dt.date(2026, 12, 31)) == HalfYear(2027, 1)
    assert review_window(dt.date(2026, 5, 31)) is None and review_window(dt.date(2026, 6, 1)) is not None
    assert review_window(dt.date(2026, 6, 15)) is not None and review_window(dt.date(2026, 6, 16)) is None
    assert spot_check_window(dt.date(2026, 6, 16)) is not None and spot_check_window(dt.date(2026, 11, 10)) is not None
    assert spot_check_window(dt.date(2026, 11, 11)) is None and review_window(dt.date(2026, 10, 25)) is not None


# --- the 科信 review window ------------------------------------------------------------------------------

def test_review_only_in_its_window_by_the_units_own_kexin(
        client: TestClient, make_operator: Callable[..., Operator], make_person: Callable[..., Person]) -> None:
    set_today(client, dt.date(2027, 5, 20))
    site = Site(client, make_operator(), make_person)
    iid = site.complete(dt.date(2027, 5, 20))["id"]
    reviewer = make_person(Role.reviewer, "101")  # the station's branch
    outside = site.call(reviewer, "POST", f"/inspections/{iid}/review", json={"comment": "记录完整"})
    assert outside.status_code == 409
    message = outside.json()["error"]["message"]
    assert "6月1日至6月15日" in message and "10月8日至10月25日" in message
    set_today(client, dt.date(2027, 6, 3))
    assert site.call(site.zhang, "POST", f"/inspections/{iid}/review", json={"comment": "x"}).status_code == 403
    haidian = make_person(Role.reviewer, "108")
    assert site.call(haidian, "POST", f"/inspections/{iid}/review", json={"comment": "x"}).status_code == 404
    done = site.call(reviewer, "POST", f"/inspections/{iid}/review", json={"comment": "记录完整，隐患已整改"})
    assert done.status_code == 200 and done.json()["review_comment"] == "记录完整，隐患已整改"
    city = make_person(Role.supervisor, "001")
    progress = site.call(city, "GET", "/inspections/review-progress?half=2027H1").json()
    assert progress[site.station] == {"inspections": 1, "reviewed": 1}


# --- the city's spot checks ------------------------------------------------------------------------------

def test_spot_check_window_seed_sample_and_findings(
        client: TestClient, make_operator: Callable[..., Operator], make_person: Callable[..., Person]) -> None:
    set_today(client, dt.date(2027, 5, 10))
    sites = [Site(client, make_operator(), make_person) for _ in range(2)]
    ids = [s.complete(dt.date(2027, 5, 10))["id"] for s in sites for _ in range(2)]
    city = make_person(Role.supervisor, "001")
    refused = sites[0].call(city, "POST", "/spot-checks", json={"size": 2, "seed": "2027-june"})
    assert refused.status_code == 409
    assert "6月16日至6月30日" in refused.json()["error"]["message"]
    assert "10月26日至11月10日" in refused.json()["error"]["message"]
    set_today(client, dt.date(2027, 6, 20))
    assert sites[0].call(sites[0].desk.wang, "POST", "/spot-checks", json={"size": 2}).status_code == 403
    drawn = sites[0].call(city, "POST", "/spot-checks", json={"size": 2, "seed": "2027-june"})
    assert drawn.status_code == 201, drawn.text
    body = drawn.json()
    assert sorted(body["population_ids"]) == sorted(ids) and len(body["sample_ids"]) == 2
    assert body["sample_ids"] == draw_sample(ids, seed="2027-june", size=2)  # anyone can draw it again
    assert sites[0].call(city, "POST", "/spot-checks", json={"size": 3}).status_code == 409  # one draw a window
    outside_sample = next(i for i in ids if i not in body["sample_ids"])
    assert sites[0].call(city, "POST", f"/spot-checks/{body['id']}/findings", json={
        "inspection_id": outside_sample, "conforming": True, "finding": "x"}).status_code == 422
    finding = sites[0].call(city, "POST", f"/spot-checks/{body['id']}/findings", json={
        "inspection_id": body["sample_ids"][0], "conforming": False, "finding": "检查笔录未附现场照片"})
    assert finding.status_code == 201
    set_today(client, dt.date(2027, 7, 1))
    late = sites[0].call(city, "POST", f"/spot-checks/{body['id']}/findings", json={
        "inspection_id": body["sample_ids"][1], "conforming": True, "finding": "x"})
    assert late.status_code == 409
    assert len(sites[0].call(city, "GET", f"/spot-checks/{body['id']}/findings").json()) == 1


def test_the_same_seed_draws_the_same_sample() -> None:
    population = list(range(1, 501))
    first = draw_sample(population, seed="a1b2", size=25)
    assert first == draw_sample(list(reversed(population)), seed="a1b2", size=25)
    assert first != draw_sample(population, seed="a1b3", size=25)
    assert len(set(first)) == 25 and draw_sample([3, 1], seed="x", size=10) == [1, 3]


# --- the checklist --------------------------------------------------------------------------------------

def test_the_city_administrator_edits_the_checklist(site: Site, make_person: Callable[..., Person],
                                                   engine: Engine) -> None:
    before = site.complete()
    city_admin = make_person(Role.admin, "001")
    branch_admin = make_person(Role.admin, "101")
    item = {"key": "fire_exit_camera", "label": "消防通道监控正常", "position": 95}
    assert site.call(branch_admin, "POST", "/inspection-checklist", json=item).status_code == 403
    assert site.call(city_admin, "POST", "/inspection-checklist", json=item).status_code == 201
    assert site.call(city_admin, "POST", "/inspection-checklist", json=item).status_code == 409
    assert site.call(city_admin, "PATCH", "/inspection-checklist/duty_log", json={"active": False}).status_code == 200
    assert site.call(city_admin, "PATCH", "/inspection-checklist/signage",
                     json={"label": "采集区域设置显著提示标识"}).status_code == 200
    keys = [i["key"] for i in site.open()["items"]]
    assert "fire_exit_camera" in keys and "duty_log" not in keys
    old = site.call(site.zhang, "GET", f"/inspections/{before['id']}").json()
    assert "duty_log" in [i["key"] for i in old["items"]]
    assert next(i for i in old["items"] if i["key"] == "signage")["label"] == "在采集区域设置显著的提示标识"
    listed = site.call(site.zhang, "GET", "/inspection-checklist?include_retired=true").json()
    assert len(listed) == 10
    with Session(engine) as session:
        assert session.exec(select(AuditEvent).where(col(AuditEvent.action) == "checklist.update")).first()


def recorded_for_scope(client: TestClient, desk: Desk, make_person: Callable[..., Person]) -> dict[str, int]:
    """An inspection of desk's (filed) operator by its station, with a photo and a hazard: ids for test_scope."""
    station = desk.operator.verifying_unit_code
    zhang, zhao = make_person(Role.inspector, station), make_person(Role.inspector, station)
    opened = client.post("/api/v1/inspections", headers=zhang.headers, json={
        "operator_id": desk.operator.id, "officer_ids": [zhang.user.id, zhao.user.id]}).json()
    answers = [{"key": i["key"], "result": "ok"} for i in opened["items"]]
    answers[0] = {"key": answers[0]["key"], "result": "hazard", "note": "问题"}
    client.put(f"/api/v1/inspections/{opened['id']}/items", headers=zhang.headers, json={"items": answers})
    photo = client.post(f"/api/v1/inspections/{opened['id']}/photos", headers=zhang.headers,
                        files={"file": ("p.png", PNG, "image/png")}).json()
    recorded = client.post(f"/api/v1/inspections/{opened['id']}/record", headers=zhang.headers,
                           json={"representative_name": "赵经理", "signed": True})
    assert recorded.status_code == 200, recorded.text
    return {"inspection_id": opened["id"], "photo_id": photo["id"],
            "rectification_id": recorded.json()["rectification_id"], "draw_id": 1, "key": "signage"}
