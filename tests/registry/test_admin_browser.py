"""Supervisor and administrator journeys in Chromium (JOURNEYS §3; issue 9 parts 5 and 6).

刘科长 drills from the dashboard to the operators with overdue filings and exports them to Excel; the
administrator creates an account whose owner then signs in and chooses their own password. One refusal
each: an operator may not open the dashboard, a new intake officer may not open the account pages.
"""

from __future__ import annotations

import io
import os
import re
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy.engine import Engine
from sqlmodel import Session

from registry.app import create_app
from registry.auth.models import Role
from registry.filings.models import Filing
from registry.operators.models import Operator
from registry.settings import Settings
from registry.timeutil import beijing_today
from tests.maps.browser_harness import chromium_missing
from tests.registry.browser import live_app, pages, screenshot_dir
from tests.registry.conftest import HAIDIAN_POINT, Person
from tests.registry.test_filing_workflow import _form

pytestmark = [pytest.mark.browser, pytest.mark.slow]

_missing = chromium_missing()
if _missing and os.environ.get("CI") != "true":
    pytest.skip(f"headless Chromium unavailable: {_missing}", allow_module_level=True)


@pytest.fixture
def backend() -> str:
    """Browser tests run on SQLite only (the pages' queries are tested on both backends elsewhere)."""
    return "sqlite"


def _city(client: TestClient, engine: Engine, make_operator: Callable[..., Operator],
          make_person: Callable[..., Person]) -> dict[str, Operator]:
    """东城: a hotel with an overdue decision and a shop waiting; 海淀: a school with a filing accepted."""
    wang, haidian_wang = make_person(Role.intake, "101"), make_person(Role.intake, "108")
    made: dict[str, Operator] = {}
    for key, desk, point in (("hotel", wang, None), ("shop", wang, None), ("school", haidian_wang, HAIDIAN_POINT)):
        operator = make_operator(**({"lon": point[0], "lat": point[1]} if point else {}))
        owner = make_person(Role.operator, operator_id=operator.id)
        filing = client.post("/api/v1/filings", headers=owner.headers, json=_form(operator.id))
        assert filing.status_code == 201, filing.text
        if key != "shop":
            assert client.post(f"/api/v1/filings/{filing.json()['id']}/accept", headers=desk.headers).status_code == 200
        if key == "hotel":
            with Session(engine) as session:  # accepted weeks ago: the 15 working days have run out
                row = session.get_one(Filing, filing.json()["id"])
                row.deadline = beijing_today() - timedelta(days=2)
                session.add(row)
                session.commit()
        made[key] = operator
    return made


