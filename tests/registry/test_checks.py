"""799号令 checks: prohibited-place names flagged (第八条), retention declared and measured (第十七条), staff
training (第十九条); the term list is data a city administrator edits."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient

from discovery.models import RecordingSummary
from registry.auth.models import Role
from registry.checks.service import screen
from registry.operators.models import Operator
from tests.registry.conftest import Person
from tests.registry.test_filing_workflow import Desk, _camera
from tests.registry.test_scans import _device, _report


def test_screen_folds_width_and_spaces() -> None:
    flags = screen([("camera", "c1", "name", "3楼客房走廊"), ("camera", "c2", "name", "大堂"),
                    ("device", "10.0.0.1", "scope_name", "2F 更 衣 室"), ("camera", "c3", "name", "ＷＣ厕所")],
                   ["客房", "更衣室", "厕所", "wc"])
    assert [(f.ref, f.term) for f in flags] == [("c1", "客房"), ("10.0.0.1", "更衣室"), ("c3", "厕所"), ("c3", "wc")]


@pytest.fixture
def site(client: TestClient, make_operator: Callable[..., Operator],
         make_person: Callable[..., Person]) -> dict[str, Any]:
    desk = Desk(client, make_operator(), make_person)
    fid = desk.submit_complete(_camera(3, name="3楼客房走廊", position_text="三层东侧走廊"))
    desk.call(desk.wang, "POST", f"/filings/{fid}/accept")
    assert desk.file(fid)["status"] == 200
    return {"desk": desk, "fid": fid}


def test_camera_named_guest_room_corridor_is_flagged_not_dropped(site: dict[str, Any]) -> None:
    desk, fid = site["desk"], site["fid"]
    checks = desk.call(desk.wang, "GET", f"/filings/{fid}/checks")
    assert checks["status"] == 200, checks
    body = checks["body"]
    assert [(f["field"], f["text"], f["term"]) for f in body["prohibited"]] == [("name", "3楼客房走廊", "客房")]
    cameras = desk.call(desk.wang, "GET", f"/cameras?filing_id={fid}")["body"]["items"]
    assert "3楼客房走廊" in [c["name"] for c in cameras]  # flagged for the inspector, still filed and coded
    assert body["retention"]["declared_days"] == 30 and body["retention"]["declared_ok"]
    assert body["retention"]["scan_id"] is None and body["retention"]["measured"] == []


def test_scan_names_and_retention_held_on_site(site: dict[str, Any]) -> None:
    desk, fid = site["desk"], site["fid"]
    start = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)
    short = _device("192.0.2.1", "SN00001", "00:11:22:33:44:01", scope_name="二层女更衣室",
                    recording=RecordingSummary(start.isoformat(), (start + dt.timedelta(days=12)).isoformat(), 1, 12.0))
    good = _device("192.0.2.2", "SN00002", "00:11:22:33:44:02",
                   recording=RecordingSummary(start.isoformat(), (start + dt.timedelta(days=40)).isoformat(), 2, 40.0))
    report = _report([short, good], dt.datetime(2026, 12, 1, tzinfo=dt.UTC))
    up = desk.client.post(f"/api/v1/filings/{fid}/scans", headers=desk.wang.headers,
                          files={"file": ("scan.json", report)})
    assert up.status_code == 201, up.text
    scan_id = up.json()["id"]
    rec = desk.call(desk.wang, "GET", f"/scans/{scan_id}/reconciliation")["body"]
    assert rec["retention_flagged"] == 1
    flagged = [r for r in rec["retention"] if r["problems"]]
    assert [(r["address"], r["problems"]) for r in flagged] == [("192.0.2.1", ["below_minimum", "below_declared"])]
    names = desk.call(desk.wang, "GET", f"/scans/{scan_id}/prohibited")["body"]
    assert [(n["ref"], n["field"], n["term"]) for n in names] == [("192.0.2.1", "scope_name", "更衣室")]
    body = desk.call(desk.wang, "GET", f"/filings/{fid}/checks")["body"]
    assert body["retention"]["scan_id"] == scan_id and body["retention"]["flagged"] == 1
    assert {f["term"] for f in body["prohibited"]} == {"客房", "更衣室"}


def test_term_list_is_edited_by_city_administrators_only(site: dict[str, Any],
                                                         make_person: Callable[..., Person]) -> None:
    desk, fid = site["desk"], site["fid"]
    terms = desk.call(desk.wang, "GET", "/checks/prohibited-terms")["body"]
    assert {"客房", "宿舍", "卫生间", "厕所", "更衣室", "哺乳室", "试衣间"} <= {t["term"] for t in terms}
    city_admin, branch_admin = make_person(Role.admin, "001"), make_person(Role.admin, "101")
    refused = desk.call(branch_admin, "POST", "/checks/prohibited-terms", json={"term": "走廊"})
    assert refused["status"] == 403
    added = desk.call(city_admin, "POST", "/checks/prohibited-terms", json={"term": "走廊", "note": "测试"})
    assert added["status"] == 201, added
    assert desk.call(city_admin, "POST", "/checks/prohibited-terms", json={"term": "走廊"})["status"] == 409
    body = desk.call(desk.wang, "GET", f"/filings/{fid}/checks")["body"]
    assert {f["term"] for f in body["prohibited"]} == {"客房", "走廊"}
    room = next(t for t in terms if t["term"] == "客房")
    removed = desk.call(city_admin, "DELETE", f"/checks/prohibited-terms/{room['id']}")
    assert removed["status"] == 200 and removed["body"]["active"] is False
    body = desk.call(desk.wang, "GET", f"/filings/{fid}/checks")["body"]
    assert {f["term"] for f in body["prohibited"]} == {"走廊"}
    assert desk.call(city_admin, "POST", "/checks/prohibited-terms", json={"term": "客房"})["status"] == 201


def test_staff_without_training_are_flagged(site: dict[str, Any]) -> None:
    desk, fid = site["desk"], site["fid"]
    oid = desk.operator.id
    a = desk.call(desk.hotel, "POST", f"/operators/{oid}/staff", json={"name": "张值班", "duty": "watch"})
    b = desk.call(desk.hotel, "POST", f"/operators/{oid}/staff", json={"name": "李维护", "duty": "maintainer"})
    assert a["status"] == 201 and b["status"] == 201 and a["body"]["trained"] is False
    done = desk.call(desk.hotel, "POST", f"/operators/{oid}/staff/{a['body']['id']}/trainings",
                     json={"trained_on": "2026-03-02", "content": "799号令及保密规定培训", "trainer": "东城分局"})
    assert done["status"] == 201 and done["body"]["trained"] and done["body"]["last_trained_on"] == "2026-03-02"
    future = desk.call(desk.hotel, "POST", f"/operators/{oid}/staff/{b['body']['id']}/trainings",
                       json={"trained_on": "2099-01-01", "content": "培训"})
    assert future["status"] == 422 and future["body"]["error"]["field"] == "trained_on"
    body = desk.call(desk.wang, "GET", f"/filings/{fid}/checks")["body"]
    assert body["staff"]["total"] == 2 and [s["name"] for s in body["staff"]["untrained"]] == ["李维护"]
    left = desk.call(desk.hotel, "POST", f"/operators/{oid}/staff/{b['body']['id']}/leave")
    assert left["status"] == 200 and left["body"]["active"] is False
    body = desk.call(desk.wang, "GET", f"/filings/{fid}/checks")["body"]
    assert body["staff"]["untrained"] == []
    listed = desk.call(desk.wang, "GET", f"/operators/{oid}/staff")["body"]
    assert [s["name"] for s in listed] == ["张值班", "李维护"]


def test_signage_is_the_latest_inspections_answer(client: TestClient, make_operator: Callable[..., Operator],
                                                  make_person: Callable[..., Person]) -> None:
    """799号令 第十三条: the signage line recorded at inspection is shown with the filing's checks; a hazard is
    a flag until a later inspection finds the signs up."""
    from tests.registry.test_inspections import Site, set_today

    set_today(client, dt.date(2026, 12, 5))
    site = Site(client, make_operator(), make_person)
    desk = site.desk

    def checks() -> dict[str, Any]:
        answer = desk.call(desk.wang, "GET", f"/filings/{site.filing_id}/checks")
        assert answer["status"] == 200, answer
        return dict(answer["body"])

    before = checks()
    assert before["signage"] is None
    site.open()  # opened, not yet recorded: nothing to report
    assert checks()["signage"] is None
    first = site.complete(on=dt.date(2026, 11, 2), hazard=True)
    after = checks()
    assert after["signage"]["result"] == "hazard" and after["signage"]["note"] == "大堂入口未设置提示标识"
    assert after["signage"]["number"] == first["number"] and after["signage"]["flagged"]
    assert after["flag_count"] == before["flag_count"] + 1
    later = site.complete(on=dt.date(2026, 12, 1))
    fixed = checks()
    assert fixed["signage"]["result"] == "ok" and fixed["signage"]["number"] == later["number"]
    assert not fixed["signage"]["flagged"] and fixed["flag_count"] == before["flag_count"]
