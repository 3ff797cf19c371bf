"""Statistics API: a unit's 数据报送 figures for a period (JSON), and the same report as .xlsx."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from pydantic import BaseModel

from registry.clock import TodayDep, clock_of
from registry.deps import CurrentActor, SessionDep, read_only
from registry.imports.views import MEDIA_TYPES
from registry.responses import errors, files
from registry.statistics import export, service
from registry.statistics.periods import Period, PeriodKind
from registry.timeutil import UTCDateTime

router = APIRouter(prefix="/statistics", tags=["statistics"], responses=errors(401, 403, 404, 422))
XLSX = MEDIA_TYPES["xlsx"]
PeriodQuery = Annotated[str | None, Query(max_length=20, description="2026 (year), 2026-Q3 (quarter) or 2026-07 "
                                                                      "(month); the current quarter if omitted")]
UnitQuery = Annotated[str | None, Query(max_length=8, description="your unit (default) or one of its stations; "
                                                                    "the city department: any unit, 001 the roll-up")]


class FigurePublic(BaseModel):
    """One column of the fixed layout."""

    name: str
    section: str
    zh: str


class RowPublic(BaseModel):
    """One unit's figures; the total has no unit code."""

    unit_code: str | None
    unit_name: str
    figures: dict[str, int]


class StatisticsPublic(BaseModel):
    """A unit's statistics for a period: the layout, a row per unit under it, and the total."""

    unit_code: str
    unit_name: str
    period: str
    label: str
    start: date
    end: date
    today: date
    generated_at: UTCDateTime
    rollup: bool
    figures: list[FigurePublic]
    rows: list[RowPublic]
    total: RowPublic
    notes: list[str]


def build(session: SessionDep, actor: CurrentActor, request: Request, today: date, unit_code: str | None,
          period: str | None) -> service.Report:
    """Check the unit against the user's scope, parse the period, compute (shared by the API and the pages)."""
    unit = service.require_unit(session, actor.user, unit_code)
    chosen = Period.parse(period) if period else Period.containing(today, PeriodKind.quarter)
    now: datetime = clock_of(request)()
    return service.compute(session, unit=unit, period=chosen, today=today, now=now)


def public(report: service.Report) -> StatisticsPublic:
    """The report as the API returns it."""
    def row(r: service.Row) -> RowPublic:
        return RowPublic(unit_code=r.unit_code, unit_name=r.unit_name, figures=r.figures)

    return StatisticsPublic(
        unit_code=report.unit_code, unit_name=report.unit_name, period=str(report.period),
        label=report.period.label, start=report.period.start, end=report.period.end, today=report.today,
        generated_at=report.generated_at, rollup=report.rollup,
        figures=[FigurePublic(name=f.name, section=f.section, zh=f.zh) for f in service.FIGURES],
        rows=[row(r) for r in report.rows], total=row(report.total), notes=list(service.NOTES))


@router.get("", response_model=StatisticsPublic)
@read_only
def statistics(session: SessionDep, actor: CurrentActor, request: Request, today: TodayDep,
               unit_code: UnitQuery = None, period: PeriodQuery = None) -> StatisticsPublic:
    """The unit's figures for a month, quarter or year (own unit or a station under it; the city: the roll-up)."""
    return public(build(session, actor, request, today, unit_code, period))


@router.get("/export.xlsx", response_class=Response, responses=files(XLSX, description="the report as .xlsx"))
def export_statistics(session: SessionDep, actor: CurrentActor, request: Request, today: TodayDep,
                      unit_code: UnitQuery = None, period: PeriodQuery = None) -> Response:
    """The same report as an .xlsx in the fixed layout (audited)."""
    report = build(session, actor, request, today, unit_code, period)
    export.record(session, actor=actor, report=report)
    return Response(export.to_xlsx(report), media_type=XLSX,
                    headers={"Content-Disposition": f'attachment; filename="{export.filename(report)}"'})
