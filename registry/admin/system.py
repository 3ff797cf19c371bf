"""System pages (系统管理): police units and stations, calendar years, the jurisdiction-layer check.

Units are renamed through registry.units.service, calendar years loaded through registry.calendars (the
service of `camreg calendar load`), layers checked with maps.layers.check_layers (`camreg layers-check`).
"""

from __future__ import annotations

import tempfile
import zipfile
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import func, select
from sqlmodel import Session, col
from starlette.datastructures import UploadFile

from registry.actor import Actor
from registry.auth.models import Role
from registry.auth.scope import CITY_UNIT, clause_for, require_role, require_unit
from registry.calendars import CalendarYear, current_calendar, load_year
from registry.deps import PageActor, SessionDep, read_only
from registry.errors import DomainError, NotFound
from registry.filings.models import CorrectionNotice, Filing
from registry.operators.models import Operator
from registry.timeutil import beijing_today
from registry.ui.forms import FormErrors, parse
from registry.ui.templating import redirect, render
from registry.units import service as units
from registry.units.models import PoliceUnit, PoliceUnitUpdate, UnitKind
from registry.workdays import CalendarFileError

router = APIRouter(include_in_schema=False)
MAX_CALENDAR_BYTES = 256 * 1024
MAX_LAYER_BYTES = 64 * 1024 * 1024
SHOWN_PROVISIONAL = 100
UNIT_KINDS = {"city": "市局部门", "corps": "总队", "special_bureau": "专业局", "branch": "分局",
              "special_branch": "专业分局", "station": "派出所"}
LAYER_NAMES = {"district": "区县", "station": "派出所", "special_branch": "专业分局"}
ISSUE_NAMES = {"bad_code": "编码有误", "duplicate_id": "编码重复", "gap": "缝隙", "overlap": "重叠",
               "invalid_geometry": "无效几何", "missing_geometry": "缺少几何", "not_polygon": "不是面",
               "outside_district": "超出所属区县", "unknown_district": "区县不存在",
               "inside_special_area": "落入专业分局辖区", "outside_special_area": "超出专业分局辖区"}


def _admin(actor: Actor) -> None:
    require_role(actor.user, Role.admin)


@router.get("/admin/units", response_class=HTMLResponse)
@read_only
def unit_list(request: Request, session: SessionDep, actor: PageActor, parent: str = "") -> Response:
    """The police units (branches and departments), or the stations under one of them."""
    _admin(actor)
    query = select(PoliceUnit).order_by(col(PoliceUnit.code))
    if parent:
        query = query.where(col(PoliceUnit.parent_code) == parent[:8], col(PoliceUnit.kind) == UnitKind.station)
    else:
        query = query.where(col(PoliceUnit.kind) != UnitKind.station)
    rows = list(session.scalars(query).all())
    stations = dict(session.execute(select(col(PoliceUnit.parent_code), func.count())
                                    .where(col(PoliceUnit.kind) == UnitKind.station)
                                    .group_by(col(PoliceUnit.parent_code))).all())
    parent_unit = session.get(PoliceUnit, parent[:8]) if parent else None
    return render(request, "admin/units.html", {"title": "公安机关与派出所", "units": rows, "stations": stations,
                                                "parent": parent_unit, "unit_kinds": UNIT_KINDS},
                  actor=actor, session=session)


def _unit_page(request: Request, session: Session, actor: Actor, unit: PoliceUnit, values: dict[str, Any],
               errors: FormErrors, status: int = 200) -> Response:
    editable = actor.user.unit_code in (CITY_UNIT, unit.code, unit.parent_code)
    return render(request, "admin/unit.html", {"title": unit.name, "u": unit, "values": values, "errors": errors,
                                               "editable": editable, "unit_kinds": UNIT_KINDS},
                  actor=actor, session=session, status_code=status)


def _unit(session: Session, code: str) -> PoliceUnit:
    unit = session.get(PoliceUnit, code[:8])
    if unit is None:
        raise NotFound(f"单位 {code[:8]} 不存在 / unit not found")
    return unit


