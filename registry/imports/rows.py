"""Turning sheet rows into validated models, collecting one message per bad cell, and the import report."""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from registry.errors import DomainError
from registry.imports.columns import CellError, Column, cell_text, parse_cell
from registry.imports.sheets import Sheet

ModelT = TypeVar("ModelT", bound=BaseModel)
ROW = ""  # key of a message about the whole row rather than one cell
Progress = Callable[[str, int, int], None]


def no_progress(_stage: str, _done: int, _total: int) -> None:
    """The default progress callback: ignore."""


class RowErrors:
    """Messages per data row and column; a row with any message is invalid."""

    def __init__(self, columns: Sequence[Column]) -> None:
        self.by_row: dict[int, dict[str, str]] = {}
        self._titles = {c.field: c.title for c in columns}

    def add(self, index: int, name: str | None, message: str) -> None:
        """Record what is wrong with a cell (or with the row when `name` is empty or unknown)."""
        key = name if name in self._titles else ROW
        title = self._titles.get(key, "")
        cell = self.by_row.setdefault(index, {})
        text = f"{title}: {message}" if title else message
        cell[key] = f"{cell[key]}；{text}" if key in cell else text

    def add_domain(self, index: int, exc: DomainError, default: str | None = None) -> None:
        """Record a domain error on the column it names (its `field`), else on `default`."""
        name = exc.field.split(".")[-1] if exc.field else default
        self.add(index, name, exc.message)

    def __contains__(self, index: object) -> bool:
        return index in self.by_row

    def __len__(self) -> int:
        return len(self.by_row)


def _pydantic_message(error: Any) -> str:
    msg = str(error.get("msg", "invalid"))
    return msg.removeprefix("Value error, ")


def _parse_column(sheet: Sheet, column: Column, errors: RowErrors) -> list[Any]:
    """Every cell of one column parsed (None for blanks and bad cells, which are recorded)."""
    at = sheet.positions[column.field]
    raw = [row[at] if at < len(row) else None for row in sheet.rows]
    if column.type == "text" and not column.labels and not column.digits:
        # The common case, inline: a CSV cell is already text.
        values: list[Any] = [(v.strip() or None) if v.__class__ is str and not v.startswith("'") else cell_text(v)
                             for v in raw]
    else:
        values = []
        numeric = column.type == "float"
        for index, cell in enumerate(raw):
            if cell is None or cell == "":
                values.append(None)
                continue
            if numeric and cell.__class__ is str:
                try:  # the common case without a function call; odd spellings go through parse_cell
                    values.append(float(cell))
                    continue
                except ValueError:
                    pass
            try:
                values.append(parse_cell(column, cell))
            except CellError as exc:
                errors.add(index, column.field, str(exc))
                values.append(None)
    if column.required:
        for index, value in enumerate(values):
            if value is None and column.field not in errors.by_row.get(index, {}):
                errors.add(index, column.field, "必填 / required")
    return values


def validate_rows(sheet: Sheet, columns: Sequence[Column], model: type[ModelT], errors: RowErrors, *,
                  model_fields: Collection[str] | None = None, progress: Progress = no_progress
                  ) -> list[tuple[ModelT | None, dict[str, Any]]]:
    """Per row: the model built from its cells (None if any cell is bad) and all parsed values."""
    wanted = set(model_fields) if model_fields is not None else set(model.model_fields)
    present = [c for c in columns if c.field in sheet.positions]
    parsed = {c.field: _parse_column(sheet, c, errors) for c in present}
    names = list(parsed)
    out: list[tuple[ModelT | None, dict[str, Any]]] = []
    total = len(sheet.rows)
    progress("validate", 0, total)
    for index, cells in enumerate(zip(*parsed.values(), strict=True) if names else ([] for _ in sheet.rows)):
        values = {name: value for name, value in zip(names, cells, strict=True) if value is not None}
        built: ModelT | None = None
        if index not in errors.by_row:
            try:
                built = model.model_validate({k: v for k, v in values.items() if k in wanted})
            except ValidationError as exc:
                for problem in exc.errors():
                    loc = problem.get("loc") or ()
                    errors.add(index, str(loc[0]) if loc else None, _pydantic_message(problem))
        out.append((built, values))
        if index % 5000 == 4999:
            progress("validate", index + 1, total)
    progress("validate", total, total)
    return out


def differences(existing: object, values: dict[str, Any], columns: Sequence[Column],
                skip: Collection[str] = ()) -> list[str]:
    """Titles of the columns whose given value differs from what is stored (floats to 1e-6)."""
    changed = []
    for column in columns:
        if column.field in skip or column.field not in values or not hasattr(existing, column.field):
            continue
        stored, given = getattr(existing, column.field), values[column.field]
        stored = getattr(stored, "value", stored)
        if isinstance(stored, float) and isinstance(given, int | float):
            same = abs(stored - float(given)) < 1e-6
        else:
            same = stored == given
        if not same:
            changed.append(column.title)
    return changed


@dataclass
class RowNote:
    """What happened to one row that was not simply created: invalid, or already present (and how)."""

    row: int
    status: str  # invalid | present | differs
    message: str


@dataclass
class ImportReport:
    """The outcome of one file; `committed` is False when an all-or-nothing import was refused."""

    kind: str
    filename: str
    sha256: str
    format: str
    valid_only: bool
    migration: bool = False  # an administrator registering existing cameras on filed filings (audited)
    rows: int = 0
    created: int = 0
    present: int = 0
    differing: int = 0
    invalid: int = 0
    codes_issued: int = 0
    committed: bool = False
    ignored_columns: list[str] = field(default_factory=list)
    per_filing: dict[int, int] = field(default_factory=dict)  # cameras stored per filing id
    notes: list[RowNote] = field(default_factory=list)
    error_file: bytes | None = None
    error_filename: str | None = None

    MAX_NOTES = 1000  # the error file carries every message; the JSON report only the first ones

    def note(self, row: int, status: str, message: str) -> None:
        """Count a non-created row and keep its message (up to MAX_NOTES)."""
        if status == "invalid":
            self.invalid += 1
        elif status == "present":
            self.present += 1
        else:
            self.differing += 1
        if len(self.notes) < self.MAX_NOTES:
            self.notes.append(RowNote(row, status, message))

    def counts(self) -> dict[str, Any]:
        """The figures the audit log keeps."""
        return {"rows": self.rows, "created": self.created, "present": self.present, "differing": self.differing,
                "invalid": self.invalid, "codes_issued": self.codes_issued, "committed": self.committed,
                "valid_only": self.valid_only, "migration": self.migration}
