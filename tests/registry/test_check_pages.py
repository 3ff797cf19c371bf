"""799号令 check pages: the term list edited by the city's administrators, the filing's checks card (flags shown
to the police, never dropped), the operator's staff and training records and the police's read-only view."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient

from discovery.models import RecordingSummary
from registry.auth.models import Role
from registry.operators.models import Operator
from tests.registry.conftest import Person
from tests.registry.page_helpers import post_form, sign_in
from tests.registry.test_filing_workflow import Desk, _camera
from tests.registry.test_scans import _device, _report


@pytest.fixture
def site(client: TestClient, make_operator: Callable[..., Operator],
         make_person: Callable[..., Person]) -> dict[str, Any]:
    """东城's hotel, filed, with a camera named 3楼客房走廊 beside its two ordinary ones."""
    desk = Desk(client, make_operator(), make_person)
    fid = desk.submit_complete(_camera(3, name="3楼客房走廊", position_text="三层东侧走廊"))
    desk.call(desk.wang, "POST", f"/filings/{fid}/accept")
    assert desk.file(fid)["status"] == 200
    return {"desk": desk, "fid": fid}


def _card(html: str) -> str:
    found = re.search(r'<section class="card checks" id="checks">(.*?)</section>', html, re.S)
    assert found, "the filing page has no 799号令 checks card"
    return found.group(1)


def test_filing_page_shows_the_flags_to_the_police_and_keeps_the_camera(site: dict[str, Any]) -> None:
    desk, fid = site["desk"], site["fid"]
    start = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)
    short = _device("192.0.2.1", "SN00001", "00:11:22:33:44:01", scope_name="二层女更衣室",
                    recording=RecordingSummary(start.isoformat(), (start + dt.timedelta(days=12)).isoformat(), 1, 12.0))
    good = _device("192.0.2.2", "SN00002", "00:11:22:33:44:02",
                   recording=RecordingSummary(start.isoformat(), (start + dt.timedelta(days=40)).isoformat(), 2, 40.0))
    report = _report([short, good], dt.datetime(2026, 12, 1, tzinfo=dt.UTC))
    up = desk.client.post(f"/api/v1/filings/{fid}/scans", headers=desk.zhang.headers,
                          files={"file": ("scan.json", report)})
    assert up.status_code == 201, up.text

    sign_in(desk.client, desk.zhang)
    page = desk.client.get(f"/filings/{fid}")
    assert page.status_code == 200
    card = _card(page.text)
    assert "3楼客房走廊" in card and "客房" in card and "摄像机名称" in card  # the camera, as filed
    assert "二层女更衣室" in card and "更衣室" in card and "设备名称（ONVIF）" in card  # the device, as scanned
    assert "申报存储期限：30 天" in card
    rows = re.findall(r'<tr class="flagged"><td class="mono">([\d.]+)</td>.*?<td>12</td>', card, re.S)
    assert rows == ["192.0.2.1"] and "不足 30 天" in card and "少于申报的存储期限" in card
    assert "3 项需现场查看" in card  # two names, one device short of footage
    assert "3楼客房走廊" in page.text.split('id="cameras"')[1]  # still in the camera list: flagged, not dropped

    sign_in(desk.client, desk.hotel)  # the operator's own view of its filing has no inspector's card
    own = desk.client.get(f"/filings/{fid}")
    assert own.status_code == 200 and 'id="checks"' not in own.text


def test_city_administrator_edits_the_terms_and_the_filing_page_follows(
        site: dict[str, Any], make_person: Callable[..., Person]) -> None:
    desk, fid, client = site["desk"], site["fid"], site["desk"].client
    unit_admin = make_person(Role.admin, "101")
    token = sign_in(client, unit_admin)
    page = client.get("/admin/prohibited-terms")
    assert page.status_code == 200 and 'data-term="客房"' in page.text
    assert 'action="/admin/prohibited-terms"' not in page.text and "本页只读" in page.text
    assert post_form(client, "/admin/prohibited-terms", token, {"term": "走廊"}).status_code == 403

    city = make_person(Role.admin, "001")
    token = sign_in(client, city)
    assert 'action="/admin/prohibited-terms"' in client.get("/admin/prohibited-terms").text
    blank = post_form(client, "/admin/prohibited-terms", token, {"term": ""})
    assert blank.status_code == 422 and '<small class="error" id="e-term">必填</small>' in blank.text
    twice = post_form(client, "/admin/prohibited-terms", token, {"term": "客房"})
    assert twice.status_code == 422 and "“客房”已在词表中" in twice.text and 'id="e-term"' in twice.text
    added = post_form(client, "/admin/prohibited-terms", token, {"term": "走廊", "note": "试行"})
    assert added.status_code == 303
    listed = client.get("/admin/prohibited-terms").text
    assert 'data-term="走廊"' in listed and "试行" in listed

    sign_in(client, desk.wang)
    card = _card(client.get(f"/filings/{fid}").text)
    assert "走廊" in card and card.count("3楼客房走廊") == 2  # matched by 客房 and by 走廊

    token = sign_in(client, city)
    term_id = re.search(r'data-term="走廊">.*?action="/admin/prohibited-terms/(\d+)/remove"', listed, re.S)
    assert term_id
    assert post_form(client, f"/admin/prohibited-terms/{term_id.group(1)}/remove", token).status_code == 303
    listed = client.get("/admin/prohibited-terms").text
    assert re.search(r'<tr data-term="走廊" class="muted">.*?已停用', listed, re.S)
    sign_in(client, desk.wang)
    assert _card(client.get(f"/filings/{fid}").text).count("3楼客房走廊") == 1


