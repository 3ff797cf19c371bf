"""Desk intake through the test client (王, JOURNEYS §1 steps 2–3): the operator's manager comes to the window.
The officer finds the operator by name or credit code (only his unit's are offered), or registers a new one
(a bad credit code or a location another unit handles comes back beside its field, nothing stored), types in
the filing (窗口受理, submitted at once), pastes the camera list from Excel on the filing's page and accepts.
Other roles are refused; another unit's operator is the 404 page."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from registry.audit.models import AuditEvent
from registry.auth.models import Role
from registry.cameras.models import Camera
from registry.filings.models import Channel, Filing, FilingState
from registry.filings.paste_rows import PASTE_HEADERS
from registry.imports.columns import Kind
from registry.operators.models import Operator
from registry.timeutil import beijing_today
from registry.uscc import make_uscc
from tests.registry.conftest import DONGCHENG_POINT, HAIDIAN_POINT, Person
from tests.registry.page_helpers import post_form, sign_in
from tests.registry.test_desk_pages import error_beside
from tests.registry.test_filing_workflow import _form
from tests.registry.test_imports import camera_row, sheet_bytes


@pytest.fixture
def backend() -> str:
    """Page tests run on SQLite (the services they call are tested on both backends)."""
    return "sqlite"


def operator_form(n: int, **changes: str) -> dict[str, str]:
    """The new-operator form as the officer fills it in from the manager's papers."""
    form = {"name": f"窗口宾馆{n}", "uscc": make_uscc(7000 + n), "address": f"北京市东城区窗口路{n}号",
            "industry_code": "50", "system_kind": "ordinary", "affiliation_code": "", "contact_name": "赵经理",
            "contact_phone": "010-65550000", "lon": str(DONGCHENG_POINT[0]), "lat": str(DONGCHENG_POINT[1]),
            "datum": "wgs84"}
    form.update(changes)
    return form


def filing_form(**changes: str) -> dict[str, str]:
    """The 备案表 typed in at the window."""
    today = beijing_today()
    form = {"system_name": "窗口宾馆视频监控系统", "system_location": "北京市东城区窗口路1号",
            "acceptance_date": (today - timedelta(days=5)).isoformat(),
            "system_in_use_date": (today - timedelta(days=3)).isoformat(), "retention_days": "30",
            "site_lon": str(DONGCHENG_POINT[0]), "site_lat": str(DONGCHENG_POINT[1]), "site_datum": "wgs84",
            "count_fixed": "2", "count_dome": "1", "network_digit": "8"}
    form.update(changes)
    return form


PASTED = ("\t".join(PASTE_HEADERS[:9]) + "\n"  # with the template's header row, as copied from its sheet
          "大堂1\t一层大堂东侧\tipc\tfixed\t海康威视\tDS-2CD\tSN1\t00:11:22:33:44:01\t192.0.2.1\n"
          "大堂2\t一层大堂西侧\tipc\tfixed\n前台\t前台上方\tipc\tdome\n")


