"""The filing workflow through the API: submit, accept, correct, re-check by a second officer, file."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from registry.auth.models import Role
from registry.camera_codes import validate_code
from registry.operators.models import Operator
from registry.settings import Settings
from registry.timeutil import beijing_today
from tests.registry.conftest import DONGCHENG_POINT, Person

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
PDF = b"%PDF-1.4\n% test\n"


def _form(operator_id: int, **changes: object) -> dict[str, object]:
    form: dict[str, object] = {
        "operator_id": operator_id, "system_name": "酒店视频监控系统", "system_location": "北京市东城区测试路1号",
        "system_in_use_date": (beijing_today() - timedelta(days=10)).isoformat(),
        "acceptance_date": (beijing_today() - timedelta(days=12)).isoformat(), "retention_days": 30,
        "camera_count_declared": 2, "camera_types_declared": "枪机×1，球机×1"}
    form.update(changes)
    return form


def _camera(n: int, **changes: object) -> dict[str, object]:
    camera: dict[str, object] = {
        "name": f"大堂{n}", "position_text": f"一层大堂东侧{n}", "lon": DONGCHENG_POINT[0] + n * 1e-4,
        "lat": DONGCHENG_POINT[1], "azimuth": 90, "hfov": 90, "range_m": 30, "device_type": "ipc",
        "manufacturer": "海康威视", "model": "DS-2CD2T47", "serial": f"SN{n:05d}", "mac": f"00:11:22:33:44:{n:02x}",
        "ip": f"192.0.2.{n}"}
    camera.update(changes)
    return camera


def placed(plan_id: int, x: float = 30, y: float = 20) -> dict[str, object]:
    """A camera's position on a deployment map (第八条: the map shows every camera)."""
    return {"map_material_id": plan_id, "map_page": 1, "map_x": x, "map_y": y}


class Desk:
    """The people of one scenario: an operator account and two officers of 东城分局."""

    def __init__(self, client: TestClient, operator: Operator, make_person: Callable[..., Person]) -> None:
        self.client = client
        self.operator = operator
        self.hotel = make_person(Role.operator, operator_id=operator.id)
        self.wang = make_person(Role.intake, "101")
        self.li = make_person(Role.reviewer, "101")
        # The verifying unit (rule 5: the station whose area holds the operator) records the 核对.
        self.zhang = make_person(Role.inspector, operator.verifying_unit_code)

    def call(self, person: Person, method: str, path: str, **kwargs: object) -> dict:  # type: ignore[type-arg]
        response = self.client.request(method, f"/api/v1{path}", headers=person.headers, **kwargs)  # type: ignore[arg-type]
        return {"status": response.status_code, "body": response.json()}

    def verify(self, fid: int, result: str = "matches", notes: str = "现场与备案材料一致") -> dict:  # type: ignore[type-arg]
        """The station's 核对 of the materials against the site."""
        return self.call(self.zhang, "POST", f"/filings/{fid}/verifications", json={"result": result, "notes": notes})

    def file(self, fid: int) -> dict:  # type: ignore[type-arg]
        """核对 by the station, then 复查/复核 by the second officer of the filing unit (files it)."""
        verified = self.verify(fid)
        assert verified["status"] == 201, verified
        return self.call(self.li, "POST", f"/filings/{fid}/review")

    def upload(self, fid: int, kind: str, body: bytes = PNG, name: str = "plan.png") -> int:
        up = self.call(self.hotel, "POST", f"/filings/{fid}/materials", data={"kind": kind},
                       files={"file": (name, body, "image/png" if body == PNG else "application/pdf")})
        assert up["status"] == 201, up
        return int(up["body"]["id"])

    def materials(self, fid: int) -> int:
        """The three materials of 第七条 (备案表, location diagram, deployment map); the map's id."""
        self.upload(fid, "location_diagram")
        plan = self.upload(fid, "deployment_map")
        self.upload(fid, "form", PNG, "备案表.png")  # a scan of the signed, sealed form
        return plan

    def submit_complete(self, *more: dict[str, object]) -> int:
        """A complete filing (第七、八条): the 备案表, the diagram and the map uploaded, the declared cameras
        listed (two, and `more`), each placed on the map."""
        form = _form(self.operator.id, camera_count_declared=2 + len(more)) if more else _form(self.operator.id)
        filing = self.call(self.hotel, "POST", "/filings", json=form)
        assert filing["status"] == 201, filing
        fid = filing["body"]["id"]
        plan_id = self.materials(fid)
        cams = self.call(self.hotel, "POST", f"/filings/{fid}/cameras",
                         json=[_camera(1, map_material_id=plan_id, map_page=1, map_x=10, map_y=20),
                               _camera(2, **placed(plan_id)), *({**c, **placed(plan_id, 50)} for c in more)])
        assert cams["status"] == 201, cams
        return int(fid)


