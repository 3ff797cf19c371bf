"""Prohibited-place terms (administrator-editable data), the operator's staff and their training records."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import Column, DateTime, Index
from sqlmodel import Field, SQLModel

from registry.text import PlainTextInput
from registry.timeutil import UTCDateTime, utcnow

#: 799号令 第八条's places, shipped as the default list (migration 0012 loads them as rows).
DEFAULT_TERMS = ("客房", "宿舍", "卫生间", "厕所", "洗手间", "浴室", "更衣室", "哺乳室", "母婴室", "试衣间", "淋浴",
                 "病房", "诊室")


class ProhibitedTerm(SQLModel, table=True):
    """A word that marks a place where cameras may not film private life (第八条); inactive rows are kept."""

    __tablename__ = "prohibited_term"

    id: int | None = Field(default=None, primary_key=True)
    term: str = Field(max_length=20, unique=True)
    active: bool = True
    note: str = Field(default="", max_length=200)
    changed_by_id: int | None = Field(default=None, foreign_key="app_user.id")
    changed_at: datetime = Field(default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False))


class ProhibitedTermCreate(PlainTextInput):
    """A term to add (or to activate again)."""

    term: str = Field(min_length=1, max_length=20, description="e.g. 客房; matched anywhere in a name")
    note: str = Field(default="", max_length=200)


class ProhibitedTermPublic(SQLModel):
    """A term as listed."""

    id: int
    term: str
    active: bool
    note: str
    changed_at: UTCDateTime


class StaffDuty(StrEnum):
    """Who is in contact with the system (SPEC §6, 799号令 第十九条)."""

    watch = "watch"  # 值班监看人员
    leader = "leader"  # 负责人
    maintainer = "maintainer"  # 维护人员
    inspector = "inspector"  # 检查人员
    other = "other"


class StaffMemberBase(SQLModel):
    """One person of the operator in contact with the system."""

    name: str = Field(min_length=1, max_length=50)
    duty: StaffDuty
    phone: str = Field(default="", max_length=30)


class StaffMemberCreate(StaffMemberBase, PlainTextInput):
    """A person to add to the operator's staff list."""


class StaffMember(StaffMemberBase, table=True):
    """A person on the operator's staff list; `active` false once they leave (history kept)."""

    __tablename__ = "staff_member"
    __table_args__ = (Index("ix_staff_member_operator_id_id", "operator_id", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    operator_id: int = Field(foreign_key="operator.id")
    active: bool = True
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False))


class TrainingCreate(PlainTextInput):
    """A training one staff member took: when, what, given by whom."""

    trained_on: date
    content: str = Field(min_length=2, max_length=200, description="e.g. 799号令及保密规定培训")
    trainer: str = Field(default="", max_length=100)


class TrainingRecord(SQLModel, table=True):
    """One training of one staff member (who, when, what)."""

    __tablename__ = "training_record"
    __table_args__ = (Index("ix_training_record_staff_id_trained_on", "staff_id", "trained_on"),
                      Index("ix_training_record_operator_id_id", "operator_id", "id"))

    id: int | None = Field(default=None, primary_key=True)
    operator_id: int = Field(foreign_key="operator.id")
    staff_id: int = Field(foreign_key="staff_member.id")
    trained_on: date
    content: str = Field(max_length=200)
    trainer: str = Field(default="", max_length=100)
    recorded_by_id: int = Field(foreign_key="app_user.id")
    recorded_at: datetime = Field(default_factory=utcnow, sa_column=Column(DateTime(timezone=True), nullable=False))


class TrainingPublic(SQLModel):
    """A training as listed."""

    id: int
    trained_on: date
    content: str
    trainer: str


class StaffPublic(SQLModel):
    """A staff member with their trainings; `trained` false is the flag 第十九条 asks for."""

    id: int
    operator_id: int
    name: str
    duty: StaffDuty
    phone: str
    active: bool
    trained: bool
    last_trained_on: date | None
    trainings: list[TrainingPublic]
