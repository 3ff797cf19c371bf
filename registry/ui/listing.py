"""List pages: a filter form, a sortable table and keyset paging, swapped in place by htmx.

A list is declared once (`ListSpec`): its filter schema and fields, the sorts its indexes serve, its
columns and the template of one row. `show_list` reads the query string (so every filtered, sorted page
is a URL, and a full load of that URL gives the same rows as the in-place swap), runs the domain's
scoped query, and renders the whole page or, for htmx, only the results. Paging is by keyset
(sort value, id): the next page starts after the last row shown, so deep pages cost what the first does.
Counts stop at COUNT_CAP, so that a district's 100,000 cameras count in milliseconds ("1,000+"); the
count's 精确计数 link asks for the exact figure (`count=all`), which the list then keeps while paging.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import HTMLResponse
from pydantic import BaseModel
from sqlalchemy import Select, func, select
from sqlmodel import Session

from registry.actor import Actor
from registry.errors import InvalidInput
from registry.keyset import KeyOrder
from registry.ui.forms import FormErrors, blank_to_none
from registry.ui.templating import is_htmx, render

# Counting 10,000 of a district's cameras (with the joins the rows need) took 60-100 ms at 1M cameras,
# most of a page's time (bench/pages.py); 1,000 take a tenth of that.
COUNT_CAP = 1_000
EXACT_COUNT = "all"  # count=all: count every row (on demand, from the count's link)
PAGE_SIZES = (20, 50, 100)
_PAGING_KEYS = {"sort", "after", "before", "per_page", "count"}


@dataclass(frozen=True)
class Sort:
    """A sort the indexes serve: `column` must not be NULL in the listed rows (the keyset compares it)."""

    key: str
    label: str
    column: Any
    parse: Callable[[str], Any] = int


@dataclass(frozen=True)
class Column:
    """A table header: its label, the sort it toggles (if any), a CSS class for the cells."""

    label: str
    sort: str | None = None
    css: str = ""


@dataclass(frozen=True)
class FilterField:
    """One input of the filter form: text, select (with choices), date or checkbox."""

    name: str
    label: str
    kind: str = "text"
    choices: tuple[tuple[str, str], ...] = ()
    placeholder: str = ""


@dataclass(frozen=True)
class ListSpec:
    """Everything a list page needs besides its query."""

    url: str
    title: str
    filters: type[BaseModel]
    fields: tuple[FilterField, ...]
    sorts: tuple[Sort, ...]
    default_sort: str
    id_column: Any
    columns: tuple[Column, ...]
    row_template: str
    export_url: str | None = None
    template: str = "inc/list_page.html"
    hidden: tuple[str, ...] = ()  # filters set by links (an operator's cameras), kept by the form as hidden inputs

    def sort(self, key: str) -> Sort:
        """The sort named `key` (without its direction)."""
        return next(s for s in self.sorts if s.key == key)

    def chosen_sort(self, params: Any) -> tuple[str, bool]:
        """The sort key and direction a query string asks for (`sort=-deadline`), the default if it names none."""
        text = params.get("sort") or self.default_sort
        if text.removeprefix("-") not in {s.key for s in self.sorts}:
            text = self.default_sort
        return text.removeprefix("-"), text.startswith("-")

    def order(self, key: str, descending: bool) -> KeyOrder:
        """The keyset order of the sort named `key`: its column, then the id breaking ties."""
        return KeyOrder(self.sort(key).column, self.id_column, descending)


@dataclass
class ListResult:
    """One page of rows and what the templates need to draw it and its links."""

    spec: ListSpec
    params: dict[str, str]
    filters: BaseModel | None
    errors: FormErrors
    rows: list[Any] = field(default_factory=list)
    count: int = 0
    capped: bool = False
    sort_key: str = ""
    descending: bool = False
    next_cursor: str | None = None
    prev_cursor: str | None = None
    per_page: int = PAGE_SIZES[1]

    def url(self, **changes: str | None) -> str:
        """This list's URL with some parameters changed (None drops one); paging restarts unless given."""
        params: dict[str, str | None] = {k: v for k, v in self.params.items() if k not in ("after", "before")}
        params.update(changes)
        query = urlencode({k: v for k, v in params.items() if v not in (None, "")})
        return f"{self.spec.url}?{query}" if query else self.spec.url

    def exact_count_url(self) -> str:
        """This page again, with the exact count instead of the capped one."""
        return self.url(count=EXACT_COUNT, after=self.params.get("after"), before=self.params.get("before"))

    def sort_url(self, key: str) -> str:
        """The URL sorting by `key`: ascending first, descending when already ascending."""
        flip = key == self.sort_key and not self.descending
        return self.url(sort=f"-{key}" if flip else key)

    def export_url(self, fmt: str) -> str | None:
        """The export of exactly these filters (all pages) in this sort, as csv or xlsx."""
        if self.spec.export_url is None:
            return None
        params = {k: v for k, v in self.params.items() if (k == "sort" or k not in _PAGING_KEYS) and v}
        query = urlencode(params)
        return f"{self.spec.export_url}.{fmt}" + (f"?{query}" if query else "")


