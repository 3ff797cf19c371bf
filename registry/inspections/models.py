"""Inspection, checklist, rectification and spot-check tables with their schemas."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any, ClassVar

from sqlalchemy import JSON, Column, DateTime, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from registry.text import PlainTextInput
from registry.timeutil import UTCDateTime, utcnow


class InspectionKind(StrEnum):
    """第十四条: 定期检查、临时检查、专项检查、随机抽查."""

    periodic = "periodic"
    ad_hoc = "ad_hoc"
    special = "special"
    random = "random"


class InspectionState(StrEnum):
    """Being recorded on site, or recorded (signed by the operator's representative, or the refusal noted)."""

    open = "open"
    signed = "signed"
    refused = "refused"


RECORDED = (InspectionState.signed, InspectionState.refused)


class ItemResult(StrEnum):
    """One checklist line: conforming, a hazard (with a note), or not applicable."""

    ok = "ok"
    hazard = "hazard"
    na = "na"


class RectificationState(StrEnum):
    """An 整改通知: open until a follow-up inspection closes it or escalates it (to a penalty case)."""

    open = "open"
    closed = "closed"
    escalated = "escalated"


class SupervisionCounter(SQLModel, table=True):
    """Last number used per (unit, year, kind) for inspection records and rectification notices."""

    __tablename__ = "supervision_counter"

    unit_code: str = Field(primary_key=True, max_length=8)
    year: int = Field(primary_key=True)
    kind: str = Field(primary_key=True, max_length=20)
    last: int = 0


class ChecklistItem(SQLModel, table=True):
    """One line of the 安全检查内容表 (editable by the city department's administrator)."""

    __tablename__ = "checklist_item"

    key: str = Field(primary_key=True, max_length=40)
    label: str = Field(max_length=200)
    article: str = Field(default="", max_length=100, description="the rule it checks, e.g. 799号令第十三条")
    position: int = 0
    active: bool = True
    signage: bool = Field(default=False, description="the 提示标识 line (799号令第十三条)")


class ChecklistItemCreate(PlainTextInput):
    """A new checklist line."""

    key: str = Field(min_length=2, max_length=40, regex=r"^[a-z][a-z0-9_]*$")
    label: str = Field(min_length=2, max_length=200)
    article: str = Field(default="", max_length=100)
    position: int = Field(default=100, ge=0, le=10_000)
    signage: bool = False


class ChecklistItemUpdate(PlainTextInput):
    """Changes to a checklist line; a retired line (active=false) is no longer asked."""

    label: str | None = Field(default=None, min_length=2, max_length=200)
    article: str | None = Field(default=None, max_length=100)
    position: int | None = Field(default=None, ge=0, le=10_000)
    active: bool | None = None


class Inspection(SQLModel, table=True):
    """One on-site inspection of an operator by at least two officers of a unit, and its 检查笔录."""

    __tablename__ = "inspection"
    __table_args__ = (
        Index("ix_inspection_operator_id_inspected_on", "operator_id", "inspected_on"),
        Index("ix_inspection_unit_code_inspected_on", "unit_code", "inspected_on"),
        Index("ix_inspection_inspected_on_id", "inspected_on", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    number: str = Field(max_length=24, unique=True)
    operator_id: int = Field(foreign_key="operator.id")
    unit_code: str = Field(foreign_key="police_unit.code", max_length=8)
    kind: InspectionKind
    state: InspectionState = InspectionState.open
    inspected_on: date
    place: str = Field(default="", max_length=300)
    officer_ids: list[int] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    officer_names: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    scan_id: int | None = Field(default=None, foreign_key="scan.id")
    findings: str = Field(default="", max_length=4000)
    representative_name: str | None = Field(default=None, max_length=50)
    representative_title: str | None = Field(default=None, max_length=50)
    representative_statement: str | None = Field(default=None, max_length=2000)
    refusal_note: str | None = Field(default=None, max_length=1000)
    created_by_id: int = Field(foreign_key="app_user.id")
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(DateTime(timezone=True)))
    recorded_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))
    reviewed_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))
    reviewed_by_id: int | None = Field(default=None, foreign_key="app_user.id")
    review_comment: str | None = Field(default=None, max_length=2000)


