"""Penalty cases (第十五至十八条; 799号令 第二十九条): officers, evidence, proposal, approval, decision."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import ClassVar

from sqlalchemy import Column, DateTime, Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from registry.text import PlainTextInput
from registry.timeutil import UTCDateTime, utcnow


class PenaltyState(StrEnum):
    """Where a case is: prepared by officers, proposed (the operator told), approved, decision issued."""

    preparing = "preparing"
    proposed = "proposed"
    approved = "approved"
    issued = "issued"


class PenaltyViolation(StrEnum):
    """What the operator did wrong; `other` needs the legal basis written out."""

    not_filed = "not_filed"
    other = "other"


class PenaltyDecision(StrEnum):
    """The kinds of penalty 第十六条 allows: 警告、罚款."""

    warning = "warning"
    fine = "fine"


# 第十二条 refers to 《管理办法》第二十二条; 799号令 第二十九条: order to correct, then a fine of at most 10,000 元.
NOT_FILED_BASIS = ("京公科信字〔2013〕1000号 第十二条；《公共安全视频图像信息系统管理条例》（国务院令第799号）"
                   "第二十九条")
MAX_FINE_YUAN = 10_000


class PenaltyCase(SQLModel, table=True):
    """One case against an operator, handled by a unit; every step is also an audit event."""

    __tablename__ = "penalty_case"
    __table_args__ = (
        Index("ix_penalty_case_operator_id_id", "operator_id", "id"),
        Index("ix_penalty_case_unit_code_id", "unit_code", "id"),
        Index("ix_penalty_case_state_id", "state", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    operator_id: int = Field(foreign_key="operator.id")
    unit_code: str = Field(foreign_key="police_unit.code", max_length=8, description="the unit handling the case")
    state: PenaltyState = PenaltyState.preparing
    violation: PenaltyViolation
    legal_basis: str = Field(max_length=500)
    facts: str = Field(sa_column=Column(Text, nullable=False))
    opened_at: datetime = Field(default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False))
    opened_by_id: int = Field(foreign_key="app_user.id")
    decision: PenaltyDecision | None = None
    fine_yuan: int | None = None
    proposal_reason: str | None = Field(default=None, sa_column=Column(Text))
    proposed_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))
    proposed_by_id: int | None = Field(default=None, foreign_key="app_user.id")
    statement: str | None = Field(default=None, sa_column=Column(Text), description="the operator's 陈述申辩")
    statement_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))
    approved_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))
    approved_by_id: int | None = Field(default=None, foreign_key="app_user.id")
    approval_opinion: str | None = Field(default=None, max_length=500)
    decision_number: str | None = Field(default=None, max_length=32, unique=True)
    issued_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))
    issued_by_id: int | None = Field(default=None, foreign_key="app_user.id")
    document_id: int | None = Field(default=None, foreign_key="issued_document.id")


class PenaltyOfficer(SQLModel, table=True):
    """An officer handling a case (第十八条: 二名以上民警); each joined the case themselves."""

    __tablename__ = "penalty_officer"
    __table_args__ = (UniqueConstraint("case_id", "user_id", name="uq_penalty_officer"),)

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="penalty_case.id", index=True)
    user_id: int = Field(foreign_key="app_user.id")
    joined_at: datetime = Field(default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False))


class PenaltyEvidence(SQLModel, table=True):
    """A piece of evidence or written material; the bytes are stored like filing materials."""

    __tablename__ = "penalty_evidence"

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="penalty_case.id", index=True)
    description: str = Field(max_length=200)
    sha256: str = Field(max_length=64)
    mime: str = Field(max_length=50)
    size: int
    filename: str = Field(max_length=255)
    uploaded_at: datetime = Field(default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False))
    uploaded_by_id: int = Field(foreign_key="app_user.id")


class PenaltyStep(SQLModel, table=True):
    """The case's own record of who did what and when (the audit log holds the same, chained)."""

    __tablename__ = "penalty_step"

    id: int | None = Field(default=None, primary_key=True)
    case_id: int = Field(foreign_key="penalty_case.id", index=True)
    step: str = Field(max_length=20)
    user_id: int | None = Field(default=None, foreign_key="app_user.id")
    at: datetime = Field(default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False))
    note: str = Field(default="", sa_column=Column(Text, nullable=False))


# --- API schemas ----------------------------------------------------------------------------------------


class PenaltyCaseCreate(PlainTextInput):
    """Opening a case: against whom, for what, the facts found."""

    multiline_fields: ClassVar[frozenset[str]] = frozenset({"facts"})

    operator_id: int
    violation: PenaltyViolation
    legal_basis: str | None = Field(default=None, max_length=500,
                                    description="required for `other`; `not_filed` cites 第十二条 / 799号令 第二十九条")
    facts: str = Field(min_length=5, max_length=5000, description="违法事实 as the officers found them")


class PenaltyProposal(PlainTextInput):
    """The officers' proposed decision (处罚意见)."""

    multiline_fields: ClassVar[frozenset[str]] = frozenset({"reason"})

    decision: PenaltyDecision
    fine_yuan: int | None = Field(default=None, ge=1, le=MAX_FINE_YUAN, description="元, for a fine only")
    reason: str = Field(min_length=2, max_length=2000)


class PenaltyOpinion(PlainTextInput):
    """The leader's opinion when approving or returning a case."""

    opinion: str = Field(default="同意", min_length=1, max_length=500)


class PenaltyStatement(PlainTextInput):
    """The operator's 陈述申辩 on a proposed penalty."""

    multiline_fields: ClassVar[frozenset[str]] = frozenset({"text"})

    text: str = Field(min_length=2, max_length=5000)


class PenaltyOfficerPublic(SQLModel):
    """An officer on a case."""

    user_id: int
    full_name: str
    joined_at: UTCDateTime


class PenaltyEvidencePublic(SQLModel):
    """Evidence metadata (reading the file is audited)."""

    id: int
    case_id: int
    description: str
    sha256: str
    mime: str
    size: int
    filename: str
    uploaded_at: UTCDateTime
    uploaded_by_id: int


class PenaltyStepPublic(SQLModel):
    """One step of a case."""

    step: str
    user_id: int | None
    at: UTCDateTime
    note: str


class PenaltyCasePublic(SQLModel):
    """A case as the API returns it."""

    id: int
    operator_id: int
    unit_code: str
    state: PenaltyState
    violation: PenaltyViolation
    legal_basis: str
    facts: str
    opened_at: UTCDateTime
    opened_by_id: int
    decision: PenaltyDecision | None
    fine_yuan: int | None
    proposal_reason: str | None
    proposed_at: UTCDateTime | None
    statement: str | None
    statement_at: UTCDateTime | None
    approved_at: UTCDateTime | None
    approved_by_id: int | None
    approval_opinion: str | None
    decision_number: str | None
    issued_at: UTCDateTime | None
    document_id: int | None


class PenaltyCaseDetail(PenaltyCasePublic):
    """A case with its officers, evidence and steps."""

    officers: list[PenaltyOfficerPublic]
    evidence: list[PenaltyEvidencePublic]
    steps: list[PenaltyStepPublic]