def parse_filters(spec: ListSpec, params: dict[str, str], errors: FormErrors) -> BaseModel | None:
    """The filter model from the query string, with any bad value reported beside its field."""
    from pydantic import ValidationError

    data = {k: v for k, v in blank_to_none(params).items() if k not in _PAGING_KEYS and v is not None}
    try:
        return spec.filters.model_validate(data)
    except ValidationError as exc:
        errors.add_validation(exc)
        return None


def order_of(spec: ListSpec, request: Request) -> KeyOrder:
    """The order a list's export walks: the sort and direction chosen on the list (its `sort` parameter)."""
    return spec.order(*spec.chosen_sort(request.query_params))


def filters_of(spec: ListSpec, request: Request) -> Any:
    """The list's filters from a request that is not the list itself (its export): bad values are a 422."""
    errors = FormErrors()
    filters = parse_filters(spec, dict(request.query_params.items()), errors)
    if filters is None:
        name, message = next(iter(errors.fields.items()), ("", "查询条件有误"))
        raise InvalidInput(f"查询条件有误：{name} {message} / invalid filter {name}", field=name or None)
    return filters


def _cursor(value: Any, row_id: int) -> str:
    if isinstance(value, date):
        value = value.isoformat()
    return f"{value}~{row_id}"


def _parse_cursor(text: str | None, sort: Any) -> tuple[Any, int] | None:
    if not text or "~" not in text:
        return None
    value, _, row_id = text.rpartition("~")
    try:
        return sort.parse(value), int(row_id)
    except ValueError:
        return None


# A list's own keyset read, for a sort no index serves as one column: (query, cursor or None, descending,
# limit) → up to `limit` rows after the cursor in that order, each with `_sort_value` and `_row_id`.
Keyset = Callable[[Select[Any], tuple[Any, int] | None, bool, int], list[Any]]


def fetch(session: Session, spec: ListSpec, query: Select[Any], result: ListResult, *,
          count: int | None = None, keyset: Keyset | None = None) -> None:
    """Fill `result` with one keyset page of `query` (read by `keyset` if given) and the capped count of all
    its rows (or `count`, the exact figure a list already knows)."""
    sort = spec.sort(result.sort_key)
    after = _parse_cursor(result.params.get("after"), sort)
    before = _parse_cursor(result.params.get("before"), sort) if after is None else None
    backwards = before is not None
    # Reading backwards (the previous page) walks the same index the other way, then flips the rows.
    cursor = after or before
    if keyset is not None:
        rows = list(keyset(query, cursor, result.descending != backwards, result.per_page + 1))
    else:
        order = spec.order(result.sort_key, result.descending)
        paged = order.keyed(query)
        if cursor is not None:
            paged = paged.where(order.beyond(*cursor, reverse=backwards))
        rows = list(session.execute(paged.order_by(*order.order_by(reverse=backwards))
                                    .limit(result.per_page + 1)).all())
    more = len(rows) > result.per_page
    rows = rows[: result.per_page]
    if backwards:
        rows.reverse()
    result.rows = rows
    if rows:
        first, last = rows[0], rows[-1]
        has_next = more if not backwards else True
        has_prev = (after is not None) if not backwards else more
        result.next_cursor = _cursor(last._sort_value, last._row_id) if has_next else None
        result.prev_cursor = _cursor(first._sort_value, first._row_id) if has_prev else None
    if count is not None:
        result.count = count
        return
    counted_rows = query.order_by(None)
    if result.params.get("count") != EXACT_COUNT:
        counted_rows = counted_rows.limit(COUNT_CAP + 1)
        counted = session.execute(select(func.count()).select_from(counted_rows.subquery())).scalar_one()
        result.count, result.capped = min(counted, COUNT_CAP), counted > COUNT_CAP
    else:
        result.count = session.execute(select(func.count()).select_from(counted_rows.subquery())).scalar_one()


def show_list(request: Request, session: Session, actor: Actor, spec: ListSpec,
              query_for: Callable[[Any], Select[Any]], *, extra: dict[str, Any] | None = None,
              count_for: Callable[[Any], int | None] | None = None,
              keyset_for: Callable[[Any], Keyset] | None = None) -> HTMLResponse:
    """The list page (or, for htmx, its results) for the query string of `request`; `count_for` gives the
    exact count of the filters' rows where the list knows it without counting them (else None), `keyset_for`
    the list's own keyset read for the filters."""
    params = {k: v for k, v in request.query_params.items()}
    errors = FormErrors()
    filters = parse_filters(spec, params, errors)
    key, descending = spec.chosen_sort(params)
    sort_text = f"-{key}" if descending else key
    try:
        per_page = int(params.get("per_page", PAGE_SIZES[1]))
    except ValueError:
        per_page = PAGE_SIZES[1]
    result = ListResult(spec=spec, params=params, filters=filters, errors=errors, sort_key=key,
                        descending=sort_text.startswith("-"),
                        per_page=per_page if per_page in PAGE_SIZES else PAGE_SIZES[1])
    if filters is not None:
        fetch(session, spec, query_for(filters), result, count=count_for(filters) if count_for else None,
              keyset=keyset_for(filters) if keyset_for else None)
    context = {"list": result, "spec": spec, **(extra or {})}
    template = "inc/list_results.html" if is_htmx(request) else spec.template
    return render(request, template, context, actor=actor, session=session)
