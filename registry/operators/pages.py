"""Operator pages: the list (filter, sort, page, export) and the detail page."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel, Field
from sqlalchemy import Select
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from registry.actor import Actor
from registry.auth.models import Role
from registry.auth.scope import clause_for, get_visible
from registry.deps import PageActor, SessionDep, get_engine
from registry.exports import views as exports
from registry.exports.service import Filters, filtered_query
from registry.filings.models import Filing
from registry.imports.columns import Kind
from registry.imports.pages import import_action
from registry.operators.models import Operator
from registry.operators.overview import overview
from registry.scans.service import SCAN_ROLES
from registry.timeutil import beijing_today
from registry.ui import labels
from registry.ui.listing import Column, FilterField, ListSpec, Sort, filters_of, order_of, show_list
from registry.ui.templating import render

router = APIRouter(include_in_schema=False)
EngineDep = Annotated[Engine, Depends(get_engine)]


class OperatorFilters(BaseModel):
    """What the operator list can be narrowed by (each maps onto the export's Filters)."""

    q: str | None = Field(default=None, max_length=100)
    district_code: str | None = Field(default=None, pattern=r"^\d{6}$")
    station_id: str | None = Field(default=None, pattern=r"^\d{8}$")
    overdue: bool | None = None

    def to_export(self) -> Filters:
        """The same rows as the export (registry/exports): one query for both."""
        return Filters(q=self.q, district_code=self.district_code, station_id=self.station_id,
                       overdue_on=beijing_today() if self.overdue else None)


def operator_rows(user: Any, filters: Filters) -> Select[Any]:
    """Operators, scoped and filtered exactly as the export is."""
    query, _ = filtered_query(Kind.operators, user, filters, [Operator])
    return query


OPERATORS = ListSpec(
    url="/operators", title="使用单位", filters=OperatorFilters,
    fields=(FilterField("q", "查找", placeholder="单位名称或统一社会信用代码"),
            FilterField("district_code", "区县", "select", labels.district_choices()),
            FilterField("station_id", "派出所编码", placeholder="8 位，如 11010101"),
            FilterField("overdue", "有办理超期的备案", "checkbox")),
    sorts=(Sort("id", "登记顺序", col(Operator.id)), Sort("name", "名称", col(Operator.name), str)),
    default_sort="-id", id_column=col(Operator.id),
    columns=(Column("名称", "name"), Column("统一社会信用代码"), Column("地址"), Column("区县"),
             Column("受理单位"), Column("核对单位"), Column("登记日期", "id")),
    row_template="operators/_row.html", export_url="/operators/export",
)


@router.get("/operators", response_class=HTMLResponse)
def operator_list(request: Request, session: SessionDep, actor: PageActor) -> Response:
    """Every operator the user may see; 导出 writes the same rows."""
    return show_list(request, session, actor, OPERATORS, lambda f: operator_rows(actor.user, f.to_export()),
                     extra={"actions": import_action(actor.user, Kind.operators)})


@router.get("/operators/export.{fmt}")
def operator_export(request: Request, session: SessionDep, engine: EngineDep, actor: PageActor,
                    fmt: Literal["csv", "xlsx"]) -> Response:
    """The filtered operator list as CSV or Excel (every page of it), scoped and audited."""
    filters: OperatorFilters = filters_of(OPERATORS, request)
    return exports.respond(session, engine, actor, Kind.operators, fmt, filters.to_export(),
                           order_of(OPERATORS, request))


@router.get("/operators/{operator_id}", response_class=HTMLResponse)
def operator_detail(request: Request, session: SessionDep, actor: PageActor, operator_id: int) -> Response:
    """One operator: who is responsible for it and why, its filings, sites, cameras and scans."""
    operator = get_visible(session, Operator, operator_id, actor.user)
    return detail_page(request, session, actor, operator)


def detail_page(request: Request, session: Session, actor: Actor, operator: Operator, *,
                extra: dict[str, Any] | None = None, status_code: int = 200) -> HTMLResponse:
    """The operator's page (scope already checked); `extra` carries a form coming back with its errors."""
    filings = session.exec(select(Filing).where(Filing.operator_id == operator.id).where(clause_for(Filing, actor.user))
                           .order_by(col(Filing.id).desc()).limit(100)).all()
    officer = actor.user.role != Role.operator
    context = {"operator": operator, "filings": filings, "title": operator.name,
               "may_scan": actor.user.role in SCAN_ROLES, **overview(session, operator, officer=officer),
               **(extra or {})}
    return render(request, "operators/detail.html", context, actor=actor, session=session, status_code=status_code)
