"""The register as CSV or .xlsx: exactly the searched rows, scoped, formulas neutralised, audited."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import date, datetime
from typing import Any

from openpyxl import Workbook
from sqlmodel import Session, col

from registry.actor import Actor
from registry.audit import service as audit
from registry.footage.models import FootageAccess
from registry.footage.service import KIND_NAMES, FootageFilters, scoped_query
from registry.keyset import KeyOrder, batches
from registry.operators.models import Operator
from registry.text import csv_cell, needs_care, xlsx_cell
from registry.timeutil import BEIJING, beijing_today

BATCH = 2000
# (English field name, Chinese header, expression): the two header rows of every export of the registry.
COLUMNS: tuple[tuple[str, str, Any], ...] = (
    ("id", "登记号", FootageAccess.id), ("operator_id", "使用单位ID", FootageAccess.operator_id),
    ("operator_name", "使用单位", Operator.name), ("accessed_on", "调取日期", FootageAccess.accessed_on),
    ("kind", "方式", FootageAccess.kind), ("reason", "事由", FootageAccess.reason),
    ("cameras", "摄像机", FootageAccess.cameras), ("footage_from", "录像起", FootageAccess.footage_from),
    ("footage_to", "录像止", FootageAccess.footage_to), ("taker_unit_name", "调取单位", FootageAccess.taker_unit_name),
    ("taker_names", "调取人", FootageAccess.taker_names), ("approver_name", "批准人", FootageAccess.approver_name),
    ("approver_title", "批准人职务", FootageAccess.approver_title),
    ("approver_unit_code", "批准单位", FootageAccess.approver_unit_code),
    ("approval_number", "批准文书编号", FootageAccess.approval_number),
    ("approved_on", "批准日期", FootageAccess.approved_on), ("recorded_at", "登记时间", FootageAccess.recorded_at),
)


def _cell(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    if value in KIND_NAMES:
        return KIND_NAMES[value]
    return value


def rows(session: Session, *, actor: Actor, filters: FootageFilters, order: KeyOrder | None = None
         ) -> Iterator[list[Any]]:
    """The searched entries in `order` (the register's sort on its page; id order without one), read in keyset
    batches."""
    query = scoped_query(actor.user, filters, [c[2] for c in COLUMNS])
    order = order or KeyOrder(col(FootageAccess.id), col(FootageAccess.id))
    for batch in batches(lambda page: session.execute(page).all(), query, order, BATCH):
        for row in batch:
            yield [_cell(v) for v in row[:len(COLUMNS)]]


def to_csv(session: Session, *, actor: Actor, filters: FootageFilters, order: KeyOrder | None = None) -> bytes:
    """UTF-8 CSV with a BOM, a Chinese and an English header row."""
    buffer = io.StringIO(newline="")
    buffer.write("\ufeff")
    writer = csv.writer(buffer)
    writer.writerow([c[1] for c in COLUMNS])
    writer.writerow([c[0] for c in COLUMNS])
    count = 0
    for values in rows(session, actor=actor, filters=filters, order=order):
        writer.writerow([csv_cell(v) if isinstance(v, str) and needs_care(v) else v for v in values])
        count += 1
    _record(session, actor, "csv", filters, count)
    return buffer.getvalue().encode("utf-8")


def to_xlsx(session: Session, *, actor: Actor, filters: FootageFilters, order: KeyOrder | None = None) -> bytes:
    """A one-sheet workbook: 调取登记."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet("调取登记")
    sheet.append([c[1] for c in COLUMNS])
    sheet.append([c[0] for c in COLUMNS])
    count = 0
    for values in rows(session, actor=actor, filters=filters, order=order):
        sheet.append([xlsx_cell(sheet, v) if isinstance(v, str) and needs_care(v) else v for v in values])
        count += 1
    _record(session, actor, "xlsx", filters, count)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _record(session: Session, actor: Actor, fmt: str, filters: FootageFilters, count: int) -> None:
    given = {k: (v.isoformat() if isinstance(v, date) else v) for k, v in vars(filters).items() if v is not None}
    audit.append(session, actor=actor, action="export", object_type="footage_access", object_id=fmt,
                 details={"format": fmt, "filters": given, "rows": count})


def filename(fmt: str) -> str:
    """The download's name."""
    return f"footage-accesses-{beijing_today().isoformat()}.{fmt}"