@pytest.fixture
def desk(client: TestClient, make_operator: Callable[..., Operator], make_person: Callable[..., Person]) -> Desk:
    return Desk(client, make_operator(), make_person)


def test_happy_path_numbers_codes_and_receipt(desk: Desk) -> None:
    assert desk.operator.filing_unit_code == "101" and desk.operator.routing_rule == 5
    fid = desk.submit_complete()
    accepted = desk.call(desk.wang, "POST", f"/filings/{fid}/accept")
    assert accepted["status"] == 200
    year = beijing_today().year
    assert accepted["body"]["number"] == f"101{year}000001"
    assert accepted["body"]["deadline"] is not None
    filed = desk.file(fid)
    assert filed["status"] == 200, filed
    assert filed["body"]["state"] == "filed"
    cameras = desk.call(desk.wang, "GET", f"/cameras?filing_id={fid}")["body"]["items"]
    codes = [c["code"] for c in cameras]
    assert len(set(codes)) == 2
    for code in codes:
        assert validate_code(code).valid, code
        assert code.startswith("110101") and code[8:10] == "50" and code[10:13] == "132" and code[13] == "8"
    receipt = desk.call(desk.hotel, "GET", f"/filings/{fid}/receipt")
    assert receipt["status"] == 200 and receipt["body"]["number"] == accepted["body"]["number"]
    assert receipt["body"]["camera_count"] == 2


def test_two_person_rule_is_enforced_by_the_server(desk: Desk) -> None:
    fid = desk.submit_complete()
    desk.call(desk.wang, "POST", f"/filings/{fid}/accept")
    same = desk.call(desk.wang, "POST", f"/filings/{fid}/review")
    assert same["status"] == 409
    assert same["body"]["error"]["details"]["rule"] == "two_person"
    assert desk.file(fid)["status"] == 200


def test_one_correction_notice_with_its_own_number(desk: Desk) -> None:
    fid = desk.submit_complete()
    desk.call(desk.wang, "POST", f"/filings/{fid}/accept")
    items = {"items": [{"item": "deployment_map", "message": "布防图未标出大堂摄像机"},
                       {"item": "retention_days", "message": "存储期限不足30天"}]}
    notice = desk.call(desk.wang, "POST", f"/filings/{fid}/correction-notice", json=items)
    assert notice["status"] == 201
    assert notice["body"]["number"] == f"101{beijing_today().year}000001"
    assert len(notice["body"]["items"]) == 2
    again = desk.call(desk.li, "POST", f"/filings/{fid}/correction-notice", json=items)
    assert again["status"] == 409
    assert again["body"]["error"]["details"]["state"] == "correction_requested"
    assert desk.call(desk.hotel, "POST", f"/filings/{fid}/corrected")["body"]["state"] == "corrected"
    shown = desk.call(desk.hotel, "GET", f"/filings/{fid}/correction-notice")["body"]
    assert shown["late"] is False and shown["corrected_at"]
    assert desk.file(fid)["body"]["state"] == "filed"


def test_illegal_transition_is_409_naming_the_state(desk: Desk) -> None:
    fid = desk.submit_complete()
    assert desk.verify(fid)["status"] == 409  # no 核对 before acceptance either
    response = desk.call(desk.li, "POST", f"/filings/{fid}/review")
    assert response["status"] == 409
    assert "submitted" in response["body"]["error"]["message"]
    assert response["body"]["error"]["details"]["state"] == "submitted"


def test_incomplete_filing_cannot_be_filed(desk: Desk) -> None:
    filing = desk.call(desk.hotel, "POST", "/filings", json=_form(desk.operator.id))
    fid = filing["body"]["id"]
    desk.call(desk.wang, "POST", f"/filings/{fid}/accept")
    response = desk.file(fid)
    assert response["status"] == 409
    assert set(response["body"]["error"]["details"]["missing"]) == {"form", "location_diagram", "deployment_map",
                                                                   "cameras"}


