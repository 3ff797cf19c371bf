"""The city's spot checks (市局抽查, JOURNEYS §3 step 3): the windows, the list of draws (filtered, exported), the
draw form in a window, each unit's completion of the half-year, and one draw's sample with its findings."""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel, Field
from sqlalchemy import Select, func
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from registry.actor import Actor
from registry.clock import TodayDep
from registry.deps import PageActor, SessionDep
from registry.errors import DomainError
from registry.inspections import due, periods, spotcheck
from registry.inspections.models import DrawInput, FindingInput, Inspection, SpotCheckDraw, SpotCheckFinding
from registry.inspections.periods import HalfYear
from registry.inspections.supervision_pages import windows_text
from registry.operators.models import Operator
from registry.ui.forms import FormErrors, blank_to_none, parse
from registry.ui.list_export import ExportColumn, export_list
from registry.ui.listing import Column, FilterField, ListSpec, Sort, show_list
from registry.ui.templating import is_htmx, redirect, render

router = APIRouter(include_in_schema=False)


def _completion(session: Session, half: HalfYear, today: date) -> list[dict[str, Any]]:
    """Per unit: operators due and inspected in the half-year, inspections recorded and reviewed by its 科信."""
    reviewed = spotcheck.review_progress(session, half=half)
    dues = due.summary_by_unit(session, half=half, today=today)
    units = sorted(set(reviewed) | set(dues))
    return [{"unit_code": u, "due": dues.get(u, {}).get("total", 0), "done": dues.get(u, {}).get("done", 0),
             "inspections": reviewed.get(u, {}).get("inspections", 0),
             "reviewed": reviewed.get(u, {}).get("reviewed", 0)} for u in units]


class DrawFilters(BaseModel):
    """What the list of draws can be narrowed by."""

    year: int | None = Field(default=None, ge=2000, le=2100)
    season: Literal["june", "october"] | None = None


SEASON_NAMES = (("june", "6月"), ("october", "10—11月"))


def _draw_rows(filters: DrawFilters) -> Select[Any]:
    """Every draw (the city's: no unit scope), with how many of its sample have a finding, and how many failed."""
    findings = (sa_select(func.count()).where(col(SpotCheckFinding.draw_id) == col(SpotCheckDraw.id))
                .correlate(SpotCheckDraw))
    columns: list[Any] = [
        SpotCheckDraw, findings.scalar_subquery().label("findings"),
        findings.where(col(SpotCheckFinding.conforming).is_(False)).scalar_subquery().label("nonconforming")]
    query = sa_select(*columns).select_from(SpotCheckDraw)
    if filters.year is not None:
        query = query.where(col(SpotCheckDraw.year) == filters.year)
    if filters.season is not None:
        query = query.where(col(SpotCheckDraw.season) == filters.season)
    return query


DRAWS = ListSpec(
    url="/spot-checks", title="市局抽查", filters=DrawFilters,
    fields=(FilterField("year", "年度", placeholder="如 2026"),
            FilterField("season", "抽查期", "select", SEASON_NAMES)),
    sorts=(Sort("id", "抽取顺序", col(SpotCheckDraw.id)),), default_sort="-id", id_column=col(SpotCheckDraw.id),
    columns=(Column("抽查期"), Column("抽取日期"), Column("种子"), Column("总体"), Column("样本"), Column("已复查"),
             Column("不符合要求")),
    row_template="inspections/_draw_row.html", template="inspections/spot_checks.html",
    export_url="/spot-checks/export")
DRAW_EXPORT = (
    ExportColumn("id", "ID", lambda r: r.SpotCheckDraw.id),
    ExportColumn("year", "年度", lambda r: r.SpotCheckDraw.year),
    ExportColumn("season", "抽查期", lambda r: dict(SEASON_NAMES).get(r.SpotCheckDraw.season, r.SpotCheckDraw.season)),
    ExportColumn("drawn_on", "抽取日期", lambda r: r.SpotCheckDraw.drawn_on),
    ExportColumn("seed", "随机种子", lambda r: r.SpotCheckDraw.seed),
    ExportColumn("population", "总体（次检查）", lambda r: len(r.SpotCheckDraw.population_ids)),
    ExportColumn("sample", "样本（次检查）", lambda r: len(r.SpotCheckDraw.sample_ids)),
    ExportColumn("sample_ids", "样本检查ID", lambda r: "；".join(map(str, r.SpotCheckDraw.sample_ids))),
    ExportColumn("findings", "已复查", lambda r: r.findings),
    ExportColumn("nonconforming", "不符合要求", lambda r: r.nonconforming),
)


def _spot_checks(request: Request, session: Session, actor: Actor, today: date, *,
                 errors: FormErrors | None = None, values: dict[str, Any] | None = None, status: int = 200) -> Response:
    if is_htmx(request):  # the list of draws filtered in place: only its results are drawn
        return show_list(request, session, actor, DRAWS, _draw_rows)
    window = periods.spot_check_window(today)
    drawn = window is not None and session.exec(select(SpotCheckDraw.id).where(
        SpotCheckDraw.year == today.year, SpotCheckDraw.season == window.season)).first() is not None
    half = window.half if window else HalfYear.of(today)
    context = {
        "title": "市局抽查", "window": window, "may_draw": window is not None and not drawn,
        "windows_text": windows_text(periods.SPOT_CHECK_WINDOWS), "half": half,
        "population": len(spotcheck.population(session, half=half, today=today)),
        "completion": _completion(session, half, today), "today": today,
        "errors": errors or FormErrors(), "values": values or {"size": "20"},
    }
    response = show_list(request, session, actor, DRAWS, _draw_rows, extra=context)
    response.status_code = status
    return response


