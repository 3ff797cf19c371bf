"""Text that goes in and out: control characters refused on input, escaped on output; formulas neutralised.

Names, addresses and free text have no use for control characters, and one stored `\\u0001` used to make
every .xlsx export holding it fail (XML 1.0 cannot carry it). Input schemas mix in `PlainTextInput`
(one validator for all their text fields); exports pass their text cells through `csv_cell` or
`xlsx_cell`, which also keep spreadsheet programs from running a cell as a formula (`=HYPERLINK(…)`,
OWASP's "CSV injection").
"""

from __future__ import annotations

import re
from typing import Any, ClassVar

from openpyxl.cell import WriteOnlyCell
from pydantic import ValidationInfo, field_validator
from sqlmodel import SQLModel

# C0 controls but tab, newline and carriage return; DEL; C1 controls; surrogates; the two non-characters XML
# refuses. Tab/newline/CR are allowed only in multi-line fields.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
_LINE_BREAKS = re.compile("[\t\n\r\u2028\u2029]")
# What XML 1.0 (so .xlsx) cannot hold at all.
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
#: A cell starting with one of these is run as a formula by Excel, LibreOffice or WPS.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
_TRIGGER_SET = frozenset(FORMULA_TRIGGERS)


def control_problem(value: str, *, multiline: bool = False) -> str | None:
    """Why the text cannot be stored (bilingual, naming the character and its position), or None."""
    found = _CONTROL.search(value) or (None if multiline else _LINE_BREAKS.search(value))
    if found is None:
        return None
    code = f"U+{ord(found.group()):04X}"
    return (f"第 {found.start() + 1} 个字符是控制字符 {code}，不能保存 / character {found.start() + 1} is the "
            f"control character {code}, which cannot be stored")


class PlainTextInput(SQLModel):
    """Mixin for input schemas: every text field refuses control characters (line breaks only where listed)."""

    #: Fields that may hold several lines (free text such as a correction item or a reason).
    multiline_fields: ClassVar[frozenset[str]] = frozenset()
    #: Fields that are not text for people (a password may hold anything).
    exempt_fields: ClassVar[frozenset[str]] = frozenset()

    @field_validator("*", mode="after", check_fields=False)
    @classmethod
    def _no_control_characters(cls, value: Any, info: ValidationInfo) -> Any:
        if isinstance(value, str) and info.field_name is not None and info.field_name not in cls.exempt_fields:
            problem = control_problem(value, multiline=info.field_name in cls.multiline_fields)
            if problem:
                raise ValueError(problem)
        return value


def _escape(match: re.Match[str]) -> str:
    return f"\\u{ord(match.group()):04x}"


def writable(value: str) -> str:
    """The text with what XML 1.0 cannot carry escaped as `\\uXXXX`."""
    return _XML_ILLEGAL.sub(_escape, value) if _XML_ILLEGAL.search(value) else value


def needs_care(value: str) -> bool:
    """Whether a text cell must go through `csv_cell`/`xlsx_cell` (a fast test: most cells need nothing)."""
    return bool(value) and (value[0] in _TRIGGER_SET or not value.isprintable())


def csv_cell(value: str) -> str:
    """A CSV cell: unwritable characters escaped as `\\uXXXX`; a formula gets a leading apostrophe.

    The apostrophe is the spreadsheet convention for "this is text" (OWASP's advice for CSV); imports drop
    it again (`strip_formula_guard`), so an export still imports unchanged.
    """
    value = writable(value)
    return "'" + value if value.startswith(FORMULA_TRIGGERS) else value


def xlsx_cell(sheet: Any, value: str) -> Any:
    """A text cell for a write-only .xlsx sheet: escaped, and formula-like text written as text.

    openpyxl writes any string starting with `=` as a formula; such a cell becomes a string cell with
    Excel's quote prefix (shown as typed, still text when edited).
    """
    value = writable(value)
    if not value.startswith(FORMULA_TRIGGERS):
        return value
    cell = WriteOnlyCell(sheet, value=value)
    cell.data_type = "s"
    cell.quotePrefix = True
    return cell


def strip_formula_guard(text: str) -> str:
    """Undo `csv_cell`'s apostrophe on a re-imported cell."""
    if text.startswith("'") and text[1:].startswith(FORMULA_TRIGGERS):
        return text[1:]
    return text
