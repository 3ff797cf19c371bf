"""The 公安行政处罚决定书 (第十八条): what goes in, its number, issuing it once and reading it back."""

from __future__ import annotations

from sqlmodel import Session

from registry.actor import Actor
from registry.auth.models import User
from registry.documents import service as documents
from registry.documents.kinds import PENALTY_DECISION, PenaltyDecisionData
from registry.documents.models import IssuedDocument
from registry.errors import NotFound
from registry.numbering.models import NumberKind
from registry.numbering.service import next_number
from registry.operators.models import Operator
from registry.penalties.models import PenaltyCase, PenaltyDecision, PenaltyState
from registry.settings import Settings
from registry.timeutil import as_utc, beijing_today
from registry.units.models import PoliceUnit

SUBJECT = "penalty_case"
COPIES = ("交被处罚单位", "附卷存档")  # 第十八条: one to the operator, one kept by the deciding unit


def numbering_unit(session: Session, unit_code: str) -> str:
    """The 3-digit code whose sequence numbers the decision: the unit's own, or a station's branch."""
    if len(unit_code) == 3:
        return unit_code
    unit = session.get(PoliceUnit, unit_code)
    if unit is None or unit.parent_code is None:
        return unit_code
    return unit.parent_code


def _name(session: Session, user_id: int | None) -> str:
    user = session.get(User, user_id) if user_id is not None else None
    return user.full_name if user else "——"


def decision_text(case: PenaltyCase) -> str:
    """The decision in words: 警告 / 罚款人民币 N 元."""
    if case.decision == PenaltyDecision.fine:
        return f"罚款人民币{case.fine_yuan}元"
    return "警告"


def issue_decision(session: Session, *, actor: Actor, case: PenaltyCase, settings: Settings) -> IssuedDocument:
    """Number, render, store and record the decision in the issuing step's transaction."""
    from registry.penalties.service import officer_ids

    operator = session.get_one(Operator, case.operator_id)
    assert case.id is not None and case.approved_at is not None and case.decision is not None
    now = as_utc(case.approved_at)
    number = next_number(session, unit_code=numbering_unit(session, case.unit_code),
                         year=beijing_today().year, kind=NumberKind.penalty)
    unit = documents.unit_title(session, case.unit_code, authority=settings.authority_name)
    data = PenaltyDecisionData(
        number=number, operator_name=operator.name, uscc=operator.uscc, operator_address=operator.address,
        contact_name=operator.contact_name, facts=case.facts, legal_basis=case.legal_basis,
        decision=decision_text(case), fine_yuan=case.fine_yuan, statement=case.statement,
        officers=[_name(session, uid) for uid in officer_ids(session, case.id)],
        leader=_name(session, case.approved_by_id), approved_on=beijing_today(now), issued_on=beijing_today(),
        issuing_unit=unit, copies=list(COPIES))
    return documents.issue(session, actor=actor, kind=PENALTY_DECISION, data=data, subject_type=SUBJECT,
                           subject_id=case.id, operator_id=case.operator_id, filing_id=None, number=number,
                           unit_code=case.unit_code, settings=settings)


def read_decision(session: Session, *, actor: Actor, case: PenaltyCase, settings: Settings) -> tuple[bytes, str]:
    """The decision's bytes as issued (audited) and a file name."""
    if case.state != PenaltyState.issued or case.document_id is None:
        raise NotFound("本案尚未开具处罚决定书 / no decision has been issued for this case")
    document = session.get_one(IssuedDocument, case.document_id)
    return documents.read(session, actor=actor, document=document, settings=settings), \
        f"公安行政处罚决定书-{document.number}.pdf"
