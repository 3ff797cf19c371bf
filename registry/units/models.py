"""Police-unit table and schemas."""

from __future__ import annotations

from enum import StrEnum

from sqlmodel import Field, SQLModel

from registry.text import PlainTextInput


class UnitKind(StrEnum):
    """Kinds of police unit (SPEC §1)."""

    city = "city"
    corps = "corps"
    special_bureau = "special_bureau"
    branch = "branch"
    special_branch = "special_branch"
    station = "station"


class PoliceUnitBase(SQLModel):
    """Fields shared by every police-unit schema."""

    code: str = Field(primary_key=True, max_length=8, description="3-digit filing code, or 8-digit station id")
    name: str = Field(max_length=100)
    kind: UnitKind
    parent_code: str | None = Field(default=None, foreign_key="police_unit.code", max_length=8)
    district_code: str | None = Field(default=None, max_length=6)
    station_number: str | None = Field(default=None, max_length=2)
    synthetic: bool = False


class PoliceUnit(PoliceUnitBase, table=True):
    """A police unit; stations hang under the branch that files for them."""

    __tablename__ = "police_unit"


class PoliceUnitPublic(PoliceUnitBase):
    """A police unit as the API returns it."""

    @property
    def files(self) -> bool:
        """Whether this unit accepts filings (stations verify, branches file)."""
        return self.kind != UnitKind.station


class PoliceUnitUpdate(PlainTextInput):
    """An administrator's change to a police unit: its name."""

    name: str = Field(min_length=2, max_length=100)
