"""Filing routes: the workflow actions, materials, cameras and notices."""

from __future__ import annotations

from datetime import date
from typing import Annotated, ClassVar

from fastapi import APIRouter, File, Form, Response, UploadFile
from fastapi.responses import FileResponse
from pydantic import BaseModel
from sqlmodel import Session, select

from registry.actor import Actor
from registry.auth.scope import get_visible
from registry.cameras import placement
from registry.cameras.models import Camera, CameraCreate, CameraPublic
from registry.cameras.placement import Placement
from registry.deps import CurrentActor, SessionDep, SettingsDep, read_only
from registry.errors import NotFound, TooLarge
from registry.filings import drafts, handover, mapimages, service, verification
from registry.filings.models import (
    CorrectionNotice,
    CorrectionNoticePublic,
    CorrectionRequest,
    Filing,
    FilingCreate,
    FilingFormUpdate,
    FilingHandover,
    FilingHandoverPublic,
    FilingPublic,
    FilingState,
    Material,
    MaterialKind,
    MaterialPublic,
    Verification,
    VerificationCreate,
    VerificationPublic,
)
from registry.operators.models import Operator
from registry.pagination import AfterQuery, LimitQuery, Page, page_of
from registry.responses import errors, files
from registry.text import PlainTextInput

router = APIRouter(prefix="/filings", tags=["filings"], responses=errors(401, 422))
materials_router = APIRouter(prefix="/materials", tags=["filings"], responses=errors(401, 422))


class RejectRequest(PlainTextInput):
    """Why a filing is refused."""

    multiline_fields: ClassVar[frozenset[str]] = frozenset({"reason"})

    reason: str


class Receipt(BaseModel):
    """备案回执单: carries the same number as its filing."""

    number: str
    filing_id: int
    operator_name: str
    uscc: str
    system_name: str
    system_location: str
    camera_count: int
    filing_unit_code: str
    filed_on: date


@router.get("", response_model=Page[FilingPublic])
@read_only
def list_filings(session: SessionDep, actor: CurrentActor, state: FilingState | None = None,
                 filing_unit_code: str | None = None, district_code: str | None = None,
                 operator_id: int | None = None, submitted_from: date | None = None,
                 submitted_to: date | None = None, late: bool | None = None, overdue_on: date | None = None,
                 awaiting_verification: bool | None = None, after: AfterQuery = 0,
                 limit: LimitQuery = 50) -> Response:
    """Filings in the user's responsibility, by state, unit, district, operator, dates, lateness, 核对 due."""
    rows = service.list_visible(session, actor=actor, state=state, filing_unit_code=filing_unit_code,
                                district_code=district_code, operator_id=operator_id,
                                submitted_from=submitted_from, submitted_to=submitted_to, late=late,
                                overdue_on=overdue_on, awaiting_verification=awaiting_verification,
                                after_id=after, limit=limit)
    return page_of(rows, limit, FilingPublic)


@router.post("", response_model=FilingPublic, status_code=201, responses=errors(403, 404, 409))
def submit_filing(session: SessionDep, settings: SettingsDep, actor: CurrentActor, data: FilingCreate) -> Filing:
    """Submit a filing (online by the operator, at the desk by an intake officer)."""
    return service.submit(session, actor=actor, data=data, settings=settings)


@router.get("/{filing_id}", response_model=FilingPublic, responses=errors(404))
@read_only
def get_filing(session: SessionDep, actor: CurrentActor, filing_id: int) -> Filing:
    """One filing."""
    return get_visible(session, Filing, filing_id, actor.user)


@router.get("/{filing_id}/history", response_model=list[FilingPublic], responses=errors(404))
@read_only
def filing_history(session: SessionDep, actor: CurrentActor, filing_id: int) -> list[Filing]:
    """The filings this one changes and is changed by, oldest first."""
    return service.history(session, actor=actor, filing_id=filing_id)


@router.post("/{filing_id}/accept", response_model=FilingPublic, responses=errors(403, 404, 409))
def accept_filing(session: SessionDep, actor: CurrentActor, filing_id: int) -> Filing:
    """受理: number the filing and start its 15-working-day clock."""
    return service.accept(session, actor=actor, filing_id=filing_id)


@router.post("/{filing_id}/correction-notice", response_model=CorrectionNoticePublic, status_code=201,
             responses=errors(403, 404, 409))
def issue_correction(session: SessionDep, settings: SettingsDep, actor: CurrentActor, filing_id: int,
                     data: CorrectionRequest) -> CorrectionNotice:
    """Issue the one correction notice listing every defect (its PDF is issued with it)."""
    return service.request_correction(session, actor=actor, filing_id=filing_id, items=data.items, settings=settings)


