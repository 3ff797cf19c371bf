"""The operator's edits of an open filing on its page: materials uploaded and taken off, cameras added one by
one or pasted from Excel, and taken off. Each is stored at once (a draft is saved as it is built); a
refusal re-shows the filing's page with the message beside the form that was sent and what was typed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from registry.actor import Actor
from registry.cameras.models import CameraCreate
from registry.deps import PageActor, SessionDep, SettingsDep
from registry.errors import DomainError
from registry.filings import drafts, page_uploads, paste_rows, service
from registry.filings.apply_pages import own_filing, show
from registry.filings.models import Filing, MaterialKind
from registry.settings import Settings
from registry.ui.forms import FormErrors, parse
from registry.ui.templating import redirect

router = APIRouter(include_in_schema=False)
ROW_FIELDS = ("name", "position_text", "device_type", "form_factor", "manufacturer", "model", "serial", "mac", "ip",
              "lon", "lat", "azimuth", "hfov")


def _refused(request: Request, session: Any, settings: Settings, actor: Actor, filing: Filing, field: str | None,
             message: str, values: dict[str, Any] | None = None, status: int = 422) -> Response:
    errors = FormErrors()
    errors.add(field, message.split(" / ")[0])
    session.refresh(filing)
    return show(request, session, settings, actor, filing, errors, values, status=status)


@router.post("/apply/{filing_id}/materials", response_class=HTMLResponse)
async def upload(request: Request, session: SessionDep, settings: SettingsDep, actor: PageActor,
                 filing_id: int) -> Response:
    """Upload one or more files of a kind; a deployment map must open as an image or a PDF with pages."""
    filing = own_filing(session, actor, filing_id)
    form = await request.form()
    try:
        kind = MaterialKind(str(form.get("kind", "")))
    except ValueError:
        return _refused(request, session, settings, actor, filing, "kind", "请选择材料类别")
    files = page_uploads.files_of(form)
    if not files:
        return _refused(request, session, settings, actor, filing, "file", "请选择要上传的文件（PDF、PNG 或 JPEG）")
    savepoint = session.begin_nested()
    try:
        await page_uploads.store_files(session, actor=actor, settings=settings, filing_id=filing_id, kind=kind,
                                       files=files)
    except DomainError as exc:
        savepoint.rollback()
        return _refused(request, session, settings, actor, filing, "file", exc.message, {"kind": kind.value})
    savepoint.commit()
    names = "、".join(f.filename or "" for f in files)
    return redirect(f"/apply/{filing_id}#materials", message=f"已上传{len(files)}个文件：{names}")


@router.post("/apply/{filing_id}/materials/{material_id}/delete", response_class=HTMLResponse)
def remove_material(request: Request, session: SessionDep, settings: SettingsDep, actor: PageActor, filing_id: int,
                    material_id: int) -> Response:
    """Take a wrongly uploaded file off the draft."""
    filing = own_filing(session, actor, filing_id)
    try:
        drafts.remove_material(session, actor=actor, filing_id=filing_id, material_id=material_id)
    except DomainError as exc:
        return _refused(request, session, settings, actor, filing, None, exc.message, status=exc.status_code)
    return redirect(f"/apply/{filing_id}#materials", message="已删除该文件")


def _site(filing: Filing) -> tuple[float, float] | None:
    return (filing.site_lon, filing.site_lat) if filing.site_lon is not None and filing.site_lat is not None else None


def _add(session: Any, actor: Actor, filing: Filing, cameras: list[CameraCreate]) -> None:
    assert filing.id is not None
    service.add_cameras(session, actor=actor, filing_id=filing.id, items=cameras)


@dataclass
class RowAdded:
    """What the one-row camera form came to: the camera added, or the errors beside its fields (and the status)."""

    values: dict[str, str]
    errors: FormErrors
    camera: CameraCreate | None = None
    status: int = 422


async def add_from_row_form(request: Request, session: Any, actor: Actor, filing: Filing) -> RowAdded:
    """One camera from the row form (`apply/_camera_row_form.html`), on the operator's page and at the desk: a
    position left empty is the system's location; refused rows are not stored (403 and 404 are raised)."""
    form = await request.form()
    values = {f"cam_{k}": str(form.get(f"cam_{k}", "")).strip() for k in ROW_FIELDS}
    data = {k: values[f"cam_{k}"] for k in ROW_FIELDS}
    site = _site(filing)
    if not data["lon"] and not data["lat"] and site is not None:
        data["lon"], data["lat"] = str(site[0]), str(site[1])
    found = FormErrors()
    camera = parse(CameraCreate, data, found)
    errors = FormErrors()
    for name, message in found.fields.items():
        errors.add(f"cam_{name}", message)
    if camera is None or errors:
        errors.add(None, "摄像机未添加，请更正标出的内容")
        return RowAdded(values, errors)
    savepoint = session.begin_nested()
    try:
        _add(session, actor, filing, [camera])
    except DomainError as exc:
        savepoint.rollback()
        if exc.status_code in (403, 404):
            raise
        errors.add(f"cam_{exc.field.rsplit('.', 1)[-1]}" if exc.field else None, exc.message.split(" / ")[0])
        return RowAdded(values, errors, status=exc.status_code)
    savepoint.commit()
    return RowAdded(values, errors, camera, status=303)


