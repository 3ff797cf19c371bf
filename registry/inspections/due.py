"""Who must be inspected this half-year: every filed operator, at least once per half-year (twice a year).

A unit's list is one query (operators × their first filing × their recorded inspections), classified in
Python. The counts (the city's roll-up, the statistics of registry/statistics) are classified in SQL and
grouped by unit, so they return a row per unit rather than a row per operator.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import ColumnElement, and_, case, func, or_, true
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from registry.auth.scope import CITY_UNIT
from registry.filings.models import Filing, FilingState
from registry.inspections.models import RECORDED, Inspection
from registry.inspections.periods import HalfYear
from registry.operators.models import Operator
from registry.timeutil import as_utc, beijing_midnight_utc, beijing_today


class DueStatus(StrEnum):
    """Where an operator stands for a half-year."""

    never_inspected = "never_inspected"  # never inspected at all, and the half-year is not over
    due = "due"                          # not inspected this half-year yet, and it is not over
    overdue = "overdue"                  # the half-year ended without an inspection
    done = "done"                        # inspected (record signed or refusal noted) in the half-year


ORDER = {DueStatus.overdue: 0, DueStatus.never_inspected: 1, DueStatus.due: 2, DueStatus.done: 3}


@dataclass(frozen=True)
class DueRow:
    """One operator on a unit's due list."""

    operator_id: int
    name: str
    address: str
    verifying_unit_code: str
    filing_unit_code: str
    first_filed_on: date
    last_inspected_on: date | None
    inspections_in_half: int
    status: DueStatus
    never_inspected: bool
    due_by: date


def classify(*, half: HalfYear, today: date, inspections_in_half: int, last_inspected_on: date | None) -> DueStatus:
    """The status of one operator for a half-year, seen on `today`."""
    if inspections_in_half > 0:
        return DueStatus.done
    if today > half.end:
        return DueStatus.overdue
    return DueStatus.never_inspected if last_inspected_on is None else DueStatus.due


def _first_filed() -> Any:
    """Per operator, when it was first filed: a filing since superseded by a change counts from its own date."""
    return (select(Filing.operator_id, func.min(Filing.filed_at).label("first_filed"))
            .where(col(Filing.state).in_((FilingState.filed, FilingState.superseded)))
            .group_by(col(Filing.operator_id)).subquery())


def _cutoff(half: HalfYear) -> datetime:
    """Operators first filed before this instant are due in `half`: the day after its cut-off begins in Beijing."""
    return beijing_midnight_utc(half.first_due_cutoff + timedelta(days=1))


def due_list(session: Session, *, unit_code: str, half: HalfYear, today: date,
             status: DueStatus | None = None, district_code: str | None = None,
             station_id: str | None = None) -> list[DueRow]:
    """The unit's operators that must be inspected in `half` (filed in time for it), most urgent first.

    A unit's operators are those it verifies (business departments, stations) or files for (a branch
    sees its stations' operators too); the city department's list covers every operator. `district_code`
    and `station_id` narrow it to one area (the dashboard's rows link here).
    """
    filed = _first_filed()
    in_half = and_(col(Inspection.inspected_on) >= half.start, col(Inspection.inspected_on) <= half.end)
    # One pass over the inspections: per operator, how many fall in the half-year and the latest one.
    seen = (select(Inspection.operator_id, func.sum(case((in_half, 1), else_=0)).label("n"),
                   func.max(Inspection.inspected_on).label("last_on"))
            .where(col(Inspection.state).in_(RECORDED), col(Inspection.inspected_on) <= max(half.end, today))
            .group_by(col(Inspection.operator_id)).subquery())
    query = (sa_select(col(Operator.id), col(Operator.name), col(Operator.address), col(Operator.verifying_unit_code),
                       col(Operator.filing_unit_code), filed.c.first_filed, seen.c.n, seen.c.last_on)
             .join(filed, filed.c.operator_id == Operator.id)
             .outerjoin(seen, seen.c.operator_id == Operator.id)
             # Filed too late in (or after) the half-year: first due in a later one (first_due_half).
             .where(filed.c.first_filed < _cutoff(half)))
    if unit_code != CITY_UNIT:
        query = query.where(or_(col(Operator.verifying_unit_code) == unit_code,
                                col(Operator.filing_unit_code) == unit_code))
    if district_code is not None:
        query = query.where(col(Operator.district_code) == district_code)
    if station_id is not None:
        query = query.where(col(Operator.station_id) == station_id)
    rows: list[DueRow] = []
    for op_id, name, address, verifying, filing_unit, first_filed, n, last_on in session.execute(query).all():
        last_date = last_on if isinstance(last_on, date) or last_on is None else date.fromisoformat(str(last_on))
        state = classify(half=half, today=today, inspections_in_half=n or 0, last_inspected_on=last_date)
        if status is not None and state != status:
            continue
        rows.append(DueRow(operator_id=op_id, name=name, address=address, verifying_unit_code=verifying,
                           filing_unit_code=filing_unit, first_filed_on=beijing_today(as_utc(first_filed)),
                           last_inspected_on=last_date, inspections_in_half=int(n or 0), status=state,
                           never_inspected=last_date is None, due_by=half.end))
    rows.sort(key=lambda r: (ORDER[r.status], r.name, r.operator_id))
    return rows


