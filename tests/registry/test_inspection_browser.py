"""An inspection in Chromium, from the due list to the signed 检查笔录: the station's inspector opens the 检查 menu,
finds the hotel on the due list, starts 新建检查 from its row, is refused with one officer, adds a colleague,
attaches the site's scan (its reconciliation shown), adds a photo, answers the 安全检查内容表 with one hazard,
records the representative's signature and opens the 检查笔录 PDF; the hotel then reads it on its own pages.
Fails on any console error, failed request or request leaving the machine."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from registry.app import create_app
from registry.inspections.models import Inspection, InspectionState, Rectification
from registry.operators.models import Operator
from registry.settings import Settings
from tests.maps.browser_harness import chromium_missing
from tests.registry import pdf_tools
from tests.registry.browser import live_app, pages, screenshot_dir
from tests.registry.conftest import Person
from tests.registry.test_drafts import png
from tests.registry.test_inspections import Site, set_filed_at

pytestmark = [pytest.mark.browser, pytest.mark.slow]

_missing = chromium_missing()
if _missing and os.environ.get("CI") != "true":
    pytest.skip(f"headless Chromium unavailable: {_missing}", allow_module_level=True)


@pytest.fixture
def backend() -> str:
    """Browser tests run on SQLite only (the API tests cover both backends)."""
    return "sqlite"


def test_an_inspection_from_the_due_list_to_the_signed_record_with_a_scan(
        client: TestClient, settings: Settings, engine: Engine, make_operator: Callable[..., Operator],
        make_person: Callable[..., Person], tmp_path: Path) -> None:
    site = Site(client, make_operator(name="北京东方测试酒店管理有限公司"), make_person)
    set_filed_at(engine, site.filing_id, dt.datetime(2026, 1, 10, 2, tzinfo=dt.UTC))
    scan_id = site.scan()  # uploaded from the laptop: one camera as filed, one unfiled device in the lobby
    photo = tmp_path / "大堂入口.png"
    photo.write_bytes(png(640, 480))
    operator_id = site.operator.id

    with live_app(create_app(settings, engine)) as base, pages(base, screenshot_dir(tmp_path)) as tab:
        page = tab.page
        tab.sign_in(site.zhang.user.username)
        page.click("nav.menu >> text=检查")
        page.wait_for_url("**/inspections/due")
        row = page.locator("#list tbody tr", has_text="北京东方测试酒店管理有限公司")  # the due list is a ListSpec list
        assert row.count() == 1
        assert row.locator(f"a[href='/operators/{operator_id}']").count() == 1
        tab.shot("inspection-due-list")
        with page.expect_navigation():
            row.locator("text=新建检查").click()
        assert "北京东方测试酒店管理有限公司" in page.inner_text("main")

        # Alone: refused beside the officers; with a colleague: the inspection opens.
        assert page.is_checked(f"input[name=officer_ids][value='{site.zhang.user.id}']")
        page.select_option("#f-kind", "periodic")
        with tab.expect_refusal(422), page.expect_navigation():
            page.click("main form button[type=submit]")
        assert "不少于二名民警" in page.inner_text("#e-officer_ids")
        page.check(f"input[name=officer_ids][value='{site.zhao.user.id}']")
        with page.expect_navigation():
            page.click("main form button[type=submit]")
        inspection_id = int(page.url.rsplit("/", 1)[1])
        assert "已新建检查" in page.inner_text(".flash")
        officers = page.inner_text("#officers")
        assert site.zhang.user.full_name in officers and site.zhao.user.full_name in officers

        # The site's scan, chosen among the hotel's scans; its reconciliation is shown.
        page.select_option("#f-scan_id", str(scan_id))
        with page.expect_navigation():
            page.click("#scan button[type=submit]")
        summary = page.inner_text("#scan-summary")
        assert "一致 1 台" in summary and "未备案 1 台" in summary
        # A photo of the lobby.
        page.fill("#f-caption", "大堂入口，未设置提示标识")
        page.set_input_files("#f-file", str(photo))
        with page.expect_navigation():
            page.click("#photos button[type=submit]")
        assert "大堂入口.png" in page.inner_text("#photos")

        # The checklist: every line conforming but the signage, a hazard with its note.
        keys = page.eval_on_selector_all("#checklist tbody tr", "rows => rows.map(r => r.id.slice(5))")
        assert "signage" in keys and len(keys) >= 9
        for key in keys:
            page.check(f"input[name=result_{key}][value={'hazard' if key == 'signage' else 'ok'}]")
        page.fill("#f-note_signage", "大堂入口未设置提示标识")
        page.fill("#f-findings", "检查监控室、大堂及停车场，核对摄像机与备案一致情况")
        page.fill("#f-representative_name", "赵经理")
        page.fill("#f-representative_title", "保卫部经理")
        page.check("input[name=signature][value=signed]")
        tab.shot("inspection-record-form")
        with page.expect_navigation():
            page.click("#record-submit")
        assert "检查笔录已完成" in page.inner_text(".flash") and "整改通知书" in page.inner_text(".flash")
        assert page.locator("#record-form").count() == 0
        assert "赵经理" in page.inner_text("#signature")
        tab.shot("inspection-recorded")

        # 打印: the 检查笔录 PDF.
        link = page.locator("#print-record")
        assert link.get_attribute("href") == f"/inspections/{inspection_id}/record.pdf"
        record = page.request.get(base + link.get_attribute("href"))
        assert record.status == 200 and record.headers["content-type"] == "application/pdf"
        record_bytes = record.body()
        tab.sign_out()

        # The hotel reads its inspection and the notice on its own pages, and opens the same record.
        tab.sign_in(site.desk.hotel.user.username)
        page.click("nav.menu >> text=检查与整改")
        page.wait_for_url("**/apply/inspections")
        assert "大堂入口未设置提示标识" in page.inner_text("#notices")
        with page.expect_navigation():
            page.click(f"a[href='/apply/inspections/{inspection_id}']")
        assert page.locator("main form").count() == 0 and "未备案 1 台" in page.inner_text("#scan")
        tab.shot("inspection-operator-view")
        own = page.request.get(f"{base}/inspections/{inspection_id}/record.pdf")
        assert own.status == 200 and own.body() == record_bytes

    text = pdf_tools.text(record_bytes).replace("\n", "").replace(" ", "")
    for expected in ("检查笔录", "北京东方测试酒店管理有限公司", "大堂入口未设置提示标识", "未备案1台", "赵经理",
                     site.zhang.user.full_name.replace(" ", "")):
        assert expected in text, expected
    with Session(engine) as session:
        inspection = session.get_one(Inspection, inspection_id)
        assert session.exec(select(Rectification).where(Rectification.inspection_id == inspection_id)).one()
    assert inspection.state == InspectionState.signed and inspection.scan_id == scan_id
    assert sorted(inspection.officer_ids) == sorted([site.zhang.user.id, site.zhao.user.id])