@router.post("/apply/{filing_id}/cameras", response_class=HTMLResponse)
async def add_camera(request: Request, session: SessionDep, settings: SettingsDep, actor: PageActor,
                     filing_id: int) -> Response:
    """Add one camera from the row form (a position left empty is the system's location)."""
    filing = own_filing(session, actor, filing_id)
    added = await add_from_row_form(request, session, actor, filing)
    if added.camera is None:
        session.refresh(filing)
        return show(request, session, settings, actor, filing, added.errors, added.values, status=added.status)
    return redirect(f"/apply/{filing_id}#cameras", message=f"已添加摄像机“{added.camera.name}”")


@router.post("/apply/{filing_id}/cameras/paste", response_class=HTMLResponse)
async def paste(request: Request, session: SessionDep, settings: SettingsDep, actor: PageActor,
                filing_id: int) -> Response:
    """Add the rows pasted from Excel; any bad row keeps the whole block back, each problem named by row."""
    filing = own_filing(session, actor, filing_id)
    text = str((await request.form()).get("cameras_text", ""))
    values = {"cameras_text": text}
    pasted = paste_rows.parse(text, site=_site(filing))
    if pasted.problems:
        message = "；".join(pasted.problems[:10]) + (f"……共 {len(pasted.problems)} 行有误" if len(pasted.problems) > 10
                                                      else "")
        return _refused(request, session, settings, actor, filing, "cameras_text", message, values)
    savepoint = session.begin_nested()
    try:
        _add(session, actor, filing, pasted.cameras)
    except DomainError as exc:
        savepoint.rollback()
        return _refused(request, session, settings, actor, filing, "cameras_text", exc.message, values,
                        exc.status_code)
    savepoint.commit()
    return redirect(f"/apply/{filing_id}#cameras", message=f"已添加 {len(pasted.cameras)} 台摄像机")


@router.post("/apply/{filing_id}/cameras/{camera_id}/delete", response_class=HTMLResponse)
def remove_camera(request: Request, session: SessionDep, settings: SettingsDep, actor: PageActor, filing_id: int,
                  camera_id: int) -> Response:
    """Take a camera off the list."""
    filing = own_filing(session, actor, filing_id)
    try:
        drafts.remove_camera(session, actor=actor, filing_id=filing_id, camera_id=camera_id)
    except DomainError as exc:
        return _refused(request, session, settings, actor, filing, None, exc.message, status=exc.status_code)
    return redirect(f"/apply/{filing_id}#cameras", message="已从清单中删除该摄像机")
