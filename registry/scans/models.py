"""Scan table and schemas."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, DateTime
from sqlmodel import Field, SQLModel

from registry.timeutil import UTCDateTime, utcnow


class Scan(SQLModel, table=True):
    """An uploaded scan report, its reconciliation with the filing, and what changed since the last scan."""

    __tablename__ = "scan"

    id: int | None = Field(default=None, primary_key=True)
    operator_id: int = Field(foreign_key="operator.id", index=True)
    filing_id: int = Field(foreign_key="filing.id", index=True)
    previous_scan_id: int | None = Field(default=None, foreign_key="scan.id")
    checksum: str = Field(max_length=80)
    scanned_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    host: str = Field(max_length=255)
    networks: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    device_count: int
    counts: dict[str, int] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    report: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    reconciliation: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    changes_since_previous: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))
    uploaded_by_id: int = Field(foreign_key="app_user.id")
    uploaded_at: datetime = Field(default_factory=utcnow, sa_column=Column(DateTime(timezone=True)))


class ScanPublic(SQLModel):
    """A stored scan as the API lists it (the full report is fetched separately)."""

    id: int
    operator_id: int
    filing_id: int
    previous_scan_id: int | None
    checksum: str
    scanned_at: UTCDateTime
    host: str
    networks: list[str]
    device_count: int
    counts: dict[str, int]
    changes_since_previous: dict[str, Any] | None
    uploaded_at: UTCDateTime
