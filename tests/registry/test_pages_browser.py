"""The page framework in Chromium: list filtered and sorted in place (URL pushed, reload gives the same rows),
keyset paging, detail with an inline image, a map under the CSP, the 404 page; no console error anywhere."""

from __future__ import annotations

import io
import os
from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from PIL import Image

from registry.app import create_app
from registry.auth.models import Role
from registry.operators.models import Operator
from registry.settings import Settings
from tests.maps.browser_harness import chromium_missing
from tests.registry.browser import live_app, pages, screenshot_dir
from tests.registry.conftest import HAIDIAN_POINT, Person
from tests.registry.test_filing_workflow import _camera, _form

pytestmark = [pytest.mark.browser, pytest.mark.slow]

_missing = chromium_missing()
if _missing and os.environ.get("CI") != "true":
    pytest.skip(f"headless Chromium unavailable: {_missing}", allow_module_level=True)


def real_png(width: int = 400, height: int = 300) -> bytes:
    """A small real image (a floor plan stand-in) that the browser can decode."""
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (230, 236, 245)).save(buffer, format="PNG")
    return buffer.getvalue()


@pytest.fixture
def backend() -> str:
    """Browser tests run on SQLite only (the pages' queries are tested on both backends elsewhere)."""
    return "sqlite"


def test_lists_filter_sort_and_page_in_place(client: TestClient, settings: Settings, engine: object,
                                             make_operator: Callable[..., Operator],
                                             make_person: Callable[..., Person], tmp_path: Path) -> None:
    hotel = make_operator()
    other = make_operator(lon=HAIDIAN_POINT[0], lat=HAIDIAN_POINT[1])
    owner = make_person(Role.operator, operator_id=hotel.id)
    wang = make_person(Role.intake, "101")
    ids = []
    for n in range(23):
        created = client.post("/api/v1/filings", headers=owner.headers,
                              json=_form(hotel.id, system_name=f"视频监控系统{n:02d}"))
        assert created.status_code == 201, created.text
        ids.append(created.json()["id"])
    up = client.post(f"/api/v1/filings/{ids[0]}/materials", headers=owner.headers, data={"kind": "deployment_map"},
                     files={"file": ("plan.png", real_png(), "image/png")})
    assert up.status_code == 201
    assert client.post(f"/api/v1/filings/{ids[0]}/cameras", headers=owner.headers,
                       json=[_camera(1)]).status_code == 201
    for fid in ids[:3]:
        assert client.post(f"/api/v1/filings/{fid}/accept", headers=wang.headers).status_code == 200
    haidian_filing = client.post("/api/v1/filings", headers=make_person(Role.operator, operator_id=other.id).headers,
                                 json=_form(other.id)).json()["id"]

    app = create_app(settings, engine)  # type: ignore[arg-type]
    with live_app(app) as base, pages(base, screenshot_dir(tmp_path)) as tab:
        tab.sign_in(wang.user.username)
        assert tab.page.locator("nav.menu a.current").inner_text() == "首页"
        # The exact label: "text=备案" also matches 受理审核 → 待办备案 (/desk), which comes first in the menu.
        tab.page.click("nav.menu >> text=\"备案\"")
        tab.page.wait_for_url("**/filings")
        assert tab.page.locator("#list .count b").inner_text() == "23"
        # Filter by state in place: the URL is pushed, and loading that URL gives the same rows.
        tab.page.select_option("#f-state", "accepted")
        tab.page.click("#list form.filters button[type=submit]")
        tab.page.wait_for_url("**/filings?*state=accepted*")
        tab.page.wait_for_selector("#list .count b >> text=3")
        swapped = tab.page.locator("#list tbody tr").all_inner_texts()
        tab.shot("filings-filtered")
        tab.page.reload()
        assert tab.page.locator("#list tbody tr").all_inner_texts() == swapped
        assert tab.page.locator("#f-state").input_value() == "accepted"
        # Sort by deadline, then reset and page through all 23, 20 a page.
        tab.page.click("#list th >> text=办结期限")
        tab.page.wait_for_url("**sort=deadline*")
        tab.page.click("#list form.filters >> text=重置")
        tab.page.wait_for_selector("#list .count b >> text=23")
        assert tab.page.locator("#list tbody tr").count() == 23
        tab.page.click("#list .per-page >> text=20")
        tab.page.wait_for_url("**per_page=20*")
        assert tab.page.locator("#list tbody tr").count() == 20
        tab.page.click("#list >> text=下一页")
        tab.page.wait_for_url("**after=*")
        assert tab.page.locator("#list tbody tr").count() == 3
        tab.page.click("#list >> text=上一页")
        tab.page.wait_for_url("**before=*")
        assert tab.page.locator("#list tbody tr").count() == 20
        # The detail page shows the deployment map inline.
        tab.goto(f"/filings/{ids[0]}")
        image = tab.page.locator("figure.material img")
        assert image.evaluate("img => img.complete && img.naturalWidth") == 400
        assert "还剩" in tab.page.locator("dl.facts").inner_text()
        tab.shot("filing-detail")
        # Another unit's filing is a Chinese 404 page.
        with tab.expect_refusal(404):
            response = tab.goto(f"/filings/{haidian_filing}")
        assert response.status == 404 and "页面不存在" in tab.page.inner_text("main")
        # The coverage map draws under the CSP (its inline scripts are allowed by hash).
        tab.goto("/maps/city")
        tab.page.wait_for_function("() => window.camregReady !== undefined", timeout=60_000)
        tab.goto("/")
        tab.sign_out()
        assert tab.page.url.endswith("/login")
