"""The operator's journey in Chromium (JOURNEYS §4): sign in → new draft → save → resume → upload materials →
paste cameras copied from Excel → place them on the deployment map by clicking, drag one, set a direction →
submit; later read the correction notice, fix, resubmit. One refusal: another operator's filing is a 404.
Fails on any console error, failed request or request leaving the machine."""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from registry.app import create_app
from registry.auth.models import Role
from registry.cameras.models import Camera
from registry.filings.models import Filing, FilingState
from registry.operators.models import Operator
from registry.settings import Settings
from tests.maps.browser_harness import chromium_missing
from tests.registry.browser import live_app, pages, screenshot_dir
from tests.registry.conftest import HAIDIAN_POINT, Person
from tests.registry.test_drafts import pdf, png
from tests.registry.test_filing_workflow import _form

pytestmark = [pytest.mark.browser, pytest.mark.slow]

_missing = chromium_missing()
if _missing and os.environ.get("CI") != "true":
    pytest.skip(f"headless Chromium unavailable: {_missing}", allow_module_level=True)

# What a security manager copies from the hotel's Excel list (no header row: the columns the page names).
EXCEL_ROWS = ("大堂1\t一层大堂东侧\tipc\tfixed\t海康威视\tDS-2CD2T47\tSN00001\t00:11:22:33:44:01\t192.0.2.11\n"
              "大堂2\t一层大堂西侧\tipc\tdome\t海康威视\tDS-2CD2345\tSN00002\t00:11:22:33:44:02\t192.0.2.12\n"
              "停车场入口\t地下一层车库入口\tipc\tptz\t大华\tSD49225\tSN00003\t00:11:22:33:44:03\t192.0.2.13\n")


@pytest.fixture
def backend() -> str:
    """Browser tests run on SQLite only (the pages' queries are tested on both backends elsewhere)."""
    return "sqlite"


def _stored(engine: Engine, filing_id: int) -> tuple[Filing, list[Camera]]:
    with Session(engine, expire_on_commit=False) as session:
        filing = session.get_one(Filing, filing_id)
        cameras = list(session.exec(select(Camera).where(Camera.filing_id == filing_id).order_by(col(Camera.id))))
        return filing, cameras


