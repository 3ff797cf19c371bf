"""Loading the police-unit table from its administrator-edited CSV files."""

from __future__ import annotations

import csv
from pathlib import Path

from sqlmodel import Session, col, select

from registry.actor import Actor
from registry.errors import InvalidInput
from registry.units.models import PoliceUnit, UnitKind

UNITS_FILE = "police_units.csv"
STATIONS_FILE = "stations.csv"


def _read_csv(path: Path, required: set[str]) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        missing = required - set(reader.fieldnames or [])
        if missing:
            raise InvalidInput(f"{path.name}: missing columns {', '.join(sorted(missing))}", field="columns")
        return [{k: (v or "").strip() for k, v in row.items() if k} for row in reader]


def read_unit_files(directory: Path) -> list[PoliceUnit]:
    """Parse police_units.csv and (if present) stations.csv, checking every row."""
    units: list[PoliceUnit] = []
    for line, row in enumerate(_read_csv(directory / UNITS_FILE, {"code", "name", "kind"}), start=2):
        try:
            kind = UnitKind(row["kind"])
        except ValueError:
            raise InvalidInput(f"{UNITS_FILE} line {line}: unknown kind {row['kind']!r}", field="kind") from None
        if kind == UnitKind.station or len(row["code"]) != 3 or not row["code"].isdigit():
            raise InvalidInput(f"{UNITS_FILE} line {line}: code must be 3 digits", field="code")
        units.append(PoliceUnit(code=row["code"], name=row["name"], kind=kind,
                                parent_code=row.get("parent_code") or None,
                                district_code=row.get("district_code") or None))
    stations_path = directory / STATIONS_FILE
    if stations_path.exists():
        required = {"station_id", "name", "district_code", "number", "branch_code"}
        for line, row in enumerate(_read_csv(stations_path, required), start=2):
            sid, number = row["station_id"], row["number"]
            if len(sid) != 8 or not sid.isdigit() or len(number) != 2 or sid != row["district_code"] + number:
                raise InvalidInput(f"{STATIONS_FILE} line {line}: station_id must be district code + 2-digit number",
                                   field="station_id")
            units.append(PoliceUnit(code=sid, name=row["name"], kind=UnitKind.station,
                                    parent_code=row["branch_code"], district_code=row["district_code"],
                                    station_number=number,
                                    synthetic=row.get("synthetic", "").lower() in ("1", "true", "yes")))
    known = {u.code for u in units}
    for unit in units:
        if unit.parent_code and unit.parent_code not in known:
            raise InvalidInput(f"unit {unit.code}: parent {unit.parent_code} is not in the files", field="parent_code")
    return units


def load(session: Session, *, directory: Path) -> int:
    """Insert or update every unit from the files (parents first); returns how many were written."""
    units = read_unit_files(directory)
    units.sort(key=lambda u: (u.kind == UnitKind.station, u.parent_code is not None, u.code))
    for unit in units:
        existing = session.get(PoliceUnit, unit.code)
        if existing is None:
            session.add(unit)
        else:
            existing.sqlmodel_update(unit.model_dump())
            session.add(existing)
        session.flush()
    return len(units)


def list_units(session: Session, *, kind: UnitKind | None = None) -> list[PoliceUnit]:
    """Every unit, optionally of one kind, ordered by code."""
    query = select(PoliceUnit).order_by(col(PoliceUnit.code))
    if kind is not None:
        query = query.where(PoliceUnit.kind == kind)
    return list(session.exec(query).all())


def update(session: Session, *, actor: Actor | None, code: str, name: str) -> PoliceUnit:
    """Rename a police unit (the city's administrators any unit; a unit's its own and its stations)."""
    from registry.audit import service as audit
    from registry.auth.models import Role
    from registry.auth.scope import CITY_UNIT, require_role
    from registry.errors import Forbidden, NotFound

    unit = session.get(PoliceUnit, code, with_for_update=True)
    if unit is None:
        raise NotFound(f"单位 {code} 不存在 / unit {code} not found")
    if actor is not None:
        require_role(actor.user, Role.admin)
        if actor.user.unit_code != CITY_UNIT and actor.user.unit_code not in (unit.code, unit.parent_code):
            raise Forbidden("只能修改本单位及下属派出所 / admins edit their own unit and its stations only")
    name = name.strip()
    if not 2 <= len(name) <= 100:
        raise InvalidInput("名称应为 2–100 个字符 / the name must have 2–100 characters", field="name")
    before, unit.name = unit.name, name
    session.add(unit)
    audit.append(session, actor=actor, action="unit.update", object_type="police_unit", object_id=code,
                 details={"name": [before, name]})
    return unit