class InspectionItem(SQLModel, table=True):
    """One answered checklist line of an inspection; the label is copied so later edits leave records as made."""

    __tablename__ = "inspection_item"
    __table_args__ = (UniqueConstraint("inspection_id", "key", name="uq_inspection_item_key"),)

    id: int | None = Field(default=None, primary_key=True)
    inspection_id: int = Field(foreign_key="inspection.id", index=True)
    operator_id: int = Field(foreign_key="operator.id")
    key: str = Field(max_length=40)
    label: str = Field(max_length=200)
    article: str = Field(default="", max_length=100)
    position: int = 0
    signage: bool = False
    result: ItemResult | None = None
    note: str = Field(default="", max_length=1000)


class InspectionPhoto(SQLModel, table=True):
    """A photo taken on site, stored like a material under its SHA-256."""

    __tablename__ = "inspection_photo"

    id: int | None = Field(default=None, primary_key=True)
    inspection_id: int = Field(foreign_key="inspection.id", index=True)
    operator_id: int = Field(foreign_key="operator.id")
    sha256: str = Field(max_length=64)
    mime: str = Field(max_length=50)
    size: int
    filename: str = Field(max_length=255)
    caption: str = Field(default="", max_length=200)
    uploaded_at: datetime = Field(default_factory=utcnow, sa_column=Column(DateTime(timezone=True)))
    uploaded_by_id: int = Field(foreign_key="app_user.id")


class Rectification(SQLModel, table=True):
    """整改通知: the hazards an inspection found, a deadline in working days, closed or escalated by a follow-up."""

    __tablename__ = "rectification"
    __table_args__ = (
        Index("ix_rectification_unit_code_state_due", "unit_code", "state", "due_date"),
        Index("ix_rectification_state_due_date", "state", "due_date"),
    )

    id: int | None = Field(default=None, primary_key=True)
    number: str = Field(max_length=24, unique=True)
    inspection_id: int = Field(foreign_key="inspection.id", unique=True)
    operator_id: int = Field(foreign_key="operator.id", index=True)
    unit_code: str = Field(foreign_key="police_unit.code", max_length=8)
    items: list[dict[str, Any]] = Field(sa_column=Column(JSON, nullable=False))
    issued_on: date
    workdays: int
    due_date: date
    due_provisional: bool = False
    state: RectificationState = RectificationState.open
    follow_up_inspection_id: int | None = Field(default=None, foreign_key="inspection.id")
    outcome_note: str | None = Field(default=None, max_length=2000)
    closed_on: date | None = None
    closed_by_id: int | None = Field(default=None, foreign_key="app_user.id")


class SpotCheckDraw(SQLModel, table=True):
    """The city department's random sample of inspections in one spot-check window, from a recorded seed."""

    __tablename__ = "spot_check_draw"
    __table_args__ = (UniqueConstraint("year", "season", name="uq_spot_check_draw_window"),)

    id: int | None = Field(default=None, primary_key=True)
    year: int
    season: str = Field(max_length=10, description="june | october: which window of the year")
    seed: str = Field(max_length=64)
    size: int
    population_ids: list[int] = Field(sa_column=Column(JSON, nullable=False))
    sample_ids: list[int] = Field(sa_column=Column(JSON, nullable=False))
    drawn_on: date
    drawn_at: datetime = Field(default_factory=utcnow, sa_column=Column(DateTime(timezone=True)))
    drawn_by_id: int = Field(foreign_key="app_user.id")


class SpotCheckFinding(SQLModel, table=True):
    """What the city department found re-checking one sampled inspection."""

    __tablename__ = "spot_check_finding"
    __table_args__ = (UniqueConstraint("draw_id", "inspection_id", name="uq_spot_check_finding"),)

    id: int | None = Field(default=None, primary_key=True)
    draw_id: int = Field(foreign_key="spot_check_draw.id", index=True)
    inspection_id: int = Field(foreign_key="inspection.id")
    operator_id: int = Field(foreign_key="operator.id")
    conforming: bool
    finding: str = Field(max_length=2000)
    recorded_on: date
    recorded_at: datetime = Field(default_factory=utcnow, sa_column=Column(DateTime(timezone=True)))
    recorded_by_id: int = Field(foreign_key="app_user.id")


# --- API schemas ----------------------------------------------------------------------------------------

class InspectionCreate(PlainTextInput):
    """Open an inspection: the operator, the kind, the day, and the officers (at least two, of the unit)."""

    operator_id: int
    kind: InspectionKind = InspectionKind.periodic
    inspected_on: date | None = Field(default=None, description="Beijing date; today if omitted")
    place: str = Field(default="", max_length=300)
    officer_ids: list[int] = Field(min_length=1, max_length=10, description="民警 of the unit, at least two, distinct")