@router.get("/admin/units/{code}", response_class=HTMLResponse)
@read_only
def unit_detail(request: Request, session: SessionDep, actor: PageActor, code: str) -> Response:
    """One unit with its rename form."""
    _admin(actor)
    unit = _unit(session, code)
    return _unit_page(request, session, actor, unit, {"name": unit.name}, FormErrors())


@router.post("/admin/units/{code}", response_class=HTMLResponse)
async def unit_update(request: Request, session: SessionDep, actor: PageActor, code: str) -> Response:
    """Rename the unit (audited)."""
    _admin(actor)
    unit = _unit(session, code)
    form = {"name": str((await request.form()).get("name", ""))}
    errors = FormErrors()
    data = parse(PoliceUnitUpdate, form, errors)
    if data is not None:
        try:
            units.update(session, actor=actor, code=unit.code, name=data.name)
        except DomainError as exc:
            if exc.status_code == 403:
                raise
            errors.add_domain(exc, known={"name"})
    if data is None or errors:
        return _unit_page(request, session, actor, unit, form, errors, status=422)
    return redirect(f"/admin/units/{unit.code}", message="已保存")


def _calendar_page(request: Request, session: Session, actor: Actor, error: str | None = None,
                   report: Any = None, status: int = 200) -> Response:
    calendar = current_calendar(session)
    loaded = {row.year: row for row in session.scalars(select(CalendarYear)).all()}
    years = [(y, loaded.get(y.year)) for y in sorted(calendar.years.values(), key=lambda c: c.year)]
    this_year = beijing_today().year
    missing = [y for y in (this_year, this_year + 1) if y not in calendar.years]
    filings_query = (select(Filing, col(Operator.name)).join(Operator, col(Operator.id) == col(Filing.operator_id))
                     .where(col(Filing.deadline_provisional), clause_for(Filing, actor.user)))
    provisional = session.execute(filings_query.order_by(col(Filing.deadline)).limit(SHOWN_PROVISIONAL)).all()
    count = session.execute(select(func.count()).select_from(filings_query.subquery())).scalar_one()
    notices = session.execute(select(func.count()).select_from(CorrectionNotice)
                              .join(Filing, col(Filing.id) == col(CorrectionNotice.filing_id))
                              .where(col(CorrectionNotice.due_provisional), clause_for(Filing, actor.user))
                              ).scalar_one()
    return render(request, "admin/calendar.html", {
        "title": "工作日历", "years": years, "provisional": provisional, "provisional_count": count,
        "notices_provisional": notices, "error": error, "report": report, "version": calendar.calendar_version,
        "missing": missing,
        "may_load": actor.user.unit_code == CITY_UNIT}, actor=actor, session=session, status_code=status)


@router.get("/admin/calendar", response_class=HTMLResponse)
def calendar_page(request: Request, session: SessionDep, actor: PageActor) -> Response:
    """Which years have a calendar (and from where), and which deadlines are still provisional."""
    _admin(actor)
    return _calendar_page(request, session, actor)


@router.post("/admin/calendar", response_class=HTMLResponse)
async def calendar_upload(request: Request, session: SessionDep, actor: PageActor) -> Response:
    """Load a year file (like `camreg calendar load`): provisional deadlines are recomputed with it."""
    _admin(actor)
    require_unit(actor.user, CITY_UNIT)
    upload = (await request.form()).get("file")
    if not isinstance(upload, UploadFile) or not upload.filename:
        return _calendar_page(request, session, actor, error="请选择年度日历文件（.json）", status=422)
    raw = await upload.read(MAX_CALENDAR_BYTES + 1)
    try:
        if len(raw) > MAX_CALENDAR_BYTES:
            raise CalendarFileError(upload.filename, "文件过大（年度日历文件不超过 256 KB）")
        report = load_year(session, text=raw.decode("utf-8-sig"), path=upload.filename[:200], actor=actor)
    except UnicodeDecodeError:
        return _calendar_page(request, session, actor, error="文件不是 UTF-8 编码的 JSON", status=422)
    except CalendarFileError as exc:
        return _calendar_page(request, session, actor, error=str(exc), status=422)
    return _calendar_page(request, session, actor, report=report)


