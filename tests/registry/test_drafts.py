"""Operator drafts through the API: saved and resumed unseen by officers, submitted when complete, corrected,
discarded; a change begun from a filed filing; cameras placed on deployment-map pages (PDF and image)."""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from PIL import Image
from sqlmodel import Session, select

from registry.audit.models import AuditEvent
from registry.auth.models import Role
from registry.filings import mapimages
from registry.operators.models import Operator
from registry.resident_id import check_resident_id
from registry.settings import Settings
from registry.timeutil import beijing_today
from tests.registry.conftest import Person
from tests.registry.test_filing_workflow import Desk, _camera, _form, placed
from tests.registry.test_filing_workflow import placed as placed_at

VALID_ID = "11010519491231002X"  # GB 11643's own example


def png(width: int = 400, height: int = 300) -> bytes:
    """A real image the map frame is read from."""
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (240, 240, 240)).save(buffer, format="PNG")
    return buffer.getvalue()


def pdf(*sizes: tuple[float, float]) -> bytes:
    """A real PDF with pages of these sizes in points (made with PDFium itself)."""
    import pypdfium2 as pdfium

    document = pdfium.PdfDocument.new()
    for width, height in sizes:
        document.new_page(width, height)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


@pytest.fixture
def desk(client: TestClient, make_operator: Callable[..., Operator], make_person: Callable[..., Person]) -> Desk:
    return Desk(client, make_operator(), make_person)


def _draft(desk: Desk, **changes: object) -> int:
    made = desk.call(desk.hotel, "POST", "/filings/drafts", json=_form(desk.operator.id, **changes))
    assert made["status"] == 201, made
    assert made["body"]["state"] == "draft" and made["body"]["number"] is None
    return int(made["body"]["id"])


def _upload(desk: Desk, fid: int, kind: str, data: bytes, name: str = "plan.png") -> int:
    up = desk.call(desk.hotel, "POST", f"/filings/{fid}/materials", data={"kind": kind}, files={"file": (name, data)})
    assert up["status"] == 201, up
    return int(up["body"]["id"])


def _complete(desk: Desk, fid: int) -> tuple[int, list[int]]:
    """Everything 第七、八条 ask for: the diagram, the map, the signed 备案表, both declared cameras on the map."""
    _upload(desk, fid, "location_diagram", png())
    plan = _upload(desk, fid, "deployment_map", png())
    _upload(desk, fid, "form", pdf((595, 842)), "备案表.pdf")
    cams = desk.call(desk.hotel, "POST", f"/filings/{fid}/cameras",
                     json=[_camera(1, **placed(plan, 10, 20)), _camera(2, **placed(plan))])
    assert cams["status"] == 201, cams
    return plan, [c["id"] for c in cams["body"]]


def test_a_draft_is_the_operators_own_until_submitted(desk: Desk, session: Session) -> None:
    fid = _draft(desk)
    # Officers do not see it: not by id, not in their lists.
    for officer in (desk.wang, desk.li):
        assert desk.call(officer, "GET", f"/filings/{fid}")["status"] == 404
        assert fid not in [f["id"] for f in desk.call(officer, "GET", "/filings")["body"]["items"]]
        assert desk.call(officer, "POST", f"/filings/{fid}/accept")["status"] == 404
    assert desk.call(desk.hotel, "GET", f"/filings/{fid}")["body"]["state"] == "draft"
    # Incomplete: the refusal says what is missing, in Chinese first.
    refused = desk.call(desk.hotel, "POST", f"/filings/{fid}/submit")
    assert refused["status"] == 409
    assert refused["body"]["error"]["details"]["missing"] == ["form", "location_diagram", "deployment_map", "cameras"]
    assert refused["body"]["error"]["message"].startswith(
        "提交前请补齐：备案表（加盖单位公章后上传）、单位位置示意图、布防图、摄像机清单")
    _complete(desk, fid)
    submitted = desk.call(desk.hotel, "POST", f"/filings/{fid}/submit")
    assert submitted["status"] == 200 and submitted["body"]["state"] == "submitted"
    assert desk.call(desk.wang, "POST", f"/filings/{fid}/accept")["status"] == 200
    assert desk.call(desk.hotel, "POST", f"/filings/{fid}/submit")["status"] == 409
    actions = session.exec(select(AuditEvent.action).where(AuditEvent.object_id == str(fid))
                           .where(AuditEvent.object_type == "filing")).all()
    assert actions[0] == "filing.draft" and "filing.submit" in actions


