"""Importing operators and filings row by row through their own services (routing, audit, deadlines)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from datetime import date
from typing import Any, TypeVar

from pydantic import ValidationError
from sqlalchemy import ColumnElement
from sqlmodel import Session, SQLModel, col, select

from registry.actor import Actor
from registry.auth.scope import clause_for, require_role
from registry.errors import DomainError
from registry.filings import service as filings_service
from registry.filings.models import Filing, FilingCreate, FilingForm
from registry.imports.columns import FILING_COLUMNS, OPERATOR_COLUMNS
from registry.imports.rows import ImportReport, Progress, RowErrors, differences, validate_rows
from registry.imports.sheets import Sheet
from registry.operators import service as operators_service
from registry.operators.models import Operator, OperatorCreate
from registry.routing import to_wgs84
from registry.settings import Settings
from registry.text import PlainTextInput
from registry.uscc import validate_uscc

T = TypeVar("T")
ModelT = TypeVar("ModelT", bound=SQLModel)
CHUNK = 500  # keeps IN (...) lists well under every backend's parameter limit


def chunks(items: Sequence[T], size: int = CHUNK) -> Iterator[Sequence[T]]:
    """Consecutive slices of at most `size` items."""
    for start in range(0, len(items), size):
        yield items[start : start + size]


def fetch_in(session: Session, model: type[ModelT], column: Any, values: Iterable[Any],
             *extra: ColumnElement[bool]) -> list[ModelT]:
    """Rows whose `column` is one of `values`, fetched in chunks."""
    found: list[ModelT] = []
    for part in chunks(sorted(set(values))):
        found.extend(session.exec(select(model).where(col(column).in_(part)).where(*extra)).all())
    return found


def _duplicate(errors: RowErrors, seen: dict[Any, int], key: Any, index: int, sheet: Sheet, name: str) -> bool:
    if key in seen:
        errors.add(index, name, f"与第 {sheet.row_number(seen[key])} 行重复 / duplicate of row "
                                f"{sheet.row_number(seen[key])}")
        return True
    seen[key] = index
    return False


def import_operators(session: Session, *, actor: Actor, sheet: Sheet, report: ImportReport,
                     errors: RowErrors, progress: Progress) -> None:
    """Operators, matched by 统一社会信用代码: a known code is reported as present, never updated."""
    require_role(actor.user, *operators_service.OFFICER_WRITERS)
    parsed = validate_rows(sheet, OPERATOR_COLUMNS, OperatorCreate, errors, progress=progress)
    for index, (model, _values) in enumerate(parsed):
        if model is not None and (problems := validate_uscc(model.uscc)):
            errors.add(index, "uscc", "; ".join(problems))
    usccs = [m.uscc for i, (m, _) in enumerate(parsed) if m is not None and i not in errors]
    existing = {o.uscc: o for o in fetch_in(session, Operator, Operator.uscc, usccs)}
    visible = {o.uscc for o in fetch_in(session, Operator, Operator.uscc, existing,
                                        clause_for(Operator, actor.user))}
    seen: dict[str, int] = {}
    for index, (model, values) in enumerate(parsed):
        if model is None or index in errors or _duplicate(errors, seen, model.uscc, index, sheet, "uscc"):
            continue
        number = sheet.row_number(index)
        known = existing.get(model.uscc)
        if known is not None and model.uscc not in visible:
            errors.add(index, "uscc", "该代码已由其他单位登记 / an operator with this credit code is registered "
                                      "outside your responsibility")
        elif known is not None:
            lon, lat = to_wgs84(model.lon, model.lat, model.datum)
            given = {k: v for k, v in model.model_dump().items() if k in values}
            changed = differences(known, {**given, "lon": lon, "lat": lat}, OPERATOR_COLUMNS, skip={"datum"})
            _note_present(report, number, changed)
        else:
            _create_one(session, errors, index, lambda m=model: operators_service.create(
                session, actor=actor, data=m))
            report.created += 0 if index in errors else 1
        if index % 500 == 499:
            progress("store", index + 1, len(parsed))


def _note_present(report: ImportReport, row: int, changed: list[str]) -> None:
    if changed:
        report.note(row, "differs", "已存在，未更新；与已登记内容不同的列 / already present, not updated; differs in: "
                    + "、".join(changed))
    else:
        report.note(row, "present", "已存在，内容相同 / already present, unchanged")


def _create_one(session: Session, errors: RowErrors, index: int, create: Any, default: str | None = None) -> None:
    """Run one service call in a savepoint so a refused row leaves the others intact."""
    savepoint = session.begin_nested()
    try:
        create()
    except DomainError as exc:
        savepoint.rollback()
        errors.add_domain(index, exc, default)
    else:
        savepoint.commit()


class FilingRow(FilingForm, PlainTextInput):
    """A sheet row's filing form, checked like an API submission (no control characters)."""


