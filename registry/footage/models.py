"""One row per access to an operator's footage; the register is append-only."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import ClassVar

from pydantic import ValidationInfo, field_validator
from sqlalchemy import Column, DateTime, Index
from sqlmodel import Field, SQLModel

from registry.text import PlainTextInput
from registry.timeutil import BEIJING, UTCDateTime, utcnow


class FootageKind(StrEnum):
    """What was done with the footage (第二十条: 查阅、复制或者调取)."""

    view = "view"
    copy = "copy"
    take = "take"


class FootageAccessBase(SQLModel):
    """The facts 799号令 第十六条 asks for, and the approval 第二十条 asks for."""

    operator_id: int = Field(foreign_key="operator.id")
    kind: FootageKind
    reason: str = Field(min_length=2, max_length=500, description="事由: why the footage was needed")
    cameras: str = Field(min_length=1, max_length=1000, description="which cameras (names or codes)")
    footage_from: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False),
                                   description="start of the footage taken")
    footage_to: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False),
                                 description="end of the footage taken")
    taker_unit_code: str | None = Field(default=None, foreign_key="police_unit.code", max_length=8,
                                        description="the police unit that took it, when it is in the unit table")
    taker_unit_name: str = Field(min_length=2, max_length=100, description="调取单位 as written on the papers")
    taker_names: str = Field(min_length=2, max_length=200, description="调取人 (names, badge numbers)")
    approver_name: str = Field(min_length=2, max_length=50, description="the approving head of a county-level unit")
    approver_title: str = Field(default="", max_length=50, description="e.g. 副局长")
    approver_unit_code: str = Field(foreign_key="police_unit.code", max_length=8,
                                    description="a county-level or higher police unit (not a station)")
    approval_number: str = Field(min_length=1, max_length=64, description="the approval paper's number")
    approved_on: date
    accessed_on: date = Field(description="the day the footage was read, copied or taken")


class FootageAccess(FootageAccessBase, table=True):
    """One access to an operator's footage, as registered."""

    __tablename__ = "footage_access"
    __table_args__ = (
        Index("ix_footage_access_operator_id_id", "operator_id", "id"),
        Index("ix_footage_access_accessed_on_id", "accessed_on", "id"),
        Index("ix_footage_access_taker_unit_code_id", "taker_unit_code", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    recorded_at: datetime = Field(default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False))
    recorded_by_id: int = Field(foreign_key="app_user.id")


class FootageAccessCreate(FootageAccessBase, PlainTextInput):
    """An access as the operator (or the officer who took the footage) registers it."""

    multiline_fields: ClassVar[frozenset[str]] = frozenset({"reason", "cameras"})

    @field_validator("footage_to")
    @classmethod
    def _after_start(cls, value: datetime, info: ValidationInfo) -> datetime:
        start = info.data.get("footage_from")
        if start is not None and _aware(value) <= _aware(start):
            raise ValueError("录像结束时间应晚于开始时间 / the footage must end after it starts")
        return value

    @field_validator("accessed_on")
    @classmethod
    def _after_approval(cls, value: date, info: ValidationInfo) -> date:
        approved = info.data.get("approved_on")
        if approved is not None and value < approved:
            raise ValueError("调取日期不能早于批准日期 / the access must come after its approval")
        return value


def _aware(value: datetime) -> datetime:
    """A time typed without a zone is Beijing time."""
    return value.replace(tzinfo=BEIJING) if value.tzinfo is None else value


class FootageAccessPublic(FootageAccessBase):
    """A register entry as the API returns it."""

    id: int
    footage_from: UTCDateTime
    footage_to: UTCDateTime
    recorded_at: UTCDateTime
    recorded_by_id: int
