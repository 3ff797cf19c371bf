"""Gap-free numbers for inspection records and rectification notices: unit code + year + 6-digit sequence."""

from __future__ import annotations

from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, select

from registry.errors import Conflict
from registry.inspections.models import SupervisionCounter

MAX_SEQUENCE = 999_999


def next_number(session: Session, *, unit_code: str, year: int, kind: str) -> str:
    """The next number of this kind for the unit and year, taken under a row lock in the caller's transaction."""
    key = {"unit_code": unit_code, "year": year, "kind": kind}
    query = select(SupervisionCounter).filter_by(**key).with_for_update()
    counter = session.exec(query).one_or_none()
    if counter is None:
        insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
        table = SupervisionCounter.__table__  # type: ignore[attr-defined]
        session.execute(insert(table).values(**key, last=0).on_conflict_do_nothing())
        counter = session.exec(query).one()
    if counter.last >= MAX_SEQUENCE:
        raise Conflict(f"{year} 年{kind}编号已用尽 / the {year} {kind} sequence of unit {unit_code} is exhausted")
    counter.last += 1
    session.add(counter)
    session.flush()
    return f"{unit_code}{year:04d}{counter.last:06d}"
