"""Reading uploaded sheets (.xlsx, .csv), writing templates and error files."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from openpyxl import Workbook, load_workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.comments import Comment
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from registry.errors import InvalidInput
from registry.imports.columns import COLUMNS, ERROR_HEADER, SHEET_TITLES, Column, Kind, cell_text

XLSX_MAGIC = b"PK\x03\x04"
BAD_FILL = PatternFill("solid", fgColor="FFC7CE")
HEADER_FONT = Font(bold=True)
REQUIRED_FONT = Font(bold=True, color="C00000")
# Cheap to keep per row, generous for the spreadsheets departments really have.
MAX_ROWS = 1_048_576
HEADER_SEARCH = 5  # rows searched for the header row
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


@dataclass
class Sheet:
    """An uploaded sheet: its header rows as given, its data rows, and which column holds which field."""

    format: str  # xlsx | csv
    title: str
    header_rows: list[list[Any]]
    rows: list[list[Any]]
    positions: dict[str, int]  # field -> column index
    first_data_row: int  # 1-based sheet row of rows[0]
    ignored: list[str] = field(default_factory=list)
    header_at: int = 0  # index in header_rows of the Chinese header row (a title line may precede it)

    def header_label(self, index: int) -> str | None:
        """The error column's header on header row `index`: 错误 beside the Chinese row, errors beside the English."""
        offset = index - self.header_at
        return ERROR_HEADER[offset] if 0 <= offset < len(ERROR_HEADER) else None

    def value(self, row: Sequence[Any], name: str) -> Any:
        """The raw cell of a field in a row (None when the column is absent or the row is short)."""
        index = self.positions.get(name)
        return row[index] if index is not None and index < len(row) else None

    def row_number(self, index: int) -> int:
        """The sheet row (1-based, as Excel shows it) of data row `index`."""
        return self.first_data_row + index


def detect_format(filename: str, data: bytes) -> str:
    """xlsx or csv, from the content first (browsers send odd names), then the extension."""
    if data.startswith(XLSX_MAGIC):
        return "xlsx"
    if filename.lower().endswith((".xlsx", ".xlsm")):
        raise InvalidInput("文件不是有效的 .xlsx / the file is not a valid .xlsx workbook", field="file")
    if filename.lower().endswith(".xls"):
        raise InvalidInput("不支持旧版 .xls，请另存为 .xlsx / old .xls is not supported; save as .xlsx", field="file")
    return "csv"


def _csv_rows(data: bytes) -> list[list[Any]]:
    for encoding in ("utf-8-sig", "gb18030"):  # Excel on Chinese Windows saves CSV as GBK
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:  # pragma: no cover - gb18030 decodes any byte string
        raise InvalidInput("无法识别文件编码 / cannot decode the CSV", field="file")
    return [list(r) for r in csv.reader(io.StringIO(text, newline=""))]


def _xlsx_rows(data: bytes) -> tuple[str, list[list[Any]]]:
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a damaged file
        raise InvalidInput(f"无法读取 .xlsx / cannot read the workbook: {exc}", field="file") from exc
    try:
        ws = book.worksheets[0]
        rows = [list(r) for r in ws.iter_rows(values_only=True)]
        return ws.title, rows
    finally:
        book.close()


def _match_header(columns: Sequence[Column], text: str | None) -> Column | None:
    if not text:
        return None
    key = text.strip().rstrip("*＊").strip().lower()
    for column in columns:
        if key in (column.zh.lower(), column.field):
            return column
    return None


def read_sheet(kind: Kind, filename: str, data: bytes) -> Sheet:
    """Parse an upload; headers may be Chinese, English or both (template layout), in any order."""
    fmt = detect_format(filename, data)
    title, raw = _xlsx_rows(data) if fmt == "xlsx" else (SHEET_TITLES[kind], _csv_rows(data))
    if len(raw) > MAX_ROWS:
        raise InvalidInput(f"行数超过 {MAX_ROWS} / more than {MAX_ROWS} rows", field="file")
    columns = COLUMNS[kind]
    if not raw:
        raise InvalidInput("文件为空 / the file is empty", field="file")
    # Department sheets often carry a title line (e.g. 某单位摄像机登记表) above the header row.
    at = next((i for i, row in enumerate(raw[:HEADER_SEARCH])
               if sum(_match_header(columns, cell_text(v)) is not None for v in row) >= 2), 0)
    header = [cell_text(v) for v in raw[at]]
    positions: dict[str, int] = {}
    ignored: list[str] = []
    for index, text in enumerate(header):
        column = _match_header(columns, text)
        if column is not None and column.field not in positions:
            positions[column.field] = index
        elif text and text.lower() not in ERROR_HEADER:
            ignored.append(text)
    header_rows = raw[: at + 1]
    # The template's second row repeats the field names in English.
    if len(raw) > at + 1:
        second = [cell_text(v) for v in raw[at + 1]]
        named = [t for t in second if t]
        # Field names are identifiers; every data row has a number, a date or Chinese text in it.
        if (named and all(_IDENTIFIER.match(t) for t in named)
                and any(_match_header(columns, t) is not None for t in named)):
            header_rows.append(raw[at + 1])
            for index, text in enumerate(second):
                column = _match_header(columns, text)
                if column is not None and column.field not in positions:
                    positions[column.field] = index
    missing = [c for c in columns if c.required and c.field not in positions]
    if missing:
        names = "、".join(c.title for c in missing)
        raise InvalidInput(f"缺少必填列 / missing required columns: {names}", field="file",
                           details={"missing": [c.field for c in missing]})
    body = raw[len(header_rows):]
    # Trailing blank lines are what spreadsheets leave behind, not rows.
    while body and all(cell_text(v) is None for v in body[-1]):
        body.pop()
    return Sheet(fmt, title, header_rows, body, positions, len(header_rows) + 1, ignored, at)


