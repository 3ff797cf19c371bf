"""核对: the verifying unit checks the materials against the site before the filing unit files (notice, 第一节).

The notice's steps: 受理审查 (the filing unit's first officer examines and accepts), 核对 (the verifying
unit — the station for an operator without security affiliation, the business department of the
affiliated unit — compares the materials with reality on site), 复查/复核 (a second officer of the filing
unit's 科信部门 re-checks and files). Where the verifying unit is the filing unit itself (rules 1–4 share a
unit code), that unit records the 核对.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import ColumnElement, and_, not_
from sqlmodel import Session, col, select

from registry.actor import Actor
from registry.audit import service as audit
from registry.auth.models import Role
from registry.auth.scope import get_visible, require_role
from registry.errors import Conflict, Forbidden, InvalidInput
from registry.filings.models import (
    CLOCK_RUNNING,
    Filing,
    FilingState,
    Verification,
    VerificationCreate,
    VerificationResult,
    state_in,
)
from registry.operators.models import Operator
from registry.scans.models import Scan
from registry.timeutil import utcnow

# Who records a 核对: the verifying unit's officers (a station's police, a department's staff).
VERIFY_ROLES = (Role.inspector, Role.intake, Role.reviewer)


def verifying_unit(session: Session, filing: Filing) -> str:
    """The unit that verifies this filing (routed onto its operator, SPEC §2)."""
    return session.get_one(Operator, filing.operator_id).verifying_unit_code


def record(session: Session, *, actor: Actor, filing_id: int, data: VerificationCreate,
           now: datetime | None = None) -> Verification:
    """Record the verifying unit's 核对 of an accepted (or corrected) filing: matches or differs."""
    filing = get_visible(session, Filing, filing_id, actor.user, lock=True)
    require_role(actor.user, *VERIFY_ROLES)
    unit = verifying_unit(session, filing)
    if actor.user.unit_code != unit:
        raise Forbidden(f"只有核对单位 {unit} 可以核对 / only the verifying unit {unit} may verify this filing")
    if filing.state not in CLOCK_RUNNING:
        waiting = "，待使用单位补正后再核对" if filing.state == FilingState.correction_requested else ""
        raise Conflict(f"备案当前状态为 {filing.state.value}，不能核对{waiting} / filing is {filing.state.value}; "
                       "a 核对 needs accepted / corrected", details={"state": filing.state.value})
    if data.scan_id is not None:
        scan = session.get(Scan, data.scan_id)
        if scan is None or scan.filing_id != filing.id:
            raise InvalidInput("该扫描不属于本备案 / the scan was not uploaded for this filing", field="scan_id")
    at = now or utcnow()
    row = Verification(filing_id=filing_id, unit_code=unit, result=data.result, notes=data.notes.strip(),
                       scan_id=data.scan_id, verified_at=at, verified_by_id=actor.user_id)
    filing.verified_at, filing.verified_by_id, filing.verification_result = at, actor.user_id, data.result.value
    filing.updated_at = at
    session.add_all([row, filing])
    session.flush()
    audit.append(session, actor=actor, action="filing.verify", object_type="filing", object_id=filing_id,
                 details={"result": data.result.value, "unit": unit, "scan_id": data.scan_id,
                          "verification_id": row.id})
    return row


def forget_after_correction(filing: Filing) -> None:
    """A correction changes the materials: the next decision needs a 核对 of the corrected ones."""
    filing.verified_at, filing.verified_by_id, filing.verification_result = None, None, None


def require_verified(session: Session, filing: Filing, actor: Actor) -> None:
    """Filing waits for a 核对 that found the site as filed, by someone other than the one who files."""
    unit = verifying_unit(session, filing)
    if filing.verification_result is None:
        raise Conflict(f"备案当前状态为 {filing.state.value}，尚未核对：须由核对单位 {unit} 先核对备案材料与现场 / "
                       f"filing is {filing.state.value} and not yet verified (核对) by unit {unit}",
                       details={"state": filing.state.value, "verification": "pending", "verifying_unit_code": unit})
    if filing.verification_result == VerificationResult.differs.value:
        raise Conflict(f"备案当前状态为 {filing.state.value}，核对结果与现场不符：请通知补正或不予备案 / filing is "
                       f"{filing.state.value}; the 核对 found the site differs: request a correction or reject",
                       details={"state": filing.state.value, "verification": "differs", "verifying_unit_code": unit})
    if filing.verified_by_id == actor.user_id:
        raise Conflict("复核须由核对人以外的民警进行 / the re-check must be done by an officer other than the one "
                       "who verified", details={"state": filing.state.value, "rule": "two_person"})


def is_due(filing: Filing) -> bool:
    """Whether the filing waits for a 核对 now (the same test as `awaiting_clause`)."""
    return filing.state in CLOCK_RUNNING and filing.verification_result is None


def awaiting_clause(awaiting: bool = True) -> ColumnElement[bool]:
    """Filings whose 核对 is due (clock running, none recorded since acceptance or the last correction)."""
    due = and_(state_in(CLOCK_RUNNING), col(Filing.verification_result).is_(None))
    return due if awaiting else not_(due)


def history(session: Session, *, actor: Actor, filing_id: int) -> Sequence[Verification]:
    """Every 核对 of a filing, oldest first (visible to whoever sees the filing)."""
    get_visible(session, Filing, filing_id, actor.user)
    return session.exec(select(Verification).where(Verification.filing_id == filing_id)
                        .order_by(col(Verification.verified_at), col(Verification.id))).all()