def test_lateness_counts_to_the_day_of_submission(desk: Desk, settings: Settings) -> None:
    in_use = beijing_today() - timedelta(days=settings.late_filing_days + 5)
    fid = _draft(desk, system_in_use_date=in_use.isoformat())
    _complete(desk, fid)
    body = desk.call(desk.hotel, "POST", f"/filings/{fid}/submit")["body"]
    assert body["late"] is True and body["late_days"] == 5


def test_the_form_is_changed_in_a_draft_and_during_correction_only(desk: Desk) -> None:
    fid = _draft(desk)
    form = {k: v for k, v in _form(desk.operator.id).items() if k != "operator_id"}
    changed = desk.call(desk.hotel, "PUT", f"/filings/{fid}/form", json={**form, "retention_days": 90})
    assert changed["status"] == 200 and changed["body"]["retention_days"] == 90
    future = (beijing_today() + timedelta(days=3)).isoformat()
    bad = desk.call(desk.hotel, "PUT", f"/filings/{fid}/form", json={**form, "system_in_use_date": future})
    assert bad["status"] == 422 and bad["body"]["error"]["field"] == "system_in_use_date"
    _complete(desk, fid)
    desk.call(desk.hotel, "POST", f"/filings/{fid}/submit")
    assert desk.call(desk.hotel, "PUT", f"/filings/{fid}/form", json=form)["status"] == 409
    desk.call(desk.wang, "POST", f"/filings/{fid}/accept")
    desk.call(desk.wang, "POST", f"/filings/{fid}/correction-notice",
              json={"items": [{"item": "retention_days", "message": "存储期限不足"}]})
    fixed = desk.call(desk.hotel, "PUT", f"/filings/{fid}/form", json={**form, "retention_days": 31})
    assert fixed["status"] == 200 and fixed["body"]["state"] == "correction_requested"
    assert desk.call(desk.hotel, "POST", f"/filings/{fid}/corrected")["body"]["state"] == "corrected"


def test_an_agent_needs_a_valid_id_and_the_authorisation_letter(desk: Desk) -> None:
    bad = desk.call(desk.hotel, "POST", "/filings/drafts",
                    json=_form(desk.operator.id, agent_name="张三", agent_id_number="110105194912310021"))
    assert bad["status"] == 422 and "agent_id_number" in str(bad["body"])
    half = desk.call(desk.hotel, "POST", "/filings/drafts", json=_form(desk.operator.id, agent_name="张三"))
    assert half["status"] == 422
    fid = _draft(desk, agent_name="张三", agent_id_number=VALID_ID.lower())
    assert desk.call(desk.hotel, "GET", f"/filings/{fid}")["body"]["agent_id_number"] == VALID_ID
    _complete(desk, fid)
    refused = desk.call(desk.hotel, "POST", f"/filings/{fid}/submit")
    assert refused["status"] == 409 and refused["body"]["error"]["details"]["missing"] == ["authorization"]
    _upload(desk, fid, "authorization", pdf((595, 842)), "授权书.pdf")
    assert desk.call(desk.hotel, "POST", f"/filings/{fid}/submit")["status"] == 200


