"""Filing pages: the list (filter, sort, page, export) and the detail page."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Request
from fastapi.responses import FileResponse, HTMLResponse, Response
from pydantic import BaseModel, Field
from sqlalchemy import ColumnElement, Select, func, literal
from sqlalchemy.engine import Engine
from sqlmodel import col, select

from registry.actor import Actor
from registry.auth.scope import get_visible
from registry.cameras.models import Camera
from registry.checks.pages import filing_card
from registry.deps import PageActor, SessionDep, SettingsDep, get_engine
from registry.exports import views as exports
from registry.exports.service import Filters, filtered_query
from registry.filings import desk_context, handover, service
from registry.filings.models import CorrectionNotice, Filing, FilingState, Material
from registry.imports.columns import Kind
from registry.imports.pages import import_action
from registry.operators.models import Operator
from registry.settings import Settings
from registry.timeutil import beijing_today
from registry.ui import labels
from registry.ui.forms import FormErrors
from registry.ui.list_export import ExportColumn
from registry.ui.listing import Column, FilterField, ListSpec, Sort, filters_of, order_of, show_list
from registry.ui.templating import render

router: APIRouter = APIRouter(include_in_schema=False)
EngineDep = Annotated[Engine, Depends(get_engine)]
# Filings not yet accepted have no deadline: they sort first (they wait for the desk), then by deadline.
NO_DEADLINE_YET = date(1900, 1, 1)
DEADLINE_ORDER: ColumnElement[date] = func.coalesce(col(Filing.deadline), literal(NO_DEADLINE_YET))


class FilingFilters(BaseModel):
    """What the filing list can be narrowed by (each maps onto the export's Filters)."""

    q: str | None = Field(default=None, max_length=100)
    state: FilingState | None = None
    district_code: str | None = Field(default=None, pattern=r"^\d{6}$")
    station_id: str | None = Field(default=None, pattern=r"^\d{8}$")
    operator_id: int | None = Field(default=None, ge=1)
    late: bool | None = None
    overdue: bool | None = None

    def to_export(self) -> Filters:
        """The same rows as the export (registry/exports): one query for both."""
        return Filters(q=self.q, state=self.state, district_code=self.district_code, operator_id=self.operator_id,
                       station_id=self.station_id,
                       late=True if self.late else None, overdue_on=beijing_today() if self.overdue else None)


def filing_rows(user: Any, filters: Filters) -> Select[Any]:
    """Filings with their operator's name, scoped and filtered exactly as the export is."""
    query, _ = filtered_query(Kind.filings, user, filters,
                              [Filing, col(Operator.name).label("operator_name")])
    return query


# The columns of a filing queue's 导出 (the 核对 and re-check queues: lists with conditions of their own, so the
# list's query is exported as it is, registry/ui/list_export.py): what their rows show, with the ids.
FILING_ROW_EXPORT = (
    ExportColumn("id", "ID", lambda r: r.Filing.id),
    ExportColumn("number", "备案编号", lambda r: r.Filing.number),
    ExportColumn("operator_id", "使用单位ID", lambda r: r.Filing.operator_id),
    ExportColumn("operator_name", "使用单位", lambda r: r.operator_name),
    ExportColumn("system_name", "系统名称", lambda r: r.Filing.system_name),
    ExportColumn("state", "状态", lambda r: r.Filing.state),
    ExportColumn("submitted_at", "提交时间", lambda r: r.Filing.submitted_at),
    ExportColumn("accepted_at", "受理时间", lambda r: r.Filing.accepted_at),
    ExportColumn("deadline", "办结期限", lambda r: r.Filing.deadline),
    ExportColumn("deadline_provisional", "期限暂定", lambda r: "暂定" if r.Filing.deadline_provisional else ""),
    ExportColumn("channel", "受理方式", lambda r: r.Filing.channel),
)
FILING_SORTS = (
    Sort("id", "登记顺序", col(Filing.id)),
    Sort("deadline", "办结期限", DEADLINE_ORDER, date.fromisoformat),
)
FILING_COLUMNS = (
    Column("备案编号", "id"), Column("使用单位"), Column("系统名称"), Column("状态"),
    Column("提交日期"), Column("办结期限", "deadline"), Column("受理方式"),
)
FILINGS = ListSpec(
    url="/filings", title="备案", filters=FilingFilters,
    fields=(FilterField("q", "查找", placeholder="备案编号、使用单位名称或信用代码"),
            FilterField("state", "状态", "select", labels.choices(FilingState)),
            FilterField("district_code", "区县", "select", labels.district_choices()),
            FilterField("station_id", "派出所编码", placeholder="8 位，如 11010101"),
            FilterField("late", "逾期备案", "checkbox"),
            FilterField("overdue", "办理超期", "checkbox")),
    sorts=FILING_SORTS, default_sort="-id", id_column=col(Filing.id), columns=FILING_COLUMNS,
    row_template="filings/_row.html", export_url="/filings/export",
)


@router.get("/filings", response_class=HTMLResponse)
def filing_list(request: Request, session: SessionDep, actor: PageActor) -> Response:
    """Every filing the user may see, filtered and sorted; 导出 writes the same rows."""
    return show_list(request, session, actor, FILINGS, lambda f: filing_rows(actor.user, f.to_export()),
                     extra={"actions": import_action(actor.user, Kind.filings)})


@router.get("/filings/export.{fmt}")
def filing_export(request: Request, session: SessionDep, engine: EngineDep, actor: PageActor,
                  fmt: Literal["csv", "xlsx"]) -> Response:
    """The filtered list as CSV or Excel: the list page's filters, every page of it, scoped and audited."""
    filters: FilingFilters = filters_of(FILINGS, request)
    return exports.respond(session, engine, actor, Kind.filings, fmt, filters.to_export(),
                           order_of(FILINGS, request))


def detail_context(session: Any, actor: Actor, filing: Filing) -> dict[str, Any]:
    """What the detail page shows of a filing the user may see (scope already checked)."""
    operator = session.get_one(Operator, filing.operator_id)
    materials = session.exec(select(Material).where(Material.filing_id == filing.id)
                             .order_by(col(Material.kind), col(Material.id))).all()
    cameras = session.exec(select(Camera).where(Camera.filing_id == filing.id).order_by(col(Camera.id))).all()
    notice = session.exec(select(CorrectionNotice).where(CorrectionNotice.filing_id == filing.id)).first()
    from registry.filings.verify_pages import verify_context

    gaps = service.completeness(session, filing)

    return {"filing": filing, "operator": operator, "materials": materials, "cameras": cameras, "notice": notice,
            "missing": [m.item for m in gaps], "missing_notes": {m.item: m.message for m in gaps},
            "title": f"备案 {filing.number or filing.id}",
            "verification": verify_context(session, actor, filing), "handovers": handover.of_filing(session, filing.id)}


def show_detail(request: Request, session: Any, settings: Settings, actor: Actor, filing: Filing, *,
                errors: FormErrors | None = None, values: dict[str, Any] | None = None, status: int = 200,
                material: int | None = None, page: int | None = None, extra: dict[str, Any] | None = None) -> Response:
    """The filing's page; for the filing unit's desk officers with their actions, and a refused form's errors."""
    context = detail_context(session, actor, filing)
    kinds = {m.kind.value for m in context["materials"]}
    context.update(desk_context.officer_context(session, settings, actor, filing, missing=context["missing"],
                                                kinds=kinds, material_id=material, page=page))
    context.update(errors=errors or FormErrors(), values=values or {}, checks=filing_card(session, actor, filing),
                   **(extra or {}))
    return render(request, "filings/detail.html", context, actor=actor, session=session, status_code=status)


@router.get("/filings/{filing_id}", response_class=HTMLResponse)
def filing_detail(request: Request, session: SessionDep, settings: SettingsDep, actor: PageActor, filing_id: int,
                  material: int | None = None, page: int | None = None) -> Response:
    """One filing: its details, materials, cameras, deployment map and where it is in the workflow."""
    filing = get_visible(session, Filing, filing_id, actor.user)
    return show_detail(request, session, settings, actor, filing, material=material, page=page)


@router.get("/materials/{material_id}")
def material_file(session: SessionDep, settings: SettingsDep, actor: PageActor, material_id: int) -> Response:
    """A material's bytes for viewing inline (PDF or image); every read is audited like the API's."""
    material, path = service.read_material(session, actor=actor, material_id=material_id, settings=settings)
    response = FileResponse(path, media_type=material.mime, filename=material.filename,
                            content_disposition_type="inline")
    # Shown inside the filing page (PDFs in an iframe): framing by our own pages only, no script.
    response.headers["Content-Security-Policy"] = "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; " \
                                                  "frame-ancestors 'self'"
    response.headers["X-Frame-Options"] = "SAMEORIGIN"
    response.headers["Cache-Control"] = "private, no-store"
    return response


# The desk's routes (queue, actions on this page) are served with the filing pages.
from registry.filings.desk_pages import router as desk_router  # noqa: E402  (it builds on the names above)

router.include_router(desk_router)
