"""The footage-access register (第二十、二十一条; 799号令 第十六条): kept by the operator, seen by its police unit."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from registry.audit.models import AuditEvent
from registry.auth.models import Role
from registry.operators.models import Operator
from registry.timeutil import beijing_today
from tests.registry.conftest import HAIDIAN_POINT, Person

TODAY = beijing_today()  # the registry judges dates in Beijing time


def entry(operator_id: int, **changes: Any) -> dict[str, Any]:
    """A complete register entry: footage of last night taken yesterday with an approval of the day before."""
    day = TODAY - timedelta(days=1)
    data = {"operator_id": operator_id, "kind": "copy", "reason": "侦办一起盗窃案件，需调取大堂入口录像",
            "cameras": "大堂入口、电梯厅", "footage_from": f"{day - timedelta(days=1)}T20:00:00",
            "footage_to": f"{day - timedelta(days=1)}T23:30:00", "taker_unit_code": "101",
            "taker_unit_name": "北京市公安局东城分局刑侦支队", "taker_names": "陈警官（警号012345）、周警官",
            "approver_name": "赵局长", "approver_title": "副局长", "approver_unit_code": "101",
            "approval_number": "东公（刑）调字〔2026〕118号", "approved_on": str(day - timedelta(days=1)),
            "accessed_on": str(day)}
    data.update(changes)
    return data


class Register:
    """A 东城 hotel, its account, and officers of 东城 and 海淀."""

    def __init__(self, client: TestClient, make_operator: Callable[..., Operator],
                 make_person: Callable[..., Person]) -> None:
        self.client = client
        self.operator = make_operator()
        self.hotel = make_person(Role.operator, operator_id=self.operator.id)
        self.officer = make_person(Role.inspector, "101")
        self.haidian = make_person(Role.intake, "108")
        self.haidian_operator = make_operator(lon=HAIDIAN_POINT[0], lat=HAIDIAN_POINT[1])

    def post(self, person: Person, data: dict[str, Any]) -> Any:
        return self.client.post("/api/v1/footage-accesses", headers=person.headers, json=data)

    def get(self, person: Person, path: str = "", **params: Any) -> Any:
        return self.client.get(f"/api/v1/footage-accesses{path}", headers=person.headers, params=params)


@pytest.fixture
def register(client: TestClient, make_operator: Callable[..., Operator],
             make_person: Callable[..., Person]) -> Register:
    return Register(client, make_operator, make_person)


def test_the_operator_keeps_its_register_and_the_unit_sees_it(register: Register, engine: Engine) -> None:
    answer = register.post(register.hotel, entry(register.operator.id))
    assert answer.status_code == 201, answer.text
    access = answer.json()
    assert access["approver_name"] == "赵局长" and access["recorded_by_id"] == register.hotel.user.id
    assert access["footage_from"] == f"{TODAY - timedelta(days=2)}T12:00:00Z"  # typed 20:00, Beijing time
    assert register.get(register.officer, f"/{access['id']}").status_code == 200
    assert [a["id"] for a in register.get(register.officer).json()["items"]] == [access["id"]]
    assert register.get(register.haidian, f"/{access['id']}").status_code == 404
    assert register.get(register.haidian).json()["items"] == []
    with Session(engine) as session:
        event = session.exec(select(AuditEvent).where(AuditEvent.action == "footage.record")).one()
    assert event.details["approval_number"] == "东公（刑）调字〔2026〕118号"


def test_the_officer_who_took_it_registers_it_too(register: Register) -> None:
    assert register.post(register.officer, entry(register.operator.id)).status_code == 201
    assert register.post(register.officer, entry(register.haidian_operator.id)).status_code == 404
    assert register.post(register.hotel, entry(register.haidian_operator.id)).status_code == 404


def test_an_administrator_does_not_register(register: Register, make_person: Callable[..., Person]) -> None:
    assert register.post(make_person(Role.admin, "101"), entry(register.operator.id)).status_code == 403


@pytest.mark.parametrize(("changes", "field"), [
    ({"approver_unit_code": "11010101"}, "approver_unit_code"),   # a station's head may not approve
    ({"approver_unit_code": "999"}, "approver_unit_code"),
    ({"accessed_on": str(TODAY + timedelta(days=1)), "approved_on": str(TODAY)}, "accessed_on"),
    ({"approved_on": str(TODAY)}, "accessed_on"),                  # approval after the access
    ({"footage_to": f"{TODAY - timedelta(days=3)}T00:00:00"}, "footage_to"),  # ends before it starts
    ({"footage_from": f"{TODAY}T00:00:00", "footage_to": f"{TODAY}T01:00:00"}, "footage_from"),
    ({"reason": ""}, "reason"),
    ({"taker_names": "x"}, "taker_names"),
])
def test_incomplete_or_unapproved_entries_are_refused(register: Register, changes: dict[str, Any],
                                                      field: str) -> None:
    answer = register.post(register.hotel, entry(register.operator.id, **changes))
    assert answer.status_code == 422, answer.text
    error = answer.json()["error"]
    assert field in (error.get("field") or "") or field in str(error.get("details")), error


def test_search_and_export(register: Register, engine: Engine) -> None:
    day = TODAY - timedelta(days=10)
    first = register.post(register.hotel, entry(register.operator.id)).json()
    register.post(register.hotel, entry(register.operator.id, kind="view", taker_names="=HYPERLINK(\"x\")",
                                        reason="核查交通事故", accessed_on=str(day), approved_on=str(day),
                                        footage_from=f"{day}T08:00:00", footage_to=f"{day}T09:00:00"))
    officer = register.officer
    assert [a["id"] for a in register.get(officer, q="盗窃").json()["items"]] == [first["id"]]
    assert [a["id"] for a in register.get(officer, q="陈警官").json()["items"]] == [first["id"]]
    assert len(register.get(officer, kind="view").json()["items"]) == 1
    assert len(register.get(officer, accessed_from=str(day + timedelta(days=1))).json()["items"]) == 1
    assert len(register.get(register.hotel, accessed_to=str(day)).json()["items"]) == 1

    answer = register.get(officer, "/export.csv")
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/csv")
    lines = list(csv.reader(io.StringIO(answer.content.decode("utf-8-sig"))))
    assert lines[0][:4] == ["登记号", "使用单位ID", "使用单位", "调取日期"] and lines[1][0] == "id"
    assert len(lines) == 4
    rows = [dict(zip(lines[1], line, strict=True)) for line in lines[2:]]
    assert {r["kind"] for r in rows} == {"复制", "查阅"}
    assert any(r["taker_names"].startswith("'=") for r in rows)  # a formula stays text
    assert register.get(register.haidian, "/export.csv").content.decode("utf-8-sig").count("\n") == 2

    book = load_workbook(io.BytesIO(register.get(officer, "/export.xlsx", q="盗窃").content))
    sheet = book.active
    assert sheet is not None and sheet.max_row == 3 and sheet.cell(3, 6).value.startswith("侦办")
    with Session(engine) as session:
        exports = session.exec(select(AuditEvent).where(AuditEvent.object_type == "footage_access",
                                                        AuditEvent.action == "export")).all()
    assert len(exports) == 3
