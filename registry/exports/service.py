"""Streaming exports of the lists a user may see, read in bounded batches so a million rows never sit in memory:
in id windows when the list is in id order, in keyset batches over the sort key when it is sorted otherwise."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from sqlalchemy import ColumnElement, Select, case, func, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import aliased
from sqlalchemy.sql import sqltypes
from sqlmodel import Session, col

from registry.actor import Actor
from registry.audit import service as audit
from registry.auth.models import User
from registry.auth.scope import clause_for
from registry.cameras.models import Camera, CameraStatus
from registry.filings import clock
from registry.filings.models import Filing, FilingState, state_in
from registry.filings.verification import awaiting_clause
from registry.imports.columns import CAMERA_COLUMNS, FILING_COLUMNS, OPERATOR_COLUMNS, SHEET_TITLES, Kind
from registry.keyset import KeyOrder, batches
from registry.operators.models import Operator
from registry.text import csv_cell, needs_care, xlsx_cell
from registry.timeutil import beijing_today

BATCH = 5000  # rows per CSV chunk sent
WINDOW = 10_000  # ids per query


@dataclass(frozen=True)
class Field:
    """One exported column: English name, Chinese header, and the SQL expression that yields it."""

    name: str
    zh: str
    expr: Any


@dataclass
class Filters:
    """What a user may narrow an export by (None = not filtered); names follow the list APIs."""

    district_code: str | None = None
    filing_unit_code: str | None = None
    operator_id: int | None = None
    filing_id: int | None = None
    station_id: str | None = None
    state: FilingState | None = None
    states: tuple[FilingState, ...] | None = None
    status: CameraStatus | None = None
    late: bool | None = None
    overdue_on: date | None = None
    deadline_by: date | None = None  # decision deadline on or before this day
    q: str | None = None
    awaiting_verification: bool | None = None  # filings whose 核对 is due (registry.filings.verification)
    queue_unit_code: str | None = None  # the unit that verifies the filing, or files it
    code: str | None = None
    serial: str | None = None
    mac: str | None = None
    ip: str | None = None

    def given(self) -> dict[str, Any]:
        """The filters actually set, for the audit log."""
        def plain(v: Any) -> Any:
            return [plain(x) for x in v] if isinstance(v, tuple) else v.value if isinstance(v, StrEnum) else v

        return {k: plain(v) for k, v in vars(self).items() if v is not None}


def _zh(columns: Any) -> dict[str, str]:
    return {c.field: c.zh for c in columns}


def _fields(kind: Kind) -> list[Field]:
    if kind == Kind.operators:
        zh = _zh(OPERATOR_COLUMNS)
        names = [c.field for c in OPERATOR_COLUMNS if c.field != "datum"]
        extra = [("district_code", "区县编码"), ("station_id", "派出所"), ("filing_unit_code", "受理单位"),
                 ("verifying_unit_code", "核对单位"), ("routing_rule", "管辖规则"), ("created_at", "登记时间")]
        return ([Field("id", "ID", Operator.id)] + [Field(n, zh[n], getattr(Operator, n)) for n in names]
                + [Field(n, z, getattr(Operator, n)) for n, z in extra])
    if kind == Kind.filings:
        zh = _zh(FILING_COLUMNS)
        names = [c.field for c in FILING_COLUMNS if c.field not in ("operator_uscc", "number",
                                                                    "changes_filing_number")]
        # Two words, never mixed: 逾期备案 the operator's lateness, 办理超期 the filing unit's (registry/filings/clock).
        extra = [("state", "状态"), ("kind", "类型"), ("filing_unit_code", "受理单位"), ("late", clock.LATE_LABEL),
                 ("late_days", "逾期备案天数"), ("late_days_acceptance", "逾期天数（自竣工验收合格，第七条）"),
                 ("late_days_in_use", "逾期天数（自投入使用，799号令）"), ("submitted_at", "提交时间"),
                 ("accepted_at", "受理时间"), ("deadline", "办结期限")]
        overdue = Field("overdue", clock.OVERDUE_LABEL,
                        case((clock.overdue_clause(beijing_today()), True), else_=False))
        return ([Field("id", "ID", Filing.id), Field("operator_uscc", zh["operator_uscc"], Operator.uscc),
                 Field("operator_name", "使用单位名称", Operator.name), Field("number", zh["number"], Filing.number)]
                + [Field(n, zh[n], getattr(Filing, n)) for n in names]
                + [Field(n, z, getattr(Filing, n)) for n, z in extra]
                + [overdue, Field("filed_at", "备案时间", Filing.filed_at),
                   Field("operator_id", "使用单位ID", Filing.operator_id)])
    zh = _zh(CAMERA_COLUMNS)
    names = [c.field for c in CAMERA_COLUMNS if c.field not in ("filing_number", "filing_id", "datum")]
    extra = [("district_code", "区县编码"), ("station_id", "派出所"), ("operator_id", "使用单位ID"),
             ("created_at", "登记时间"), ("removed_at", "注销时间")]
    return ([Field("id", "ID", Camera.id), Field("code", "编码", Camera.code), Field("status", "状态", Camera.status),
             Field("filing_number", zh["filing_number"], Filing.number),
             Field("filing_id", zh["filing_id"], Camera.filing_id)]
            + [Field(n, zh[n], getattr(Camera, n)) for n in names]
            + [Field(n, z, getattr(Camera, n)) for n, z in extra])


def filtered_query(kind: Kind, user: User, filters: Filters, columns: list[Any]) -> tuple[Select[Any], Any]:
    """The scoped, filtered select and its id column (the keyset key): list pages show what exports write."""
    if kind == Kind.operators:
        query = select(*columns).where(clause_for(Operator, user))
        conditions = _operator_filters(filters)
        return query.where(*conditions), Operator.id
    # Outer joins to the row's operator and filing: every row has one (a NOT NULL foreign key), so the rows
    # are the same, but a count that uses none of their columns leaves the join out (PostgreSQL's join
    # removal): a list's count of up to 1,000 rows read each operator or filing again (bench/pages.py).
    if kind == Kind.filings:
        query = (select(*columns).select_from(Filing).outerjoin(Operator, col(Operator.id) == Filing.operator_id)
                 .where(clause_for(Filing, user)))
        return query.where(*_filing_filters(filters)), Filing.id
    query = (select(*columns).select_from(Camera).outerjoin(Filing, col(Filing.id) == Camera.filing_id)
             .where(clause_for(Camera, user)))
    for name in ("filing_id", "operator_id", "station_id", "district_code", "status", "code", "serial", "mac", "ip"):
        value = getattr(filters, name)
        if value is not None:
            query = query.where(getattr(Camera, name) == value)
    return query, Camera.id


def _operator_filters(filters: Filters) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if filters.district_code:
        conditions.append(col(Operator.district_code) == filters.district_code)
    if filters.filing_unit_code:
        conditions.append(col(Operator.filing_unit_code) == filters.filing_unit_code)
    if filters.station_id:
        conditions.append(col(Operator.station_id) == filters.station_id)
    if filters.q:
        conditions.append(col(Operator.name).contains(filters.q) | (col(Operator.uscc) == filters.q.upper()))
    if filters.overdue_on is not None:
        overdue = select(col(Filing.operator_id)).where(clock.overdue_clause(filters.overdue_on))
        conditions.append(col(Operator.id).in_(overdue))
    return conditions


# Made once: building an alias adapts every column of the model, a sixth of the 核对 queue's time per request.
_VERIFIER = aliased(Operator, name="verifier")


def _filing_filters(filters: Filters) -> list[ColumnElement[bool]]:
    """The same filters as the filing list (registry.filings.service.list_visible)."""
    conditions: list[ColumnElement[bool]] = []
    if filters.state is not None:
        conditions.append(col(Filing.state) == filters.state)
    if filters.states is not None:
        conditions.append(state_in(filters.states))
    if filters.q:
        # A filing number, a credit code, or part of the operator's name.
        text = filters.q.strip()
        conditions.append((col(Filing.number) == text) | (col(Operator.uscc) == text.upper())
                          | col(Operator.name).contains(text))
    if filters.filing_unit_code:
        conditions.append(col(Filing.filing_unit_code) == filters.filing_unit_code)
    if filters.operator_id is not None:
        conditions.append(col(Filing.operator_id) == filters.operator_id)
    if filters.district_code:
        conditions.append(col(Operator.district_code) == filters.district_code)
    if filters.station_id:
        conditions.append(col(Operator.station_id) == filters.station_id)
    if filters.late is not None:
        conditions.append(col(Filing.late) == filters.late)
    if filters.overdue_on is not None:  # 办理超期: filings waiting for the operator's correction are not
        conditions.append(clock.overdue_clause(filters.overdue_on))
    if filters.deadline_by is not None:
        conditions.append(col(Filing.deadline) <= filters.deadline_by)
    if filters.awaiting_verification is not None:
        conditions.append(awaiting_clause(filters.awaiting_verification))
    if filters.queue_unit_code:
        # The operators the unit verifies, as a set looked up once from its index: an OR across the joined
        # operator row made PostgreSQL read every operator of the city for a branch's 核对 queue.
        verified = select(col(_VERIFIER.id)).where(col(_VERIFIER.verifying_unit_code) == filters.queue_unit_code)
        conditions.append(col(Filing.operator_id).in_(verified)
                          | (col(Filing.filing_unit_code) == filters.queue_unit_code))
    return conditions


def count(session: Session, *, kind: Kind, user: User, filters: Filters) -> int:
    """How many rows the export will hold."""
    counter: Any = func.count()
    query, _ = filtered_query(kind, user, filters, [counter])
    return int(session.execute(query).scalar_one())


def header_rows(kind: Kind) -> tuple[list[str], list[str]]:
    """Chinese header row and English field-name row (the import templates' layout, re-importable)."""
    fields = _fields(kind)
    return [f.zh for f in fields], [f.name for f in fields]


def _yes_no(value: Any) -> str:
    return "是" if value else "否"


def _converter(column_type: Any) -> Callable[[Any], Any] | None:
    """How a column's values become cells; None when they are written as they are (most columns)."""
    if isinstance(column_type, sqltypes.Boolean):
        return _yes_no
    if isinstance(column_type, sqltypes.Enum):
        return lambda v: v.value if isinstance(v, StrEnum) else v
    if isinstance(column_type, sqltypes.DateTime):
        return lambda v: v.isoformat(timespec="seconds")
    if isinstance(column_type, sqltypes.Date):
        return date.isoformat
    if isinstance(column_type, sqltypes.JSON):
        return lambda v: ";".join(map(str, v)) if isinstance(v, list) else str(v)
    return None


def iter_rows(engine: Engine, *, kind: Kind, user: User, filters: Filters, window: int = WINDOW,
              order: KeyOrder | None = None) -> Iterator[list[Any]]:
    """Rows in `order` (the list's sort; id order without one), each batch in its own short transaction (no long
    lock held).

    In id order a window of ids bounds every query whatever plan the database picks: with LIMIT alone, a scope
    sub-select lets the planner walk an (operator_id, id) index and sort everything after the cursor for each
    batch, which is quadratic over a million rows. Rows added after the export starts (ids above the first
    maximum) are not included. Sorted by another column (a filing's deadline, an operator's name: lists of
    thousands, not millions), batches follow that column and the id as the list's pages do (registry/keyset.py).
    """
    fields = _fields(kind)
    query, key = filtered_query(kind, user, filters, [f.expr for f in fields])
    order = order or KeyOrder(key, key)
    converters = [(i, c) for i, c in enumerate(_converter(f.expr.type) for f in fields) if c is not None]
    width = len(fields)
    with Session(engine) as session:
        for rows in _batches(session, query, order, window):
            for row in rows:
                values = list(row)[:width]
                for index, convert in converters:
                    if values[index] is not None:
                        values[index] = convert(values[index])
                yield values


def _batches(session: Session, query: Select[Any], order: KeyOrder, window: int) -> Iterator[Sequence[Any]]:
    def run(page: Select[Any]) -> Sequence[Any]:
        rows = session.execute(page).all()
        session.commit()
        return rows

    if not order.by_id:
        yield from batches(run, query, order, window)
        return
    key = order.id_column
    top = run(select(func.max(col(key))))[0][0] or 0
    lows = range(0, top, window)
    for low in reversed(lows) if order.descending else lows:
        yield run(query.where(col(key) > low, col(key) <= low + window).order_by(*order.order_by()))


def _text_columns(kind: Kind) -> list[int]:
    """Where the text columns are: only their cells can hold a formula or a control character."""
    other = (sqltypes.Integer, sqltypes.Float, sqltypes.Numeric, sqltypes.Boolean, sqltypes.Date, sqltypes.DateTime,
             sqltypes.Enum)
    return [i for i, f in enumerate(_fields(kind)) if not isinstance(f.expr.type, other)]


def csv_chunks(engine: Engine, *, kind: Kind, user: User, filters: Filters, order: KeyOrder | None = None
               ) -> Iterator[bytes]:
    """UTF-8 CSV with a BOM (so Excel reads the Chinese), one chunk per batch of rows."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer)
    buffer.write("\ufeff")
    writer.writerows(header_rows(kind))
    pending = 0
    texts = _text_columns(kind)
    for row in iter_rows(engine, kind=kind, user=user, filters=filters, order=order):
        for index in texts:
            value = row[index]
            if value and needs_care(value):
                row[index] = csv_cell(value)
        writer.writerow(row)
        pending += 1
        if pending == BATCH:
            yield buffer.getvalue().encode("utf-8")
            buffer.seek(0)
            buffer.truncate()
            pending = 0
    yield buffer.getvalue().encode("utf-8")


def write_xlsx(engine: Engine, path: Path, *, kind: Kind, user: User, filters: Filters,
               progress: Callable[[int], None] | None = None, order: KeyOrder | None = None) -> int:
    """A write-only (streamed to disk) workbook; returns the number of data rows."""
    book = Workbook(write_only=True)
    ws = book.create_sheet(SHEET_TITLES[kind])
    for row in header_rows(kind):
        ws.append(row)
    rows = 0
    texts = _text_columns(kind)
    for values in iter_rows(engine, kind=kind, user=user, filters=filters, order=order):
        for index in texts:
            value = values[index]
            if value and needs_care(value):
                values[index] = xlsx_cell(ws, value)
        ws.append(values)
        rows += 1
        if progress is not None and rows % BATCH == 0:
            progress(rows)
    book.save(path)
    return rows


def record(session: Session, *, actor: Actor, kind: Kind, fmt: str, filters: Filters, rows: int) -> None:
    """The audit event: who exported which list, with which filters, how many rows."""
    audit.append(session, actor=actor, action="export", object_type=kind.value, object_id=fmt,
                 details={"format": fmt, "filters": filters.given(), "rows": rows})


def overdue_date(overdue: bool, overdue_on: date | None) -> date | None:
    """`overdue=true` means overdue today (Beijing date); an explicit date wins."""
    if overdue_on is not None:
        return overdue_on
    return beijing_today() if overdue else None