def test_late_filing_is_flagged(desk: Desk) -> None:
    old = (beijing_today() - timedelta(days=45)).isoformat()
    filing = desk.call(desk.hotel, "POST", "/filings", json=_form(desk.operator.id, system_in_use_date=old))
    assert filing["body"]["late"] is True and filing["body"]["late_days"] == 15


def test_materials_are_sniffed_and_size_capped(desk: Desk, settings: Settings) -> None:
    fid = desk.call(desk.hotel, "POST", "/filings", json=_form(desk.operator.id))["body"]["id"]
    fake = desk.call(desk.hotel, "POST", f"/filings/{fid}/materials", data={"kind": "form"},
                     files={"file": ("form.pdf", b"MZ\x90\x00 not a pdf", "application/pdf")})
    assert fake["status"] == 422 and fake["body"]["error"]["field"] == "file"
    ok = desk.call(desk.hotel, "POST", f"/filings/{fid}/materials", data={"kind": "form"},
                   files={"file": ("form.bin", PDF, "application/octet-stream")})
    assert ok["status"] == 201 and ok["body"]["mime"] == "application/pdf"
    settings.max_upload_bytes = 100
    big = desk.call(desk.hotel, "POST", f"/filings/{fid}/materials", data={"kind": "form"},
                    files={"file": ("big.pdf", PDF + b"0" * 200, "application/pdf")})
    assert big["status"] == 413
    listed = desk.call(desk.hotel, "GET", f"/filings/{fid}/materials")["body"]
    assert [m["mime"] for m in listed] == ["application/pdf"]


def test_change_filing_keeps_codes_and_history(desk: Desk) -> None:
    fid = desk.submit_complete()
    number = desk.call(desk.wang, "POST", f"/filings/{fid}/accept")["body"]["number"]
    desk.file(fid)
    old = {c["name"]: c for c in desk.call(desk.wang, "GET", f"/cameras?filing_id={fid}")["body"]["items"]}
    change = desk.call(desk.hotel, "POST", "/filings", json=_form(desk.operator.id, changes_filing_number=number,
                                                                      change_date=beijing_today().isoformat()))
    assert change["status"] == 201 and change["body"]["kind"] == "change"
    cid = change["body"]["id"]
    plan = desk.materials(cid)
    kept = _camera(1, existing_code=old["大堂1"]["code"], ip="192.0.2.99", **placed(plan))
    added = desk.call(desk.hotel, "POST", f"/filings/{cid}/cameras", json=[kept, _camera(3, **placed(plan))])
    assert added["status"] == 201, added
    desk.call(desk.wang, "POST", f"/filings/{cid}/accept")
    assert desk.file(cid)["body"]["state"] == "filed"
    now = {c["name"]: c for c in desk.call(desk.wang, "GET", f"/cameras?filing_id={cid}")["body"]["items"]}
    assert now["大堂1"]["code"] == old["大堂1"]["code"] and now["大堂1"]["id"] == old["大堂1"]["id"]
    assert now["大堂1"]["ip"] == "192.0.2.99"
    assert now["大堂3"]["code"] not in {c["code"] for c in old.values()}
    retired = desk.call(desk.wang, "GET", f"/cameras/{old['大堂2']['id']}")["body"]
    assert retired["status"] == "removed" and retired["code"] == old["大堂2"]["code"]
    history = desk.call(desk.hotel, "GET", f"/filings/{cid}/history")["body"]
    assert [f["id"] for f in history] == [fid, cid]


def test_bad_input_names_the_field(desk: Desk) -> None:
    response = desk.call(desk.hotel, "POST", "/filings", json=_form(desk.operator.id, retention_days=0))
    assert response["status"] == 422
    assert response["body"]["error"]["field"] == "retention_days"
    fid = desk.call(desk.hotel, "POST", "/filings", json=_form(desk.operator.id))["body"]["id"]
    bad = desk.call(desk.hotel, "POST", f"/filings/{fid}/cameras", json=[_camera(1, lon=121.47, lat=31.23)])
    assert bad["status"] == 422 and bad["body"]["error"]["field"] == "cameras[0].lon"
    assert desk.call(desk.hotel, "GET", f"/cameras?filing_id={fid}")["body"]["items"] == []
