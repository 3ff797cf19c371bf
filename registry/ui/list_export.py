"""导出 for a list page whose rows no registry/exports kind covers: the list's own scoped, filtered query (all
pages, in the sort chosen on the list, read in keyset batches) written as CSV or .xlsx with the registry's two
header rows (Chinese, then field names), text that a spreadsheet would run as a formula neutralised, and the
export audited.

The filters and the sort are read by the list's own ListSpec, so the file holds exactly the rows the list
counts, in the order its pages show them.
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
from registry.keyset import KeyOrder, batches
from registry.text import csv_cell, needs_care, xlsx_cell
from registry.timeutil import BEIJING, beijing_today
from registry.ui import labels
from registry.ui.listing import ListSpec, filters_of

BATCH = 2000
MEDIA_TYPES = {"xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
               "csv": "text/csv; charset=utf-8"}


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


def _rows(session: Session, query: Select[Any], order: KeyOrder, columns: tuple[ExportColumn, ...]
          ) -> Iterator[list[Any]]:
    for batch in batches(lambda page: session.execute(page).all(), query, order, BATCH):
        for row in batch:
            yield [_cell(c.value(row)) for c in columns]


def export_list(request: Request, session: Session, actor: Actor, spec: ListSpec,
                query_for: Callable[[Any], Select[Any]], columns: tuple[ExportColumn, ...], fmt: str,
                name: str) -> Response:
    """The list's rows for these filters, in its sort, as a download named `name`-date.fmt (audited with their
    count)."""
    filters = filters_of(spec, request)
    key, descending = spec.chosen_sort(request.query_params)
    rows = _rows(session, query_for(filters), spec.order(key, descending), columns)
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
    sort = f"-{key}" if descending else key
    audit.append(session, actor=actor, action="export", object_type=name, object_id=fmt,
                 details={"format": fmt, "list": spec.url, "filters": given, "sort": sort, "rows": count})
    return Response(data, media_type=MEDIA_TYPES[fmt], headers={
        "Content-Disposition": f'attachment; filename="{name}-{beijing_today().isoformat()}.{fmt}"',
        "Cache-Control": "private, no-store"})