def test_the_officer_registers_a_walk_in_operator_types_its_filing_pastes_cameras_and_accepts(
        client: TestClient, engine: object, make_person: Callable[..., Person]) -> None:
    wang = make_person(Role.intake, "101")
    token = sign_in(client, wang)
    assert 'href="/desk/new"' in client.get("/desk").text  # 新增 on the queue, and in the menu
    searched = client.get("/desk/new?q=窗口宾馆1")
    assert searched.status_code == 200 and "没有找到“窗口宾馆1”" in searched.text
    assert 'value="窗口宾馆1"' in searched.text  # what was searched starts the new operator's form
    # The location typed (or clicked on the map) shows at once who would handle the operator, and why.
    here = client.get("/desk/route", params={"lon": DONGCHENG_POINT[0], "lat": DONGCHENG_POINT[1]})
    assert "东城分局" in here.text and "规则" in here.text and "不在本窗口登记" not in here.text
    there = client.get("/desk/route", params={"lon": HAIDIAN_POINT[0], "lat": HAIDIAN_POINT[1]})
    assert "海淀" in there.text and "不在本窗口登记" in there.text
    assert "请填写经度和纬度" in client.get("/desk/route", params={"lon": "东经"}).text
    # A wrong credit code comes back beside its field, with everything typed.
    bad = post_form(client, "/desk/operators", token, operator_form(1, uscc="91110105MA00000000"))
    assert bad.status_code == 422 and "统一社会信用代码" in error_beside(bad.text, "uscc")
    assert 'value="北京市东城区窗口路1号"' in bad.text
    created = post_form(client, "/desk/operators", token, operator_form(1))
    assert created.status_code == 303, created.text
    operator_id = int(created.headers["location"].rsplit("/", 1)[1])
    # Found again by name and by credit code, offered for a filing here.
    for q in ("窗口宾馆", make_uscc(7001)):
        assert f'href="/desk/new/{operator_id}"' in client.get("/desk/new", params={"q": q}).text
    # The same credit code again is refused beside the field.
    again = post_form(client, "/desk/operators", token, operator_form(2, uscc=make_uscc(7001)))
    assert again.status_code == 422 and "已登记" in error_beside(again.text, "uscc")

    form_page = client.get(f"/desk/new/{operator_id}")
    assert form_page.status_code == 200 and "窗口受理：录入备案" in form_page.text
    assert f'action="/desk/new/{operator_id}"' in form_page.text and "东城分局" in form_page.text  # routed unit
    route = client.get(f"/desk/new/{operator_id}/route", params={"site_lon": HAIDIAN_POINT[0],
                                                                  "site_lat": HAIDIAN_POINT[1]})
    assert "海淀" in route.text and "与本单位登记的受理单位" in route.text
    missing = post_form(client, f"/desk/new/{operator_id}", token, filing_form(acceptance_date=""))
    assert missing.status_code == 422 and "竣工验收" in error_beside(missing.text, "acceptance_date")
    assert 'value="窗口宾馆视频监控系统"' in missing.text
    filed = post_form(client, f"/desk/new/{operator_id}", token, filing_form())
    assert filed.status_code == 303, filed.text
    filing_id = int(re.search(r"/filings/(\d+)", filed.headers["location"]).group(1))  # type: ignore[union-attr]
    with Session(engine) as session:  # type: ignore[arg-type]
        filing = session.get_one(Filing, filing_id)
        assert (filing.state, filing.channel, filing.submitted_by_id) == (
            FilingState.submitted, Channel.desk, wang.user.id)
        assert filing.camera_count_declared == 3
    page = client.get(f"/filings/{filing_id}")
    assert "窗口受理" in page.text and f'action="/filings/{filing_id}/cameras/paste"' in page.text

    # A bad row keeps the whole block back, the text is kept; then all three go in.
    bad_rows = post_form(client, f"/filings/{filing_id}/cameras/paste", token,
                         {"cameras_text": PASTED.replace("前台\t前台上方", "前台\t")})
    assert bad_rows.status_code == 422 and "安装位置" in error_beside(bad_rows.text, "cameras_text")
    assert "大堂2\t一层大堂西侧" in bad_rows.text
    pasted = post_form(client, f"/filings/{filing_id}/cameras/paste", token, {"cameras_text": PASTED})
    assert pasted.status_code == 303, pasted.text
    with Session(engine) as session:  # type: ignore[arg-type]
        names = session.exec(select(Camera.name).where(Camera.filing_id == filing_id)).all()
        assert sorted(names) == ["前台", "大堂1", "大堂2"]
    accepted = post_form(client, f"/filings/{filing_id}/accept", token)
    assert accepted.status_code == 303
    with Session(engine) as session:  # type: ignore[arg-type]
        filing = session.get_one(Filing, filing_id)
        assert filing.state == FilingState.accepted and filing.number and filing.deadline


