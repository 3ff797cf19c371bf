"""The operator's pages through the test client: each form's validation (errors beside the field, what was
typed kept), its refusals, and the journey draft → materials → cameras → placement → submit → correction →
change, as the browser sends it (CSRF tokens included)."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from registry.auth.models import Role
from registry.cameras.models import Camera
from registry.filings.models import Filing, FilingState
from registry.operators.models import Operator
from registry.timeutil import beijing_today
from tests.registry.conftest import Person
from tests.registry.page_helpers import post_form, sign_in
from tests.registry.test_drafts import VALID_ID, pdf, png
from tests.registry.test_filing_workflow import Desk

FORM = {"system_name": "东方酒店视频监控系统", "system_location": "北京市东城区测试路1号",
        "system_in_use_date": (beijing_today() - timedelta(days=10)).isoformat(),
        "acceptance_date": (beijing_today() - timedelta(days=12)).isoformat(), "retention_days": "30",
        "network_digit": "8", "site_lon": "116.417", "site_lat": "39.947", "site_datum": "wgs84",
        "count_fixed": "2", "count_dome": "1"}
# The form as Desk.submit_complete files it: two cameras declared, as many as it lists (第八条).
FORM_OF_TWO = {**FORM, "count_fixed": "1"}


@pytest.fixture
def backend() -> str:
    """Page tests run on SQLite (the service they call is tested on both backends)."""
    return "sqlite"


@pytest.fixture
def desk(client: TestClient, make_operator: Callable[..., Operator], make_person: Callable[..., Person]) -> Desk:
    return Desk(client, make_operator(), make_person)


def error_beside(html: str, field: str) -> str:
    """The error message shown beside a field."""
    found = re.search(rf'<small class="error" id="e-{field}">([^<]*)</small>', html)
    assert found, f"no error beside {field}"
    return found.group(1)


def value_of(html: str, field: str) -> str:
    found = re.search(rf'id="f-{field}" name="{field}" type="[a-z]+" value="([^"]*)"', html)
    assert found, f"no input {field}"
    return found.group(1)


def stored(session: Session, filing_id: int) -> Filing:
    """The filing as stored now; the test's transaction ends at once (SQLite: the app must be able to write)."""
    session.expire_all()
    filing = session.get_one(Filing, filing_id)
    session.commit()
    return filing


def cameras_of(session: Session, filing_id: int) -> list[Camera]:
    found = list(session.exec(select(Camera).where(Camera.filing_id == filing_id).order_by(Camera.id)).all())  # type: ignore[arg-type]
    session.commit()
    return found


def new_draft(client: TestClient, token: str, **changes: str) -> int:
    response = post_form(client, "/apply/new", token, {**FORM, **changes})
    assert response.status_code == 303, response.text
    return int(response.headers["location"].rsplit("/", 1)[1])


def test_the_new_filing_form_says_what_is_wrong_beside_each_field(client: TestClient, desk: Desk) -> None:
    token = sign_in(client, desk.hotel)
    page = client.get("/apply/new").text
    assert value_of(page, "system_location") == desk.operator.address and "受理备案单位" in page
    bad = {**FORM, "system_name": "", "count_fixed": "", "count_dome": "", "site_lon": "abc", "by_agent": "true",
           "agent_name": "张三", "agent_id_number": "110105194912310021", "system_in_use_date": "2099-01-01"}
    response = post_form(client, "/apply/new", token, bad)
    assert response.status_code == 422
    html = response.text
    assert error_beside(html, "system_name") == "至少 2 个字符" or "必填" in error_beside(html, "system_name")
    assert "数量" in error_beside(html, "count_fixed")
    assert "经度" in error_beside(html, "site_lon")
    assert "校验位" in error_beside(html, "agent_id_number")
    assert value_of(html, "agent_name") == "张三" and value_of(html, "retention_days") == "30"
    # The service's own refusal (a date in the future) also lands beside its field.
    response = post_form(client, "/apply/new", token, {**FORM, "system_in_use_date": "2099-01-01"})
    assert response.status_code == 422 and "不能晚于今天" in error_beside(response.text, "system_in_use_date")
    assert "必填" in error_beside(post_form(client, "/apply/new", token, {**FORM, "by_agent": "true"}).text,
                                   "agent_name")


