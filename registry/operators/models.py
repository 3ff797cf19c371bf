"""Operator table and its schema family."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import field_validator
from sqlalchemy import JSON, Column, DateTime, Index
from sqlmodel import Field, SQLModel

from registry.text import PlainTextInput
from registry.timeutil import UTCDateTime, utcnow


class SystemKind(StrEnum):
    """Who built the system (SPEC §2 rules 1 and 2)."""

    ordinary = "ordinary"
    city_government = "city_government"
    district_government = "district_government"


class PlaceKind(StrEnum):
    """Where the system is (the notice, section 一: rules 1 and 2 cover government-built systems of
    "交通道路、广场等公共场所"); a government-built system in an office building follows the ordinary rules."""

    road = "road"
    public_place = "public_place"
    internal = "internal"


class Datum(StrEnum):
    """Datum a location was entered in; storage is always WGS-84."""

    wgs84 = "wgs84"
    gcj02 = "gcj02"
    bd09 = "bd09"
    cgcs2000 = "cgcs2000"


class OperatorBase(SQLModel):
    """Fields an operator's record shares across schemas."""

    name: str = Field(min_length=2, max_length=200, index=True)
    uscc: str = Field(min_length=18, max_length=18, description="统一社会信用代码 (GB 32100-2015)")
    address: str = Field(min_length=2, max_length=300)
    industry_code: str = Field(min_length=2, max_length=2, description="GB/T 28181 industry code")
    industry_edition: str = Field(default="2016", regex=r"^(2016|2022)$")
    affiliation_code: str | None = Field(default=None, max_length=8, description="security affiliation unit")
    system_kind: SystemKind = SystemKind.ordinary
    # None = not declared (operators registered before migration 0013): routed as before, flagged.
    place_kind: PlaceKind | None = Field(default=None, description="场所类型: road 交通道路, public_place "
                                         "广场等公共场所, internal 单位内部（办公楼等）; required when "
                                         "government-built")
    contact_name: str = Field(min_length=1, max_length=50)
    contact_phone: str = Field(min_length=5, max_length=30, regex=r"^[0-9+\-() ]+$")

    @field_validator("industry_code")
    @classmethod
    def _digits(cls, value: str) -> str:
        if not value.isdigit():
            raise ValueError("industry_code must be two digits")
        return value


class OperatorCreate(OperatorBase, PlainTextInput):
    """A new operator as entered: location in any supported datum."""

    lon: float = Field(ge=-180, le=180)
    lat: float = Field(ge=-90, le=90)
    datum: Datum = Datum.wgs84


class OperatorUpdate(PlainTextInput):
    """Fields that may change; a new location re-routes the operator."""

    name: str | None = Field(default=None, min_length=2, max_length=200)
    address: str | None = Field(default=None, min_length=2, max_length=300)
    affiliation_code: str | None = None
    system_kind: SystemKind | None = None
    place_kind: PlaceKind | None = None
    contact_name: str | None = Field(default=None, min_length=1, max_length=50)
    contact_phone: str | None = Field(default=None, min_length=5, max_length=30, regex=r"^[0-9+\-() ]+$")
    lon: float | None = Field(default=None, ge=-180, le=180)
    lat: float | None = Field(default=None, ge=-90, le=90)
    datum: Datum | None = None


class Operator(OperatorBase, table=True):
    """An operator with its routed responsibility (who verifies, who files)."""

    __tablename__ = "operator"
    # (filter, id) indexes return keyset pages in order; see migration 0003.
    __table_args__ = (
        Index("ix_operator_district_code_id", "district_code", "id"),
        Index("ix_operator_station_id_id", "station_id", "id"),
        Index("ix_operator_filing_unit_code_id", "filing_unit_code", "id"),
        Index("ix_operator_verifying_unit_code_id", "verifying_unit_code", "id"),
        # A unit's scope (registry.auth.scope: filing or verifying unit) read from the index alone (migration 0018).
        # The units are included, not keys: as keys PostgreSQL walked this index by id to find one unit's
        # operators instead of (filing_unit_code, id). (SQLite: an index on id alone, its rowid: unused.)
        Index("ix_operator_scope", "id", postgresql_include=["filing_unit_code", "verifying_unit_code"]),
    )

    id: int | None = Field(default=None, primary_key=True)
    uscc: str = Field(min_length=18, max_length=18, unique=True, index=True)
    lon: float = Field(description="WGS-84 longitude")
    lat: float = Field(description="WGS-84 latitude")
    entered_datum: Datum = Datum.wgs84
    district_code: str | None = Field(default=None, max_length=6)
    station_id: str | None = Field(default=None, max_length=8)
    filing_unit_code: str = Field(foreign_key="police_unit.code", max_length=8)
    verifying_unit_code: str = Field(foreign_key="police_unit.code", max_length=8)
    routing_rule: int
    routing_explanation: str
    routing_flags: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(DateTime(timezone=True)))
    updated_at: datetime = Field(default_factory=utcnow, sa_column=Column(DateTime(timezone=True)))


class OperatorPublic(OperatorBase):
    """An operator as the API returns it."""

    id: int
    lon: float
    lat: float
    entered_datum: Datum
    district_code: str | None
    station_id: str | None
    filing_unit_code: str
    verifying_unit_code: str
    routing_rule: int
    routing_explanation: str
    routing_flags: list[str]
    created_at: UTCDateTime
    updated_at: UTCDateTime