@pytest.mark.parametrize(("value", "problem"), [
    ("11010519491231002", "18 位"), ("110105194912310021", "校验位"), ("110105194913310021", "出生日期"),
    ("1101051949123100X2", "数字"),
])
def test_resident_id_errors_say_what_is_wrong(value: str, problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        check_resident_id(value)


def test_discarding_a_draft_leaves_nothing(desk: Desk, session: Session) -> None:
    fid = _draft(desk)
    _complete(desk, fid)
    assert desk.call(desk.wang, "DELETE", f"/filings/{fid}")["status"] == 404
    assert desk.client.delete(f"/api/v1/filings/{fid}", headers=desk.hotel.headers).status_code == 204
    assert desk.call(desk.hotel, "GET", f"/filings/{fid}")["status"] == 404
    submitted = desk.submit_complete()
    assert desk.client.delete(f"/api/v1/filings/{submitted}", headers=desk.hotel.headers).status_code == 409


def test_officers_cannot_draft_and_other_operators_cannot_touch(desk: Desk,
                                                                make_operator: Callable[..., Operator],
                                                                make_person: Callable[..., Person]) -> None:
    assert desk.call(desk.wang, "POST", "/filings/drafts", json=_form(desk.operator.id))["status"] == 403
    fid = _draft(desk)
    other = make_person(Role.operator, operator_id=make_operator().id)
    for method, path in (("GET", f"/filings/{fid}"), ("POST", f"/filings/{fid}/submit"),
                         ("DELETE", f"/filings/{fid}"), ("PUT", f"/filings/{fid}/cameras/1/placement")):
        response = desk.client.request(method, f"/api/v1{path}", headers=other.headers,
                                       json={"map_material_id": None} if method == "PUT" else None)
        assert response.status_code == 404, (method, path, response.text)


def test_cameras_and_wrong_files_come_off_a_draft(desk: Desk) -> None:
    fid = _draft(desk)
    plan, (first, second) = _complete(desk, fid)
    assert desk.call(desk.hotel, "PUT", f"/filings/{fid}/cameras/{first}/placement",
                     json={"map_material_id": plan, "map_page": 1, "map_x": 50, "map_y": 60})["status"] == 200
    assert desk.client.delete(f"/api/v1/filings/{fid}/cameras/{second}", headers=desk.hotel.headers).status_code == 204
    assert desk.client.delete(f"/api/v1/filings/{fid}/materials/{plan}", headers=desk.hotel.headers).status_code == 204
    cameras = desk.call(desk.hotel, "GET", f"/cameras?filing_id={fid}")["body"]["items"]
    assert [(c["id"], c["map_material_id"], c["map_x"]) for c in cameras] == [(first, None, None)]
    assert desk.client.delete(f"/api/v1/filings/{fid}/cameras/{second}", headers=desk.hotel.headers).status_code == 404


def test_placing_on_pdf_and_image_pages_in_their_frames(desk: Desk, settings: Settings) -> None:
    fid = _draft(desk)
    _, (first, second) = _complete(desk, fid)
    plans = _upload(desk, fid, "deployment_map", pdf((595, 842), (842, 595)), "floors.pdf")
    frames = desk.call(desk.hotel, "GET", f"/materials/{plans}/pages")
    assert frames["body"] == [{"page": 1, "width": 1190, "height": 1684}, {"page": 2, "width": 1684, "height": 1190}]

    def place(camera: int, **body: object) -> dict:  # type: ignore[type-arg]
        return desk.call(desk.hotel, "PUT", f"/filings/{fid}/cameras/{camera}/placement", json=body)

    placed = place(first, map_material_id=plans, map_page=2, map_x=1600.04, map_y=20, azimuth=135, hfov=90)
    assert placed["status"] == 200
    assert {k: placed["body"][k] for k in ("map_material_id", "map_page", "map_x", "map_y", "azimuth", "hfov")} == {
        "map_material_id": plans, "map_page": 2, "map_x": 1600.0, "map_y": 20.0, "azimuth": 135.0, "hfov": 90.0}
    outside = place(first, map_material_id=plans, map_page=1, map_x=1600, map_y=20)
    assert outside["status"] == 422 and outside["body"]["error"]["field"] == "map_x"
    assert place(first, map_material_id=plans, map_page=3, map_x=1, map_y=1)["body"]["error"]["field"] == "map_page"
    diagram = desk.call(desk.hotel, "GET", f"/filings/{fid}/materials")["body"][0]["id"]
    assert place(second, map_material_id=diagram, map_x=1, map_y=1)["body"]["error"]["field"] == "map_material_id"
    assert place(second, map_material_id=plans, map_page=1, map_x=1190, map_y=1684)["status"] == 200
    off = place(second, map_material_id=None)
    assert off["status"] == 200 and off["body"]["map_material_id"] is None and off["body"]["map_x"] is None
    # The rendered page is cached under the PDF's SHA-256 and its page, and has the page's shape.
    sha = desk.call(desk.hotel, "GET", f"/filings/{fid}/materials")["body"][-1]["sha256"]
    path, mime = mapimages.page_image(settings, sha, "application/pdf", 2)
    assert mime == "image/png" and path.parent.parent == mapimages.cache_dir(settings)
    with Image.open(path) as image:
        assert abs(image.size[0] / image.size[1] - 1684 / 1190) < 0.01
    stamp = path.stat().st_mtime_ns
    assert mapimages.page_image(settings, sha, "application/pdf", 2)[0].stat().st_mtime_ns == stamp


def test_a_change_carries_over_materials_placements_and_codes(desk: Desk) -> None:
    fid = desk.submit_complete()
    desk.call(desk.wang, "POST", f"/filings/{fid}/accept")
    filed = desk.file(fid)
    assert filed["body"]["state"] == "filed", filed
    old = {c["code"]: c for c in desk.call(desk.hotel, "GET", f"/cameras?filing_id={fid}")["body"]["items"]}
    started = desk.call(desk.hotel, "POST", f"/filings/{fid}/change")
    assert started["status"] == 201 and started["body"]["state"] == "draft" and started["body"]["kind"] == "change"
    change = started["body"]["id"]
    again = desk.call(desk.hotel, "POST", f"/filings/{fid}/change")
    assert again["status"] == 409 and again["body"]["error"]["details"]["filing_id"] == change
    assert desk.call(desk.wang, "GET", f"/filings/{change}")["status"] == 404
    copied = desk.call(desk.hotel, "GET", f"/cameras?filing_id={change}")["body"]["items"]
    assert sorted(c["existing_code"] for c in copied) == sorted(old)
    new_maps = [m["id"] for m in desk.call(desk.hotel, "GET", f"/filings/{change}/materials")["body"]
                if m["kind"] == "deployment_map"]
    placed = [c for c in copied if c["map_x"] is not None]
    assert [(c["map_material_id"] in new_maps, c["map_x"], c["map_y"]) for c in placed] == [(True, 10, 20),
                                                                                             (True, 30, 20)]
    # One camera is taken off, one added; filing the change keeps one code and retires the other.
    dropped = copied[1]
    desk.client.delete(f"/api/v1/filings/{change}/cameras/{dropped['id']}", headers=desk.hotel.headers)
    desk.call(desk.hotel, "POST", f"/filings/{change}/cameras", json=[_camera(7, **placed_at(new_maps[0]))])
    # A change says when the content changed (第十条); its lateness counts from that date.
    form = {k: started["body"][k] for k in _form(0) if k != "operator_id"}
    form["change_date"] = (beijing_today() - timedelta(days=1)).isoformat()
    assert desk.call(desk.hotel, "PUT", f"/filings/{change}/form", json=form)["status"] == 200
    assert desk.call(desk.hotel, "POST", f"/filings/{change}/submit")["status"] == 200
    desk.call(desk.wang, "POST", f"/filings/{change}/accept")
    assert desk.file(change)["body"]["state"] == "filed"
    now = desk.call(desk.hotel, "GET", f"/cameras?filing_id={change}")["body"]["items"]
    assert copied[0]["existing_code"] in {c["code"] for c in now}
    assert dropped["existing_code"] not in {c["code"] for c in now if c["status"] == "active"}
    assert desk.call(desk.wang, "POST", f"/filings/{fid}/change")["status"] == 403  # a change is the operator's
