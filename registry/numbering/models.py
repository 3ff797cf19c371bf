"""Counter rows, taken under a row lock inside the transaction that uses the number."""

from __future__ import annotations

from enum import StrEnum

from sqlmodel import Field, SQLModel


class NumberKind(StrEnum):
    """The 13-digit sequences a unit keeps: filings and correction notices (SPEC §3), penalty decisions."""

    filing = "filing"
    correction = "correction"
    penalty = "penalty"
    """公安行政处罚决定书 numbers (registry/penalties), per deciding unit and year."""


class NumberCounter(SQLModel, table=True):
    """Last number used per (filing unit, year, kind)."""

    __tablename__ = "number_counter"

    unit_code: str = Field(primary_key=True, max_length=3)
    year: int = Field(primary_key=True)
    kind: NumberKind = Field(primary_key=True)
    last: int = 0


class CameraSerialCounter(SQLModel, table=True):
    """Last serial used under one 14-digit code prefix; it only ever grows, so codes are never reused."""

    __tablename__ = "camera_serial_counter"

    prefix: str = Field(primary_key=True, max_length=14)
    last: int = 0
