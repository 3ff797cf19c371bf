"""The filing unit's desk pages through the test client (王 and 李, JOURNEYS §1): the queue by deadline with
waiting working days, the filing page with its map and checklist, accept, one correction notice with ticked
defects and free text, the correction recorded with materials handed in, the re-check refused to the officer
who accepted, filing with the codes shown, rejection. Forms come back with what was typed and why."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, col, select

from registry.auth.models import Role
from registry.cameras.models import Camera
from registry.filings.models import CorrectionNotice, Filing, FilingState
from registry.operators.models import Operator
from tests.registry.conftest import Person
from tests.registry.page_helpers import post_form, sign_in
from tests.registry.test_drafts import pdf
from tests.registry.test_filing_workflow import Desk


@pytest.fixture
def backend() -> str:
    """Page tests run on SQLite (the service they call is tested on both backends)."""
    return "sqlite"


@pytest.fixture
def desk(client: TestClient, make_operator: Callable[..., Operator], make_person: Callable[..., Person]) -> Desk:
    return Desk(client, make_operator(), make_person)


def stored(session: Session, filing_id: int) -> Filing:
    session.expire_all()
    filing = session.get_one(Filing, filing_id)
    session.commit()
    return filing


def error_beside(html: str, field: str) -> str:
    found = re.search(rf'<small class="error" id="e-{field}">([^<]*)</small>', html)
    assert found, f"no error beside {field}"
    return found.group(1)


def with_map(desk: Desk, fid: int) -> int:
    """A real deployment map (PDF, two pages) with the first camera placed on page 2; its material id."""
    up = desk.call(desk.hotel, "POST", f"/filings/{fid}/materials", data={"kind": "deployment_map"},
                   files={"file": ("布防图.pdf", pdf((842, 595), (842, 595)), "application/pdf")})
    assert up["status"] == 201, up
    camera = desk.call(desk.wang, "GET", f"/cameras?filing_id={fid}")["body"]["items"][0]
    placed = desk.call(desk.hotel, "PUT", f"/filings/{fid}/cameras/{camera['id']}/placement",
                       json={"map_material_id": up["body"]["id"], "map_page": 2, "map_x": 300, "map_y": 200,
                             "azimuth": 90, "hfov": 60})
    assert placed["status"] == 200, placed
    return int(up["body"]["id"])


def queue_rows(html: str) -> list[str]:
    body = html.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return [row for row in re.findall(r"<tr>(.*?)</tr>", body, flags=re.S) if 'href="/filings/' in row]


def test_the_queue_lists_the_units_open_filings_by_deadline(client: TestClient, desk: Desk,
                                                           make_person: Callable[..., Person]) -> None:
    first, second, third = desk.submit_complete(), desk.submit_complete(), desk.submit_complete()
    desk.call(desk.wang, "POST", f"/filings/{first}/accept")
    desk.call(desk.wang, "POST", f"/filings/{third}/accept")
    sign_in(client, desk.wang)
    page = client.get("/desk")
    assert page.status_code == 200
    rows = queue_rows(page.text)
    # Not yet accepted first (it waits for the desk), then the nearest deadline.
    assert [int(re.search(r'href="/filings/(\d+)"', r).group(1)) for r in rows] == [second, first, third]  # type: ignore[union-attr]
    assert "受理后计算" in rows[0] and "0 个工作日" in rows[0]
    assert re.search(r"还剩 \d+ 个工作日", rows[1])
    intake = client.get("/desk?stage=intake")
    assert len(queue_rows(intake.text)) == 1
    # htmx swaps only the results.
    fragment = client.get("/desk?stage=review", headers={"HX-Request": "true"})
    assert "<html" not in fragment.text and len(queue_rows(fragment.text)) == 2
    export = client.get("/desk/export.csv?stage=review")
    assert export.status_code == 200 and export.text.count("\n") >= 4
    # Another unit's desk sees none of it; other roles are refused.
    sign_in(client, make_person(Role.intake, "108"))
    assert not queue_rows(client.get("/desk").text)
    sign_in(client, make_person(Role.inspector, "101"))
    assert client.get("/desk").status_code == 403


def test_accept_issue_one_notice_record_the_correction_and_file(client: TestClient, desk: Desk,
                                                               session: Session) -> None:
    fid = desk.submit_complete()
    plan = with_map(desk, fid)
    token = sign_in(client, desk.wang)
    page = client.get(f"/filings/{fid}").text
    # The page of the map where a camera is placed is shown first, with every camera beside it.
    assert f'data-material="{plan}" data-page="2"' in page and 'data-x="300.0"' in page
    assert 'id="do-accept"' in page and 'class="placement"' in page and 'data-editable="0"' in page
    assert "/materials/" in page and "摄像机清单" in page
    assert post_form(client, f"/filings/{fid}/accept", token).status_code == 303
    filing = stored(session, fid)
    assert filing.state == FilingState.accepted and filing.number and filing.accepted_by_id == desk.wang.user.id
    page = client.get(f"/filings/{fid}").text
    assert filing.number in page and "还剩" in page and "出具补正材料通知单" in page
    # The accepting officer is not offered the re-check, and the server refuses it.
    assert 'id="do-review"' not in page and "复核须由其他民警办理" in page
    refused = post_form(client, f"/filings/{fid}/review", token)
    assert refused.status_code == 409 and "受理人以外的民警" in refused.text
    # A notice with nothing ticked comes back with the error beside the list.
    empty = post_form(client, f"/filings/{fid}/correction", token, {"defects_sent": "1", "other": "  "})
    assert empty.status_code == 422 and "至少勾选一项" in error_beside(empty.text, "defects")
    sent = post_form(client, f"/filings/{fid}/correction", token, {
        "defects_sent": "1", "defects": ["deployment_map", "retention_days"],
        "other": "布防图未标出一层大堂的两台摄像机\n\n请补充摄像机序列号"})
    assert sent.status_code == 303
    notice = session.exec(select(CorrectionNotice).where(CorrectionNotice.filing_id == fid)).one()
    session.commit()
    assert [i["item"] for i in notice.items] == ["deployment_map", "retention_days", "other", "other"]
    assert notice.items[2]["message"] == "布防图未标出一层大堂的两台摄像机"
    page = client.get(f"/filings/{fid}").text
    assert notice.number in page and "correction_notice.pdf" in page and 'id="do-corrected"' in page
    assert post_form(client, f"/filings/{fid}/correction", token, {"defects": ["form"]}).status_code == 409
    # The corrected plan is handed in at the desk, then the correction is recorded.
    nothing = post_form(client, f"/filings/{fid}/materials", token, {"kind": "deployment_map"})
    assert nothing.status_code == 422 and "请选择要上传的文件" in error_beside(nothing.text, "file")
    assert post_form(client, f"/filings/{fid}/materials", token, {"kind": "deployment_map"},
                     files={"file": ("布防图（补正）.pdf", pdf((842, 595)))}).status_code == 303
    assert post_form(client, f"/filings/{fid}/corrected", token).status_code == 303
    assert stored(session, fid).state == FilingState.corrected
    # Until the verifying unit's 核对 the re-check is not possible, and not in anyone's re-check queue.
    token = sign_in(client, desk.li)
    assert f'href="/filings/{fid}"' not in client.get("/desk/recheck").text
    assert "尚未核对" in client.get(f"/filings/{fid}").text
    assert desk.verify(fid)["status"] == 201
    token = sign_in(client, desk.wang)
    # 李 finds it in his re-check queue (王 does not: he accepted it) and files it; the codes are shown.
    assert f'href="/filings/{fid}"' not in client.get("/desk/recheck").text
    token = sign_in(client, desk.li)
    assert f'href="/filings/{fid}"' in client.get("/desk/recheck").text
    page = client.get(f"/filings/{fid}").text
    assert 'id="do-review"' in page
    filed = post_form(client, f"/filings/{fid}/review", token)
    assert filed.status_code == 303
    page = client.get(f"/filings/{fid}").text
    codes = session.exec(select(Camera.code).where(Camera.filing_id == fid).order_by(col(Camera.id))).all()
    session.commit()
    assert codes and all(code and code in page for code in codes)
    assert "receipt.pdf" in page and 'id="do-review"' not in page


def test_refusals_and_rejection_on_the_filing_page(client: TestClient, desk: Desk, session: Session,
                                                   make_person: Callable[..., Person]) -> None:
    fid = desk.submit_complete()
    # Other roles of the unit see the filing without the desk's actions and are refused them.
    inspector = make_person(Role.inspector, "101")
    token = sign_in(client, inspector)
    page = client.get(f"/filings/{fid}").text
    assert 'id="actions"' not in page
    assert post_form(client, f"/filings/{fid}/accept", token).status_code == 403
    # The operator cannot act through the officers' routes either.
    token = sign_in(client, desk.hotel)
    assert post_form(client, f"/filings/{fid}/corrected", token).status_code == 403
    token = sign_in(client, desk.wang)
    assert "不予备案" not in client.get(f"/filings/{fid}").text.split('id="actions"')[1].split("</section>")[0]
    assert post_form(client, f"/filings/{fid}/accept", token).status_code == 303
    blank = post_form(client, f"/filings/{fid}/reject", token, {"reason": "   "})
    assert blank.status_code == 422 and "理由" in blank.text
    assert post_form(client, f"/filings/{fid}/reject", token, {"reason": "系统已拆除"}).status_code == 303
    filing = stored(session, fid)
    assert filing.state == FilingState.rejected and filing.rejected_reason == "系统已拆除"
    again = post_form(client, f"/filings/{fid}/accept", token)
    assert again.status_code == 409 and "不能执行此操作" in again.text


def test_the_map_shows_the_page_asked_for(client: TestClient, desk: Desk) -> None:
    fid = desk.submit_complete()
    plan = with_map(desk, fid)
    sign_in(client, desk.wang)
    page = client.get(f"/filings/{fid}?material={plan}&page=1").text
    assert f'data-material="{plan}" data-page="1"' in page and f"/materials/{plan}/pages/1" in page
    assert f'href="?material={plan}&amp;page=2#map"' in page
    assert client.get(f"/materials/{plan}/pages/1").status_code == 200
