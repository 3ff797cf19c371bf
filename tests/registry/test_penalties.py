"""Penalty cases (第十八条): two officers or more, evidence, a proposal, the leader's approval, the decision."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from registry.audit.models import AuditEvent
from registry.auth.models import Role
from registry.operators.models import Operator
from tests.registry import pdf_tools
from tests.registry.conftest import Person

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
FACTS = "该单位公共安全视频图像信息系统于2026年3月投入使用，至今未向公安机关备案。"


class Case:
    """东城's officers, their leader and the operator of one case."""

    def __init__(self, client: TestClient, operator: Operator, make_person: Callable[..., Person]) -> None:
        self.client, self.operator = client, operator
        self.hotel = make_person(Role.operator, operator_id=operator.id)
        self.wang = make_person(Role.intake, "101")
        self.li = make_person(Role.reviewer, "101")
        self.leader = make_person(Role.leader, "101")

    def call(self, person: Person, method: str, path: str, **kwargs: Any) -> tuple[int, Any]:
        response = self.client.request(method, f"/api/v1/penalties{path}", headers=person.headers, **kwargs)
        body = response.json() if response.headers.get("content-type", "").startswith("application/json") else response
        return response.status_code, body

    def open(self, by: Person | None = None) -> int:
        status, body = self.call(by or self.wang, "POST", "", json={
            "operator_id": self.operator.id, "violation": "not_filed", "facts": FACTS})
        assert status == 201, body
        return int(body["id"])

    def evidence(self, case_id: int, by: Person | None = None) -> tuple[int, Any]:
        return self.call(by or self.wang, "POST", f"/{case_id}/evidence", data={"description": "现场检查笔录"},
                         files={"file": ("record.png", PNG, "image/png")})

    def prepared(self) -> int:
        """A case with two officers and evidence, ready for a proposal."""
        case_id = self.open()
        assert self.call(self.li, "POST", f"/{case_id}/join")[0] == 200
        assert self.evidence(case_id)[0] == 201
        return case_id

    def proposed(self, **proposal: Any) -> int:
        case_id = self.prepared()
        status, body = self.call(self.li, "POST", f"/{case_id}/propose", json=proposal or {
            "decision": "fine", "fine_yuan": 5000, "reason": "经责令改正后仍未备案"})
        assert status == 200, body
        return case_id


@pytest.fixture
def case(client: TestClient, make_operator: Callable[..., Operator], make_person: Callable[..., Person]) -> Case:
    return Case(client, make_operator(), make_person)


def test_from_opening_to_the_decision_document(case: Case, engine: Engine) -> None:
    case_id = case.proposed()
    status, body = case.call(case.hotel, "POST", f"/{case_id}/statement", json={"text": "我单位正在准备备案材料。"})
    assert status == 200, body
    status, body = case.call(case.leader, "POST", f"/{case_id}/approve", json={"opinion": "同意罚款"})
    assert status == 200 and body["state"] == "approved", body
    status, body = case.call(case.wang, "POST", f"/{case_id}/issue")
    assert status == 200, body
    assert body["state"] == "issued" and body["decision_number"] == f"101{date.today().year}000001"
    assert [s["step"] for s in body["steps"]] == ["open", "join", "evidence", "propose", "statement", "approve",
                                                  "issue"]
    assert {o["user_id"] for o in body["officers"]} == {case.wang.user.id, case.li.user.id}

    # The operator reads its copy on its own pages; the police keep the same bytes.
    status, own = case.call(case.hotel, "GET", f"/{case_id}/decision")
    assert status == 200 and own.headers["content-type"] == "application/pdf"
    kept = case.call(case.wang, "GET", f"/{case_id}/decision")[1]
    assert kept.content == own.content
    text = pdf_tools.text(own.content)
    for expected in ("公安行政处罚决定书", case.operator.name, "罚款人民币5000元", "第十二条", "陈述、申辩", "行政复议",
                     "行政诉讼", "交被处罚单位", "附卷存档", "北京市公安局东城分局", case.wang.user.full_name,
                     case.leader.user.full_name, "我单位正在准备备案材料"):
        assert expected.replace(" ", "") in text.replace("\n", "").replace(" ", ""), expected
    assert pdf_tools.pages(own.content) == 2

    with Session(engine) as session:
        actions = session.exec(select(AuditEvent.action).where(AuditEvent.object_type == "penalty_case")
                               .order_by(col(AuditEvent.seq))).all()
    assert actions[:7] == ["penalty.open", "penalty.join", "penalty.evidence", "penalty.propose",
                           "penalty.statement", "penalty.approve", "penalty.issue"]
    # Issued once: a second issue is a state conflict, and the number sequence did not move.
    assert case.call(case.wang, "POST", f"/{case_id}/issue")[0] == 409


