"""导出 for a list page whose rows no registry/exports kind covers: the list's own scoped, filtered query (all
pages, in id order, read in keyset batches) written as CSV or .xlsx with the registry's two header rows (Chinese,
then field names), text that a spreadsheet would run as a formula neutralised, and the export audited.

The filters are read by the list's own ListSpec, so the file holds exactly the rows the list counts.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from fastapi import Request
from fastapi.responses import Response
from openpyxl import Workbook
from sqlalchemy import Select
from sqlmodel import Session

from registry.actor import Actor
from registry.audit import service as audit
from registry.text import csv_cell, needs_care, xlsx_cell
from registry.timeutil import BEIJING, beijing_today
from registry.ui import labels
from registry.ui.listing import ListSpec, filters_of

BATCH = 2000
MEDIA_TYPES = {"xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
               "csv": "text/csv; charset=utf-8"}
_ID = "_export_id"


@dataclass(frozen=True)
class ExportColumn:
    """One column of the file: its field name, its Chinese header, and how a row of the list's query gives it."""

    field: str
    zh: str
    value: Callable[[Any], Any]


def _cell(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.astimezone(BEIJING).strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, StrEnum):
        return labels.label(value)
    return value


def _rows(session: Session, spec: ListSpec, query: Select[Any], columns: tuple[ExportColumn, ...]
          ) -> Iterator[list[Any]]:
    keyed = query.add_columns(spec.id_column.label(_ID))
    after: Any = None
    while True:
        page = keyed if after is None else keyed.where(spec.id_column > after)
        batch = session.execute(page.order_by(spec.id_column).limit(BATCH)).all()
        for row in batch:
            yield [_cell(c.value(row)) for c in columns]
        if len(batch) < BATCH:
            return
        after = getattr(batch[-1], _ID)


def export_list(request: Request, session: Session, actor: Actor, spec: ListSpec,
                query_for: Callable[[Any], Select[Any]], columns: tuple[ExportColumn, ...], fmt: str,
                name: str) -> Response:
    """The list's rows for these filters as a download named `name`-date.fmt (audited with their count)."""
    filters = filters_of(spec, request)
    rows = _rows(session, spec, query_for(filters), columns)
    count = 0
    if fmt == "csv":
        buffer = io.StringIO(newline="")
        buffer.write("\ufeff")
        writer = csv.writer(buffer)
        writer.writerow([c.zh for c in columns])
        writer.writerow([c.field for c in columns])
        for values in rows:
            writer.writerow([csv_cell(v) if isinstance(v, str) and needs_care(v) else v for v in values])
            count += 1
        data = buffer.getvalue().encode("utf-8")
    else:
        book = Workbook(write_only=True)
        sheet = book.create_sheet(spec.title[:31])
        sheet.append([c.zh for c in columns])
        sheet.append([c.field for c in columns])
        for values in rows:
            sheet.append([xlsx_cell(sheet, v) if isinstance(v, str) and needs_care(v) else v for v in values])
            count += 1
        out = io.BytesIO()
        book.save(out)
        data = out.getvalue()
    given = {k: v for k, v in request.query_params.items() if v and k not in ("sort", "after", "before", "per_page")}
    audit.append(session, actor=actor, action="export", object_type=name, object_id=fmt,
                 details={"format": fmt, "list": spec.url, "filters": given, "rows": count})
    return Response(data, media_type=MEDIA_TYPES[fmt], headers={
        "Content-Disposition": f'attachment; filename="{name}-{beijing_today().isoformat()}.{fmt}"',
        "Cache-Control": "private, no-store"})