def test_a_draft_is_saved_resumed_and_listed_only_for_its_operator(client: TestClient, desk: Desk,
                                                                   session: Session) -> None:
    token = sign_in(client, desk.hotel)
    fid = new_draft(client, token, site_datum="gcj02")
    filing = stored(session, fid)
    assert filing.state == FilingState.draft and filing.camera_types_declared == "枪机×2，半球×1"
    assert filing.camera_count_declared == 3 and filing.site_lon is not None and abs(filing.site_lon - 116.411) < 0.01
    listing = client.get("/apply").text
    assert "东方酒店视频监控系统" in listing and "草稿：请补齐" in listing
    form = client.get(f"/apply/{fid}/form").text
    assert value_of(form, "count_fixed") == "2" and value_of(form, "count_dome") == "1"
    saved = post_form(client, f"/apply/{fid}/form", token, {**FORM, "retention_days": "90"})
    assert saved.status_code == 303
    assert stored(session, fid).retention_days == 90
    refused = post_form(client, f"/apply/{fid}/form", token, {**FORM, "retention_days": "0"})
    assert refused.status_code == 422 and error_beside(refused.text, "retention_days") == "不能小于 1"
    # Officers see neither the draft nor the operator's pages.
    sign_in(client, desk.wang)
    assert client.get(f"/filings/{fid}").status_code == 404
    assert client.get("/apply").status_code == 403