def test_supervisor_drills_from_the_dashboard_to_a_list_and_exports_it(
        client: TestClient, settings: Settings, engine: Engine, make_operator: Callable[..., Operator],
        make_person: Callable[..., Person], tmp_path: Path) -> None:
    city = _city(client, engine, make_operator, make_person)
    liu = make_person(Role.supervisor, "001")
    operator_account = make_person(Role.operator, operator_id=city["shop"].id)
    shots = screenshot_dir(tmp_path)
    with live_app(create_app(settings, engine)) as base, pages(base, shots) as tab:
        tab.sign_in(liu.user.username)
        tab.page.click("nav.menu >> text=统计概览")
        tab.page.wait_for_url("**/dashboard")
        table = tab.page.locator("table.dashboard")
        assert "东城区" in table.inner_text() and "海淀区" in table.inner_text()
        assert tab.page.locator("table.dashboard tfoot").inner_text().split()[1:4] == ["3", "0", "3"]
        tab.shot("dashboard-city")
        # Into 东城: its stations, each figure a list.
        tab.page.click("table.dashboard >> text=东城区")
        tab.page.wait_for_url("**/dashboard?district=110101")
        tab.shot("dashboard-district")
        overdue = tab.page.locator("table.dashboard tfoot td.alert a")
        assert overdue.inner_text() == "1"
        overdue.click()
        tab.page.wait_for_url(re.compile(r".*/filings\?district_code=110101&overdue=true"))
        assert tab.page.locator("#list .count b").inner_text() == "1"
        assert city["hotel"].name in tab.page.locator("#list tbody").inner_text()
        # Back on the dashboard: the operators with overdue filings, for the weekly meeting, to Excel.
        tab.page.go_back()
        tab.page.wait_for_url("**/dashboard?district=110101")
        tab.page.click("text=有办理超期备案的使用单位")
        tab.page.wait_for_url(re.compile(r".*/operators\?district_code=110101&overdue=true"))
        assert tab.page.locator("#list .count b").inner_text() == "1"
        assert tab.page.locator("#list input[name=overdue]").is_checked()
        tab.shot("dashboard-overdue-operators")
        with tab.page.expect_download() as download:
            tab.page.click("#list >> text=导出 Excel")
        sheet = load_workbook(io.BytesIO(download.value.path().read_bytes()), read_only=True).active
        rows = [r for r in sheet.iter_rows(values_only=True)][2:]  # Chinese header, field names, then data
        assert [r for r in rows if any(r)] and all(city["hotel"].uscc in r for r in rows if any(r))
        assert len([r for r in rows if any(r)]) == 1
        tab.goto("/")
        tab.sign_out()
        # The refusal: an operator may not open the dashboard.
        tab.sign_in(operator_account.user.username)
        with tab.expect_refusal(403):
            response = tab.goto("/dashboard")
        assert response.status == 403 and "无权办理" in tab.page.inner_text("main")
        assert "统计概览" not in tab.page.locator("nav.menu").inner_text()


def test_admin_creates_a_user_who_then_signs_in(client: TestClient, settings: Settings, engine: Engine,
                                                make_person: Callable[..., Person], tmp_path: Path) -> None:
    admin = make_person(Role.admin, "001")
    with live_app(create_app(settings, engine)) as base, pages(base, screenshot_dir(tmp_path)) as tab:
        tab.sign_in(admin.user.username)
        tab.page.click("nav.menu >> text=账户")
        tab.page.wait_for_url("**/admin/users")
        tab.page.click("text=新增账户")
        tab.page.wait_for_url("**/admin/users/new")
        tab.page.fill("#f-username", "wang_jing")
        tab.page.fill("#f-full_name", "王静")
        tab.page.select_option("#f-role", "intake")
        tab.page.select_option("#f-unit_code", "101")
        tab.shot("admin-user-new")
        with tab.page.expect_navigation():
            tab.page.click("main form button[type=submit]")
        temporary = tab.page.locator("#temporary-password").inner_text()
        assert len(temporary) >= 12 and "东城分局" in tab.page.inner_text("main")
        tab.shot("admin-user-created")
        tab.goto("/admin/calendar")
        tab.shot("admin-calendar")
        tab.goto("/admin/layers")
        assert "未发现问题" in tab.page.inner_text("main")
        tab.shot("admin-layers")
        tab.goto("/")
        tab.sign_out()
        # The new officer signs in with the password handed over, and must choose their own first.
        tab.sign_in("wang_jing", temporary)
        tab.page.wait_for_url("**/account/password**")
        tab.page.fill("input[name=current_password]", temporary)
        tab.page.fill("input[name=new_password]", "东城受理 desk 2026")
        tab.page.fill("input[name=new_password_again]", "东城受理 desk 2026")
        with tab.page.expect_navigation():
            tab.page.click("main form button[type=submit]")
        assert "王静，您好" in tab.page.inner_text("main")
        # The refusal: an intake officer may not manage accounts.
        assert "账户" not in tab.page.locator("nav.menu").inner_text()
        with tab.expect_refusal(403):
            response = tab.goto("/admin/users")
        assert response.status == 403 and "无权办理" in tab.page.inner_text("main")
