"""Counter rows, taken under a row lock inside the transaction that uses the number."""

from __future__ import annotations

from enum import StrEnum

from sqlmodel import Field, SQLModel


class NumberKind(StrEnum):
    """The two 13-digit sequences a filing unit keeps (SPEC §3)."""

    filing = "filing"
    correction = "correction"


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