def test_the_decision_verifies(case: Case, client: TestClient, engine: Engine) -> None:
    case_id = case.proposed(decision="warning", reason="首次违法，情节轻微")
    case.call(case.leader, "POST", f"/{case_id}/approve", json={})
    body = case.call(case.leader, "POST", f"/{case_id}/issue")[1]  # the approving leader may hand it out
    assert body["state"] == "issued"
    from registry.documents.models import IssuedDocument

    with Session(engine) as session:
        document = session.get_one(IssuedDocument, body["document_id"])
    page = client.get(f"/verify/{document.token}")
    assert page.status_code == 200 and "公安行政处罚决定书" in page.text
    text = pdf_tools.text(case.call(case.hotel, "GET", f"/{case_id}/decision")[1].content)
    assert "警告" in text and "罚款人民币" not in text and "未提出陈述、申辩意见" in text.replace("\n", "")


def test_one_officer_alone_cannot_propose(case: Case) -> None:
    case_id = case.open()
    assert case.evidence(case_id)[0] == 201
    status, body = case.call(case.wang, "POST", f"/{case_id}/propose", json={"decision": "warning", "reason": "x理由"})
    assert status == 409 and "至少二名办案民警" in body["error"]["message"]
    # The same officer twice is still one officer.
    status, body = case.call(case.wang, "POST", f"/{case_id}/join")
    assert status == 409
    assert case.call(case.li, "POST", f"/{case_id}/join")[0] == 200
    assert case.call(case.wang, "POST", f"/{case_id}/propose", json={"decision": "warning", "reason": "理由"})[0] == 200


def test_no_evidence_no_proposal(case: Case) -> None:
    case_id = case.open()
    case.call(case.li, "POST", f"/{case_id}/join")
    status, body = case.call(case.li, "POST", f"/{case_id}/propose", json={"decision": "warning", "reason": "理由"})
    assert status == 409 and "证据材料" in body["error"]["message"]


def test_a_leader_who_prepared_the_case_may_not_approve_it(case: Case) -> None:
    case_id = case.open()
    assert case.call(case.leader, "POST", f"/{case_id}/join")[0] == 200
    assert case.evidence(case_id, by=case.leader)[0] == 201
    status, body = case.call(case.leader, "POST", f"/{case_id}/propose", json={"decision": "warning", "reason": "理由"})
    assert status == 200, body
    status, body = case.call(case.leader, "POST", f"/{case_id}/approve", json={})
    assert status == 403 and "办案民警" in body["error"]["message"]


def test_only_the_units_leader_approves(case: Case, make_person: Callable[..., Person]) -> None:
    case_id = case.proposed()
    for person in (case.wang, case.li, make_person(Role.supervisor, "101"), make_person(Role.admin, "101")):
        assert case.call(person, "POST", f"/{case_id}/approve", json={})[0] == 403
    assert case.call(make_person(Role.leader, "001"), "POST", f"/{case_id}/approve", json={})[0] == 403
    assert case.call(make_person(Role.leader, "108"), "POST", f"/{case_id}/approve", json={})[0] == 404
    assert case.call(case.hotel, "POST", f"/{case_id}/approve", json={})[0] == 403


