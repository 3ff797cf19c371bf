"""The police-unit table (`police_units.csv`): codes, names, kinds and the district each branch serves."""

from __future__ import annotations

import csv
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

KINDS = ("city", "corps", "special_bureau", "branch", "special_branch")
REQUIRED_COLUMNS = ("code", "name", "kind", "parent_code", "district_code")


class UnitTableError(ValueError):
    """The police-unit table is malformed (names the row and the field)."""


@dataclass(frozen=True)
class PoliceUnit:
    """One police unit with a 3-digit filing code."""

    code: str
    name: str
    kind: str
    parent_code: str | None
    district_code: str | None


def sample_data_dir() -> Path:
    """The repository's `sample_data/` directory (the package is installed editable next to it)."""
    return Path(__file__).resolve().parent.parent / "sample_data"


def default_units_path() -> Path:
    """`CAMREG_UNITS_CSV` if set, else the sample city's `sample_data/police_units.csv`."""
    env = os.environ.get("CAMREG_UNITS_CSV")
    return Path(env) if env else sample_data_dir() / "police_units.csv"


def _check(row: Mapping[str, str | None], line: int) -> PoliceUnit:
    code = (row.get("code") or "").strip()
    if len(code) != 3 or not code.isdigit():
        raise UnitTableError(f"police units line {line}: code {code!r} is not a 3-digit code")
    kind = (row.get("kind") or "").strip()
    if kind not in KINDS:
        raise UnitTableError(f"police units line {line}: kind {kind!r} is not one of {', '.join(KINDS)}")
    name = (row.get("name") or "").strip()
    if not name:
        raise UnitTableError(f"police units line {line}: name is empty")
    district = (row.get("district_code") or "").strip() or None
    if district is not None and (len(district) != 6 or not district.startswith("1101")):
        raise UnitTableError(f"police units line {line}: district_code {district!r} is not a Beijing 1101xx code")
    if kind in ("branch", "special_branch") and district is None:
        raise UnitTableError(f"police units line {line}: a {kind} needs a district_code")
    return PoliceUnit(code, name, kind, (row.get("parent_code") or "").strip() or None, district)


def read_units(path: str | Path | None = None) -> list[PoliceUnit]:
    """Read and check the police-unit CSV (columns code,name,kind,parent_code,district_code)."""
    source = Path(path) if path is not None else default_units_path()
    with source.open(encoding="utf-8-sig", newline="") as fh:
        reader = csv.DictReader(fh)
        missing = [c for c in REQUIRED_COLUMNS if c not in (reader.fieldnames or [])]
        if missing:
            raise UnitTableError(f"{source}: missing column(s) {', '.join(missing)}")
        units = [_check(row, i) for i, row in enumerate(reader, start=2)]
    return check_units(units)


def check_units(units: Iterable[PoliceUnit]) -> list[PoliceUnit]:
    """Refuse duplicate codes and branches that share a district."""
    out = list(units)
    seen: set[str] = set()
    branch_districts: dict[str, str] = {}
    for unit in out:
        if unit.code in seen:
            raise UnitTableError(f"police units: code {unit.code} appears twice")
        seen.add(unit.code)
        if unit.kind == "branch" and unit.district_code:
            if unit.district_code in branch_districts:
                raise UnitTableError(
                    f"police units: district {unit.district_code} has two branches "
                    f"({branch_districts[unit.district_code]} and {unit.code})"
                )
            branch_districts[unit.district_code] = unit.code
    return out