def _error_text(errors: dict[str, str]) -> str:
    return "；".join(errors.values())


def error_file(sheet: Sheet, errors: dict[int, dict[str, str]]) -> bytes:
    """The same sheet with an added 错误/errors column; in .xlsx every bad cell is also highlighted."""
    width = max([len(r) for r in sheet.header_rows + sheet.rows] or [0])
    if sheet.format == "csv":
        out = io.StringIO(newline="")
        writer = csv.writer(out)
        for index, row in enumerate(sheet.header_rows):
            writer.writerow([*_pad(row, width), sheet.header_label(index) or ""])
        for index, row in enumerate(sheet.rows):
            writer.writerow([*_pad(row, width), _error_text(errors.get(index, {}))])
        return ("\ufeff" + out.getvalue()).encode("utf-8")
    book = Workbook(write_only=True)
    ws = book.create_sheet(sheet.title)
    for index, row in enumerate(sheet.header_rows):
        ws.append([*_pad(row, width), sheet.header_label(index)])
    fields_at = {i: f for f, i in sheet.positions.items()}
    for index, row in enumerate(sheet.rows):
        row_errors = errors.get(index)
        if not row_errors:
            ws.append(_pad(row, width))
            continue
        cells: list[Any] = []
        for col, value in enumerate(_pad(row, width)):
            cell = WriteOnlyCell(ws, value=value)
            name = fields_at.get(col)
            if name in row_errors:
                cell.fill = BAD_FILL
                cell.comment = Comment(row_errors[name], "camreg")
            cells.append(cell)
        message = WriteOnlyCell(ws, value=_error_text(row_errors))
        message.font = REQUIRED_FONT
        ws.append([*cells, message])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _pad(row: Sequence[Any], width: int) -> list[Any]:
    return [*row, *([None] * (width - len(row)))]


def template(kind: Kind, fmt: str) -> bytes:
    """An empty sheet to fill: Chinese header row, English field-name row, drop-downs for coded columns."""
    columns = COLUMNS[kind]
    if fmt == "csv":
        out = io.StringIO(newline="")
        writer = csv.writer(out)
        writer.writerow([c.zh for c in columns])
        writer.writerow([c.field for c in columns])
        return ("\ufeff" + out.getvalue()).encode("utf-8")
    book = Workbook()
    ws = book.active
    assert ws is not None
    ws.title = SHEET_TITLES[kind]
    ws.append([c.zh for c in columns])
    ws.append([c.field for c in columns])
    for index, column in enumerate(columns, start=1):
        letter = get_column_letter(index)
        ws[f"{letter}1"].font = REQUIRED_FONT if column.required else HEADER_FONT
        ws.column_dimensions[letter].width = max(12, 2 * len(column.zh) + 2)
        if column.type == "text":  # keep leading zeros and long digit strings (codes, serials) as typed
            ws.column_dimensions[letter].number_format = "@"
        if column.labels:
            # A list longer than 255 characters is not allowed inline; all of ours fit.
            listing = ",".join(column.choices)
            rule = DataValidation(type="list", formula1=f'"{listing}"', allow_blank=True,
                                  error=f"请从列表中选择 / choose from the list: {listing}", showErrorMessage=True)
            rule.add(f"{letter}3:{letter}{MAX_ROWS}")
            ws.add_data_validation(rule)
    ws.freeze_panes = "A3"
    notes = book.create_sheet("说明 notes")
    notes.append(["列 column", "字段 field", "必填 required", "可选值 / 说明 values / notes"])
    for column in columns:
        notes.append([column.zh, column.field, "是" if column.required else "否",
                      "、".join(column.choices) if column.labels else column.note])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def rows_as_dicts(sheet: Sheet) -> Iterable[dict[str, Any]]:
    """Each data row as {field: raw cell} for the fields the sheet has."""
    for row in sheet.rows:
        yield {name: sheet.value(row, name) for name in sheet.positions}
