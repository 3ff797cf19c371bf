"""Filing, correction-notice and material tables with their schemas."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any, ClassVar

from pydantic import computed_field, field_validator, model_validator
from sqlalchemy import (
    JSON,
    Column,
    ColumnElement,
    Date,
    DateTime,
    Index,
    UniqueConstraint,
    bindparam,
    func,
    literal_column,
    text,
)
from sqlmodel import Field, SQLModel, col

from registry.operators.models import PlaceKind
from registry.resident_id import check_resident_id
from registry.text import PlainTextInput
from registry.timeutil import UTCDateTime, beijing_today, utcnow


class FilingState(StrEnum):
    """Where a filing is in the workflow (SPEC §5); a draft is the operator's own until it is submitted."""

    draft = "draft"
    submitted = "submitted"
    accepted = "accepted"
    correction_requested = "correction_requested"
    corrected = "corrected"
    filed = "filed"
    rejected = "rejected"
    superseded = "superseded"  # a change filing of it was filed (第十条): the newer one is in force


# Finished: no step is left, and no change may be started from it except from `filed`.
CLOSED_STATES = (FilingState.filed, FilingState.rejected, FilingState.superseded)


# Accepted and not yet decided (the filing unit's 15-working-day case is open).
AWAITING_DECISION = (FilingState.accepted, FilingState.corrected, FilingState.correction_requested)
# The police clock runs: accepted or corrected. While the operator corrects (correction_requested) it is
# suspended, so such a filing is never 办理超期 (police past the deadline).
CLOCK_RUNNING = (FilingState.accepted, FilingState.corrected)
# The verifying unit may record its 核对 (on-site check of materials against reality) until the decision.
VERIFIABLE_STATES = AWAITING_DECISION
# The operator (or the desk) may still add materials and cameras.
EDITABLE_STATES = (FilingState.draft, FilingState.submitted, FilingState.accepted, FilingState.correction_requested)
# The operator may still change the form itself: its draft, and while correcting (补正).
FORM_EDITABLE_STATES = (FilingState.draft, FilingState.correction_requested)


class VerificationResult(StrEnum):
    """What the verifying unit found on site, against the filed materials."""

    matches = "matches"
    differs = "differs"


class FilingKind(StrEnum):
    """A first filing, or a change to a filed one (第十条)."""

    new = "new"
    change = "change"


class Channel(StrEnum):
    """How the filing arrived."""

    online = "online"
    desk = "desk"


class MaterialKind(StrEnum):
    """The materials the notice asks for, bound in this order."""

    form = "form"
    location_diagram = "location_diagram"
    deployment_map = "deployment_map"
    authorization = "authorization"
    other = "other"


class FilingForm(SQLModel):
    """The 备案表 fields an operator fills in (799号令 adds location, cameras and retention)."""

    system_name: str = Field(min_length=2, max_length=200)
    system_location: str = Field(min_length=2, max_length=300)
    system_in_use_date: date = Field(description="投入使用日期: going into use (799号令 第十四条 counts 30 days "
                                     "from it)")
    # Migration 0009 copied the going-into-use date into filings made before it.
    acceptance_date: date | None = Field(default=None, description="竣工验收合格日期 (第七条 counts 30 days from it); "
                                         "required for a first filing, a change filing states change_date instead")
    retention_days: int = Field(ge=1, le=3650, description="video retention period in days")
    camera_count_declared: int = Field(ge=1, le=100000)
    camera_types_declared: str = Field(min_length=1, max_length=300, description="e.g. 枪机×40，球机×6")
    network_digit: int = Field(default=8, ge=0, le=8, description="GB/T 28181 network digit for the codes")
    site_lon: float | None = Field(default=None, ge=73, le=136, description="where the system is, WGS-84 "
                                   "longitude (cameras listed without a position default to it)")
    site_lat: float | None = Field(default=None, ge=3, le=54, description="where the system is, WGS-84 latitude")
    # Declared by the operator on the form; the routing stored on the operator (operator.place_kind, set by
    # the police) decides, and the officers' page shows a declaration that would route elsewhere.
    place_kind: PlaceKind | None = Field(default=None, description="场所类型 as declared with this filing: road "
                                         "交通道路, public_place 广场等公共场所, internal 单位内部（办公楼等）")
    agent_name: str | None = Field(default=None, min_length=2, max_length=50,
                                   description="受托人: the person filing for the unit (with an authorisation letter)")
    agent_id_number: str | None = Field(default=None, min_length=18, max_length=18,
                                        description="受托人公民身份号码 (18 digits, checksum checked)")
    change_date: date | None = Field(default=None, description="变更日期: when the filed content changed (a "
                                     "change filing needs it; its lateness counts from it, 第十条)")

    @field_validator("agent_id_number")
    @classmethod
    def _resident_id(cls, value: str | None) -> str | None:
        return None if value is None else check_resident_id(value)

    @model_validator(mode="after")
    def _agent_complete(self) -> FilingForm:
        if (self.agent_name is None) != (self.agent_id_number is None):
            raise ValueError("受托人姓名和身份号码须同时填写 / agent_name and agent_id_number go together")
        if (self.site_lon is None) != (self.site_lat is None):
            raise ValueError("经度和纬度须同时填写 / site_lon and site_lat go together")
        return self


