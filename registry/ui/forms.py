"""Form input: parse into the API's own schemas, and say what is wrong with each field in Chinese."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from registry.errors import DomainError

ModelT = TypeVar("ModelT", bound=BaseModel)


def _message(error: Mapping[str, Any]) -> str:
    """One pydantic error in Chinese (the English detail follows where it says more)."""
    kind, ctx = error.get("type", ""), error.get("ctx") or {}
    messages = {
        "missing": "必填",
        "string_too_short": f"至少 {ctx.get('min_length')} 个字符",
        "string_too_long": f"最多 {ctx.get('max_length')} 个字符",
        "too_short": f"至少 {ctx.get('min_length')} 项",
        "too_long": f"最多 {ctx.get('max_length')} 项",
        "greater_than_equal": f"不能小于 {ctx.get('ge')}",
        "greater_than": f"须大于 {ctx.get('gt')}",
        "less_than_equal": f"不能大于 {ctx.get('le')}",
        "less_than": f"须小于 {ctx.get('lt')}",
        "int_parsing": "请填写整数",
        "int_from_float": "请填写整数",
        "float_parsing": "请填写数字",
        "date_parsing": "日期格式应为 2026-12-05",
        "date_from_datetime_parsing": "日期格式应为 2026-12-05",
        "bool_parsing": "请选择是或否",
        "enum": "请从列表中选择",
        "literal_error": "请从列表中选择",
        "string_pattern_mismatch": "格式不正确",
    }
    if kind in messages:
        return messages[kind]
    detail = str(error.get("msg", "")).removeprefix("Value error, ")
    return f"格式不正确：{detail}" if detail else "格式不正确"


@dataclass
class FormErrors:
    """Errors by field name, plus one for the form as a whole."""

    fields: dict[str, str] = field(default_factory=dict)
    general: str | None = None

    def __bool__(self) -> bool:
        return bool(self.fields or self.general)

    def add(self, name: str | None, message: str) -> None:
        """Record an error beside a field (or for the whole form); the first one per field wins."""
        if name:
            self.fields.setdefault(name, message)
        else:
            self.general = self.general or message

    def add_validation(self, exc: ValidationError, prefix: str = "") -> None:
        """Every field error of a pydantic validation failure."""
        for error in exc.errors():
            loc = [str(p) for p in error["loc"]]
            self.add(prefix + ".".join(loc) if loc else None, _message(error))

    def add_domain(self, exc: DomainError, known: set[str] | None = None) -> None:
        """A service refusal: beside its field when the form has that field, else above the form."""
        name = exc.field if exc.field and (known is None or exc.field in known) else None
        self.add(name, exc.message)


def blank_to_none(data: Mapping[str, Any]) -> dict[str, Any]:
    """Form fields left empty mean 'not given' (an empty string is never a valid number, date or choice)."""
    return {k: (None if isinstance(v, str) and v.strip() == "" else v.strip() if isinstance(v, str) else v)
            for k, v in data.items()}


def parse(model: type[ModelT], data: Mapping[str, Any], errors: FormErrors) -> ModelT | None:
    """The model from form data, or None with the errors recorded beside their fields."""
    try:
        return model.model_validate({k: v for k, v in blank_to_none(data).items() if v is not None})
    except ValidationError as exc:
        errors.add_validation(exc)
        return None
