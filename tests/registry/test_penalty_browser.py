"""A penalty case in Chromium, from 立案 to the 公安行政处罚决定书: an officer opens it and adds evidence, is
refused a proposal alone, a second officer joins and proposes a fine, the hotel states its case on its own
pages, the unit's leader approves, the first officer issues the decision, and the hotel opens its copy.
Fails on any console error, failed request or request leaving the machine."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from registry.app import create_app
from registry.auth.models import Role
from registry.operators.models import Operator
from registry.penalties.models import PenaltyCase, PenaltyState
from registry.settings import Settings
from tests.maps.browser_harness import chromium_missing
from tests.registry import pdf_tools
from tests.registry.browser import live_app, pages, screenshot_dir
from tests.registry.conftest import Person
from tests.registry.test_drafts import png

pytestmark = [pytest.mark.browser, pytest.mark.slow]

_missing = chromium_missing()
if _missing and os.environ.get("CI") != "true":
    pytest.skip(f"headless Chromium unavailable: {_missing}", allow_module_level=True)


@pytest.fixture
def backend() -> str:
    """Browser tests run on SQLite only (the API tests cover both backends)."""
    return "sqlite"


def test_a_case_from_preparation_to_the_decision_document(
        settings: Settings, engine: Engine, make_operator: Callable[..., Operator],
        make_person: Callable[..., Person], tmp_path: Path) -> None:
    hotel = make_operator(name="北京东方测试酒店管理有限公司")
    owner = make_person(Role.operator, operator_id=hotel.id)
    wang, li = make_person(Role.intake, "101"), make_person(Role.reviewer, "101")
    leader = make_person(Role.leader, "101")
    evidence = tmp_path / "现场检查笔录.png"
    evidence.write_bytes(png(600, 800))

    with live_app(create_app(settings, engine)) as base, pages(base, screenshot_dir(tmp_path)) as tab:
        page = tab.page
        # 立案 by the first officer, from the menu.
        tab.sign_in(wang.user.username)
        page.click("nav.menu >> text=行政处罚")
        page.wait_for_url("**/penalties")
        page.click("text=立案")
        page.wait_for_url("**/penalties/new")
        page.fill("#f-uscc", hotel.uscc)
        page.fill("#f-facts", "该单位视频监控系统于2026年3月投入使用，经责令限期备案后仍未备案。")
        with page.expect_navigation():
            page.click("main form button[type=submit]")
        case_id = int(page.url.rsplit("/", 1)[1])
        assert "已立案" in page.inner_text(".flash")
        # Evidence, then a proposal he may not make alone.
        page.fill("#f-description", "现场检查笔录")
        page.set_input_files("#f-file", str(evidence))
        with page.expect_navigation():
            page.click("form.upload button[type=submit]")
        assert "现场检查笔录.png" in page.inner_text("#evidence table")
        page.select_option("#f-decision", "warning")
        page.fill("#f-reason", "首次违法")
        with tab.expect_refusal(409), page.expect_navigation():
            page.click("#propose button[type=submit]")
        assert "至少二名办案民警" in page.inner_text(".flash.error")
        tab.sign_out()

        # The second officer joins and proposes a fine.
        tab.sign_in(li.user.username)
        tab.goto(f"/penalties/{case_id}")
        with page.expect_navigation():
            page.click("text=加入办案")
        assert wang.user.full_name in page.inner_text("#officers") and li.user.full_name in page.inner_text("#officers")
        page.select_option("#f-decision", "fine")
        page.fill("#f-fine_yuan", "3000")
        page.fill("#f-reason", "经责令改正，逾期仍未备案")
        with page.expect_navigation():
            page.click("#propose button[type=submit]")
        assert "报主管领导审批" in page.inner_text(".flash")
        tab.shot("penalty-proposed")
        tab.sign_out()

        # The hotel is told, reads its rights and states its case.
        tab.sign_in(owner.user.username)
        page.click("nav.menu >> text=行政处罚")
        page.wait_for_url("**/apply/penalties")
        assert "可陈述申辩" in page.inner_text("main")
        page.click(f"a[href='/apply/penalties/{case_id}']")
        page.wait_for_url(f"**/apply/penalties/{case_id}")
        rights = page.inner_text("section.rights")
        assert "陈述、申辩" in rights and "行政复议" in rights and "行政诉讼" in rights
        assert "罚款人民币3000元" in page.inner_text("main")
        page.fill("#f-text", "我单位已于本周提交备案材料，请从轻处罚。")
        with page.expect_navigation():
            page.click("#statement button[type=submit]")
        assert "陈述申辩已提交" in page.inner_text(".flash")
        tab.shot("penalty-operator-statement")
        tab.sign_out()

        # The unit's leader approves.
        tab.sign_in(leader.user.username)
        tab.goto(f"/penalties/{case_id}")
        assert "请从轻处罚" in page.inner_text("main")
        page.fill("#f-opinion", "同意罚款人民币3000元")
        with page.expect_navigation():
            page.click("#approve button:has-text('批准')")
        assert "已批准" in page.inner_text(".flash")
        tab.sign_out()

        # The first officer issues the decision; it opens as a PDF.
        tab.sign_in(wang.user.username)
        tab.goto(f"/penalties/{case_id}")
        with page.expect_navigation():
            page.click("#issue button[type=submit]")
        assert "已开具" in page.inner_text(".flash")
        tab.shot("penalty-issued")
        kept = page.request.get(f"{base}/penalties/{case_id}/decision.pdf")
        assert kept.status == 200 and kept.headers["content-type"] == "application/pdf"
        kept_bytes = kept.body()
        tab.sign_out()

        # The hotel opens its copy from its own list: the same bytes.
        tab.sign_in(owner.user.username)
        tab.goto("/apply/penalties")
        link = page.locator(f"a[href='/penalties/{case_id}/decision.pdf']")
        assert link.count() == 1
        own = page.request.get(f"{base}/penalties/{case_id}/decision.pdf")
        decision = own.body()
        assert own.status == 200 and decision == kept_bytes

    text = pdf_tools.text(decision).replace("\n", "").replace(" ", "")
    for expected in ("公安行政处罚决定书", "北京东方测试酒店管理有限公司", "罚款人民币3000元", "请从轻处罚", "行政复议",
                     "行政诉讼", "交被处罚单位", "附卷存档"):
        assert expected in text, expected
    with Session(engine) as session:
        case = session.exec(select(PenaltyCase).where(PenaltyCase.id == case_id)).one()
    assert case.state == PenaltyState.issued and case.approved_by_id == leader.user.id
