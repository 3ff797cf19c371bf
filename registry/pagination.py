"""Keyset pagination: lists return a page and the cursor of the next one."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Generic, TypeVar

from fastapi import Query
from pydantic import BaseModel

T = TypeVar("T")

AfterQuery = Annotated[int, Query(ge=0, description="rows with id above this (the previous page's next_after)")]
LimitQuery = Annotated[int, Query(ge=1, le=500, description="page size")]


class Page(BaseModel, Generic[T]):
    """One page of a list, and where the next begins (null at the end)."""

    items: list[T]
    next_after: int | None


def page_of(rows: Sequence[object], limit: int, public: type[T]) -> Page[T]:
    """Wrap rows into a page; a full page means there may be more."""
    items = [public.model_validate(row, from_attributes=True) for row in rows]  # type: ignore[attr-defined]
    next_after = getattr(rows[-1], "id", None) if rows and len(rows) == limit else None
    return Page[public](items=items, next_after=next_after)  # type: ignore[valid-type]