def _check(path: Path) -> tuple[list[Any], str | None]:
    from maps.layers import LayerError, check_layers

    try:
        return check_layers(path), None
    except LayerError as exc:
        return [], str(exc)


def _unit_mismatches(session: Session) -> list[str]:
    """Stations in the layers in use that the unit table lacks, and the reverse."""
    from registry.routing import jurisdictions

    layer = {str(s) for s in jurisdictions().stations["station_id"]}
    table = set(session.scalars(select(col(PoliceUnit.code)).where(col(PoliceUnit.kind) == UnitKind.station)).all())
    return ([f"派出所辖区 {code} 在图层中，但公安机关表中没有这个派出所" for code in sorted(layer - table)]
            + [f"派出所 {code} 在公安机关表中，但图层中没有它的辖区" for code in sorted(table - layer)])


def _layers_page(request: Request, session: Session, actor: Actor, *, uploaded: dict[str, Any] | None = None,
                 status: int = 200) -> Response:
    from maps.layers import default_geo_dir

    source = default_geo_dir()
    issues, error = _check(source)
    return render(request, "admin/layers.html", {
        "title": "辖区图层检查", "source": source, "issues": issues, "error": error,
        "mismatches": _unit_mismatches(session), "uploaded": uploaded,
        "layer_names": LAYER_NAMES, "issue_names": ISSUE_NAMES}, actor=actor, session=session,
        status_code=status)


@router.get("/admin/layers", response_class=HTMLResponse)
def layers_page(request: Request, session: SessionDep, actor: PageActor) -> Response:
    """The layers in use checked (overlaps, gaps, invalid geometries, nesting) beside the unit table."""
    _admin(actor)
    return _layers_page(request, session, actor)


@router.post("/admin/layers", response_class=HTMLResponse)
async def layers_check(request: Request, session: SessionDep, actor: PageActor) -> Response:
    """Check a department's own layers before they are used: a GeoPackage, or a zip of layer files."""
    _admin(actor)
    upload = (await request.form()).get("file")
    if not isinstance(upload, UploadFile) or not upload.filename:
        return _layers_page(request, session, actor, uploaded={"error": "请选择图层文件", "name": ""}, status=422)
    name = Path(upload.filename).name[:200]
    raw = await upload.read(MAX_LAYER_BYTES + 1)
    with tempfile.TemporaryDirectory(prefix="camreg-layers-") as tmp:
        target = Path(tmp)
        try:
            if len(raw) > MAX_LAYER_BYTES:
                raise ValueError("文件过大（不超过 64 MB）")
            if name.lower().endswith(".gpkg"):
                path = target / "layers.gpkg"
                path.write_bytes(raw)
            elif name.lower().endswith(".zip"):
                path = _unzip(raw, target)
            else:
                raise ValueError("请上传 GeoPackage（.gpkg）或装有 districts、stations 等图层文件的 .zip")
        except (ValueError, zipfile.BadZipFile) as exc:
            return _layers_page(request, session, actor, uploaded={"error": str(exc), "name": name}, status=422)
        issues, error = _check(path)
    return _layers_page(request, session, actor, uploaded={"name": name, "issues": issues, "error": error})


def _unzip(raw: bytes, target: Path) -> Path:
    """A zip's layer files, flattened into `target` (names only: no paths out of it, bounded size)."""
    import io

    from maps.layers import SUFFIXES

    with zipfile.ZipFile(io.BytesIO(raw)) as archive:
        members = [m for m in archive.infolist() if not m.is_dir()]
        if sum(m.file_size for m in members) > 4 * MAX_LAYER_BYTES or len(members) > 200:
            raise ValueError("压缩包解压后过大")
        for member in members:
            base = Path(member.filename).name
            if base and not base.startswith("."):
                (target / base).write_bytes(archive.read(member))
    if not any(p.suffix in SUFFIXES for p in target.iterdir()):
        raise ValueError("压缩包里没有图层文件（.geojson、.gpkg、.shp）")
    return target