def test_an_operator_another_unit_handles_is_not_registered_or_filed_here(
        client: TestClient, engine: object, make_person: Callable[..., Person],
        make_operator: Callable[..., Operator]) -> None:
    wang = make_person(Role.intake, "101")
    haidian = make_operator(lon=HAIDIAN_POINT[0], lat=HAIDIAN_POINT[1])
    token = sign_in(client, wang)
    elsewhere = post_form(client, "/desk/operators", token, operator_form(
        3, lon=str(HAIDIAN_POINT[0]), lat=str(HAIDIAN_POINT[1])))
    assert elsewhere.status_code == 422 and "海淀" in error_beside(elsewhere.text, "lon")
    with Session(engine) as session:  # type: ignore[arg-type]
        assert session.exec(select(Operator).where(Operator.uscc == make_uscc(7003))).first() is None
    # Another unit's operator: not found by name, and its form is the 404 page.
    assert f"/desk/new/{haidian.id}" not in client.get("/desk/new", params={"q": haidian.name}).text
    assert client.get(f"/desk/new/{haidian.id}").status_code == 404
    assert post_form(client, f"/desk/new/{haidian.id}", token, filing_form()).status_code == 404


@pytest.mark.parametrize("role", [Role.inspector, Role.supervisor, Role.operator])
def test_other_roles_are_refused_the_desk_intake(client: TestClient, make_person: Callable[..., Person],
                                                 make_operator: Callable[..., Operator], role: Role) -> None:
    operator = make_operator()
    person = make_person(role, operator_id=operator.id) if role == Role.operator else make_person(role, "101")
    token = sign_in(client, person)
    assert 'href="/desk/new"' not in client.get("/").text
    for response in (client.get("/desk/new"), client.get(f"/desk/new/{operator.id}"), client.get("/desk/route"),
                     post_form(client, "/desk/operators", token, operator_form(4)),
                     post_form(client, f"/desk/new/{operator.id}", token, filing_form())):
        assert response.status_code == 403 and "无权办理" in response.text


def test_the_camera_template_brought_on_the_stick_is_imported_at_the_desk(
        client: TestClient, engine: object, make_person: Callable[..., Person],
        make_operator: Callable[..., Operator]) -> None:
    wang = make_person(Role.intake, "101")
    operator = make_operator()
    token = sign_in(client, wang)
    filed = post_form(client, f"/desk/new/{operator.id}", token, filing_form())
    filing_id = int(re.search(r"/filings/(\d+)", filed.headers["location"]).group(1))  # type: ignore[union-attr]
    page = client.get(f"/filings/{filing_id}")
    assert f'action="/filings/{filing_id}/cameras/import"' in page.text
    assert client.get("/imports/cameras/template.xlsx").status_code == 200  # the template link on the page
    rows = [camera_row(n) for n in (1, 2, 3)]
    rows[1]["mac"] = "不是MAC"
    sheet = sheet_bytes(Kind.cameras, rows, "xlsx")
    bad = post_form(client, f"/filings/{filing_id}/cameras/import", token, files={"sheet": ("清单.xlsx", sheet)})
    assert bad.status_code == 422 and "1 行有误，未导入任何摄像机" in error_beside(bad.text, "sheet")
    link = re.search(r'id="error-file" href="([^"]+)"', bad.text)
    assert link and client.get(link.group(1).replace("&amp;", "&")).status_code == 200
    rows[1]["mac"] = "00-AA-BB-CC-DD-EE"
    good = post_form(client, f"/filings/{filing_id}/cameras/import", token,
                     files={"sheet": ("清单.xlsx", sheet_bytes(Kind.cameras, rows, "xlsx"))})
    assert good.status_code == 303, good.text
    with Session(engine) as session:  # type: ignore[arg-type]
        stored = session.exec(select(Camera).where(Camera.filing_id == filing_id)).all()
        assert len(stored) == 3 and {c.name for c in stored} == {"导入1", "导入2", "导入3"}
        wrong = next(c.id for c in stored if c.name == "导入2")
    # A camera entered by mistake is taken off the list again, before the decision.
    assert f'action="/filings/{filing_id}/cameras/{wrong}/delete"' in client.get(f"/filings/{filing_id}").text
    assert post_form(client, f"/filings/{filing_id}/cameras/{wrong}/delete", token).status_code == 303
    with Session(engine) as session:  # type: ignore[arg-type]
        assert len(session.exec(select(Camera).where(Camera.filing_id == filing_id)).all()) == 2
    # Only the filing unit's desk: the operator itself is refused here (it has its own page for this).
    hotel = make_person(Role.operator, operator_id=operator.id)
    token = sign_in(client, hotel)
    refused = post_form(client, f"/filings/{filing_id}/cameras/import", token,
                        files={"sheet": ("清单.xlsx", sheet_bytes(Kind.cameras, rows, "xlsx"))})
    assert refused.status_code == 403
    kept = next(c for c in stored if c.id != wrong)
    assert post_form(client, f"/filings/{filing_id}/cameras/{kept.id}/delete", token).status_code == 403


