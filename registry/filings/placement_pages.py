"""Placing cameras on the deployment map (布防图标注): the page, each placement saved as it is made, page images.

The page shows one page of a deployment map with an SVG drawn over it in the page's frame
(registry.filings.mapimages), and the filing's cameras beside it. registry/static/placement.js (no
inline script: the CSP allows none) places the selected camera where the image is clicked, moves a
marker that is dragged, turns its direction by the handle on its sector, and saves each change here at
once; the answer is JSON, so a refused placement is shown beside the camera without leaving the page.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, Response
from sqlmodel import col, select

from registry.cameras import placement
from registry.cameras.models import Camera
from registry.cameras.placement import Placement
from registry.deps import PageActor, SessionDep, SettingsDep
from registry.errors import DomainError, NotFound
from registry.filings import mapimages, service
from registry.filings.apply_pages import own_filing
from registry.filings.models import EDITABLE_STATES, Material, MaterialKind
from registry.ui.forms import FormErrors, parse
from registry.ui.templating import render

router = APIRouter(include_in_schema=False)


@router.get("/apply/{filing_id}/placement", response_class=HTMLResponse)
def placement_page(request: Request, session: SessionDep, settings: SettingsDep, actor: PageActor, filing_id: int,
                   material: int | None = None, page: int = 1) -> Response:
    """One page of a deployment map with the filing's cameras to place on it."""
    filing = own_filing(session, actor, filing_id)
    maps = session.exec(select(Material).where(Material.filing_id == filing_id)
                        .where(Material.kind == MaterialKind.deployment_map).order_by(col(Material.id))).all()
    pages = [(m, f) for m in maps for f in mapimages.frames(settings.materials_dir, m.sha256, m.mime)]
    current = next(((m, f) for m, f in pages if m.id == material and f.page == page), None) if material else None
    if material is not None and current is None:
        raise NotFound("布防图或页码不存在 / no such map page")
    current = current or (pages[0] if pages else None)
    cameras = session.exec(select(Camera).where(Camera.filing_id == filing_id).order_by(col(Camera.id))).all()
    return render(request, "apply/placement.html", {
        "filing": filing, "pages": pages, "current": current, "cameras": cameras,
        "editable": filing.state in EDITABLE_STATES, "title": f"布防图标注 · {filing.system_name}",
        "placed": sum(1 for c in cameras if c.map_material_id is not None),
    }, actor=actor, session=session)


def _camera_json(camera: Camera) -> dict[str, Any]:
    return {"id": camera.id, **{name: getattr(camera, name) for name in placement.PLACEMENT_FIELDS}}


@router.post("/apply/{filing_id}/cameras/{camera_id}/placement")
async def save_placement(request: Request, session: SessionDep, settings: SettingsDep, actor: PageActor,
                         filing_id: int, camera_id: int) -> Response:
    """Save one camera's placement (sent by placement.js); JSON: the camera as stored, or the error."""
    own_filing(session, actor, filing_id)
    form = await request.form()
    errors = FormErrors()
    data = parse(Placement, {k: v for k, v in form.items() if k in Placement.model_fields and isinstance(v, str)},
                 errors)
    if data is None:
        name, message = next(iter(errors.fields.items()), (None, errors.general or "格式不正确"))
        return JSONResponse({"error": {"field": name, "message": f"{name}：{message}"}}, status_code=422)
    savepoint = session.begin_nested()
    try:
        camera = placement.place(session, actor=actor, filing_id=filing_id, camera_id=camera_id, data=data,
                                 settings=settings)
    except DomainError as exc:
        savepoint.rollback()
        return JSONResponse({"error": {"field": exc.field, "message": exc.message.split(" / ")[0]}},
                            status_code=exc.status_code)
    savepoint.commit()
    return JSONResponse({"camera": _camera_json(camera)})


@router.get("/materials/{material_id}/pages/{page}")
def page_image(session: SessionDep, settings: SettingsDep, actor: PageActor, material_id: int, page: int) -> Response:
    """One page of a material as an image (a PDF page rendered once, an image as it is); reading is audited."""
    material, _ = service.read_material(session, actor=actor, material_id=material_id, settings=settings)
    path, mime = mapimages.page_image(settings, material.sha256, material.mime, page)
    response = FileResponse(path, media_type=mime)
    response.headers["Cache-Control"] = "private, no-store"  # confidential (第十一条), like every material read
    return response