class FilingFormUpdate(FilingForm, PlainTextInput):
    """The form as changed by the operator (a draft, or during correction)."""


class FilingCreate(FilingForm, PlainTextInput):
    """A submission: the form, for one operator, optionally changing a filed filing."""

    operator_id: int
    changes_filing_number: str | None = Field(default=None, min_length=13, max_length=13)


# The deadline sort of the queues: filings not yet accepted have no deadline and come first (they wait for the
# desk), then by deadline. Written as SQL with a literal, not a bound parameter, so that PostgreSQL matches it
# to the indexes below (a parameter in a generic plan would not match the indexed expression).
DEADLINE_SQL = "coalesce(deadline, '1900-01-01')"
NO_DEADLINE_YET = date(1900, 1, 1)
# The queues' partial indexes: the desk's open filings (registry.filings.desk_pages.OPEN_STATES), and the
# filings awaiting 核对 (registry.filings.verification.awaiting_clause).
OPEN_SQL = "state IN ('submitted', 'accepted', 'corrected', 'correction_requested')"
AWAITING_VERIFICATION_SQL = "state IN ('accepted', 'corrected') AND verification_result IS NULL"


class Filing(FilingForm, table=True):
    """One filing and where it is in the workflow."""

    __tablename__ = "filing"
    # (filter, id) indexes return keyset pages in order; see migration 0003.
    __table_args__ = (
        Index("ix_filing_state_id", "state", "id"),
        Index("ix_filing_filing_unit_code_id", "filing_unit_code", "id"),
        Index("ix_filing_operator_id_id", "operator_id", "id"),
        Index("ix_filing_state_deadline", "state", "deadline"),
        Index("ix_filing_provisional", "id", postgresql_where=text("deadline_provisional"),
              sqlite_where=text("deadline_provisional = 1")),
        # The desk's queue of a unit's open filings and the 核对 queue, in deadline order (migration 0017).
        Index("ix_filing_open_unit_deadline", "filing_unit_code", text(DEADLINE_SQL), "id",
              postgresql_include=["operator_id", "state", "deadline"], postgresql_where=text(OPEN_SQL),
              sqlite_where=text(OPEN_SQL)),
        Index("ix_filing_awaiting_verification_deadline", text(DEADLINE_SQL), "id",
              postgresql_include=["filing_unit_code", "operator_id", "deadline"],
              postgresql_where=text(AWAITING_VERIFICATION_SQL),
              sqlite_where=text(AWAITING_VERIFICATION_SQL)),
    )

    id: int | None = Field(default=None, primary_key=True)
    operator_id: int = Field(foreign_key="operator.id")
    kind: FilingKind = FilingKind.new
    changes_filing_id: int | None = Field(default=None, foreign_key="filing.id", index=True)
    state: FilingState = FilingState.submitted
    number: str | None = Field(default=None, max_length=13, unique=True, index=True)
    filing_unit_code: str = Field(foreign_key="police_unit.code", max_length=8)
    channel: Channel = Channel.online
    late: bool = Field(default=False, index=True)
    late_days: int = 0
    late_days_acceptance: int = 0  # 第七条: days past 30 days from 竣工验收合格
    late_days_in_use: int = 0  # 799号令 第十四条: days past 30 days from going into use (grace for older systems)
    submitted_at: datetime = Field(default_factory=utcnow, sa_column=Column(DateTime(timezone=True), index=True))
    submitted_by_id: int = Field(foreign_key="app_user.id")
    accepted_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))
    accepted_by_id: int | None = Field(default=None, foreign_key="app_user.id")
    deadline: date | None = Field(default=None, index=True)
    deadline_provisional: bool = False
    deadline_calendar_version: str | None = Field(default=None, max_length=64)
    reviewed_by_id: int | None = Field(default=None, foreign_key="app_user.id")
    # The latest 核对 of the verifying unit (history in `verification`); the filing unit files only after it.
    verified_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))
    verified_by_id: int | None = Field(default=None, foreign_key="app_user.id")
    verification_result: str | None = Field(default=None, max_length=16)
    filed_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))
    rejected_reason: str | None = Field(default=None, max_length=500)
    updated_at: datetime = Field(default_factory=utcnow, sa_column=Column(DateTime(timezone=True)))