def test_materials_cameras_and_placement_on_the_draft(client: TestClient, desk: Desk, session: Session) -> None:
    token = sign_in(client, desk.hotel)
    fid = new_draft(client, token)
    nothing = post_form(client, f"/apply/{fid}/materials", token, {"kind": "location_diagram"})
    assert nothing.status_code == 422 and "请选择要上传的文件" in nothing.text
    wrong = post_form(client, f"/apply/{fid}/materials", token, {"kind": "form"},
                      files={"file": ("表.docx", b"PK\x03\x04 not a pdf")})
    assert wrong.status_code == 422 and "表.docx：文件类型不支持" in wrong.text
    broken = post_form(client, f"/apply/{fid}/materials", token, {"kind": "deployment_map"},
                       files={"file": ("plan.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 40)})
    assert broken.status_code == 422 and "无法打开" in broken.text
    for kind, name, data in (("form", "备案表.pdf", pdf((595, 842))), ("location_diagram", "位置.png", png()),
                             ("deployment_map", "布防图.pdf", pdf((842, 595), (842, 595)))):
        assert post_form(client, f"/apply/{fid}/materials", token, {"kind": kind},
                         files={"file": (name, data)}).status_code == 303
    # Paste: a bad row keeps the block back, names the row, and keeps the text.
    text = "大堂1\t一层大堂东侧\tipc\tfixed\t海康威视\tDS-2CD\tSN1\t00:11:22:33:44:01\t192.0.2.1\n" \
           "大堂2\t一层大堂西侧\tipc\tdome\n前台\t\tipc\n"
    pasted = post_form(client, f"/apply/{fid}/cameras/paste", token, {"cameras_text": text})
    assert pasted.status_code == 422 and "第 3 行：安装位置" in error_beside(pasted.text, "cameras_text")
    assert "大堂2\t一层大堂西侧" in pasted.text
    assert post_form(client, f"/apply/{fid}/cameras/paste", token,
                     {"cameras_text": text.replace("前台\t\t", "前台\t前台上方\t")}).status_code == 303
    row = post_form(client, f"/apply/{fid}/cameras", token, {"cam_name": "东门", "cam_position_text": "东门外",
                                                              "cam_mac": "00:11"})
    assert row.status_code == 422 and "mac" in error_beside(row.text, "cam_mac")
    assert 'value="东门外"' in row.text
    assert post_form(client, f"/apply/{fid}/cameras", token, {"cam_name": "东门", "cam_position_text": "东门外",
                                                              "cam_form_factor": "ptz"}).status_code == 303
    cameras = cameras_of(session, fid)
    assert [c.name for c in cameras] == ["大堂1", "大堂2", "前台", "东门"]
    assert all(abs(c.lon - 116.417) < 1e-6 for c in cameras)  # no position given: the system's location
    # Placement: the page carries the frame; each save answers JSON.
    plans = next(m["id"] for m in client.get(f"/api/v1/filings/{fid}/materials", headers=desk.hotel.headers).json()
                 if m["kind"] == "deployment_map")
    page = client.get(f"/apply/{fid}/placement?material={plans}&page=2")
    assert page.status_code == 200 and 'data-width="1684" data-height="1190"' in page.text
    image = client.get(f"/materials/{plans}/pages/2")
    assert image.status_code == 200 and image.headers["content-type"] == "image/png"
    saved = post_form(client, f"/apply/{fid}/cameras/{cameras[0].id}/placement", token,
                      {"map_material_id": plans, "map_page": "2", "map_x": "100.5", "map_y": "80", "azimuth": "45",
                       "hfov": "90"})
    assert saved.status_code == 200 and saved.json()["camera"]["map_x"] == 100.5
    outside = post_form(client, f"/apply/{fid}/cameras/{cameras[1].id}/placement", token,
                        {"map_material_id": plans, "map_page": "2", "map_x": "5000", "map_y": "1"})
    assert outside.status_code == 422 and "超出图纸范围" in outside.json()["error"]["message"]
    assert client.get(f"/apply/{fid}/placement?material={plans}&page=9").status_code == 404
    # Incomplete (第八条): four cameras listed against three declared, three of them not on the 布防图.
    refused = post_form(client, f"/apply/{fid}/submit", token)
    assert refused.status_code == 409
    assert "摄像机清单登记 4 台" in refused.text
    assert "3 台摄像机未在布防图上标注安装位置：大堂2、前台、东门" in refused.text
    assert post_form(client, f"/apply/{fid}/form", token, {**FORM, "count_ptz": "1"}).status_code == 303
    for n, camera in enumerate(cameras[1:], start=1):
        assert post_form(client, f"/apply/{fid}/cameras/{camera.id}/placement", token,
                         {"map_material_id": plans, "map_page": "2", "map_x": str(200 * n), "map_y": "80"}
                         ).status_code == 200
    # Submit; the filing is now the officers'.
    submitted = post_form(client, f"/apply/{fid}/submit", token)
    assert submitted.status_code == 303
    assert stored(session, fid).state == FilingState.submitted
    assert post_form(client, f"/apply/{fid}/materials/{plans}/delete", token).status_code == 409


def test_submitting_an_incomplete_draft_says_what_is_missing(client: TestClient, desk: Desk) -> None:
    token = sign_in(client, desk.hotel)
    fid = new_draft(client, token, by_agent="true", agent_name="张三", agent_id_number=VALID_ID)
    page = client.get(f"/apply/{fid}").text
    assert "委托办理备案登记授权书" in page and 'disabled title="请先补齐上面所列各项"' in page
    refused = post_form(client, f"/apply/{fid}/submit", token)
    assert refused.status_code == 409
    assert ("提交前请补齐：备案表（加盖单位公章后上传）、单位位置示意图、布防图、摄像机清单、委托办理备案登记授权书"
            in refused.text)


def test_correction_read_fixed_and_resubmitted_then_a_change(client: TestClient, desk: Desk,
                                                             session: Session) -> None:
    fid = desk.submit_complete()
    desk.call(desk.wang, "POST", f"/filings/{fid}/accept")
    desk.call(desk.wang, "POST", f"/filings/{fid}/correction-notice", json={"items": [
        {"item": "retention_days", "message": "存储期限不足 30 天，请改正"},
        {"item": "form", "message": "请上传盖章的备案表"}]})
    token = sign_in(client, desk.hotel)
    assert "请按补正通知修改 2 项后重新提交" in client.get("/apply").text
    page = client.get(f"/apply/{fid}").text
    assert "存储期限不足 30 天，请改正" in page and "补正完成，提交" in page
    assert post_form(client, f"/apply/{fid}/form", token, {**FORM_OF_TWO, "retention_days": "60"}).status_code == 303
    assert post_form(client, f"/apply/{fid}/corrected", token).status_code == 303
    filing = stored(session, fid)
    assert filing.state == FilingState.corrected and filing.retention_days == 60
    assert post_form(client, f"/apply/{fid}/corrected", token).status_code == 409
    desk.file(fid)
    assert "可下载回执、办理变更" in client.get("/apply").text
    assert f"/filings/{fid}/documents/receipt.pdf" in client.get(f"/apply/{fid}").text
    receipt = client.get(f"/filings/{fid}/documents/receipt.pdf")
    assert receipt.status_code == 200 and receipt.content.startswith(b"%PDF")
    draft = new_draft(client, token, by_agent="true", agent_name="张三", agent_id_number=VALID_ID)
    assert client.get(f"/filings/{draft}/documents/basic_info.pdf").status_code == 200
    assert client.get(f"/filings/{draft}/documents/authorization.pdf").status_code == 200
    started = post_form(client, f"/apply/{fid}/change", token)
    assert started.status_code == 303
    change = int(started.headers["location"].rsplit("/", 1)[1])
    page = client.get(f"/apply/{change}").text
    codes = [c.code for c in cameras_of(session, fid)]
    assert all(code in page for code in codes) and "变更原备案" in page
    again = post_form(client, f"/apply/{fid}/change", token)
    assert again.status_code == 303 and again.headers["location"] == f"/apply/{change}"


def test_another_operators_filing_is_the_404_page(client: TestClient, desk: Desk,
                                                  make_operator: Callable[..., Operator],
                                                  make_person: Callable[..., Person]) -> None:
    token = sign_in(client, desk.hotel)
    fid = new_draft(client, token)
    sign_in(client, make_person(Role.operator, operator_id=make_operator().id))
    for path in (f"/apply/{fid}", f"/apply/{fid}/form", f"/apply/{fid}/placement"):
        response = client.get(path)
        assert response.status_code == 404 and "页面不存在" in response.text


def test_the_camera_template_comes_back_with_its_errors_then_imports(client: TestClient, desk: Desk,
                                                                     session: Session) -> None:
    import io

    from openpyxl import load_workbook

    token = sign_in(client, desk.hotel)
    fid = new_draft(client, token)
    blank = client.get(f"/apply/{fid}/cameras/template.xlsx")
    assert blank.status_code == 200
    book = load_workbook(io.BytesIO(blank.content))
    sheet = book.active
    assert sheet is not None
    fields = [cell.value for cell in sheet[2]]
    rows = [{"name": "大堂1", "position_text": "一层大堂", "mac": "00:11:22:33:44:01"},
            {"name": "大堂2", "position_text": "", "mac": "nonsense"}]
    for row in rows:
        sheet.append([row.get(str(f), None) for f in fields])
    buffer = io.BytesIO()
    book.save(buffer)
    refused = post_form(client, f"/apply/{fid}/cameras/import", token,
                        files={"sheet": ("清单.xlsx", buffer.getvalue())})
    assert refused.status_code == 422 and "有 1 行有误，未导入任何摄像机" in error_beside(refused.text, "sheet")
    assert "第 4 行" in refused.text and cameras_of(session, fid) == []
    link = re.search(r'href="(/apply/\d+/cameras/errors/[^"]+)"', refused.text)
    assert link
    errors = client.get(link.group(1).replace("&amp;", "&"))
    assert errors.status_code == 200
    marked = load_workbook(io.BytesIO(errors.content)).active
    assert marked is not None and "错误" in [c.value for c in marked[1]]
    assert client.get(link.group(1).replace("&amp;", "&").replace("sig=", "sig=0")).status_code == 404
    sheet.delete_rows(4)
    buffer = io.BytesIO()
    book.save(buffer)
    stored_now = post_form(client, f"/apply/{fid}/cameras/import", token,
                           files={"sheet": ("清单.xlsx", buffer.getvalue())})
    assert stored_now.status_code == 303
    cameras = cameras_of(session, fid)
    assert [(c.name, c.mac) for c in cameras] == [("大堂1", "00:11:22:33:44:01")]
    assert abs(cameras[0].lon - 116.417) < 1e-6  # no position in the sheet: the system's location


def test_the_form_asks_for_the_date_each_rule_counts_from(client: TestClient, desk: Desk) -> None:
    token = sign_in(client, desk.hotel)
    page = client.get("/apply/new").text
    assert 'id="f-acceptance_date"' in page and 'id="f-change_date"' not in page
    refused = post_form(client, "/apply/new", token, {**FORM, "acceptance_date": ""})
    assert refused.status_code == 422 and "竣工验收合格日期" in error_beside(refused.text, "acceptance_date")
    future = post_form(client, "/apply/new", token, {**FORM, "acceptance_date": "2099-01-01"})
    assert future.status_code == 422 and "不能晚于今天" in error_beside(future.text, "acceptance_date")


def test_a_change_draft_made_in_the_pages_submits(client: TestClient, desk: Desk, session: Session) -> None:
    fid = desk.submit_complete()
    desk.call(desk.wang, "POST", f"/filings/{fid}/accept")
    desk.file(fid)
    token = sign_in(client, desk.hotel)
    started = post_form(client, f"/apply/{fid}/change", token)
    change = int(started.headers["location"].rsplit("/", 1)[1])
    form_page = client.get(f"/apply/{change}/form").text
    assert 'id="f-change_date"' in form_page and value_of(form_page, "change_date") == ""
    # Submitting without the date of change is refused and says so; the form asks for it beside the field.
    early = post_form(client, f"/apply/{change}/submit", token)
    assert early.status_code == 409 and "变更日期" in early.text
    missing = post_form(client, f"/apply/{change}/form", token, {**FORM, "change_date": ""})
    assert missing.status_code == 422 and "变更日期" in error_beside(missing.text, "change_date")
    future = post_form(client, f"/apply/{change}/form", token, {**FORM, "change_date": "2099-01-01"})
    assert future.status_code == 422 and "不能晚于今天" in error_beside(future.text, "change_date")
    day = (beijing_today() - timedelta(days=2)).isoformat()
    assert post_form(client, f"/apply/{change}/form", token, {**FORM_OF_TWO, "change_date": day}).status_code == 303
    assert value_of(client.get(f"/apply/{change}/form").text, "change_date") == day
    submitted = post_form(client, f"/apply/{change}/submit", token)
    assert submitted.status_code == 303, submitted.text
    filing = stored(session, change)
    assert filing.state == FilingState.submitted and filing.change_date.isoformat() == day and not filing.late