def summary(rows: list[DueRow]) -> dict[str, int]:
    """Counts by status (and the total) of a due list."""
    counts = Counter(r.status.value for r in rows)
    return {"total": len(rows), **{s.value: counts.get(s.value, 0) for s in DueStatus}}


def counts_by(session: Session, *, key: Any, half: HalfYear, today: date, done_by: date | None = None,
              where: ColumnElement[bool] | None = None) -> dict[Any, dict[str, int]]:
    """Counts by status (as `due_list` classifies) per value of `key`, an Operator column, in one grouped query.

    `done_by` ends the window in which an inspection counts as done (default: the half-year's end), for
    statistics of a month or quarter inside the half-year; `where` narrows the operators.
    """
    last_day = min(half.end, done_by) if done_by is not None else half.end
    in_window = and_(col(Inspection.inspected_on) >= half.start, col(Inspection.inspected_on) <= last_day)
    # Due in `half`: first filed before its cut-off, i.e. some filing (filed or since superseded) filed before it.
    filed_in_time = (select(Filing.operator_id).where(col(Filing.state).in_((FilingState.filed,
                                                                             FilingState.superseded)),
                                                      col(Filing.filed_at) < _cutoff(half)))
    # One pass over the inspections (of the operators `where` keeps): per operator ever inspected (up to the
    # later of the half's end and today), whether one falls in the window.
    seen = (select(Inspection.operator_id, func.max(case((in_window, 1), else_=0)).label("done"))
            .where(col(Inspection.state).in_(RECORDED), col(Inspection.inspected_on) <= max(half.end, today),
                   col(Inspection.operator_id).in_(select(Operator.id).where(where)) if where is not None else true())
            .group_by(col(Inspection.operator_id)).subquery())
    query = (sa_select(key, func.count(), func.sum(func.coalesce(seen.c.done, 0)), func.count(seen.c.operator_id))
             .select_from(Operator).outerjoin(seen, seen.c.operator_id == Operator.id)
             .where(col(Operator.id).in_(filed_in_time), where if where is not None else true()).group_by(key))
    counts: dict[Any, dict[str, int]] = {}
    over = today > half.end
    for value, total, done_n, seen_n in session.execute(query).all():
        done = int(done_n or 0)
        open_n = total - done
        never_n = 0 if over else total - seen_n
        counts[value] = {"total": total, DueStatus.never_inspected.value: never_n,
                         DueStatus.due.value: 0 if over else open_n - never_n,
                         DueStatus.overdue.value: open_n if over else 0, DueStatus.done.value: done}
    return counts


def summary_by_unit(session: Session, *, half: HalfYear, today: date) -> dict[str, dict[str, int]]:
    """The city's roll-up: counts by status per responsible (verifying) unit, grouped in SQL."""
    counts = counts_by(session, key=col(Operator.verifying_unit_code), half=half, today=today)
    return {unit: counts[unit] for unit in sorted(counts)}
