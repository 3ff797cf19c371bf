"""The report as an .xlsx in one fixed layout: title, period, unit, generated time, three header rows, units, total.

Layout (1-based rows): 1 title; 2 统计期间; 3 报送单位; 4 生成时间; 6–8 headers (section, Chinese, English
field name); from 9 one row per unit, then 合计; then the notes. Columns: A unit code, B unit name, C… the
figures in `service.FIGURES` order. Text cells go through `registry.text.xlsx_cell` like every export.
"""

from __future__ import annotations

import io
from itertools import groupby
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from sqlmodel import Session

from registry.actor import Actor
from registry.audit import service as audit
from registry.statistics.service import FIGURES, NOTES, Report, Row
from registry.text import needs_care, xlsx_cell
from registry.timeutil import BEIJING, as_utc

TITLE = "公共安全视频图像信息系统数据报送统计表"
SHEET = "数据报送"
HEADER_ROW = 6  # the section row; the Chinese and English header rows follow
FIRST_DATA_ROW = HEADER_ROW + 3


def _cells(sheet: Any, values: list[Any]) -> list[Any]:
    """Text that a spreadsheet would read as a formula (a unit renamed "=…") is written as text."""
    return [xlsx_cell(sheet, v) if isinstance(v, str) and needs_care(v) else v for v in values]


def _row(sheet: Any, row: Row) -> list[Any]:
    return _cells(sheet, [row.unit_code or "", row.unit_name, *(row.figures[f.name] for f in FIGURES)])


def to_xlsx(report: Report) -> bytes:
    """The report as a one-sheet workbook in the fixed layout."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = SHEET
    generated = as_utc(report.generated_at).astimezone(BEIJING)
    period = report.period
    sheet.append([TITLE])
    sheet.append(_cells(sheet, ["统计期间", f"{period.label}（{period.start.isoformat()} 至 {period.end.isoformat()}）",
                                str(period)]))
    sheet.append(_cells(sheet, ["报送单位", f"{report.unit_name}（{report.unit_code}）", report.unit_code]))
    sheet.append(["生成时间", f"{generated:%Y-%m-%d %H:%M}（北京时间）", generated.isoformat(timespec="seconds")])
    sheet.append([])
    sheet.append(["单位代码", "单位名称", *(f.section for f in FIGURES)])
    sheet.append(["", "", *(f.zh for f in FIGURES)])
    sheet.append(["unit_code", "unit_name", *(f.name for f in FIGURES)])
    for row in report.rows:
        sheet.append(_row(sheet, row))
    sheet.append(_row(sheet, report.total))
    total_row = sheet.max_row
    sheet.append([])
    for note in NOTES:
        sheet.append([note])
    _style(sheet, total_row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _style(sheet: Any, total_row: int) -> None:
    """Merged title and section headers, bold headers and total, column widths."""
    last = get_column_letter(2 + len(FIGURES))
    sheet.merge_cells(f"A1:{last}1")
    sheet["A1"].font = Font(bold=True, size=14)
    sheet["A1"].alignment = Alignment(horizontal="center")
    column = 3
    for _section, members in groupby(FIGURES, key=lambda f: f.section):
        width = len(list(members))
        if width > 1:
            sheet.merge_cells(start_row=HEADER_ROW, start_column=column, end_row=HEADER_ROW,
                              end_column=column + width - 1)
        column += width
    for row in (HEADER_ROW, HEADER_ROW + 1):
        for cell in sheet[row]:
            cell.font = Font(bold=True)
            cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    for cell in sheet[total_row]:
        cell.font = Font(bold=True)
    sheet.column_dimensions["A"].width = 10
    sheet.column_dimensions["B"].width = 24
    for index in range(3, 3 + len(FIGURES)):
        sheet.column_dimensions[get_column_letter(index)].width = 11
    sheet.freeze_panes = f"C{FIRST_DATA_ROW}"


def filename(report: Report) -> str:
    """The download's name: statistics-101-2026-Q3.xlsx."""
    return f"statistics-{report.unit_code}-{report.period}.xlsx"


def record(session: Session, *, actor: Actor | None, report: Report) -> None:
    """The audit event: who exported which unit's statistics for which period."""
    audit.append(session, actor=actor, action="export", object_type="statistics", object_id="xlsx",
                 details={"unit_code": report.unit_code, "period": str(report.period), "rows": len(report.rows)})