FORM_FIELDS = set(FilingForm.model_fields)


def import_filings(session: Session, *, actor: Actor, sheet: Sheet, report: ImportReport, errors: RowErrors,
                   settings: Settings, progress: Progress) -> None:
    """Filings, matched by 备案编号 if given, else by (operator, system name, going-into-use date)."""
    parsed = validate_rows(sheet, FILING_COLUMNS, FilingRow, errors, model_fields=FORM_FIELDS, progress=progress)
    usccs = {v["operator_uscc"] for _, v in parsed if "operator_uscc" in v}
    operators = {o.uscc: o for o in fetch_in(session, Operator, Operator.uscc, usccs,
                                             clause_for(Operator, actor.user))}
    numbers = {v["number"] for _, v in parsed if "number" in v}
    by_number = {f.number: f for f in fetch_in(session, Filing, Filing.number, numbers, clause_for(Filing, actor.user))}
    by_key: dict[tuple[int, str, date], Filing] = {}
    for part in chunks([o.id for o in operators.values() if o.id is not None]):
        for filing in session.exec(select(Filing).where(col(Filing.operator_id).in_(part))).all():
            by_key.setdefault((filing.operator_id, filing.system_name, filing.system_in_use_date), filing)
    seen: dict[Any, int] = {}
    for index, (form, values) in enumerate(parsed):
        operator = operators.get(values.get("operator_uscc", ""))
        if "operator_uscc" in values and operator is None:
            errors.add(index, "operator_uscc", "没有此代码的使用单位（或不在您的管辖范围）/ no operator with this "
                                               "credit code in your responsibility; import it first")
        number = values.get("number")
        if number is not None and number not in by_number:
            errors.add(index, "number", f"备案编号 {number} 不存在（或不在您的管辖范围）/ no filing numbered {number} "
                                        "in your responsibility; leave it empty to submit a new filing")
        if form is None or operator is None or index in errors:
            continue
        assert operator.id is not None
        key = (operator.id, form.system_name, form.system_in_use_date)
        if _duplicate(errors, seen, number or key, index, sheet, "number" if number else "system_name"):
            continue
        known = by_number[number] if number is not None else by_key.get(key)
        if known is not None and known.operator_id != operator.id:
            errors.add(index, "number", f"备案编号 {number} 属于其他使用单位 / filing {number} belongs to another "
                                        "operator")
            continue
        if known is not None:
            given = {k: v for k, v in form.model_dump().items() if k in values}
            _note_present(report, sheet.row_number(index), differences(known, given, FILING_COLUMNS))
            continue
        try:
            data = FilingCreate(**form.model_dump(), operator_id=operator.id,
                                changes_filing_number=values.get("changes_filing_number"))
        except ValidationError as exc:
            errors.add(index, "changes_filing_number", exc.errors()[0]["msg"])
            continue
        _create_one(session, errors, index, lambda d=data: filings_service.submit(
            session, actor=actor, data=d, settings=settings), default="operator_uscc")
        report.created += 0 if index in errors else 1
        if index % 500 == 499:
            progress("store", index + 1, len(parsed))
