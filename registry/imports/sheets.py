"""Reading uploaded sheets (.xlsx, .csv), writing templates and error files."""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from openpyxl import Workbook, load_workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.comments import Comment
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from registry.errors import InvalidInput, TooLarge
from registry.imports.columns import COLUMNS, ERROR_HEADER, SHEET_TITLES, Column, Kind, cell_text
from registry.text import FORMULA_TRIGGERS, csv_cell, needs_care, writable, xlsx_cell

XLSX_MAGIC = b"PK\x03\x04"
BAD_FILL = PatternFill("solid", fgColor="FFC7CE")
HEADER_FONT = Font(bold=True)
REQUIRED_FONT = Font(bold=True, color="C00000")
MAX_ROWS = 1_048_576  # Excel's own limit: template drop-downs reach this far
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


@dataclass(frozen=True)
class Limits:
    """How much of an upload is read: data rows, and the unpacked size of an .xlsx (a zip)."""

    max_rows: int = 200_000
    max_unpacked_bytes: int = 256 * 1024 * 1024


def _too_many_rows(limit: int) -> TooLarge:
    return TooLarge(f"文件超过 {limit} 行，请分批导入 / the file has more than {limit} rows; split it "
                    "(limit CAMREG_IMPORT_MAX_ROWS)", field="file")


def _collect(rows: Iterable[Sequence[Any]], max_rows: int) -> list[list[Any]]:
    """The rows, stopping with a 413 as soon as there are too many; blank rows are kept only between data."""
    kept: list[list[Any]] = []
    blank = 0
    limit = max_rows + HEADER_SEARCH + 1  # header rows (and a title line) do not count
    for row in rows:
        if all(v is None or (isinstance(v, str) and not v.strip()) for v in row):
            blank += 1  # a formatted but empty row; a sheet may carry a million of them
            continue
        if len(kept) >= limit:
            raise _too_many_rows(max_rows)
        kept.extend([] for _ in range(blank))
        blank = 0
        kept.append(list(row))
    return kept


def _csv_rows(data: bytes, limits: Limits) -> list[list[Any]]:
    for encoding in ("utf-8-sig", "gb18030"):  # Excel on Chinese Windows saves CSV as GBK
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:  # pragma: no cover - gb18030 decodes any byte string
        raise InvalidInput("无法识别文件编码 / cannot decode the CSV", field="file")
    return _collect(csv.reader(io.StringIO(text, newline="")), limits.max_rows)


def _check_unpacked(data: bytes, limit: int) -> None:
    """Refuse a workbook whose parts unpack to more than the limit (a small zip can hold gigabytes of XML).

    The sizes in the zip directory are binding: zipfile never returns more than a member declares.
    """
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, ValueError) as exc:
        raise InvalidInput(f"文件不是有效的 .xlsx / the file is not a valid .xlsx workbook: {exc}",
                           field="file") from exc
    if unpacked > limit:
        raise TooLarge(f".xlsx 解压后 {unpacked // 2**20} MB，超过上限 {limit // 2**20} MB / the workbook unpacks "
                       f"to {unpacked} bytes, over the {limit} byte limit (CAMREG_IMPORT_MAX_UNPACKED_BYTES)",
                       field="file")


def _xlsx_rows(data: bytes, limits: Limits) -> tuple[str, list[list[Any]]]:
    _check_unpacked(data, limits.max_unpacked_bytes)
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a damaged file
        raise InvalidInput(f"无法读取 .xlsx / cannot read the workbook: {exc}", field="file") from exc
    try:
        ws: Any = book.worksheets[0]
        # The declared dimension is the file's claim; trusting it pads every row to its width (A1:XFD1048576).
        ws.reset_dimensions()
        return ws.title, _collect(ws.iter_rows(values_only=True), limits.max_rows)
    except (TooLarge, InvalidInput):
        raise
    except Exception as exc:  # a damaged sheet part shows up only while streaming it
        raise InvalidInput(f"无法读取 .xlsx / cannot read the workbook: {exc}", field="file") from exc
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


def read_sheet(kind: Kind, filename: str, data: bytes, limits: Limits | None = None) -> Sheet:
    """Parse an upload; headers may be Chinese, English or both (template layout), in any order."""
    limits = limits or Limits()
    fmt = detect_format(filename, data)
    title, raw = _xlsx_rows(data, limits) if fmt == "xlsx" else (SHEET_TITLES[kind], _csv_rows(data, limits))
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
    if len(raw) - len(header_rows) > limits.max_rows:
        raise _too_many_rows(limits.max_rows)
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
            writer.writerow([*_csv(_pad(row, width)), sheet.header_label(index) or ""])
        for index, row in enumerate(sheet.rows):
            writer.writerow([*_csv(_pad(row, width)), _error_text(errors.get(index, {}))])
        return ("\ufeff" + out.getvalue()).encode("utf-8")
    book = Workbook(write_only=True)
    ws = book.create_sheet(sheet.title)
    for index, row in enumerate(sheet.header_rows):
        ws.append([*_xlsx(ws, _pad(row, width)), sheet.header_label(index)])
    fields_at = {i: f for f, i in sheet.positions.items()}
    for index, row in enumerate(sheet.rows):
        row_errors = errors.get(index)
        if not row_errors:
            ws.append(_xlsx(ws, _pad(row, width)))
            continue
        cells: list[Any] = []
        for col, value in enumerate(_pad(row, width)):
            cell = WriteOnlyCell(ws, value=writable(value) if isinstance(value, str) else value)
            if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS):
                cell.data_type, cell.quotePrefix = "s", True
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


def _csv(row: list[Any]) -> list[Any]:
    """The user's own cells echoed back, formula-safe (a hostile sheet must not run in the next reader's Excel)."""
    return [csv_cell(v) if isinstance(v, str) and needs_care(v) else v for v in row]


def _xlsx(ws: Any, row: list[Any]) -> list[Any]:
    return [xlsx_cell(ws, v) if isinstance(v, str) and needs_care(v) else v for v in row]


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