def test_operator_files_places_cameras_submits_and_corrects(
        client: TestClient, settings: Settings, engine: Engine, make_operator: Callable[..., Operator],
        make_person: Callable[..., Person], tmp_path: Path) -> None:
    hotel = make_operator(name="北京东方测试酒店管理有限公司")
    owner = make_person(Role.operator, operator_id=hotel.id)
    wang = make_person(Role.intake, "101")
    other = make_operator(lon=HAIDIAN_POINT[0], lat=HAIDIAN_POINT[1])
    theirs = client.post("/api/v1/filings", headers=make_person(Role.operator, operator_id=other.id).headers,
                         json=_form(other.id)).json()["id"]
    files = tmp_path / "files"
    files.mkdir()
    (files / "位置示意图.png").write_bytes(png(800, 600))
    (files / "布防图.pdf").write_bytes(pdf((842, 595), (842, 595)))
    (files / "备案表.pdf").write_bytes(pdf((595, 842)))

    app = create_app(settings, engine)
    with live_app(app) as base, pages(base, screenshot_dir(tmp_path)) as tab:
        page = tab.page
        page.on("dialog", lambda dialog: dialog.accept())  # the 确认 questions before submitting
        tab.sign_in(owner.user.username)
        page.click("nav.menu >> text=新建备案")
        page.wait_for_url("**/apply/new")
        page.fill("#f-system_name", "东方酒店视频监控系统")
        page.fill("#f-system_in_use_date", (date.today() - timedelta(days=12)).isoformat())
        page.fill("#f-acceptance_date", (date.today() - timedelta(days=14)).isoformat())
        page.fill("#f-count_fixed", "2")
        page.fill("#f-count_dome", "1")
        # The location typed as a map app shows it: the routed unit is shown beside the form.
        page.select_option("#f-site_datum", "gcj02")
        page.wait_for_selector("#routing >> text=东城分局")
        # Or picked on the (offline) map: the point goes into the form in WGS-84 and is routed again.
        page.wait_for_selector("#site-map[data-ready='1']")
        before = page.input_value("#f-site_lon")
        site_map = page.locator("#site-map").bounding_box()
        assert site_map is not None
        page.mouse.click(site_map["x"] + site_map["width"] * 0.55, site_map["y"] + site_map["height"] * 0.5)
        page.wait_for_function(f"() => document.getElementById('f-site_lon').value !== '{before}'")
        assert page.input_value("#f-site_datum") == "wgs84"
        page.wait_for_selector("#routing >> text=受理备案单位")
        tab.shot("apply-form")
        page.click("form.filing-form button[type=submit]")
        page.wait_for_url("**/apply/*")
        filing_id = int(page.url.rsplit("/", 1)[1])
        assert "已保存为草稿" in page.inner_text(".flash")
        # Resume it from the list, as on another day.
        tab.goto("/apply")
        assert "草稿：请补齐" in page.inner_text("table.my-filings")
        tab.shot("apply-list")
        page.click(f"a[href='/apply/{filing_id}']")
        page.wait_for_url(f"**/apply/{filing_id}")
        # Materials: each upload is kept at once.
        uploads = (("location_diagram", "位置示意图.png"), ("deployment_map", "布防图.pdf"), ("form", "备案表.pdf"))
        for kind, name in uploads:
            page.select_option("#f-kind", kind)
            page.set_input_files("#f-file", str(files / name))
            with page.expect_navigation():
                page.click("form.upload button[type=submit]")
            assert name in page.inner_text("#materials table")
        # Cameras pasted from Excel.
        page.fill("#f-cameras_text", EXCEL_ROWS)
        with page.expect_navigation():
            page.click("#cameras form[action$='/paste'] button[type=submit]")
        assert "已添加 3 台摄像机" in page.inner_text(".flash")
        assert page.locator("table.cameras tbody tr").count() == 3
        # Place them on page 2 of the deployment map: click for each (the next unplaced one is selected).
        page.click("#cameras >> text=在布防图上标注")
        page.wait_for_url("**/placement")
        page.click("nav.map-pages a >> nth=1")
        page.wait_for_url("**page=2")
        image = page.locator("img.map-image")
        page.wait_for_function("() => document.querySelector('img.map-image').complete")
        box = image.bounding_box()
        assert box is not None
        spots = ((0.25, 0.30), (0.60, 0.30), (0.45, 0.75))
        for n, (fx, fy) in enumerate(spots, start=1):
            page.mouse.click(box["x"] + box["width"] * fx, box["y"] + box["height"] * fy)
            page.wait_for_selector(".save-status >> text=已保存")
            page.wait_for_function(f"() => document.getElementById('placed-count').textContent === '{n}'")
        # Drag 大堂2 to the right, then aim it at 135° with a 60° field of view.
        dot = page.locator("svg.map-overlay g.cam circle.dot >> nth=1")
        start = dot.bounding_box()
        assert start is not None
        page.mouse.move(start["x"] + start["width"] / 2, start["y"] + start["height"] / 2)
        page.mouse.down()
        page.mouse.move(box["x"] + box["width"] * 0.80, box["y"] + box["height"] * 0.40, steps=8)
        page.mouse.up()
        page.wait_for_selector(".save-status >> text=已保存“大堂2”")
        page.click(".cam-item >> text=大堂2")
        page.fill("#p-azimuth", "135")
        page.dispatch_event("#p-azimuth", "change")
        page.fill("#p-hfov", "60")
        # Two saves are in flight (direction, then field of view): wait for the second one's answer, not
        # the status line, which the first answer already sets to 已保存.
        with page.expect_response(lambda r: r.request.method == "POST" and "hfov=60.0" in (r.request.post_data or "")):
            page.dispatch_event("#p-hfov", "change")
        page.wait_for_function("() => document.querySelector('svg.map-overlay g.selected path.sector') !== null")
        page.wait_for_selector(".save-status >> text=已保存“大堂2”")
        tab.shot("apply-placement")
        _, cameras = _stored(engine, filing_id)
        frame_w, frame_h = 1684, 1190
        assert [c.map_page for c in cameras] == [2, 2, 2]
        assert abs(cameras[0].map_x - frame_w * 0.25) < 15 and abs(cameras[0].map_y - frame_h * 0.30) < 15
        assert abs(cameras[1].map_x - frame_w * 0.80) < 15 and abs(cameras[1].map_y - frame_h * 0.40) < 15
        assert (cameras[1].azimuth, cameras[1].hfov) == (135.0, 60.0)
        # Submit.
        page.click("text=返回备案")
        page.wait_for_url(f"**/apply/{filing_id}*")
        tab.shot("apply-filing")
        with page.expect_navigation():
            page.click("#submit button[type=submit]")
        assert "已提交" in page.inner_text(".flash")
        assert _stored(engine, filing_id)[0].state == FilingState.submitted

        # The desk accepts and asks for a correction (the officers' pages are tested on their own).
        assert client.post(f"/api/v1/filings/{filing_id}/accept", headers=wang.headers).status_code == 200
        notice = client.post(f"/api/v1/filings/{filing_id}/correction-notice", headers=wang.headers, json={"items": [
            {"item": "retention_days", "message": "图像信息存储期限应不少于 90 天（宾馆），请改正"}]})
        assert notice.status_code == 201
        tab.goto("/apply")
        assert "请按补正通知修改 1 项后重新提交" in page.inner_text("table.my-filings")
        page.click(f"a[href='/apply/{filing_id}']")
        page.wait_for_url(f"**/apply/{filing_id}")
        assert "存储期限应不少于 90 天" in page.inner_text("#notice")
        tab.shot("apply-correction")
        page.click(f"a[href='/apply/{filing_id}/form']")
        page.wait_for_url("**/form")
        page.fill("#f-retention_days", "90")
        with page.expect_navigation():
            page.click("form.filing-form button[type=submit]")
        with page.expect_navigation():
            page.click("#submit button[type=submit]")
        assert "补正材料已提交" in page.inner_text(".flash")
        filing, _ = _stored(engine, filing_id)
        assert filing.state == FilingState.corrected and filing.retention_days == 90

        # Another operator's filing is not there for this account.
        with tab.expect_refusal(404):
            response = tab.goto(f"/apply/{theirs}")
        assert response.status == 404 and "页面不存在" in page.inner_text("main")