@router.get("/spot-checks", response_class=HTMLResponse)
def spot_checks(request: Request, session: SessionDep, actor: PageActor, today: TodayDep) -> Response:
    """The windows, the draws so far (filtered, paged, exported), the draw form in a window, and each unit's
    completion of the half-year."""
    spotcheck.require_city(actor)
    return _spot_checks(request, session, actor, today)


@router.get("/spot-checks/export.{fmt}")
def spot_check_export(request: Request, session: SessionDep, actor: PageActor, fmt: Literal["csv", "xlsx"]) -> Response:
    """The draws as listed, as CSV or Excel: seed, population, sample and the findings recorded so far (audited)."""
    spotcheck.require_city(actor)
    return export_list(request, session, actor, DRAWS, _draw_rows, DRAW_EXPORT, fmt, "spot-checks")


@router.post("/spot-checks", response_class=HTMLResponse)
async def draw(request: Request, session: SessionDep, actor: PageActor, today: TodayDep) -> Response:
    """Draw this window's sample from a recorded seed (a random one if none is given)."""
    spotcheck.require_city(actor)
    values = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
    errors = FormErrors()
    data = parse(DrawInput, blank_to_none(values), errors)
    if data is not None:
        try:
            row = spotcheck.draw(session, actor=actor, data=data, today=today)
        except DomainError as exc:
            if exc.status_code in (403, 404):
                raise
            errors.add_domain(exc, {"size", "seed"})
        else:
            return redirect(f"/spot-checks/{row.id}", message=f"已抽取 {len(row.sample_ids)} 次检查，种子 {row.seed}")
    return _spot_checks(request, session, actor, today, errors=errors, values=values,
                        status=409 if errors.general else 422)


def _draw_page(request: Request, session: Session, actor: Actor, row: SpotCheckDraw, today: date, *,
               errors: FormErrors | None = None, values: dict[str, Any] | None = None, status: int = 200) -> Response:
    assert row.id is not None
    window = periods.spot_check_window(today)
    sample = session.execute(
        sa_select(Inspection, col(Operator.name).label("operator_name")).select_from(Inspection)
        .join(Operator, col(Operator.id) == col(Inspection.operator_id))
        .where(col(Inspection.id).in_(row.sample_ids)).order_by(col(Inspection.id))).all()
    findings = {f.inspection_id: f for f in spotcheck.findings_of(session, row.id)}
    context = {
        "title": f"抽查 {row.year}年{'6月' if row.season == 'june' else '10—11月'}", "draw": row, "sample": sample,
        "findings": findings, "today": today, "windows_text": windows_text(periods.SPOT_CHECK_WINDOWS),
        "may_record": window is not None and (row.year, row.season) == (today.year, window.season),
        "errors": errors or FormErrors(), "values": values or {},
    }
    return render(request, "inspections/draw.html", context, actor=actor, session=session, status_code=status)


@router.get("/spot-checks/{draw_id}", response_class=HTMLResponse)
def draw_page(request: Request, session: SessionDep, actor: PageActor, draw_id: int, today: TodayDep) -> Response:
    """One draw: its seed and population, the sampled inspections and the findings recorded for them."""
    row = spotcheck.get_draw(session, actor=actor, draw_id=draw_id)
    return _draw_page(request, session, actor, row, today)


@router.post("/spot-checks/{draw_id}/findings", response_class=HTMLResponse)
async def record_finding(request: Request, session: SessionDep, actor: PageActor, draw_id: int,
                         today: TodayDep) -> Response:
    """Record what re-checking one sampled inspection found (in the draw's window only)."""
    row = spotcheck.get_draw(session, actor=actor, draw_id=draw_id)
    values = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
    data, errors = blank_to_none(values), FormErrors()
    data["conforming"] = {"yes": True, "no": False}.get(str(values.get("conforming") or ""))
    if data["conforming"] is None:
        errors.add("conforming", "请选择检查工作是否符合要求")
    parsed = parse(FindingInput, {k: v for k, v in data.items() if v is not None}, errors)
    if parsed is not None and not errors:
        try:
            spotcheck.record_finding(session, actor=actor, draw_id=draw_id, data=parsed, today=today)
        except DomainError as exc:
            if exc.status_code in (403, 404):
                raise
            errors.add_domain(exc, {"finding"})
            return _draw_page(request, session, actor, row, today, errors=errors, values=values,
                              status=exc.status_code)
        return redirect(f"/spot-checks/{draw_id}#i{parsed.inspection_id}", message="抽查结果已记录")
    return _draw_page(request, session, actor, row, today, errors=errors, values=values, status=422)