# The queues' sort (DEADLINE_SQL on the filing table): the same expression as the indexes, so they serve it.
DEADLINE_ORDER: ColumnElement[date] = func.coalesce(col(Filing.deadline),
                                                    literal_column(f"'{NO_DEADLINE_YET.isoformat()}'", Date))


def state_in(states: tuple[FilingState, ...]) -> ColumnElement[bool]:
    """Filing.state IN (states) with the states written into the SQL, not sent as parameters.

    psycopg prepares a statement run five times, and PostgreSQL may then plan it once for any parameters:
    such a plan cannot prove `state IN ($1, $2)` implies a partial index's `state IN ('accepted', ...)`, so
    the queues fell back to reading and sorting a branch's filings (20 ms for the desk's count at 100,000
    filings instead of 3). The states are the code's own constants, never user input.
    """
    states_param = bindparam(None, list(states), expanding=True, literal_execute=True,
                             type_=Filing.__table__.c.state.type)  # type: ignore[attr-defined]
    return col(Filing.state).in_(states_param)


class FilingPublic(FilingForm):
    """A filing as the API returns it."""

    id: int
    operator_id: int
    kind: FilingKind
    changes_filing_id: int | None
    state: FilingState
    number: str | None
    filing_unit_code: str
    channel: Channel
    late: bool = Field(description="逾期备案: the operator filed more than 30 days late by either rule")
    late_days: int = Field(description="逾期备案天数: the larger of late_days_acceptance and late_days_in_use")
    late_days_acceptance: int = Field(description="逾期天数（第七条）: days past 30 days from 竣工验收合格")
    late_days_in_use: int = Field(description="逾期天数（799号令 第十四条）: days past 30 days from going into use, "
                                  "with the grace to 2025-06-30 for systems in use before 2025-04-01")
    submitted_at: UTCDateTime
    accepted_at: UTCDateTime | None
    accepted_by_id: int | None
    deadline: date | None
    deadline_provisional: bool
    reviewed_by_id: int | None
    verified_at: UTCDateTime | None
    verified_by_id: int | None
    verification_result: VerificationResult | None
    filed_at: UTCDateTime | None
    rejected_reason: str | None

    @computed_field(description="计时暂停: the police clock is suspended while the operator corrects (第九条)")
    def clock_suspended(self) -> bool:
        """Whether the filing unit's clock is stopped, waiting for the operator's correction."""
        return self.state == FilingState.correction_requested

    @computed_field(description="办理超期: the filing unit is past its decision deadline today (Beijing date); "
                                "never while the operator corrects")
    def overdue(self) -> bool:
        """Whether the police are past the decision deadline (not the operator's lateness, which is `late`)."""
        return self.state in CLOCK_RUNNING and self.deadline is not None and self.deadline < beijing_today()


class VerificationCreate(PlainTextInput):
    """A 核对 as the verifying unit records it."""

    multiline_fields: ClassVar[frozenset[str]] = frozenset({"notes"})

    result: VerificationResult
    notes: str = Field(default="", max_length=2000, description="what was checked; for differs, what differs")
    scan_id: int | None = Field(default=None, ge=1, description="a scan of the site uploaded for this filing")

    @model_validator(mode="after")
    def _differs_says_what(self) -> VerificationCreate:
        if self.result == VerificationResult.differs and not self.notes.strip():
            raise ValueError("核对结果与现场不符时须写明不符之处 / notes are required when the site differs")
        return self


class Verification(SQLModel, table=True):
    """核对: the verifying unit's check of the materials against the site (notice, 第一节); every one is kept."""

    __tablename__ = "verification"

    id: int | None = Field(default=None, primary_key=True)
    filing_id: int = Field(foreign_key="filing.id", index=True)
    unit_code: str = Field(foreign_key="police_unit.code", max_length=8)
    result: VerificationResult
    notes: str = Field(default="", max_length=2000)
    scan_id: int | None = Field(default=None, foreign_key="scan.id")
    verified_at: datetime = Field(default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False))
    verified_by_id: int = Field(foreign_key="app_user.id")


