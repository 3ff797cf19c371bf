"""Who must be inspected this half-year: every filed operator, at least once per half-year (twice a year).

The rule is stated in SQL (`classified`): one condition per status, each an EXISTS over the operator's
recorded inspections, and their CASE. The due list reads a page status by status in the list's order
(`page_rows`: keyset pages, most urgent first, the database walking the names and answering the EXISTS on
the way), so no list reads every operator back to classify it in Python. The counts (`counts_by`: the
list's counts, the city's roll-up, the dashboard and the statistics) tally the same rule in one grouped
query per call; tests/registry/test_due_list.py checks that they agree with the rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Enum,
    Select,
    and_,
    case,
    exists,
    false,
    func,
    literal,
    or_,
    true,
    tuple_,
    type_coerce,
)
from sqlalchemy import select as sa_select
from sqlalchemy.sql.elements import True_
from sqlmodel import Session, col, select

from registry.auth.scope import CITY_UNIT
from registry.errors import InvalidInput
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
_STATUS_TYPE = Enum(DueStatus, native_enum=False, create_constraint=False, length=20,
                    values_callable=lambda e: [m.value for m in e])
CURSOR_SEP = "~"  # after=<sort key>~<operator id>, as the list pages' cursors (registry/ui/listing.py)


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


_FILED = (FilingState.filed, FilingState.superseded)  # a filing since superseded by a change counts from its date


def _cutoff(half: HalfYear) -> datetime:
    """Operators first filed before this instant are due in `half`: the day after its cut-off begins in Beijing."""
    return beijing_midnight_utc(half.first_due_cutoff + timedelta(days=1))


def _inspected(since: date | None, until: date) -> ColumnElement[bool]:
    """The operator has a recorded inspection (record signed or refusal noted) from `since` to `until`."""
    on = col(Inspection.inspected_on)
    return exists().where(col(Inspection.operator_id) == col(Operator.id), col(Inspection.state).in_(RECORDED),
                          on <= until, on >= since if since is not None else true())


@dataclass(frozen=True)
class Classified:
    """The operators due in one half-year, seen on `today`, each with its status, as SQL to select from.

    `when` is the rule, stated once, as one condition per status that can occur: done if inspected (record
    signed or refusal noted) in the half-year (up to `done_by`, for statistics of a month or quarter inside
    it); once the half-year is over, overdue if not; before, never inspected if never inspected at all,
    else due. `status` is the CASE of those conditions; `sort_key` orders the list: the status's rank
    (overdue, never inspected, due, done) then the name, as one text so that a keyset cursor is one value.
    A page of the list is read status by status (`page_rows`), each an EXISTS the database answers while
    walking the names in order; the counts group by `status`. The columns the list shows besides (first
    filed, inspections in the half, last inspected) are per-row subqueries, read for the page's rows only.
    """

    half: HalfYear
    today: date
    when: dict[DueStatus, ColumnElement[bool]]
    status: ColumnElement[DueStatus]
    sort_key: ColumnElement[str]

    def select(self, *columns: Any) -> Select[Any]:
        """`columns` of the operators due in the half-year: filed in time for it (filed too late in, or after,
        the half-year, an operator is first due in a later one: first_due_half)."""
        filed_in_time = exists().where(col(Filing.operator_id) == col(Operator.id), col(Filing.state).in_(_FILED),
                                       col(Filing.filed_at) < _cutoff(self.half))
        return sa_select(*columns).select_from(Operator).where(filed_in_time)

    def of_status(self, status: DueStatus) -> ColumnElement[bool]:
        """The operators of one status (none for a status that cannot occur: overdue before the half's end)."""
        return self.when.get(status, false())

    def shown(self) -> tuple[Any, ...]:
        """The list's columns besides the operator's own: first filed, inspections in the half, last inspected."""
        own = col(Filing.operator_id) == col(Operator.id)
        first = (select(func.min(Filing.filed_at)).where(own, col(Filing.state).in_(_FILED))
                 .correlate(Operator).scalar_subquery())
        recorded = and_(col(Inspection.operator_id) == col(Operator.id), col(Inspection.state).in_(RECORDED))
        on = col(Inspection.inspected_on)
        n = (select(func.count()).where(recorded, on >= self.half.start, on <= self.half.end)
             .correlate(Operator).scalar_subquery())
        last = (select(func.max(on)).where(recorded, on <= max(self.half.end, self.today))
                .correlate(Operator).scalar_subquery())
        return first.label("first_filed"), n.label("inspections_in_half"), last.label("last_on")


def classified(half: HalfYear, today: date, *, done_by: date | None = None) -> Classified:
    """The half-year's classification as seen on `today` (`done_by`: the last day an inspection counts)."""
    done = _inspected(half.start, min(half.end, done_by) if done_by is not None else half.end)
    when: dict[DueStatus, ColumnElement[bool]]
    if today > half.end:
        when = {DueStatus.done: done, DueStatus.overdue: ~done}
    else:  # inspected ever: up to the later of the half's end and today (a half-year's window is inside it)
        ever = _inspected(None, max(half.end, today))
        when = {DueStatus.done: done, DueStatus.never_inspected: ~ever, DueStatus.due: and_(ever, ~done)}
    *first, (last, _) = when.items()
    rule = case(*((condition, status.value) for status, condition in first), else_=last.value)
    rank = case({s.value: str(n) for s, n in ORDER.items()}, value=rule)
    return Classified(half=half, today=today, when=when, status=type_coerce(rule, _STATUS_TYPE),  # type: ignore[arg-type]
                      sort_key=rank.concat(col(Operator.name)))


def unit_scope(unit_code: str) -> ColumnElement[bool]:
    """A unit's operators: those it verifies (business departments, stations) or files for (a branch sees its
    stations' operators too); the city department's cover every operator."""
    if unit_code == CITY_UNIT:
        return true()
    return or_(col(Operator.verifying_unit_code) == unit_code, col(Operator.filing_unit_code) == unit_code)


def area(*, district_code: str | None = None, station_id: str | None = None) -> ColumnElement[bool]:
    """One area's operators (the dashboard's rows link to the due list of one)."""
    clauses: list[ColumnElement[bool]] = [true()]
    if district_code is not None:
        clauses.append(col(Operator.district_code) == district_code)
    if station_id is not None:
        clauses.append(col(Operator.station_id) == station_id)
    return and_(*clauses)


def due_rows(c: Classified, *, where: ColumnElement[bool], status: DueStatus | None = None,
             text: str | None = None) -> Select[Any]:
    """The list's rows (operators in `where`, of one status, whose name or address contains `text`), unordered and
    without their status: `page_rows` adds it to a page (one status at a time), `with_status` to every row."""
    query = c.select(col(Operator.id).label("operator_id"), col(Operator.name), col(Operator.address),
                     col(Operator.verifying_unit_code), col(Operator.filing_unit_code), *c.shown()).where(where)
    if status is not None:
        query = query.where(c.of_status(status))
    if text:
        query = query.where(col(Operator.name).contains(text, autoescape=True)
                            | col(Operator.address).contains(text, autoescape=True))
    return query


def as_due_row(row: Any, half: HalfYear) -> DueRow:
    """A row of `due_rows` as the list shows it."""
    last_on = row.last_on
    if last_on is not None and not isinstance(last_on, date):
        last_on = date.fromisoformat(str(last_on))
    return DueRow(operator_id=row.operator_id, name=row.name, address=row.address,
                  verifying_unit_code=row.verifying_unit_code, filing_unit_code=row.filing_unit_code,
                  first_filed_on=beijing_today(as_utc(row.first_filed)), last_inspected_on=last_on,
                  inspections_in_half=int(row.inspections_in_half), status=DueStatus(row.status),
                  never_inspected=last_on is None, due_by=half.end)


def with_status(c: Classified, query: Select[Any]) -> Select[Any]:
    """`due_rows` with each row's status (the CASE of the rule): for reading all of them (an export)."""
    return query.add_columns(c.status.label("status"))


def page_rows(session: Session, c: Classified, query: Select[Any], *, status: DueStatus | None,
              cursor: tuple[str, int] | None, limit: int, descending: bool = False) -> list[Any]:
    """Up to `limit` rows of `due_rows` (of `status`, if given) after `cursor` in the list's order (before it,
    backwards, if `descending`), each with its `status`, `_sort_value` (the sort key) and `_row_id`.

    Read status by status in the order's ranks, each by name and id, until the page is full: the database
    walks the names in order and answers the status's EXISTS on the way, rather than classifying every
    operator of the unit to sort them.
    """
    statuses = sorted([status] if status is not None else c.when, key=ORDER.__getitem__, reverse=descending)
    name, row_id = col(Operator.name), col(Operator.id)
    rows: list[Any] = []
    for lane in statuses:
        rank = str(ORDER[lane])
        lane_query = query.add_columns(type_coerce(literal(lane.value), _STATUS_TYPE).label("status"),
                                       literal(rank).concat(name).label("_sort_value"), row_id.label("_row_id"))
        if status is None:
            lane_query = lane_query.where(c.of_status(lane))
        if cursor is not None:
            at_rank, after_name = cursor[0][:1], cursor[0][1:]
            if (rank < at_rank) != descending and rank != at_rank:
                continue  # a status the cursor is past
            if rank == at_rank:
                key, start = tuple_(name, row_id), tuple_(after_name, cursor[1])
                lane_query = lane_query.where(key < start if descending else key > start)
        order = (name.desc(), row_id.desc()) if descending else (name, row_id)
        rows.extend(session.execute(lane_query.order_by(*order).limit(limit - len(rows))).all())
        if len(rows) >= limit:
            break
    return rows


def parse_cursor(text: str) -> tuple[str, int]:
    """`after` of the due list: the sort key and operator id of the last row of the previous page."""
    key, sep, row_id = text.rpartition(CURSOR_SEP)
    if not sep or not row_id.isdigit() or key[:1] not in {str(n) for n in ORDER.values()}:
        raise InvalidInput(f"after 应为上一页的 next_after / after must be a previous page's next_after: {text[:40]!r}",
                           field="after")
    return key, int(row_id)


def due_page(session: Session, c: Classified, *, where: ColumnElement[bool], status: DueStatus | None = None,
             after: str | None = None, limit: int = 50) -> tuple[list[DueRow], str | None]:
    """One page of the due list, most urgent first, and the cursor of the next (None at the end)."""
    rows = page_rows(session, c, due_rows(c, where=where, status=status), status=status,
                     cursor=parse_cursor(after) if after else None, limit=limit + 1)
    if len(rows) <= limit:
        return [as_due_row(r, c.half) for r in rows], None
    last = rows[limit - 1]
    return [as_due_row(r, c.half) for r in rows[:limit]], f"{last._sort_value}{CURSOR_SEP}{last._row_id}"


def due_list(session: Session, *, unit_code: str, half: HalfYear, today: date,
             status: DueStatus | None = None, district_code: str | None = None,
             station_id: str | None = None) -> list[DueRow]:
    """Every row of the unit's due list, most urgent first (for scripts and benchmarks; the pages page it)."""
    c = classified(half, today)
    where = and_(unit_scope(unit_code), area(district_code=district_code, station_id=station_id))
    query = with_status(c, due_rows(c, where=where, status=status)).order_by(c.sort_key, col(Operator.id))
    return [as_due_row(r, half) for r in session.execute(query).all()]


def _zero() -> dict[str, int]:
    return {"total": 0, **{s.value: 0 for s in DueStatus}}


def counts_by(session: Session, *, key: Any, half: HalfYear, today: date, done_by: date | None = None,
              where: ColumnElement[bool] | None = None) -> dict[Any, dict[str, int]]:
    """Counts by status (and the total) per value of `key`, an Operator column (None: one group, keyed None),
    in one grouped query: per operator, whether inspected in the window and whether ever, tallied.

    The tally is `classified`'s rule counted rather than stated per row (tests/registry/test_due_list.py
    checks the two agree). `done_by` ends the window in which an inspection counts as done (default: the
    half-year's end), for statistics of a month or quarter inside the half-year; `where` narrows the operators.
    """
    if isinstance(where, True_) or isinstance(getattr(where, "element", None), True_):  # and_(true(), true())
        where = None  # the whole city: no operator to leave out (the IN cost a join of every operator)
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
    grouped = (key,) if key is not None else ()
    query = (sa_select(*grouped, func.count(), func.sum(func.coalesce(seen.c.done, 0)), func.count(seen.c.operator_id))
             .select_from(Operator).outerjoin(seen, seen.c.operator_id == Operator.id)
             .where(col(Operator.id).in_(filed_in_time), where if where is not None else true())
             .group_by(*grouped))
    counts: dict[Any, dict[str, int]] = {}
    over = today > half.end
    for *value, total, done_n, seen_n in session.execute(query).all():
        if not total:
            continue  # no operator at all (the one group of key=None)
        done = int(done_n or 0)
        open_n = total - done
        never_n = 0 if over else total - seen_n
        counts[value[0] if value else None] = {
            "total": total, DueStatus.never_inspected.value: never_n,
            DueStatus.due.value: 0 if over else open_n - never_n,
            DueStatus.overdue.value: open_n if over else 0, DueStatus.done.value: done}
    return counts


def counts(session: Session, *, half: HalfYear, today: date, where: ColumnElement[bool]) -> dict[str, int]:
    """The counts by status (and the total) of the operators in `where`, exact."""
    return counts_by(session, key=None, half=half, today=today, where=where).get(None) or _zero()


def list_counts(session: Session, *, unit_code: str, half: HalfYear, today: date, district_code: str | None = None,
                station_id: str | None = None) -> dict[str, int]:
    """A unit's (or its area's) due list counts, as the list and its API show them on every page.

    Counting a branch's 10,000 operators takes about 100 ms at 1M cameras, the city's 50,000 a few hundred
    (bench/pages.py), several times the page of rows, and every page of the list shows the same counts: a
    count slower than a quarter of the dashboard's threshold is kept as the dashboard keeps its figures
    (registry/dashboard/cache.py), until the audit chain moves (every change of the workflow, an inspection
    recorded among them, appends to it) or a minute passes, so the figures stay exact.
    """
    from registry.dashboard import cache

    where = and_(unit_scope(unit_code), area(district_code=district_code, station_id=station_id))
    key = ("due", unit_code, district_code, station_id, str(half), today)
    figures: dict[str, int] = cache.counted(session, key, lambda own: counts(own, half=half, today=today, where=where),
                                            slow_s=cache.SLOW_S / 2).value  # 50 ms: every page shows the same counts
    return figures


def summary_by_unit(session: Session, *, half: HalfYear, today: date) -> dict[str, dict[str, int]]:
    """The city's roll-up: counts by status per responsible (verifying) unit, grouped in SQL."""
    by_unit = counts_by(session, key=col(Operator.verifying_unit_code), half=half, today=today)
    return {unit: by_unit[unit] for unit in sorted(by_unit)}
