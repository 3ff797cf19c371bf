"""Taking the next number from a counter row under a row lock, inside the caller's transaction."""

from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, select

from registry.errors import Conflict, InvalidInput
from registry.numbering.models import CameraSerialCounter, NumberCounter, NumberKind

MAX_SEQUENCE = 999_999
CounterT = TypeVar("CounterT", NumberCounter, CameraSerialCounter)


def _locked_counter(session: Session, model: type[CounterT], key: dict[str, Any]) -> CounterT:
    """Fetch the counter row FOR UPDATE, creating it first if needed without racing other creators."""
    query = select(model).filter_by(**key).with_for_update()
    row = session.exec(query).one_or_none()
    if row is not None:
        return row
    dialect = session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    table = model.__table__  # type: ignore[attr-defined]
    session.execute(insert(table).values(**key, last=0).on_conflict_do_nothing())
    return session.exec(query).one()


def next_number(session: Session, *, unit_code: str, year: int, kind: NumberKind) -> str:
    """The next 13-digit number: 3-digit unit + year + 6-digit sequence, gap-free per unit and year."""
    if len(unit_code) != 3 or not unit_code.isdigit():
        raise InvalidInput(f"单位 {unit_code} 不是受理单位 / unit {unit_code} has no 3-digit filing code",
                           field="filing_unit_code")
    counter = _locked_counter(session, NumberCounter, {"unit_code": unit_code, "year": year, "kind": kind})
    if counter.last >= MAX_SEQUENCE:
        raise Conflict(f"{year} 年编号已用尽 / the {year} {kind} sequence of unit {unit_code} is exhausted")
    counter.last += 1
    session.add(counter)
    session.flush()
    return f"{unit_code}{year:04d}{counter.last:06d}"


def take_serials(session: Session, *, prefix: str, count: int) -> list[int]:
    """Reserve `count` consecutive serials under a 14-digit code prefix; the counter never goes back."""
    if count <= 0:
        return []
    counter = _locked_counter(session, CameraSerialCounter, {"prefix": prefix})
    if counter.last + count > MAX_SEQUENCE:
        raise Conflict(f"编码前缀 {prefix} 序号不足 / code prefix {prefix} has only "
                       f"{MAX_SEQUENCE - counter.last} serials left, {count} needed")
    first = counter.last + 1
    counter.last += count
    session.add(counter)
    session.flush()
    return list(range(first, first + count))