def _typed_in(client: TestClient, token: str, operator_id: int, **changes: str) -> int:
    filed = post_form(client, f"/desk/new/{operator_id}", token, filing_form(**changes))
    assert filed.status_code == 303, filed.text
    return int(re.search(r"/filings/(\d+)", filed.headers["location"]).group(1))  # type: ignore[union-attr]


CAMERA_ROW = {"cam_name": "前台", "cam_position_text": "前台上方", "cam_form_factor": "dome",
              "cam_manufacturer": "大华", "cam_model": "DH-IPC", "cam_serial": "SN-DESK-1",
              "cam_mac": "00:11:22:33:44:99", "cam_ip": "192.0.2.9", "cam_lon": "", "cam_lat": ""}


def test_the_officer_adds_one_camera_with_the_operators_row_form(
        client: TestClient, engine: object, make_person: Callable[..., Person],
        make_operator: Callable[..., Operator]) -> None:
    wang = make_person(Role.intake, "101")
    operator = make_operator()
    token = sign_in(client, wang)
    filing_id = _typed_in(client, token, operator.id)
    page = client.get(f"/filings/{filing_id}")
    # The operator's own row form (apply/_camera_row_form.html), sent to the desk's route.
    assert f'action="/filings/{filing_id}/cameras" class="camera-row-form"' in page.text and "逐条添加" in page.text
    bad = post_form(client, f"/filings/{filing_id}/cameras", token, {**CAMERA_ROW, "cam_mac": "不是MAC"})
    assert bad.status_code == 422 and error_beside(bad.text, "cam_mac")
    assert 'value="SN-DESK-1"' in bad.text and '<details class="desk-row no-print" open>' in bad.text
    added = post_form(client, f"/filings/{filing_id}/cameras", token, CAMERA_ROW)
    assert added.status_code == 303 and added.headers["location"] == f"/filings/{filing_id}#cameras"
    with Session(engine) as session:  # type: ignore[arg-type]
        camera = session.exec(select(Camera).where(Camera.filing_id == filing_id)).one()
        assert (camera.name, camera.serial, camera.mac) == ("前台", "SN-DESK-1", "00:11:22:33:44:99")
        assert (camera.lon, camera.lat) == pytest.approx(DONGCHENG_POINT)  # no position typed: the system's
        events = session.exec(select(AuditEvent).where(AuditEvent.action == "filing.cameras.add")
                              .where(AuditEvent.object_id == str(filing_id))).all()
        assert [e.actor_id for e in events] == [wang.user.id]
    # The operator keeps its own page for this; another unit's officer does not see the filing.
    hotel = make_person(Role.operator, operator_id=operator.id)
    assert post_form(client, f"/filings/{filing_id}/cameras", sign_in(client, hotel), CAMERA_ROW).status_code == 403
    haidian = make_person(Role.intake, "108")
    assert post_form(client, f"/filings/{filing_id}/cameras", sign_in(client, haidian), CAMERA_ROW).status_code == 404