def test_operator_keeps_staff_and_trainings_and_the_untrained_are_flagged(site: dict[str, Any]) -> None:
    desk, fid, client = site["desk"], site["fid"], site["desk"].client
    token = sign_in(client, desk.hotel)
    empty = client.get("/apply/staff")
    assert empty.status_code == 200 and "尚未登记人员" in empty.text

    missing = post_form(client, "/apply/staff", token, {"name": "", "duty": "watch"})
    assert missing.status_code == 422 and '<small class="error" id="e-name">必填</small>' in missing.text
    for name, duty in (("张值班", "watch"), ("刘维护", "maintainer")):
        assert post_form(client, "/apply/staff", token, {"name": name, "duty": duty}).status_code == 303
    page = client.get("/apply/staff").text
    assert "2 人未培训" in page
    ids = dict(re.findall(r'<tr id="staff-(\d+)" data-staff="([^"]+)"', page))
    zhang = next(i for i, n in ids.items() if n == "张值班")
    liu = next(i for i, n in ids.items() if n == "刘维护")

    future = post_form(client, f"/apply/staff/{zhang}/trainings", token,
                       {"trained_on": "2099-01-01", "content": "799号令培训"})
    assert future.status_code == 422
    assert f'<small class="error" id="e-t{zhang}-trained_on">培训日期不能晚于今天' in future.text
    assert 'value="799号令培训"' in future.text  # what was typed is kept
    short = post_form(client, f"/apply/staff/{zhang}/trainings", token, {"trained_on": "2026-01-05", "content": "x"})
    assert short.status_code == 422 and f'id="e-t{zhang}-content">至少 2 个字符' in short.text
    done = post_form(client, f"/apply/staff/{zhang}/trainings", token,
                     {"trained_on": "2026-01-05", "content": "799号令及保密规定培训", "trainer": "东城分局"})
    assert done.status_code == 303
    page = client.get("/apply/staff").text
    assert "1 人未培训" in page and "799号令及保密规定培训（东城分局）" in page

    # The police read it (no forms) and the filing's card names who is untrained.
    sign_in(client, desk.wang)
    police = client.get(f"/operators/{desk.operator.id}/staff")
    assert police.status_code == 200 and "1 人未培训" in police.text and "本页只读" in police.text
    assert "<form" not in police.text.split('id="staff"')[1]
    card = _card(client.get(f"/filings/{fid}").text)
    assert "登记在岗人员 2 人" in card and "1 人未经培训" in card and "刘维护（维护人员）" in card

    # Someone who left is kept with their history but no longer flagged.
    token = sign_in(client, desk.hotel)
    assert post_form(client, f"/apply/staff/{liu}/leave", token).status_code == 303
    page = client.get("/apply/staff").text
    assert "均已培训" in page and "已离岗" in page and "刘维护" in page
    sign_in(client, desk.wang)
    assert "均有培训记录" in _card(client.get(f"/filings/{fid}").text)


def test_another_operator_cannot_touch_this_staff(site: dict[str, Any], make_operator: Callable[..., Operator],
                                                  make_person: Callable[..., Person]) -> None:
    desk, client = site["desk"], site["desk"].client
    token = sign_in(client, desk.hotel)
    post_form(client, "/apply/staff", token, {"name": "张值班", "duty": "watch"})
    staff_id = re.search(r'<tr id="staff-(\d+)"', client.get("/apply/staff").text)
    assert staff_id
    other = make_person(Role.operator, operator_id=make_operator().id)
    token = sign_in(client, other)
    assert post_form(client, f"/apply/staff/{staff_id.group(1)}/trainings", token,
                     {"trained_on": "2026-01-05", "content": "799号令培训"}).status_code == 404
    assert post_form(client, f"/apply/staff/{staff_id.group(1)}/leave", token).status_code == 404
    assert "张值班" not in client.get("/apply/staff").text
    assert client.get(f"/operators/{desk.operator.id}/staff").status_code == 404


def test_the_card_shows_the_signage_recorded_at_inspection(client: TestClient, make_operator: Callable[..., Operator],
                                                           make_person: Callable[..., Person]) -> None:
    from tests.registry.test_inspections import Site, set_today

    set_today(client, dt.date(2026, 12, 5))
    site = Site(client, make_operator(), make_person)
    sign_in(client, site.desk.zhang)
    card = _card(client.get(f"/filings/{site.filing_id}").text)
    assert "提示标识（第十三条）" in card and "尚无检查记录提示标识" in card
    recorded = site.complete(hazard=True)
    card = _card(client.get(f"/filings/{site.filing_id}").text)
    signage = card.split('id="checks-signage"', 1)[1].split("</p>", 1)[0]
    assert "存在隐患" in signage and "大堂入口未设置提示标识" in signage and recorded["number"] in signage
    assert f'href="/inspections/{recorded["id"]}"' in signage and "1 项需现场查看" in card
