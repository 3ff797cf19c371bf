"""统计报表 page (/statistics): choose the unit and the period, see the fixed-layout table, export it as .xlsx."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from registry.clock import clock_of
from registry.deps import PageActor, SessionDep, read_only
from registry.errors import InvalidInput
from registry.imports.views import MEDIA_TYPES
from registry.statistics import export, service
from registry.statistics.periods import QUARTER_NAMES, Period, PeriodKind
from registry.statistics.views import build
from registry.timeutil import beijing_today
from registry.ui.forms import FormErrors
from registry.ui.templating import render

router = APIRouter(include_in_schema=False)
FIRST_YEAR = 2013  # the notice's year: no filing is older
# The `part` choices: the whole year, a quarter, a month (one select: the kind and the period at once).
PARTS: tuple[tuple[str, tuple[tuple[str, str], ...]], ...] = (
    ("年度", (("Y", "全年"),)),
    ("季度", tuple((f"Q{n}", QUARTER_NAMES[n - 1]) for n in range(1, 5))),
    ("月度", tuple((f"M{n}", f"{n}月") for n in range(1, 13))),
)
_PART = re.compile(r"^(Y|Q[1-4]|M(?:[1-9]|1[0-2]))$")


def _part_of(period: Period) -> str:
    if period.kind == PeriodKind.year:
        return "Y"
    return f"{'Q' if period.kind == PeriodKind.quarter else 'M'}{period.number}"


def _period_text(year: str, part: str, errors: FormErrors) -> str | None:
    """The period the form names (`2026-Q3`), or None with the error beside its field."""
    if not year.isdigit() or not FIRST_YEAR <= int(year) <= 2100:
        errors.add("year", f"年份应在 {FIRST_YEAR} 至 2100 之间 / year must be between {FIRST_YEAR} and 2100")
        return None
    if not _PART.match(part):
        errors.add("part", "请选择全年、季度或月份 / choose the year, a quarter or a month")
        return None
    if part == "Y":
        return year
    return f"{year}-Q{part[1]}" if part[0] == "Q" else f"{year}-{int(part[1:]):02d}"


@router.get("/statistics", response_class=HTMLResponse)
@read_only
def statistics_page(request: Request, session: SessionDep, actor: PageActor) -> Response:
    """The report of the chosen unit and period; the city department's own is the roll-up of every unit."""
    today = beijing_today(clock_of(request)())
    unit = service.require_unit(session, actor.user, request.query_params.get("unit_code") or None)
    params = request.query_params
    errors = FormErrors()
    text = params.get("period")
    if text is None and ("year" in params or "part" in params):
        text = _period_text(params.get("year", ""), params.get("part", ""), errors)
    report = None
    if not errors:
        try:
            report = build(session, actor, request, today, unit.code, text)
        except InvalidInput as exc:
            errors.add("part", exc.message)
    period = report.period if report else Period.containing(today, PeriodKind.quarter)
    values: dict[str, Any] = {"unit_code": unit.code, "year": params.get("year", str(period.year)),
                              "part": params.get("part", _part_of(period))}
    context: dict[str, Any] = {
        "title": "统计报表", "report": report, "figures": service.FIGURES, "sections": _sections(),
        "notes": service.NOTES, "values": values, "errors": errors, "parts": PARTS,
        "units": [(u.code, f"{u.name}（{u.code}）") for u in service.units_for(session, actor.user)],
        "years": [(str(y), f"{y}年") for y in range(today.year, FIRST_YEAR - 1, -1)],
        "export_url": "/statistics/export.xlsx?" + urlencode({"unit_code": unit.code, "period": str(period)}),
    }
    return render(request, "statistics/report.html", context, actor=actor, session=session,
                  status_code=422 if errors else 200)


def _sections() -> list[tuple[str, int]]:
    """The header's first row: each section and how many figures it spans."""
    spans: list[tuple[str, int]] = []
    for figure in service.FIGURES:
        if spans and spans[-1][0] == figure.section:
            spans[-1] = (figure.section, spans[-1][1] + 1)
        else:
            spans.append((figure.section, 1))
    return spans


@router.get("/statistics/export.xlsx")
def statistics_export(request: Request, session: SessionDep, actor: PageActor) -> Response:
    """导出 xlsx: the page's report in the fixed layout (audited)."""
    today = beijing_today(clock_of(request)())
    params = request.query_params
    report = build(session, actor, request, today, params.get("unit_code") or None, params.get("period"))
    export.record(session, actor=actor, report=report)
    return Response(export.to_xlsx(report), media_type=MEDIA_TYPES["xlsx"],
                    headers={"Content-Disposition": f'attachment; filename="{export.filename(report)}"'})

