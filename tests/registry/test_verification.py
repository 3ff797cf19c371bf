"""核对 (issue 13 point 1): the verifying unit checks the materials against the site before the filing unit files."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from registry.audit.models import AuditEvent
from registry.auth.models import Role
from registry.documents.render import renderer
from registry.operators.models import Operator
from registry.settings import Settings
from tests.conftest import skip_or_fail
from tests.registry import pdf_tools
from tests.registry.conftest import Person
from tests.registry.test_filing_workflow import Desk
from tests.registry.test_scans import _device, _report


@pytest.fixture
def desk(client: TestClient, make_operator: Callable[..., Operator], make_person: Callable[..., Person]) -> Desk:
    return Desk(client, make_operator(), make_person)


def _accepted(desk: Desk) -> int:
    fid = desk.submit_complete()
    assert desk.call(desk.wang, "POST", f"/filings/{fid}/accept")["status"] == 200
    return fid


def test_filing_is_refused_until_the_station_has_verified(desk: Desk) -> None:
    assert desk.operator.routing_rule == 5 and desk.operator.verifying_unit_code != desk.operator.filing_unit_code
    fid = _accepted(desk)
    refused = desk.call(desk.li, "POST", f"/filings/{fid}/review")
    assert refused["status"] == 409, refused
    error = refused["body"]["error"]
    assert error["details"] == {"state": "accepted", "verification": "pending",
                                "verifying_unit_code": desk.operator.verifying_unit_code}
    assert "accepted" in error["message"] and "核对" in error["message"]
    verified = desk.verify(fid, notes="现场摄像机2台，与布防图一致")
    assert verified["status"] == 201, verified
    assert verified["body"]["unit_code"] == desk.operator.verifying_unit_code
    assert verified["body"]["verified_by_id"] == desk.zhang.user.id
    # The filing unit sees the result before it files.
    shown = desk.call(desk.li, "GET", f"/filings/{fid}")["body"]
    assert shown["verification_result"] == "matches" and shown["verified_by_id"] == desk.zhang.user.id
    listed = desk.call(desk.li, "GET", f"/filings/{fid}/verifications")["body"]
    assert [v["notes"] for v in listed] == ["现场摄像机2台，与布防图一致"]
    assert desk.call(desk.li, "POST", f"/filings/{fid}/review")["body"]["state"] == "filed"


def test_only_the_verifying_unit_verifies(desk: Desk, make_person: Callable[..., Person]) -> None:
    fid = _accepted(desk)
    filing_unit = desk.call(desk.wang, "POST", f"/filings/{fid}/verifications", json={"result": "matches"})
    assert filing_unit["status"] == 403 and desk.operator.verifying_unit_code in filing_unit["body"]["error"]["message"]
    other_station = make_person(Role.inspector, "11010102" if desk.operator.verifying_unit_code != "11010102"
                                else "11010103")
    assert desk.call(other_station, "POST", f"/filings/{fid}/verifications",
                     json={"result": "matches"})["status"] == 404
    assert desk.call(desk.hotel, "POST", f"/filings/{fid}/verifications", json={"result": "matches"})["status"] == 403
    assert desk.call(desk.zhang, "GET", f"/filings/{fid}/verifications")["body"] == []


def test_a_site_that_differs_blocks_filing_until_corrected_and_verified_again(desk: Desk) -> None:
    fid = _accepted(desk)
    no_notes = desk.call(desk.zhang, "POST", f"/filings/{fid}/verifications", json={"result": "differs"})
    assert no_notes["status"] == 422
    assert desk.verify(fid, "differs", "大堂实有3台，布防图仅标2台")["status"] == 201
    refused = desk.call(desk.li, "POST", f"/filings/{fid}/review")
    assert refused["status"] == 409 and refused["body"]["error"]["details"]["verification"] == "differs"
    notice = desk.call(desk.wang, "POST", f"/filings/{fid}/correction-notice",
                       json={"items": [{"item": "deployment_map", "message": "布防图漏标大堂摄像机"}]})
    assert notice["status"] == 201
    # No 核对 while the operator corrects; the corrected materials need a new one.
    waiting = desk.verify(fid)
    assert waiting["status"] == 409 and waiting["body"]["error"]["details"]["state"] == "correction_requested"
    assert desk.call(desk.hotel, "POST", f"/filings/{fid}/corrected")["body"]["verification_result"] is None
    again = desk.call(desk.li, "POST", f"/filings/{fid}/review")
    assert again["status"] == 409 and again["body"]["error"]["details"] == {
        "state": "corrected", "verification": "pending", "verifying_unit_code": desk.operator.verifying_unit_code}
    assert desk.file(fid)["body"]["state"] == "filed"
    results = [v["result"] for v in desk.call(desk.li, "GET", f"/filings/{fid}/verifications")["body"]]
    assert results == ["differs", "matches"]


def test_where_the_filing_unit_verifies_it_records_the_step_and_two_people_still_act(
        client: TestClient, make_operator: Callable[..., Operator], make_person: Callable[..., Person]) -> None:
    desk = Desk(client, make_operator(system_kind="district_government", place_kind="road"), make_person)
    assert desk.operator.routing_rule == 2 and desk.operator.verifying_unit_code == desk.operator.filing_unit_code
    fid = _accepted(desk)
    assert desk.call(desk.wang, "POST", f"/filings/{fid}/verifications",
                     json={"result": "matches", "notes": "科信部门现场核对"})["status"] == 201
    assert desk.call(desk.wang, "POST", f"/filings/{fid}/review")["body"]["error"]["details"]["rule"] == "two_person"
    assert desk.call(desk.li, "POST", f"/filings/{fid}/review")["body"]["state"] == "filed"


def test_the_one_who_verified_does_not_also_re_check(
        client: TestClient, make_operator: Callable[..., Operator], make_person: Callable[..., Person]) -> None:
    desk = Desk(client, make_operator(system_kind="district_government", place_kind="road"), make_person)
    fid = _accepted(desk)
    assert desk.call(desk.li, "POST", f"/filings/{fid}/verifications", json={"result": "matches"})["status"] == 201
    same = desk.call(desk.li, "POST", f"/filings/{fid}/review")
    assert same["status"] == 409 and same["body"]["error"]["details"]["rule"] == "two_person"


def test_a_scan_of_the_site_is_taken_before_filing_and_attached(desk: Desk) -> None:
    fid = _accepted(desk)
    report = _report([_device("192.0.2.1", "SN00001", "00:11:22:33:44:01")], datetime(2026, 6, 1, tzinfo=UTC))
    scan = desk.client.post(f"/api/v1/filings/{fid}/scans", headers=desk.zhang.headers,
                            files={"file": ("scan.json", report)})
    assert scan.status_code == 201, scan.text
    assert scan.json()["counts"]["matched"] == 1
    other = desk.submit_complete()
    desk.call(desk.wang, "POST", f"/filings/{other}/accept")
    wrong = desk.call(desk.zhang, "POST", f"/filings/{other}/verifications",
                      json={"result": "matches", "scan_id": scan.json()["id"]})
    assert wrong["status"] == 422 and wrong["body"]["error"]["field"] == "scan_id"
    ok = desk.call(desk.zhang, "POST", f"/filings/{fid}/verifications",
                   json={"result": "matches", "notes": "扫描1台，与清单一致", "scan_id": scan.json()["id"]})
    assert ok["status"] == 201 and ok["body"]["scan_id"] == scan.json()["id"]


def test_the_queue_of_filings_awaiting_verification(desk: Desk) -> None:
    waiting, submitted = _accepted(desk), desk.submit_complete()
    queue = desk.call(desk.zhang, "GET", "/filings?awaiting_verification=true")["body"]["items"]
    assert [f["id"] for f in queue] == [waiting]
    desk.verify(waiting)
    assert desk.call(desk.zhang, "GET", "/filings?awaiting_verification=true")["body"]["items"] == []
    done = desk.call(desk.zhang, "GET", "/filings?awaiting_verification=false")["body"]["items"]
    assert {f["id"] for f in done} == {waiting, submitted}


def test_the_step_is_audited_and_printed_on_the_review_form(desk: Desk, engine: Engine, settings: Settings) -> None:
    try:
        renderer(settings.font_dir)
    except Exception as exc:  # the font is a system package
        skip_or_fail(str(exc))
    fid = _accepted(desk)
    desk.file(fid)
    with Session(engine) as session:
        event = session.exec(select(AuditEvent).where(AuditEvent.action == "filing.verify")).one()
        assert event.object_id == str(fid) and event.details["result"] == "matches"
    pdf = desk.client.get(f"/api/v1/filings/{fid}/documents/review_form", headers=desk.li.headers)
    assert pdf.status_code == 200
    text = pdf_tools.text(pdf.content).replace("\n", "")
    assert "受理审查" in text and "核对" in text and "与现场相符" in text and "复查、复核" in text