class ItemAnswer(PlainTextInput):
    """An answer to one checklist line."""

    multiline_fields: ClassVar[frozenset[str]] = frozenset({"note"})

    key: str = Field(min_length=1, max_length=40)
    result: ItemResult
    note: str = Field(default="", max_length=1000)


class ItemAnswers(SQLModel):
    """Answers to some or all checklist lines."""

    items: list[ItemAnswer] = Field(min_length=1, max_length=100)


class ScanAttach(SQLModel):
    """The discrepancy scan uploaded for the operator's filing, attached to the inspection."""

    scan_id: int


class InspectionRecord(PlainTextInput):
    """Close the 检查笔录: what was found, the representative's signature or the refusal, the rectification period."""

    multiline_fields: ClassVar[frozenset[str]] = frozenset({"findings", "representative_statement", "refusal_note"})

    findings: str = Field(default="", max_length=4000, description="检查情况")
    representative_name: str = Field(min_length=1, max_length=50)
    representative_title: str = Field(default="", max_length=50)
    signed: bool = Field(description="true: the representative signed; false: refused, the refusal is noted")
    representative_statement: str = Field(default="", max_length=2000, description="their objection, if any")
    refusal_note: str = Field(default="", max_length=1000, description="required when the representative refused")
    rectification_workdays: int = Field(default=10, ge=1, le=60, description="整改期限 in working days")


class ReviewInput(PlainTextInput):
    """科信 review of one inspection in its window."""

    multiline_fields: ClassVar[frozenset[str]] = frozenset({"comment"})

    comment: str = Field(min_length=1, max_length=2000)


class FollowUpInput(PlainTextInput):
    """A follow-up inspection closing or escalating a rectification notice."""

    multiline_fields: ClassVar[frozenset[str]] = frozenset({"note"})

    inspection_id: int
    rectified: bool = Field(description="true closes the notice; false escalates it (a penalty case follows)")
    note: str = Field(min_length=1, max_length=2000)


class DrawInput(PlainTextInput):
    """A spot-check draw: its size, and optionally the seed (a random one is recorded otherwise)."""

    size: int = Field(default=20, ge=1, le=1000)
    seed: str | None = Field(default=None, min_length=1, max_length=64, regex=r"^[0-9A-Za-z_-]+$")


class FindingInput(PlainTextInput):
    """What the city department found re-checking one sampled inspection."""

    multiline_fields: ClassVar[frozenset[str]] = frozenset({"finding"})

    inspection_id: int
    conforming: bool
    finding: str = Field(min_length=1, max_length=2000)


class InspectionItemPublic(SQLModel):
    """A checklist line as answered."""

    key: str
    label: str
    article: str
    signage: bool
    result: ItemResult | None
    note: str


class InspectionPhotoPublic(SQLModel):
    """A photo's metadata (reading the bytes is audited)."""

    id: int
    inspection_id: int
    mime: str
    size: int
    filename: str
    caption: str
    uploaded_at: UTCDateTime


class InspectionPublic(SQLModel):
    """An inspection with its checklist, officers, scan summary and signature."""

    id: int
    number: str
    operator_id: int
    unit_code: str
    kind: InspectionKind
    state: InspectionState
    inspected_on: date
    place: str
    officer_ids: list[int]
    officer_names: list[str]
    scan_id: int | None
    scan_counts: dict[str, int] | None = None
    findings: str
    representative_name: str | None
    representative_title: str | None
    representative_statement: str | None
    refusal_note: str | None
    recorded_at: UTCDateTime | None
    reviewed_at: UTCDateTime | None
    reviewed_by_id: int | None
    review_comment: str | None
    items: list[InspectionItemPublic] = []
    rectification_id: int | None = None
    document_id: int | None = None


class RectificationPublic(SQLModel):
    """An 整改通知 as the API returns it."""

    id: int
    number: str
    inspection_id: int
    operator_id: int
    unit_code: str
    items: list[dict[str, Any]]
    issued_on: date
    workdays: int
    due_date: date
    due_provisional: bool
    state: RectificationState
    follow_up_inspection_id: int | None
    outcome_note: str | None
    closed_on: date | None
    overdue: bool = False


class SpotCheckDrawPublic(SQLModel):
    """A recorded draw: the seed, the population and the sample, so anyone can draw it again."""

    id: int
    year: int
    season: str
    seed: str
    size: int
    population_ids: list[int]
    sample_ids: list[int]
    drawn_on: date
    drawn_at: UTCDateTime


class SpotCheckFindingPublic(SQLModel):
    """A recorded spot-check finding."""

    id: int
    draw_id: int
    inspection_id: int
    conforming: bool
    finding: str
    recorded_on: date
