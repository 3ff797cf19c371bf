"""The kinds of document, the data each one takes, and the registry other domains add their kinds to.

A domain builds a kind's data (what goes in); the kind's Typst template decides how it looks. The
supervision work adds 检查笔录 and 公安行政处罚决定书 the same way: a data model, a template in
`templates/`, and one `register(...)` call.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from pydantic import BaseModel, ConfigDict, Field

from registry.errors import NotFound


class DocumentData(BaseModel):
    """Base of every kind's data: closed, so a misspelt field fails at once instead of printing a blank."""

    model_config = ConfigDict(extra="forbid")


class CameraLine(DocumentData):
    """One camera as a document lists it."""

    code: str | None = None
    name: str
    position: str
    device_type: str = ""
    ip: str | None = None


class ReceiptData(DocumentData):
    """备案回执单: the number is the filing number (第三节)."""

    number: str
    operator_name: str
    uscc: str
    system_name: str
    system_location: str
    camera_count: int
    camera_types: str
    retention_days: int
    submitted_on: date
    filed_on: date
    changes_number: str | None = None
    issuing_unit: str


class DefectLine(DocumentData):
    """One missing or wrong item on a correction notice."""

    label: str
    message: str


class CorrectionNoticeData(DocumentData):
    """补正材料通知单: its own number, every defect at once, the 10-working-day limit."""

    number: str
    filing_number: str | None
    operator_name: str
    system_name: str
    submitted_on: date
    issued_on: date
    items: list[DefectLine] = Field(min_length=1)
    due_workdays: int
    due_date: date
    due_provisional: bool = False
    officer_name: str
    issuing_unit: str


class CheckLine(DocumentData):
    """A material examined for the review form: present or not, and what was seen."""

    label: str
    present: bool
    note: str = ""


class StepLine(DocumentData):
    """One step of the examination: who did it, when, with what result."""

    step: str
    unit: str
    officer: str
    on: date | None
    result: str = ""


class CorrectionSummary(DocumentData):
    """The correction notice as the review form records it."""

    number: str
    issued_on: date
    items: int
    corrected_on: date | None
    late: bool


class ReviewFormData(DocumentData):
    """备案审核表: the two officers' examination, the conclusion, and the camera list with codes."""

    number: str
    operator_name: str
    uscc: str
    operator_address: str
    contact: str
    system_name: str
    system_location: str
    acceptance_date: date | None = None
    system_in_use_date: date
    retention_days: int
    camera_count_declared: int
    camera_types: str
    filing_kind: str
    changes_number: str | None = None
    channel: str
    late_note: str = ""
    submitted_on: date
    checks: list[CheckLine]
    correction: CorrectionSummary | None = None
    steps: list[StepLine]
    conclusion: str
    filed_on: date
    issuing_unit: str
    cameras: list[CameraLine]


class BasicInfoData(DocumentData):
    """备案基本信息表 pre-filled from what the operator entered (799号令: location, cameras, retention)."""

    number: str | None = None
    operator_name: str
    uscc: str
    operator_address: str
    industry: str
    contact_name: str
    contact_phone: str
    system_name: str
    system_location: str
    acceptance_date: date | None = None
    system_in_use_date: date
    retention_days: int
    camera_count: int
    camera_types: str
    network: str
    filing_unit: str
    cameras: list[CameraLine] = Field(default_factory=list)


class AuthorizationData(DocumentData):
    """委托办理备案登记授权书: blank, or with the operator and the unit filled in."""

    operator_name: str | None = None
    filing_unit: str | None = None


class PenaltyDecisionData(DocumentData):
    """公安行政处罚决定书: the case, the decision, the rights; printed once per copy."""

    number: str
    operator_name: str
    uscc: str
    operator_address: str
    contact_name: str
    facts: str
    legal_basis: str
    decision: str
    fine_yuan: int | None = None
    statement: str | None = None
    officers: list[str]
    leader: str
    approved_on: date
    issued_on: date
    issuing_unit: str
    copies: list[str]


@dataclass(frozen=True)
class DocumentKind:
    """A kind of document: its name in URLs, its Chinese title, its template and its data."""

    name: str
    title: str
    template: str
    data_model: type[DocumentData]
    issued: bool
    """Issued kinds are stored once when issued, carry a QR code and verify; the others render on demand."""
    blank: bool = False
    """Whether an empty form can be downloaded without a filing."""


_KINDS: dict[str, DocumentKind] = {}


def register(kind: DocumentKind) -> DocumentKind:
    """Add a kind (once; registering the same name with a different definition is a programming error)."""
    known = _KINDS.get(kind.name)
    if known is not None and known != kind:
        raise ValueError(f"document kind {kind.name!r} is already registered differently")
    _KINDS[kind.name] = kind
    return kind


def get_kind(name: str) -> DocumentKind:
    """The kind of this name, or 404 naming the known kinds."""
    kind = _KINDS.get(name)
    if kind is None:
        known = ", ".join(sorted(_KINDS))
        raise NotFound(f"文书种类 {name[:40]} 不存在 / unknown document kind {name[:40]!r} (known: {known})",
                       field="kind", details={"known": sorted(_KINDS)})
    return kind


def all_kinds() -> list[DocumentKind]:
    """Every registered kind, in registration order."""
    return list(_KINDS.values())


RECEIPT = register(DocumentKind("receipt", "备案回执单", "receipt.typ", ReceiptData, issued=True))
CORRECTION_NOTICE = register(DocumentKind("correction_notice", "补正材料通知单", "correction_notice.typ",
                                          CorrectionNoticeData, issued=True))
REVIEW_FORM = register(DocumentKind("review_form", "备案审核表", "review_form.typ", ReviewFormData, issued=True))
BASIC_INFO = register(DocumentKind("basic_info", "备案基本信息表", "basic_info.typ", BasicInfoData, issued=False))
AUTHORIZATION = register(DocumentKind("authorization", "委托办理备案登记授权书", "authorization.typ",
                                      AuthorizationData, issued=False, blank=True))
PENALTY_DECISION = register(DocumentKind("penalty_decision", "公安行政处罚决定书", "penalty_decision.typ",
                                         PenaltyDecisionData, issued=True))
