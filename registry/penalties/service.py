"""The penalty workflow (第十八条): two officers or more, evidence, a proposal, the leader's approval, the decision.

Every step checks who may take it and in which state, records a step and appends an audit event, in the
caller's transaction. The same functions serve the API, the pages and the CLI.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from sqlalchemy import ColumnElement
from sqlmodel import Session, col, select

from registry.actor import Actor
from registry.audit import service as audit
from registry.auth.models import Role, User
from registry.auth.scope import clause_for, get_visible, require_role
from registry.errors import Conflict, Forbidden, InvalidInput, NotFound
from registry.filings import materials
from registry.operators.models import Operator
from registry.penalties.models import (
    NOT_FILED_BASIS,
    PenaltyCase,
    PenaltyCaseCreate,
    PenaltyDecision,
    PenaltyEvidence,
    PenaltyOfficer,
    PenaltyProposal,
    PenaltyState,
    PenaltyStep,
    PenaltyViolation,
)
from registry.settings import Settings
from registry.timeutil import utcnow

#: Who may open, join and prepare a case: the unit's police officers (a leader may take part too, and
#: then may not approve it). Administrators run accounts, not cases.
PREPARER_ROLES = (Role.intake, Role.reviewer, Role.inspector, Role.supervisor, Role.leader)
MIN_OFFICERS = 2
STATE_NAMES = {PenaltyState.preparing: "办理中", PenaltyState.proposed: "待审批",
               PenaltyState.approved: "已批准", PenaltyState.issued: "已送达决定书"}


def _step(session: Session, actor: Actor, case: PenaltyCase, step: str, note: str = "",
          details: dict[str, object] | None = None) -> None:
    assert case.id is not None
    session.add(PenaltyStep(case_id=case.id, step=step, user_id=actor.user_id, note=note))
    session.flush()
    audit.append(session, actor=actor, action=f"penalty.{step}", object_type="penalty_case", object_id=case.id,
                 details={"operator_id": case.operator_id, "unit_code": case.unit_code, "state": case.state.value,
                          **(details or {})})


def _require_state(case: PenaltyCase, *states: PenaltyState) -> None:
    if case.state not in states:
        raise Conflict(f"案件当前状态为“{STATE_NAMES[case.state]}”，不能办理此步骤 / the case is {case.state.value}: "
                       f"this step needs {', '.join(s.value for s in states)}",
                       details={"state": case.state.value})


def _require_unit_officer(actor: Actor, case: PenaltyCase) -> None:
    require_role(actor.user, *PREPARER_ROLES)
    if actor.user.unit_code != case.unit_code:
        raise Forbidden(f"只有办案单位 {case.unit_code} 的民警可以办理 / only officers of unit {case.unit_code} "
                        "may work on this case")


def officers_of(session: Session, case_id: int) -> list[PenaltyOfficer]:
    """The officers handling a case, in the order they joined."""
    return list(session.exec(select(PenaltyOfficer).where(PenaltyOfficer.case_id == case_id)
                             .order_by(col(PenaltyOfficer.id))).all())


def officer_ids(session: Session, case_id: int) -> list[int]:
    """The users handling a case, in the order they joined."""
    return [o.user_id for o in officers_of(session, case_id)]


def require_handler(session: Session, actor: Actor, case: PenaltyCase) -> None:
    _require_unit_officer(actor, case)
    if actor.user_id not in officer_ids(session, case.id or 0):
        raise Forbidden("只有本案办案民警可以办理此步骤，请先加入办案 / only the case's officers may do this: "
                        "join it first")


def get(session: Session, *, actor: Actor, case_id: int, lock: bool = False) -> PenaltyCase:
    """A case the user may see (scope: the operator's units; the operator once told of a proposal)."""
    return get_visible(session, PenaltyCase, case_id, actor.user, lock=lock)


def visible_clause(user: User) -> ColumnElement[bool]:
    """The WHERE clause of the cases a user may see (registry/auth/scope.py)."""
    return clause_for(PenaltyCase, user)


def list_visible(session: Session, *, actor: Actor, state: PenaltyState | None = None, operator_id: int | None = None,
                 after_id: int = 0, limit: int = 50) -> Sequence[PenaltyCase]:
    """Cases in the user's scope, newest last, keyset-paged by id."""
    query = select(PenaltyCase).where(visible_clause(actor.user)).where(col(PenaltyCase.id) > after_id)
    if state is not None:
        query = query.where(PenaltyCase.state == state)
    if operator_id is not None:
        query = query.where(PenaltyCase.operator_id == operator_id)
    return session.exec(query.order_by(col(PenaltyCase.id)).limit(limit)).all()


def open_case(session: Session, *, actor: Actor, data: PenaltyCaseCreate) -> PenaltyCase:
    """立案: an officer of a unit responsible for the operator opens a case and is its first officer."""
    operator = get_visible(session, Operator, data.operator_id, actor.user)
    require_role(actor.user, *PREPARER_ROLES)
    if actor.user.unit_code is None:
        raise Forbidden("账户未属任何公安单位 / the account belongs to no police unit")
    basis = (data.legal_basis or "").strip()
    if data.violation == PenaltyViolation.not_filed:
        basis = basis or NOT_FILED_BASIS
    elif len(basis) < 4:
        raise InvalidInput("请填写法律依据 / give the legal basis for this violation", field="legal_basis")
    assert operator.id is not None
    case = PenaltyCase(operator_id=operator.id, unit_code=actor.user.unit_code, violation=data.violation,
                       legal_basis=basis, facts=data.facts.strip(), opened_by_id=actor.user_id)
    session.add(case)
    session.flush()
    assert case.id is not None
    session.add(PenaltyOfficer(case_id=case.id, user_id=actor.user_id))
    _step(session, actor, case, "open", data.violation.value)
    return case


def join(session: Session, *, actor: Actor, case_id: int) -> PenaltyCase:
    """Another officer of the unit joins the case (each officer joins as themselves: two distinct people)."""
    case = get(session, actor=actor, case_id=case_id, lock=True)
    _require_unit_officer(actor, case)
    _require_state(case, PenaltyState.preparing)
    if actor.user_id in officer_ids(session, case_id):
        raise Conflict("你已是本案办案民警 / you already handle this case")
    session.add(PenaltyOfficer(case_id=case_id, user_id=actor.user_id))
    _step(session, actor, case, "join")
    return case


def add_evidence(session: Session, *, actor: Actor, case_id: int, description: str, filename: str, data: bytes,
                 settings: Settings) -> PenaltyEvidence:
    """Attach evidence or written material (PDF, PNG, JPEG), stored under its SHA-256 like filing materials."""
    case = get(session, actor=actor, case_id=case_id, lock=True)
    require_handler(session, actor, case)
    _require_state(case, PenaltyState.preparing)
    text = description.strip()
    if not 2 <= len(text) <= 200:
        raise InvalidInput("请说明这份证据（2–200 字）/ describe the evidence (2-200 characters)", field="description")
    materials.check_size(len(data), settings.max_upload_bytes)
    mime = materials.sniff(data)
    digest = materials.store(settings.materials_dir, data)
    evidence = PenaltyEvidence(case_id=case_id, description=text, sha256=digest, mime=mime, size=len(data),
                               filename=Path(filename or "upload").name[:255], uploaded_by_id=actor.user_id)
    session.add(evidence)
    session.flush()
    _step(session, actor, case, "evidence", text, {"evidence_id": evidence.id, "sha256": digest})
    return evidence


def evidence_of(session: Session, case_id: int) -> list[PenaltyEvidence]:
    """A case's evidence, in the order it was added."""
    return list(session.exec(select(PenaltyEvidence).where(PenaltyEvidence.case_id == case_id)
                             .order_by(col(PenaltyEvidence.id))).all())


def read_evidence(session: Session, *, actor: Actor, case_id: int, evidence_id: int,
                  settings: Settings) -> tuple[PenaltyEvidence, Path]:
    """Evidence of a case an officer may see and the path of its bytes; every read is audited."""
    case = get(session, actor=actor, case_id=case_id)
    if actor.user.role == Role.operator:
        raise Forbidden("证据材料仅供办案使用 / evidence is for the police only")
    evidence = session.get(PenaltyEvidence, evidence_id)
    if evidence is None or evidence.case_id != case.id:
        raise NotFound(f"证据 {evidence_id} 不存在 / evidence {evidence_id} not found")
    audit.append(session, actor=actor, action="penalty.evidence.read", object_type="penalty_case",
                 object_id=case.id, details={"evidence_id": evidence_id, "sha256": evidence.sha256})
    return evidence, materials.stored_path(settings.materials_dir, evidence.sha256, "证据材料")


def propose(session: Session, *, actor: Actor, case_id: int, data: PenaltyProposal) -> PenaltyCase:
    """处罚意见: a handler proposes the decision once two officers handle the case and evidence is attached.

    The proposal tells the operator the facts, the basis and the intended penalty, and its right to state
    its case (陈述、申辩) before the leader decides.
    """
    case = get(session, actor=actor, case_id=case_id, lock=True)
    require_handler(session, actor, case)
    _require_state(case, PenaltyState.preparing)
    missing = []
    if len(officer_ids(session, case_id)) < MIN_OFFICERS:
        missing.append("至少二名办案民警 / at least two officers")
    if not evidence_of(session, case_id):
        missing.append("证据材料 / evidence")
    if missing:
        raise Conflict("还不能提出处罚意见，缺少：" + "；".join(m.split(" / ")[0] for m in missing)
                       + " / cannot propose yet, missing: " + "; ".join(m.split(" / ")[1] for m in missing),
                       details={"missing": missing})
    if data.decision == PenaltyDecision.fine and data.fine_yuan is None:
        raise InvalidInput("罚款须写明金额 / a fine needs its amount", field="fine_yuan")
    if data.decision == PenaltyDecision.warning and data.fine_yuan is not None:
        raise InvalidInput("警告不写罚款金额 / a warning has no amount", field="fine_yuan")
    case.decision, case.fine_yuan, case.proposal_reason = data.decision, data.fine_yuan, data.reason.strip()
    case.proposed_at, case.proposed_by_id, case.state = utcnow(), actor.user_id, PenaltyState.proposed
    case.approved_at = case.approved_by_id = case.approval_opinion = None
    session.add(case)
    _step(session, actor, case, "propose", data.reason.strip(),
          {"decision": data.decision.value, "fine_yuan": data.fine_yuan})
    return case


def state_case(session: Session, *, actor: Actor, case_id: int, text: str) -> PenaltyCase:
    """陈述申辩: the operator answers a proposed penalty before the leader decides."""
    case = get(session, actor=actor, case_id=case_id, lock=True)
    require_role(actor.user, Role.operator)
    _require_state(case, PenaltyState.proposed)
    if case.statement is not None:
        raise Conflict("已提交陈述申辩 / the statement was already given")
    case.statement, case.statement_at = text.strip(), utcnow()
    session.add(case)
    _step(session, actor, case, "statement", text.strip())
    return case


def _require_leader(session: Session, actor: Actor, case: PenaltyCase) -> None:
    require_role(actor.user, Role.leader)
    if actor.user.unit_code != case.unit_code:
        raise Forbidden(f"只有办案单位 {case.unit_code} 的主管领导可以审批 / only a leader of unit {case.unit_code} "
                        "may approve its cases")
    if actor.user_id in officer_ids(session, case.id or 0):
        raise Forbidden("审批人不能是本案办案民警 / the leader who approves may not be one of the case's officers")


def approve(session: Session, *, actor: Actor, case_id: int, opinion: str) -> PenaltyCase:
    """审批: the unit's leader, who did not handle the case, approves the proposal."""
    case = get(session, actor=actor, case_id=case_id, lock=True)
    _require_leader(session, actor, case)
    _require_state(case, PenaltyState.proposed)
    case.state, case.approved_at, case.approved_by_id = PenaltyState.approved, utcnow(), actor.user_id
    case.approval_opinion = opinion.strip()
    session.add(case)
    _step(session, actor, case, "approve", opinion.strip())
    return case


def send_back(session: Session, *, actor: Actor, case_id: int, opinion: str) -> PenaltyCase:
    """退回: the leader returns the case to its officers with an opinion; they prepare and propose again."""
    case = get(session, actor=actor, case_id=case_id, lock=True)
    _require_leader(session, actor, case)
    _require_state(case, PenaltyState.proposed)
    case.state = PenaltyState.preparing
    session.add(case)
    _step(session, actor, case, "return", opinion.strip())
    return case


def issue(session: Session, *, actor: Actor, case_id: int, settings: Settings) -> PenaltyCase:
    """开具《公安行政处罚决定书》: numbered, rendered once, frozen; the operator sees it on its pages."""
    from registry.penalties import documents

    case = get(session, actor=actor, case_id=case_id, lock=True)
    if actor.user_id != case.approved_by_id:  # the approving leader may hand the decision out himself
        require_handler(session, actor, case)
    _require_state(case, PenaltyState.approved)
    document = documents.issue_decision(session, actor=actor, case=case, settings=settings)
    case.state, case.issued_at, case.issued_by_id = PenaltyState.issued, document.issued_at, actor.user_id
    case.decision_number, case.document_id = document.number, document.id
    session.add(case)
    _step(session, actor, case, "issue", document.number, {"document_id": document.id, "sha256": document.sha256})
    return case


def steps_of(session: Session, case_id: int) -> list[PenaltyStep]:
    """A case's steps, oldest first."""
    return list(session.exec(select(PenaltyStep).where(PenaltyStep.case_id == case_id)
                             .order_by(col(PenaltyStep.id))).all())


def awaiting_approval(session: Session, *, user: User, limit: int = 50) -> list[PenaltyCase]:
    """For a home page's to-do list: the proposals this leader may approve (own unit, not his own cases)."""
    if user.role != Role.leader or user.unit_code is None:
        return []
    own = select(PenaltyOfficer.case_id).where(PenaltyOfficer.user_id == user.id)
    query = (select(PenaltyCase).where(PenaltyCase.state == PenaltyState.proposed)
             .where(PenaltyCase.unit_code == user.unit_code).where(col(PenaltyCase.id).not_in(own))
             .order_by(col(PenaltyCase.proposed_at)).limit(limit))
    return list(session.exec(query).all())
