"""Change filings cannot fork or be bypassed (第十条): one open change per filing, the changed filing
superseded, a date of change that lateness counts from, one physical camera active under one code only."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from registry.auth.models import Role
from registry.cameras.models import Camera
from registry.operators.models import Operator
from registry.timeutil import beijing_today
from tests.registry.conftest import Person
from tests.registry.test_filing_workflow import Desk, _camera, _form


@pytest.fixture
def desk(client: TestClient, make_operator: Callable[..., Operator], make_person: Callable[..., Person]) -> Desk:
    return Desk(client, make_operator(), make_person)


def _filed(desk: Desk) -> tuple[int, str]:
    fid = desk.submit_complete()
    number = desk.call(desk.wang, "POST", f"/filings/{fid}/accept")["body"]["number"]
    filed = desk.file(fid)
    assert filed["body"]["state"] == "filed", filed
    return fid, number


def _change(desk: Desk, number: str, **changes: object) -> dict:  # type: ignore[type-arg]
    form = _form(desk.operator.id, changes_filing_number=number,
                 change_date=(beijing_today() - timedelta(days=3)).isoformat())
    form.update(changes)
    return desk.call(desk.hotel, "POST", "/filings", json=form)


def _file(desk: Desk, fid: int) -> dict:  # type: ignore[type-arg]
    desk.call(desk.wang, "POST", f"/filings/{fid}/accept")
    return desk.file(fid)


def test_one_open_change_per_filing(desk: Desk) -> None:
    fid, number = _filed(desk)
    first = _change(desk, number)
    assert first["status"] == 201, first
    second = _change(desk, number)
    assert second["status"] == 409, second
    error = second["body"]["error"]
    assert error["details"]["open_change_id"] == first["body"]["id"]
    assert "已有未办结的变更备案" in error["message"] and "待受理" in error["message"]
    # Accepted, it is named by its number; the operator's page path is refused the same way.
    accepted = desk.call(desk.wang, "POST", f"/filings/{first['body']['id']}/accept")["body"]["number"]
    again = desk.call(desk.hotel, "POST", f"/filings/{fid}/change")
    assert again["status"] == 409 and accepted in again["body"]["error"]["message"]
    assert _change(desk, number)["status"] == 409


def test_a_filed_change_supersedes_the_filing_and_its_receipt(desk: Desk) -> None:
    fid, number = _filed(desk)
    change = _change(desk, number)["body"]["id"]
    plan = desk.materials(change)
    old = desk.call(desk.hotel, "GET", f"/cameras?filing_id={fid}")["body"]["items"]
    kept = [_camera(i + 1, existing_code=c["code"], map_material_id=plan, map_page=1, map_x=5, map_y=5)
            for i, c in enumerate(old)]
    assert desk.call(desk.hotel, "POST", f"/filings/{change}/cameras", json=kept)["status"] == 201
    filed = _file(desk, change)
    assert filed["body"]["state"] == "filed", filed
    original = desk.call(desk.wang, "GET", f"/filings/{fid}")["body"]
    assert original["state"] == "superseded"
    receipts = [d for d in desk.call(desk.wang, "GET", f"/filings/{fid}/documents")["body"] if d["kind"] == "receipt"]
    assert receipts and all(d["superseded_by_id"] is not None for d in receipts)
    # A second change of the old filing would fork the chain: refused, naming the filing in force.
    forked = _change(desk, number)
    assert forked["status"] == 409, forked
    assert filed["body"]["number"] in forked["body"]["error"]["message"]
    assert desk.call(desk.hotel, "POST", f"/filings/{fid}/change")["status"] == 409
    # The cameras are active once, under their old codes, in the change.
    active = [c for c in desk.call(desk.hotel, "GET", "/cameras")["body"]["items"] if c["status"] == "active"]
    assert sorted(c["code"] for c in active) == sorted(c["code"] for c in old)
    assert {c["filing_id"] for c in active} == {change}


def test_a_change_has_a_date_of_change_and_lateness_counts_from_it(desk: Desk) -> None:
    _fid, number = _filed(desk)
    long_ago = (beijing_today() - timedelta(days=330)).isoformat()
    missing = _change(desk, number, system_in_use_date=long_ago, change_date=None)
    assert missing["status"] == 422 and missing["body"]["error"]["field"] == "change_date"
    future = _change(desk, number, change_date=(beijing_today() + timedelta(days=2)).isoformat())
    assert future["status"] == 422 and future["body"]["error"]["field"] == "change_date"
    on_time = _change(desk, number, system_in_use_date=long_ago)
    assert on_time["status"] == 201, on_time
    assert on_time["body"]["late"] is False and on_time["body"]["change_date"]
    desk.call(desk.wang, "POST", f"/filings/{on_time['body']['id']}/accept")
    assert desk.call(desk.li, "POST", f"/filings/{on_time['body']['id']}/reject",
                     json={"reason": "测试"})["status"] == 200
    late = _change(desk, number, system_in_use_date=long_ago,
                   change_date=(beijing_today() - timedelta(days=40)).isoformat())
    assert late["body"]["late"] is True and late["body"]["late_days"] == 10
    # A first filing has no date of change.
    first = desk.call(desk.hotel, "POST", "/filings", json=_form(desk.operator.id, change_date=long_ago))
    assert first["status"] == 422 and first["body"]["error"]["field"] == "change_date"


def test_the_operators_change_draft_asks_for_the_date_of_change(desk: Desk) -> None:
    fid, _number = _filed(desk)
    draft = desk.call(desk.hotel, "POST", f"/filings/{fid}/change")["body"]
    assert draft["change_date"] is None
    refused = desk.call(desk.hotel, "POST", f"/filings/{draft['id']}/submit")
    assert refused["status"] == 409 and "change_date" in refused["body"]["error"]["details"]["missing"]
    assert "变更日期" in refused["body"]["error"]["message"]
    form = {k: draft[k] for k in _form(0) if k != "operator_id"}
    form["change_date"] = (beijing_today() - timedelta(days=2)).isoformat()
    assert desk.call(desk.hotel, "PUT", f"/filings/{draft['id']}/form", json=form)["status"] == 200
    submitted = desk.call(desk.hotel, "POST", f"/filings/{draft['id']}/submit")
    assert submitted["status"] == 200, submitted
    assert submitted["body"]["late"] is False


@pytest.mark.parametrize("key", ["serial_mac", "onvif_uuid"])
def test_one_physical_camera_is_active_under_one_code(desk: Desk, key: str) -> None:
    fid, number = _filed(desk)
    first = desk.call(desk.hotel, "GET", f"/cameras?filing_id={fid}")["body"]["items"][0]
    # Another filing of the same unit lists the same device as a new camera: refused when it would be coded.
    other = desk.call(desk.hotel, "POST", "/filings", json=_form(desk.operator.id, system_name="停车场监控系统",
                                                                  camera_count_declared=1))["body"]["id"]
    plan = desk.materials(other)
    same = ({"serial": first["serial"], "mac": first["mac"]} if key == "serial_mac"
            else {"serial": "OTHER1", "onvif_uuid": "urn:uuid:5f1e0a34-0000-4000-8000-000000000001"})
    if key == "onvif_uuid":
        with Session(desk.client.app.state.engine) as session:  # type: ignore[attr-defined]
            row = session.get_one(Camera, first["id"])
            row.onvif_uuid = same["onvif_uuid"]
            session.add(row)
            session.commit()
    camera = _camera(9, map_material_id=plan, map_page=1, map_x=1, map_y=1, **same)
    assert desk.call(desk.hotel, "POST", f"/filings/{other}/cameras", json=[camera])["status"] == 201
    refused = _file(desk, other)
    assert refused["status"] == 409, refused
    error = refused["body"]["error"]
    assert error["details"]["other_filing_number"] == number and error["details"]["other_code"] == first["code"]
    assert number in error["message"] and first["code"] in error["message"]
    assert desk.call(desk.wang, "GET", f"/filings/{other}")["body"]["state"] != "filed"


def test_the_database_refuses_a_camera_active_under_two_codes(desk: Desk) -> None:
    fid, _number = _filed(desk)
    engine = desk.client.app.state.engine  # type: ignore[attr-defined]
    with Session(engine) as session:
        first = session.exec(select(Camera).where(Camera.filing_id == fid)).first()
        assert first is not None and first.code is not None
        fields = first.model_dump(exclude={"id", "code"})
        twin = Camera.model_validate(fields, update={"code": "1" * 20})
        session.add(twin)
        with pytest.raises(IntegrityError):
            session.flush()
        session.rollback()
        # Removed, or not yet coded, it does not count.
        twin = Camera.model_validate(fields, update={"code": None})
        session.add(twin)
        session.flush()
        session.rollback()


def test_cameras_reach_a_filed_filing_only_by_a_change_or_an_audited_migration(
        desk: Desk, make_person: Callable[..., Person]) -> None:
    from registry.audit.models import AuditEvent
    from registry.imports.columns import Kind
    from tests.registry.test_imports import camera_row, sheet_bytes, upload

    fid, number = _filed(desk)
    data = sheet_bytes(Kind.cameras, [camera_row(1, number=number)], "csv")
    officer = upload(desk.client, desk.wang, Kind.cameras, data, "csv")
    assert not officer["committed"] and "变更备案" in officer["notes"][0]["message"]
    clerk = make_person(Role.admin, "101")
    plain = upload(desk.client, clerk, Kind.cameras, data, "csv", migration=False)
    assert not plain["committed"] and "变更备案" in plain["notes"][0]["message"]
    refused = desk.client.post("/api/v1/imports/cameras", headers=desk.wang.headers,
                               files={"file": ("x.csv", data)}, data={"migration": "true"})
    assert refused.status_code == 403
    haidian = upload(desk.client, make_person(Role.admin, "108"), Kind.cameras, data, "csv")
    assert not haidian["committed"]
    migrated = upload(desk.client, clerk, Kind.cameras, data, "csv")
    assert migrated["committed"] and migrated["codes_issued"] == 1 and migrated["migration"] is True
    assert len(desk.call(desk.wang, "GET", f"/cameras?filing_id={fid}")["body"]["items"]) == 3
    with Session(desk.client.app.state.engine) as session:  # type: ignore[attr-defined]
        events = session.exec(select(AuditEvent).where(AuditEvent.action == "import.migration")).all()
    # Every use is audited as a migration, the refused 海淀 attempt too.
    assert [(e.actor, e.details["committed"]) for e in events][-1] == (clerk.user.username, True)
    assert all(e.details["migration"] for e in events)
    # The same device listed again on its filing is reported as already there, never coded twice.
    first = desk.call(desk.wang, "GET", f"/cameras?filing_id={fid}")["body"]["items"][0]
    twin = sheet_bytes(Kind.cameras, [camera_row(5, number=number, serial=first["serial"], mac=first["mac"])], "csv")
    again = upload(desk.client, clerk, Kind.cameras, twin, "csv")
    assert again["created"] == 0 and again["codes_issued"] == 0