class VerificationPublic(SQLModel):
    """A 核对 as the API returns it."""

    id: int
    filing_id: int
    unit_code: str
    result: VerificationResult
    notes: str
    scan_id: int | None
    verified_at: UTCDateTime
    verified_by_id: int


class CorrectionItem(PlainTextInput):
    """One missing or wrong item on a correction notice."""

    multiline_fields: ClassVar[frozenset[str]] = frozenset({"message"})

    item: str = Field(min_length=1, max_length=100, description="e.g. deployment_map, retention_days")
    message: str = Field(min_length=1, max_length=500)


class CorrectionRequest(SQLModel):
    """Every defect at once: the notice is issued only once per filing."""

    items: list[CorrectionItem] = Field(min_length=1, max_length=100)


class CorrectionNotice(SQLModel, table=True):
    """补正材料通知单: numbered in its own sequence, one per filing."""

    __tablename__ = "correction_notice"
    __table_args__ = (
        UniqueConstraint("filing_id", name="uq_correction_notice_filing"),
        Index("ix_correction_notice_provisional", "id", postgresql_where=text("due_provisional"),
              sqlite_where=text("due_provisional = 1")),
    )

    id: int | None = Field(default=None, primary_key=True)
    filing_id: int = Field(foreign_key="filing.id")
    number: str = Field(max_length=13, unique=True, index=True)
    items: list[dict[str, Any]] = Field(sa_column=Column(JSON, nullable=False))
    issued_at: datetime = Field(default_factory=utcnow, sa_column=Column(DateTime(timezone=True)))
    issued_by_id: int = Field(foreign_key="app_user.id")
    due_date: date
    due_provisional: bool = False
    due_calendar_version: str | None = Field(default=None, max_length=64)
    corrected_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))
    late: bool = False


class CorrectionNoticePublic(SQLModel):
    """A correction notice as the API returns it."""

    id: int
    filing_id: int
    number: str
    items: list[CorrectionItem]
    issued_at: UTCDateTime
    due_date: date
    due_provisional: bool
    corrected_at: UTCDateTime | None
    late: bool


class Material(SQLModel, table=True):
    """An uploaded file's metadata; the bytes live in the data directory under their SHA-256."""

    __tablename__ = "material"

    id: int | None = Field(default=None, primary_key=True)
    filing_id: int = Field(foreign_key="filing.id", index=True)
    kind: MaterialKind
    sha256: str = Field(max_length=64, index=True)
    mime: str = Field(max_length=50)
    size: int
    filename: str = Field(max_length=255)
    uploaded_at: datetime = Field(default_factory=utcnow, sa_column=Column(DateTime(timezone=True)))
    uploaded_by_id: int = Field(foreign_key="app_user.id")


class MaterialPublic(SQLModel):
    """Material metadata as the API returns it."""

    id: int
    filing_id: int
    kind: MaterialKind
    sha256: str
    mime: str
    size: int
    filename: str
    uploaded_at: UTCDateTime


class HandoverCause(StrEnum):
    """Why an operator's open filings changed hands."""

    operator_moved = "operator_moved"  # an officer changed the operator's location, affiliation or kind
    reroute = "reroute"  # the jurisdiction layers changed and every operator was routed again


class FilingHandover(SQLModel, table=True):
    """移交: an open filing's filing unit or verifying unit changed because its operator moved (every one kept)."""

    __tablename__ = "filing_handover"
    __table_args__ = (
        Index("ix_filing_handover_filing_id_id", "filing_id", "id"),
        Index("ix_filing_handover_to_filing_unit_code_id", "to_filing_unit_code", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    filing_id: int = Field(foreign_key="filing.id")
    operator_id: int = Field(foreign_key="operator.id")
    state: FilingState = Field(description="the filing's state when it changed hands")
    from_filing_unit_code: str = Field(foreign_key="police_unit.code", max_length=8)
    to_filing_unit_code: str = Field(foreign_key="police_unit.code", max_length=8)
    from_verifying_unit_code: str = Field(foreign_key="police_unit.code", max_length=8)
    to_verifying_unit_code: str = Field(foreign_key="police_unit.code", max_length=8)
    cause: HandoverCause
    at: datetime = Field(default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False))
    by_id: int | None = Field(default=None, foreign_key="app_user.id", description="None: the reroute command")


class FilingHandoverPublic(SQLModel):
    """A handover as the API returns it."""

    id: int
    filing_id: int
    operator_id: int
    state: FilingState
    from_filing_unit_code: str
    to_filing_unit_code: str
    from_verifying_unit_code: str
    to_verifying_unit_code: str
    cause: HandoverCause
    at: UTCDateTime
    by_id: int | None