@router.get("/{filing_id}/correction-notice", response_model=CorrectionNoticePublic, responses=errors(404))
def get_correction(session: SessionDep, actor: CurrentActor, filing_id: int) -> CorrectionNotice:
    """The filing's correction notice."""
    get_visible(session, Filing, filing_id, actor.user)
    notice = session.exec(select(CorrectionNotice).where(CorrectionNotice.filing_id == filing_id)).first()
    if notice is None:
        raise NotFound("该备案没有补正通知 / this filing has no correction notice")
    return notice


@router.post("/{filing_id}/corrected", response_model=FilingPublic, responses=errors(403, 404, 409))
def corrected(session: SessionDep, actor: CurrentActor, filing_id: int) -> Filing:
    """Report the correction done (after re-uploading what was missing)."""
    return service.submit_correction(session, actor=actor, filing_id=filing_id)


@router.post("/{filing_id}/verifications", response_model=VerificationPublic, status_code=201,
             responses=errors(403, 404, 409))
def verify_filing(session: SessionDep, actor: CurrentActor, filing_id: int, data: VerificationCreate) -> Verification:
    """核对 by the verifying unit: the materials against the site (matches / differs, notes, a scan)."""
    return verification.record(session, actor=actor, filing_id=filing_id, data=data)


@router.get("/{filing_id}/verifications", response_model=list[VerificationPublic], responses=errors(404))
@read_only
def list_verifications(session: SessionDep, actor: CurrentActor, filing_id: int) -> list[Verification]:
    """Every 核对 of the filing, oldest first (the filing unit sees them before it files)."""
    return list(verification.history(session, actor=actor, filing_id=filing_id))


@router.get("/{filing_id}/handovers", response_model=list[FilingHandoverPublic], responses=errors(404))
@read_only
def list_handovers(session: SessionDep, actor: CurrentActor, filing_id: int) -> list[FilingHandover]:
    """移交记录: every change of the filing's units because its operator moved, oldest first."""
    return list(handover.history(session, actor=actor, filing_id=filing_id))


@router.post("/{filing_id}/review", response_model=FilingPublic, responses=errors(403, 404, 409))
def review_filing(session: SessionDep, settings: SettingsDep, actor: CurrentActor, filing_id: int) -> Filing:
    """复核 by a second officer: file it, issue the camera codes, the review form and the receipt."""
    return service.review(session, actor=actor, filing_id=filing_id, settings=settings)


@router.post("/{filing_id}/reject", response_model=FilingPublic, responses=errors(403, 404, 409))
def reject_filing(session: SessionDep, actor: CurrentActor, filing_id: int, data: RejectRequest) -> Filing:
    """Refuse a filing that cannot be completed."""
    return service.reject(session, actor=actor, filing_id=filing_id, reason=data.reason)


@router.get("/{filing_id}/receipt", response_model=Receipt, responses=errors(404))
def receipt(session: SessionDep, actor: CurrentActor, filing_id: int) -> Receipt:
    """The receipt of a filed filing."""
    filing = get_visible(session, Filing, filing_id, actor.user)
    if filing.state != FilingState.filed or filing.number is None or filing.filed_at is None:
        raise NotFound("尚未备案，无回执 / no receipt: the filing is not filed")
    operator = session.get_one(Operator, filing.operator_id)
    count = service.cameras_service.count_active(session, filing_id=filing_id)
    return Receipt(number=filing.number, filing_id=filing_id, operator_name=operator.name, uscc=operator.uscc,
                   system_name=filing.system_name, system_location=filing.system_location, camera_count=count,
                   filing_unit_code=filing.filing_unit_code, filed_on=filing.filed_at.date())


@router.post("/{filing_id}/materials", response_model=MaterialPublic, status_code=201,
             responses=errors(403, 404, 409, 413))
async def upload_material(session: SessionDep, settings: SettingsDep, actor: CurrentActor, filing_id: int,
                          kind: Annotated[MaterialKind, Form()], file: Annotated[UploadFile, File()]) -> Material:
    """Upload the form, location diagram or deployment map (PDF, PNG or JPEG)."""
    data = await file.read(settings.max_upload_bytes + 1)
    if len(data) > settings.max_upload_bytes:
        raise TooLarge(f"文件超过上限 / the file exceeds {settings.max_upload_bytes} bytes", field="file")
    return service.upload_material(session, actor=actor, filing_id=filing_id, kind=kind,
                                   filename=file.filename or "upload", data=data, settings=settings)


@router.get("/{filing_id}/materials", response_model=list[MaterialPublic], responses=errors(404))
def list_materials(session: SessionDep, actor: CurrentActor, filing_id: int) -> list[Material]:
    """The materials of a filing (metadata only; reading a file is audited)."""
    get_visible(session, Filing, filing_id, actor.user)
    return list(session.exec(select(Material).where(Material.filing_id == filing_id)).all())


@router.post("/{filing_id}/cameras", response_model=list[CameraPublic], status_code=201,
             responses=errors(403, 404, 409))
def add_cameras(session: SessionDep, actor: CurrentActor, filing_id: int, data: list[CameraCreate]) -> list:
    """List cameras on an open filing."""
    return service.add_cameras(session, actor=actor, filing_id=filing_id, items=data)


