"""Complete means complete (第七、八条; issue 13 point 5): the 备案表 uploaded, a camera list of the declared size,
every camera at its position on the 布防图. Each is a missing item that refuses filing (and an operator's
submission), shows on the officer's checklist, and is offered — with the counts and camera names — on the
correction notice."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from registry.filings.models import CorrectionNotice
from registry.operators.models import Operator
from tests.registry.conftest import Person
from tests.registry.page_helpers import post_form, sign_in
from tests.registry.test_drafts import png
from tests.registry.test_filing_workflow import PDF, Desk, _camera, _form, placed


@pytest.fixture
def desk(client: TestClient, make_operator: Callable[..., Operator], make_person: Callable[..., Person]) -> Desk:
    return Desk(client, make_operator(), make_person)


def _filing(desk: Desk, *, form: bool = True, declared: int = 2, place_second: bool = True,
            extra: list[dict[str, object]] | None = None) -> tuple[int, int]:
    """A submitted, accepted filing: two cameras listed (the second placed or not), the 备案表 uploaded or not."""
    made = desk.call(desk.hotel, "POST", "/filings", json=_form(desk.operator.id, camera_count_declared=declared,
                                                                    camera_types_declared=f"枪机×{declared}"))
    assert made["status"] == 201, made
    fid = int(made["body"]["id"])
    if form:
        desk.upload(fid, "form", PDF, "备案表.pdf")
    desk.upload(fid, "location_diagram")
    plan = desk.upload(fid, "deployment_map", png(), "布防图.png")
    second = _camera(2, **placed(plan)) if place_second else _camera(2)
    cams = desk.call(desk.hotel, "POST", f"/filings/{fid}/cameras",
                     json=[_camera(1, **placed(plan, 10, 20)), second, *(extra or [])])
    assert cams["status"] == 201, cams
    assert desk.call(desk.wang, "POST", f"/filings/{fid}/accept")["status"] == 200
    return fid, plan


def _refused(desk: Desk, fid: int) -> tuple[dict[str, Any], str]:
    """Verified by the station, then refused by the second officer: the error's details and message."""
    assert desk.verify(fid)["status"] == 201
    response = desk.call(desk.li, "POST", f"/filings/{fid}/review")
    assert response["status"] == 409, response
    return dict(response["body"]["error"]["details"]), str(response["body"]["error"]["message"])


def test_a_camera_not_on_the_deployment_map_is_missing_by_name(desk: Desk) -> None:
    fid, plan = _filing(desk, place_second=False)
    details, message = _refused(desk, fid)
    assert details["missing"] == ["camera_positions"]
    assert "1 台摄像机未在布防图上标注安装位置：大堂2" in message
    # Placed on the map (page and pixel x/y), the filing is complete and is filed.
    camera = next(c for c in desk.call(desk.wang, "GET", f"/cameras?filing_id={fid}")["body"]["items"]
                  if c["name"] == "大堂2")
    put = desk.call(desk.hotel, "PUT", f"/filings/{fid}/cameras/{camera['id']}/placement",
                    json={"map_material_id": plan, "map_page": 1, "map_x": 120, "map_y": 80})
    assert put["status"] == 200, put
    filed = desk.call(desk.li, "POST", f"/filings/{fid}/review")
    assert filed["status"] == 200 and filed["body"]["state"] == "filed", filed


def test_a_recorder_needs_no_position_but_counts_towards_the_declared_number(desk: Desk) -> None:
    nvr = _camera(3, name="录像机", device_type="nvr")
    fid, _plan = _filing(desk, declared=3, extra=[nvr])
    assert desk.file(fid)["body"]["state"] == "filed"


def test_a_declared_count_that_differs_from_the_list_is_missing(desk: Desk) -> None:
    fid, _plan = _filing(desk, declared=40)
    details, message = _refused(desk, fid)
    assert details["missing"] == ["camera_count"]
    assert "备案表申报摄像机 40 台（枪机×40），摄像机清单登记 2 台" in message


def test_a_filing_without_the_uploaded_form_is_missing_it(desk: Desk) -> None:
    fid, _plan = _filing(desk, form=False)
    details, message = _refused(desk, fid)
    assert details["missing"] == ["form"] and "未上传备案表" in message
    desk.upload(fid, "form", PDF, "备案表.pdf")
    assert desk.call(desk.li, "POST", f"/filings/{fid}/review")["body"]["state"] == "filed"


def test_an_operator_cannot_submit_a_draft_missing_any_of_them(desk: Desk) -> None:
    made = desk.call(desk.hotel, "POST", "/filings/drafts", json=_form(desk.operator.id, camera_count_declared=40))
    fid = int(made["body"]["id"])
    desk.upload(fid, "location_diagram")
    plan = desk.upload(fid, "deployment_map")
    assert desk.call(desk.hotel, "POST", f"/filings/{fid}/cameras",
                     json=[_camera(1, **placed(plan)), _camera(2)])["status"] == 201
    refused = desk.call(desk.hotel, "POST", f"/filings/{fid}/submit")
    assert refused["status"] == 409
    error = refused["body"]["error"]
    assert error["details"]["missing"] == ["form", "camera_count", "camera_positions"]
    assert "备案表" in error["message"] and "摄像机清单登记 2 台" in error["message"] and "大堂2" in error["message"]


def test_the_checklist_and_the_correction_notice_name_what_is_missing(client: TestClient, desk: Desk,
                                                                     session: Session) -> None:
    fid, _plan = _filing(desk, form=False, declared=40, place_second=False)
    token = sign_in(client, desk.wang)
    page = client.get(f"/filings/{fid}").text
    for item in ("form", "camera_count", "camera_positions"):
        assert f'class="missing" data-item="{item}"' in page, item
        assert f'name="defects" value="{item}" checked' in page, item
    assert "1 台摄像机未在布防图上标注安装位置：大堂2" in page and "摄像机清单登记 2 台" in page
    sent = post_form(client, f"/filings/{fid}/correction", token, {
        "defects_sent": "1", "defects": ["form", "camera_count", "camera_positions"]})
    assert sent.status_code == 303, sent.text
    notice = session.exec(select(CorrectionNotice).where(CorrectionNotice.filing_id == fid)).one()
    messages = {i["item"]: i["message"] for i in notice.items}
    assert messages["form"].startswith("未上传备案表")
    assert messages["camera_count"] == "备案表申报摄像机 40 台（枪机×40），摄像机清单登记 2 台，数量不一致"
    assert messages["camera_positions"] == "1 台摄像机未在布防图上标注安装位置：大堂2"


def test_many_unplaced_cameras_are_counted_and_the_first_named(desk: Desk) -> None:
    extra = [_camera(n) for n in range(3, 16)]
    fid, _plan = _filing(desk, declared=15, extra=extra)
    _details, message = _refused(desk, fid)
    assert "13 台摄像机未在布防图上标注安装位置：大堂3、大堂4" in message and "大堂12等 13 台" in message