def test_the_officer_who_typed_a_filing_corrects_its_form_before_acceptance(
        client: TestClient, engine: object, make_person: Callable[..., Person],
        make_operator: Callable[..., Operator]) -> None:
    wang, li = make_person(Role.intake, "101"), make_person(Role.reviewer, "101")
    operator = make_operator()
    token = sign_in(client, wang)
    filing_id = _typed_in(client, token, operator.id)
    page = client.get(f"/filings/{filing_id}")
    assert f'id="edit-form" href="/filings/{filing_id}/form"' in page.text
    form = client.get(f"/filings/{filing_id}/form")
    assert form.status_code == 200 and f'action="/filings/{filing_id}/form"' in form.text
    assert 'value="窗口宾馆视频监控系统"' in form.text and f'href="/filings/{filing_id}"' in form.text
    # A mistake comes back beside its field with what was typed; nothing is stored.
    missing = post_form(client, f"/filings/{filing_id}/form", token,
                        filing_form(system_name="窗口宾馆监控系统（改）", acceptance_date=""))
    assert missing.status_code == 422 and "竣工验收" in error_beside(missing.text, "acceptance_date")
    assert 'value="窗口宾馆监控系统（改）"' in missing.text
    saved = post_form(client, f"/filings/{filing_id}/form", token,
                      filing_form(system_name="窗口宾馆监控系统（改）", retention_days="90"))
    assert saved.status_code == 303 and saved.headers["location"] == f"/filings/{filing_id}"
    with Session(engine) as session:  # type: ignore[arg-type]
        filing = session.get_one(Filing, filing_id)
        assert (filing.system_name, filing.retention_days, filing.state, filing.channel) == (
            "窗口宾馆监控系统（改）", 90, FilingState.submitted, Channel.desk)
        event = session.exec(select(AuditEvent).where(AuditEvent.action == "filing.form")
                             .where(AuditEvent.object_id == str(filing_id))).one()
        assert event.actor_id == wang.user.id and event.details["fields"] == ["retention_days", "system_name"]
        assert event.details["changes"] == {"system_name": ["窗口宾馆视频监控系统", "窗口宾馆监控系统（改）"],
                                            "retention_days": [30, 90]}
    # Another officer of the unit may not change what 王 typed (and is not offered it).
    li_token = sign_in(client, li)
    assert 'id="edit-form"' not in client.get(f"/filings/{filing_id}").text
    assert client.get(f"/filings/{filing_id}/form").status_code == 403
    assert post_form(client, f"/filings/{filing_id}/form", li_token, filing_form()).status_code == 403
    # Another unit: the 404 page.
    haidian = make_person(Role.intake, "108")
    assert post_form(client, f"/filings/{filing_id}/form", sign_in(client, haidian), filing_form()).status_code == 404
    # Accepted: the form is what was examined; changes go through the correction notice.
    token = sign_in(client, wang)
    assert post_form(client, f"/filings/{filing_id}/accept", token).status_code == 303
    assert 'id="edit-form"' not in client.get(f"/filings/{filing_id}").text
    assert client.get(f"/filings/{filing_id}/form").status_code == 409
    assert post_form(client, f"/filings/{filing_id}/form", token, filing_form()).status_code == 409


def test_a_filing_the_operator_submitted_online_is_not_edited_at_the_desk(
        client: TestClient, engine: object, make_person: Callable[..., Person],
        make_operator: Callable[..., Operator]) -> None:
    wang = make_person(Role.intake, "101")
    operator = make_operator()
    hotel = make_person(Role.operator, operator_id=operator.id)
    online = client.post("/api/v1/filings", headers=hotel.headers, json=_form(operator.id))
    assert online.status_code == 201, online.text
    filing_id = online.json()["id"]
    token = sign_in(client, wang)
    assert 'id="edit-form"' not in client.get(f"/filings/{filing_id}").text
    refused = client.get(f"/filings/{filing_id}/form")
    assert refused.status_code == 409 and "签章的备案表" in refused.text
    assert post_form(client, f"/filings/{filing_id}/form", token, filing_form()).status_code == 409
    # Nor through the API (one rule, in registry/filings/drafts.py).
    api = client.put(f"/api/v1/filings/{filing_id}/form", headers=wang.headers,
                       json={k: v for k, v in _form(operator.id).items() if k != "operator_id"})
    assert api.status_code == 409, api.text
    with Session(engine) as session:  # type: ignore[arg-type]
        assert session.get_one(Filing, filing_id).system_name == "酒店视频监控系统"
        assert not session.exec(select(AuditEvent).where(AuditEvent.action == "filing.form")).all()