@materials_router.get("/{material_id}", response_class=FileResponse,
                      responses=files("application/pdf", "image/png", "image/jpeg") | errors(404, 503))
def download_material(session: SessionDep, settings: SettingsDep, actor: CurrentActor,
                      material_id: int) -> FileResponse:
    """The bytes of a material; every read is written to the audit log."""
    material, path = service.read_material(session, actor=actor, material_id=material_id, settings=settings)
    return FileResponse(path, media_type=material.mime, filename=material.filename)


# --- drafts and the operator's edits (registry/filings/drafts.py) ---------------------------------------

@router.post("/drafts", response_model=FilingPublic, status_code=201, responses=errors(403, 404, 409))
def create_draft(session: SessionDep, settings: SettingsDep, actor: CurrentActor, data: FilingCreate) -> Filing:
    """Save a new filing as the operator's draft: no officer sees it until it is submitted."""
    return drafts.create_draft(session, actor=actor, data=data, settings=settings)


@router.put("/{filing_id}/form", response_model=FilingPublic, responses=errors(403, 404, 409))
def update_form(session: SessionDep, settings: SettingsDep, actor: CurrentActor, filing_id: int,
                data: FilingFormUpdate) -> Filing:
    """Change the form of a draft, or of a filing being corrected."""
    return drafts.update_form(session, actor=actor, filing_id=filing_id, data=data, settings=settings)


@router.post("/{filing_id}/submit", response_model=FilingPublic, responses=errors(403, 404, 409))
def submit_draft(session: SessionDep, settings: SettingsDep, actor: CurrentActor, filing_id: int) -> Filing:
    """Send a complete draft to the filing unit (409 lists what is missing)."""
    return drafts.submit_draft(session, actor=actor, filing_id=filing_id, settings=settings)


@router.delete("/{filing_id}", status_code=204, response_class=Response, responses=errors(403, 404, 409))
def discard_draft(session: SessionDep, actor: CurrentActor, filing_id: int) -> Response:
    """Throw a draft away (only a draft)."""
    drafts.discard_draft(session, actor=actor, filing_id=filing_id)
    return Response(status_code=204)


@router.post("/{filing_id}/change", response_model=FilingPublic, status_code=201, responses=errors(403, 404, 409))
def start_change(session: SessionDep, settings: SettingsDep, actor: CurrentActor, filing_id: int) -> Filing:
    """Begin a change of a filed filing as a draft: form, materials and cameras (with their codes) carried over."""
    return drafts.start_change(session, actor=actor, filing_id=filing_id, settings=settings)


@router.delete("/{filing_id}/cameras/{camera_id}", status_code=204, response_class=Response,
               responses=errors(403, 404, 409))
def remove_camera(session: SessionDep, actor: CurrentActor, filing_id: int, camera_id: int) -> Response:
    """Take an uncoded camera off an open filing's list."""
    drafts.remove_camera(session, actor=actor, filing_id=filing_id, camera_id=camera_id)
    return Response(status_code=204)


@router.put("/{filing_id}/cameras/{camera_id}/placement", response_model=CameraPublic,
            responses=errors(403, 404, 409))
def place_camera(session: SessionDep, settings: SettingsDep, actor: CurrentActor, filing_id: int, camera_id: int,
                 data: Placement) -> Camera:
    """Put a camera on a deployment-map page (frame pixels, see GET /materials/{id}/pages), or take it off."""
    return placement.place(session, actor=actor, filing_id=filing_id, camera_id=camera_id, data=data,
                           settings=settings)


@router.delete("/{filing_id}/materials/{material_id}", status_code=204, response_class=Response,
               responses=errors(403, 404, 409))
def remove_material(session: SessionDep, actor: CurrentActor, filing_id: int, material_id: int) -> Response:
    """Take a wrongly uploaded file off a draft."""
    drafts.remove_material(session, actor=actor, filing_id=filing_id, material_id=material_id)
    return Response(status_code=204)


class MapFrame(BaseModel):
    """One page of a deployment map and the size of the frame camera positions are given in."""

    page: int
    width: int
    height: int


@materials_router.get("/{material_id}/pages", response_model=list[MapFrame], responses=errors(404))
@read_only
def map_pages(session: SessionDep, settings: SettingsDep, actor: CurrentActor, material_id: int) -> list[MapFrame]:
    """The pages of a deployment map (PDF or image) and each page's frame size."""
    material = visible_material(session, actor, material_id)
    return [MapFrame(page=f.page, width=f.width, height=f.height)
            for f in mapimages.frames(settings.materials_dir, material.sha256, material.mime)]


def visible_material(session: Session, actor: Actor, material_id: int) -> Material:
    """A material whose filing the user may see (404 otherwise)."""
    material = session.get(Material, material_id)
    if material is None:
        raise NotFound(f"Material {material_id} 不存在 / not found")
    get_visible(session, Filing, material.filing_id, actor.user)
    return material
