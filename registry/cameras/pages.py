"""Camera pages: the search box, the list (filter, sort, page, export) and the detail page."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel, Field, field_validator
from sqlalchemy import Select
from sqlalchemy.engine import Engine
from sqlmodel import col

from registry import search
from registry.auth.models import Role
from registry.auth.scope import get_visible
from registry.camera_codes import FIELD_LABELS, FIELDS, validate_code
from registry.cameras.mapview import map_position
from registry.cameras.models import Camera, CameraStatus, normalise_mac
from registry.deps import PageActor, SessionDep, SettingsDep, get_engine
from registry.errors import NotFound
from registry.exports import views as exports
from registry.exports.service import Filters, filtered_query
from registry.filings.models import Filing, FilingState
from registry.imports.columns import Kind
from registry.imports.pages import import_action
from registry.operators.models import Operator
from registry.ui import labels
from registry.ui.listing import Column, FilterField, ListSpec, Sort, filters_of, order_of, show_list
from registry.ui.templating import render

router = APIRouter(include_in_schema=False)
EngineDep = Annotated[Engine, Depends(get_engine)]


class CameraFilters(BaseModel):
    """What the camera list can be narrowed by (each maps onto the export's Filters, each key indexed)."""

    code: str | None = Field(default=None, pattern=r"^\d{20}$")
    serial: str | None = Field(default=None, max_length=100)
    mac: str | None = Field(default=None, max_length=17)
    ip: str | None = Field(default=None, max_length=45)
    district_code: str | None = Field(default=None, pattern=r"^\d{6}$")
    station_id: str | None = Field(default=None, pattern=r"^\d{8}$")
    status: CameraStatus | None = None
    operator_id: int | None = Field(default=None, ge=1, le=2**62)
    filing_id: int | None = Field(default=None, ge=1, le=2**62)

    @field_validator("mac")
    @classmethod
    def _mac(cls, value: str | None) -> str | None:
        try:
            return normalise_mac(value)
        except ValueError as exc:
            raise ValueError("MAC 地址应为 12 位十六进制数，如 00:11:22:AA:BB:CC") from exc

    @field_validator("ip")
    @classmethod
    def _ip(cls, value: str | None) -> str | None:
        import ipaddress

        if not value:
            return None
        try:
            return str(ipaddress.ip_address(value))
        except ValueError as exc:
            raise ValueError("不是有效的 IP 地址") from exc

    def to_export(self) -> Filters:
        """The same rows as the export (registry/exports): one query for both."""
        return Filters(code=self.code, serial=self.serial, mac=self.mac, ip=self.ip,
                       district_code=self.district_code, station_id=self.station_id, status=self.status,
                       operator_id=self.operator_id, filing_id=self.filing_id)


def camera_rows(user: Any, filters: Filters) -> Select[Any]:
    """Cameras with their filing's number and operator's name, scoped and filtered exactly as the export is."""
    query, _ = filtered_query(Kind.cameras, user, filters, [Camera, col(Filing.number).label("filing_number"),
                                                             col(Operator.name).label("operator_name")])
    return query.join(Operator, col(Operator.id) == col(Camera.operator_id))


CAMERAS = ListSpec(
    url="/cameras", title="摄像机", filters=CameraFilters,
    fields=(FilterField("code", "编码", placeholder="20 位编码"),
            FilterField("serial", "序列号"),
            FilterField("mac", "MAC 地址", placeholder="00:11:22:AA:BB:CC"),
            FilterField("ip", "IP 地址"),
            FilterField("district_code", "区县", "select", labels.district_choices()),
            FilterField("status", "状态", "select", labels.choices(CameraStatus))),
    sorts=(Sort("id", "登记顺序", col(Camera.id)),), default_sort="-id", id_column=col(Camera.id),
    columns=(Column("编码"), Column("名称"), Column("安装位置"), Column("IP 地址"), Column("MAC 地址"),
             Column("使用单位"), Column("派出所"), Column("状态"), Column("登记日期", "id")),
    row_template="cameras/_row.html", export_url="/cameras/export",
    hidden=("station_id", "operator_id", "filing_id"),
)


@router.get("/cameras", response_class=HTMLResponse)
def camera_list(request: Request, session: SessionDep, actor: PageActor) -> Response:
    """Every camera the user may see, filtered by any indexed key; 导出 writes the same rows."""
    return show_list(request, session, actor, CAMERAS, lambda f: camera_rows(actor.user, f.to_export()),
                     extra={"actions": import_action(actor.user, Kind.cameras)})


@router.get("/cameras/export.{fmt}")
def camera_export(request: Request, session: SessionDep, engine: EngineDep, actor: PageActor,
                  fmt: Literal["csv", "xlsx"]) -> Response:
    """The filtered camera list as CSV or Excel (every page of it), scoped and audited."""
    filters: CameraFilters = filters_of(CAMERAS, request)
    return exports.respond(session, engine, actor, Kind.cameras, fmt, filters.to_export(),
                           order_of(CAMERAS, request))


@router.get("/search", response_class=HTMLResponse)
def search_page(request: Request, session: SessionDep, actor: PageActor, q: str = "") -> Response:
    """The top bar's search: one hit opens its page, several are listed, none says so."""
    result = search.find(session, actor=actor, text=q)
    only = result.only_url()
    if only is not None:
        return RedirectResponse(only, status_code=303)
    return render(request, "cameras/search.html", {"result": result, "search_text": result.text,
                                                   "title": f"查找 {result.text}"},
                  actor=actor, session=session)


def code_fields(camera: Camera) -> list[dict[str, str]]:
    """Each part of the camera's code with its digits, meaning and any warning (registry.camera_codes)."""
    if not camera.code:
        return []
    checked = validate_code(camera.code, camera.code_edition)
    notes = {i.field: i.message.split(" / ")[0] for i in checked.errors + checked.warnings}
    rows = []
    for name, start, end in FIELDS:
        value = checked.fields.get(name)
        rows.append({"name": FIELD_LABELS[name][0], "digits": camera.code[start:end],
                     "meaning": (value.name if value and value.name else ""), "note": notes.get(name, "")})
    return rows


@router.get("/cameras/{camera_id}", response_class=HTMLResponse)
def camera_detail(request: Request, session: SessionDep, settings: SettingsDep, actor: PageActor,
                  camera_id: int) -> Response:
    """One camera: its code explained, its filing and operator, where it is on the deployment map and on the map."""
    camera = get_visible(session, Camera, camera_id, actor.user)
    filing = session.get_one(Filing, camera.filing_id)
    if filing.state == FilingState.draft and actor.user.role != Role.operator:
        raise NotFound(f"Camera {camera_id} 不存在 / not found")  # a draft is the operator's until submitted
    operator = session.get_one(Operator, camera.operator_id)
    context = {"camera": camera, "filing": filing, "operator": operator, "fields": code_fields(camera),
               "position": map_position(session, settings, camera),
               "title": f"摄像机 {camera.code or camera.name}"}
    return render(request, "cameras/detail.html", context, actor=actor, session=session)


@router.get("/geo/districts.geojson")
def district_outlines(actor: PageActor) -> Response:
    """District outlines for the small offline maps of officers' pages (no tiles needed)."""
    from registry.filings.apply_pages import _district_outlines

    return Response(_district_outlines(), media_type="application/geo+json",
                    headers={"Cache-Control": "private, max-age=86400"})
