"""Keyset order: a list read in its chosen sort, then by id to break ties, one bounded batch after another.

The list pages (registry/ui/listing.py) page with it, and every export of a list walks the same order with
it, so a file holds the rows in the order the pages show them, however many there are: each batch starts
after the (sort value, id) of the last row read, so the thousandth batch costs what the first does.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Select, tuple_

SORT_VALUE = "_sort_value"
ROW_ID = "_row_id"


@dataclass(frozen=True)
class KeyOrder:
    """A sort column (never NULL in the rows listed) and the id column, both ascending or both descending."""

    column: Any
    id_column: Any
    descending: bool = False

    @property
    def by_id(self) -> bool:
        """Whether the sort is the id itself (one key, no tie to break)."""
        return self.column is self.id_column

    def order_by(self, *, reverse: bool = False) -> tuple[Any, ...]:
        """ORDER BY clauses: the sort then the id, the other way round when `reverse` (reading backwards)."""
        keys = (self.column,) if self.by_id else (self.column, self.id_column)
        return tuple(k.desc() for k in keys) if self.descending != reverse else keys

    def beyond(self, value: Any, row_id: int, *, reverse: bool = False) -> ColumnElement[bool]:
        """The rows after (value, row_id) in this order (before it when `reverse`)."""
        key: Any
        cursor: Any
        if self.by_id:
            key, cursor = self.id_column, row_id
        else:
            key, cursor = tuple_(self.column, self.id_column), tuple_(value, row_id)
        return key < cursor if self.descending != reverse else key > cursor

    def keyed(self, query: Select[Any]) -> Select[Any]:
        """The query with the sort value and the id added as the last two columns (the next cursor)."""
        return query.add_columns(self.column.label(SORT_VALUE), self.id_column.label(ROW_ID))


def batches(run: Callable[[Select[Any]], Sequence[Any]], query: Select[Any], order: KeyOrder, size: int
            ) -> Iterator[Sequence[Any]]:
    """Every row of `query` in `order`, `size` at a time; `run` executes one batch's select (its own transaction
    if it likes). Each row carries the sort value and id as its last two columns (`KeyOrder.keyed`)."""
    keyed = order.keyed(query)
    cursor: tuple[Any, int] | None = None
    while True:
        page = keyed if cursor is None else keyed.where(order.beyond(*cursor))
        rows = run(page.order_by(*order.order_by()).limit(size))
        if rows:
            yield rows
        if len(rows) < size:
            return
        last = rows[-1]
        cursor = (getattr(last, SORT_VALUE), getattr(last, ROW_ID))