def test_no_step_is_skipped(case: Case) -> None:
    case_id = case.prepared()
    assert case.call(case.leader, "POST", f"/{case_id}/approve", json={})[0] == 409
    assert case.call(case.wang, "POST", f"/{case_id}/issue")[0] == 409
    assert case.call(case.wang, "GET", f"/{case_id}/decision")[0] == 404
    case.call(case.li, "POST", f"/{case_id}/propose", json={"decision": "warning", "reason": "理由"})
    assert case.call(case.wang, "POST", f"/{case_id}/issue")[0] == 409
    assert case.evidence(case_id)[0] == 409  # the proposal froze the file
    assert case.call(case.hotel, "POST", f"/{case_id}/statement", json={"text": "陈述"})[0] == 200
    assert case.call(case.hotel, "POST", f"/{case_id}/statement", json={"text": "再陈述"})[0] == 409


def test_the_leader_sends_a_case_back(case: Case) -> None:
    case_id = case.proposed()
    status, body = case.call(case.leader, "POST", f"/{case_id}/return", json={"opinion": "证据不足，补充询问笔录"})
    assert status == 200 and body["state"] == "preparing"
    assert case.evidence(case_id, by=case.li)[0] == 201
    status, body = case.call(case.wang, "POST", f"/{case_id}/propose", json={"decision": "warning", "reason": "理由"})
    assert status == 200 and body["approved_by_id"] is None


def test_proposals_are_checked(case: Case) -> None:
    case_id = case.prepared()
    for proposal, field in (({"decision": "fine", "reason": "理由"}, "fine_yuan"),
                            ({"decision": "fine", "fine_yuan": 10001, "reason": "理由"}, "fine_yuan"),
                            ({"decision": "warning", "fine_yuan": 100, "reason": "理由"}, "fine_yuan")):
        status, body = case.call(case.wang, "POST", f"/{case_id}/propose", json=proposal)
        assert status == 422 and field in str(body["error"]), body
    status, body = case.call(case.wang, "POST", "", json={"operator_id": case.operator.id, "violation": "other",
                                                           "facts": FACTS})
    assert status == 422 and body["error"]["field"] == "legal_basis"


def test_the_operator_sees_a_case_only_once_told(case: Case) -> None:
    case_id = case.prepared()
    assert case.call(case.hotel, "GET", f"/{case_id}")[0] == 404
    assert case.call(case.hotel, "GET", "")[1]["items"] == []
    case.call(case.wang, "POST", f"/{case_id}/propose", json={"decision": "warning", "reason": "理由"})
    status, body = case.call(case.hotel, "GET", f"/{case_id}")
    assert status == 200 and body["evidence"] == [] and body["decision"] == "warning"
    evidence_id = case.call(case.wang, "GET", f"/{case_id}")[1]["evidence"][0]["id"]
    assert case.call(case.hotel, "GET", f"/{case_id}/evidence/{evidence_id}")[0] == 403
    status, file = case.call(case.wang, "GET", f"/{case_id}/evidence/{evidence_id}")
    assert status == 200 and file.content == PNG


def test_officers_of_other_units_and_roles(case: Case, make_person: Callable[..., Person]) -> None:
    case_id = case.open()
    assert case.call(make_person(Role.intake, "108"), "POST", f"/{case_id}/join")[0] == 404
    assert case.call(make_person(Role.admin, "101"), "POST", f"/{case_id}/join")[0] == 403
    # A unit that sees the operator (the city department) is still not the case's unit.
    assert case.call(make_person(Role.inspector, "001"), "POST", f"/{case_id}/join")[0] == 403
    assert case.call(case.hotel, "POST", "", json={"operator_id": case.operator.id, "violation": "not_filed",
                                                   "facts": FACTS})[0] == 403


def test_the_leaders_to_do_list(case: Case, engine: Engine, make_person: Callable[..., Person]) -> None:
    from registry.penalties.service import awaiting_approval

    waiting = case.proposed()
    own = case.open(by=case.leader)
    case.call(case.wang, "POST", f"/{own}/join")
    case.evidence(own, by=case.leader)
    case.call(case.leader, "POST", f"/{own}/propose", json={"decision": "warning", "reason": "理由"})
    haidian_leader = make_person(Role.leader, "108")
    with Session(engine) as session:
        assert [c.id for c in awaiting_approval(session, user=case.leader.user)] == [waiting]
        assert awaiting_approval(session, user=haidian_leader.user) == []
        assert awaiting_approval(session, user=case.wang.user) == []
