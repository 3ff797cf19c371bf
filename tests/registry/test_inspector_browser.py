"""The inspector's journey in Chromium (JOURNEYS §2): sign in → find a camera by its code in the top bar → open it →
go to its operator → download the filed cameras for the laptop → upload a scan → read the reconciliation.
One refusal: another unit's camera is a 404. Fails on any console error, failed request or request leaving
the machine."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine

from registry.app import create_app
from registry.auth.models import Role
from registry.operators.models import Operator
from registry.settings import Settings
from tests.maps.browser_harness import chromium_missing
from tests.registry.browser import live_app, pages, screenshot_dir
from tests.registry.conftest import HAIDIAN_POINT, Person
from tests.registry.test_filing_workflow import Desk
from tests.registry.test_inspector_pages import submit_site
from tests.registry.test_scans import _device, _report

pytestmark = [pytest.mark.browser, pytest.mark.slow]

_missing = chromium_missing()
if _missing and os.environ.get("CI") != "true":
    pytest.skip(f"headless Chromium unavailable: {_missing}", allow_module_level=True)


@pytest.fixture
def backend() -> str:
    """Browser tests run on SQLite only (the pages' queries are tested on both backends elsewhere)."""
    return "sqlite"


def test_inspector_finds_a_camera_and_reads_a_scan(
        client: TestClient, settings: Settings, engine: Engine, make_operator: Callable[..., Operator],
        make_person: Callable[..., Person], tmp_path: Path) -> None:
    desk = Desk(client, make_operator(name="北京东方测试酒店管理有限公司"), make_person)
    fid = submit_site(desk)
    desk.call(desk.wang, "POST", f"/filings/{fid}/accept")
    assert desk.file(fid)["status"] == 200
    cameras = desk.call(desk.wang, "GET", f"/cameras?filing_id={fid}")["body"]["items"]
    other = Desk(client, make_operator(lon=HAIDIAN_POINT[0], lat=HAIDIAN_POINT[1]), make_person)
    other_fid = other.submit_complete()
    other_camera = other.call(other.hotel, "GET", f"/cameras?filing_id={other_fid}")["body"]["items"][0]
    zhang = make_person(Role.inspector, desk.operator.verifying_unit_code)
    scan = tmp_path / "scan-2026-12-05.json"
    scan.write_bytes(_report([_device("192.0.2.1", "SN00001", "00:11:22:33:44:01"),
                              _device("192.0.2.50", "SN00002", "00:11:22:33:44:02", firmware="V5.7"),
                              _device("192.0.2.77", "NEW001", "00:11:22:33:44:77")],
                             dt.datetime(2026, 12, 5, 2, 30, tzinfo=dt.UTC)))
    app = create_app(settings, engine)
    with live_app(app) as base, pages(base, screenshot_dir(tmp_path)) as tab:
        page = tab.page
        tab.sign_in(zhang.user.username)
        page.fill("#top-search", cameras[0]["code"])
        with page.expect_navigation():
            page.press("#top-search", "Enter")
        page.wait_for_load_state("networkidle")
        assert page.url.endswith(f"/cameras/{cameras[0]['id']}")
        page.wait_for_selector("#geo-map[data-ready='1']")
        body = page.inner_text("main")
        assert "东城区" in body and "网络摄像机" in body and "大堂1" in body
        assert page.locator(".detail-map .sector").count() == 1
        tab.shot("inspector-camera")

        with page.expect_navigation():
            page.click(f"main a[href='/operators/{desk.operator.id}']")
        assert "场所（已备案系统 1）" in page.inner_text("main")
        with page.expect_download() as download:
            page.click("a[href$='/filed-cameras.json']")
        assert download.value.suggested_filename.startswith(f"filed-cameras-{desk.operator.uscc}")
        page.set_input_files("#f-scan-file", str(scan))
        with page.expect_navigation():
            page.click(".upload-scan button[type=submit]")
        page.wait_for_load_state("networkidle")
        assert "/scans/" in page.url
        text = page.inner_text("main")
        assert "扫描已保存并比对" in text and "192.0.2.50" in text and "NEW001" in text
        assert page.locator("#changed tbody tr").count() == 1 and page.locator("#unfiled tbody tr").count() == 1
        tab.shot("inspector-scan")

        tab.goto("/cameras?status=active")
        assert page.locator("table.grid tbody tr").count() == 2
        tab.shot("inspector-cameras")
        with tab.expect_refusal(404):
            response = tab.goto(f"/cameras/{other_camera['id']}")
        assert response is not None and response.status == 404 and "页面不存在" in page.inner_text("body")
