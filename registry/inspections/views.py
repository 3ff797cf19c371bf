"""Inspection API: due lists, inspections and their 检查笔录, rectification, the checklist, reviews, spot checks."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, File, Form, Query, Response, UploadFile
from fastapi.responses import FileResponse
from pydantic import BaseModel, Field
from sqlalchemy import and_
from sqlmodel import col, select

from registry.auth.models import Role
from registry.auth.scope import CITY_UNIT, clause_for, require_role
from registry.clock import TodayDep
from registry.deps import CurrentActor, SessionDep, SettingsDep
from registry.documents import service as documents
from registry.errors import Forbidden, NotFound, TooLarge
from registry.inspections import checklist, due, rectification, service, spotcheck
from registry.inspections import documents as inspection_documents
from registry.inspections.models import (
    ChecklistItem,
    ChecklistItemCreate,
    ChecklistItemUpdate,
    DrawInput,
    FindingInput,
    FollowUpInput,
    Inspection,
    InspectionCreate,
    InspectionPhoto,
    InspectionPhotoPublic,
    InspectionPublic,
    InspectionRecord,
    InspectionState,
    ItemAnswers,
    Rectification,
    RectificationPublic,
    ReviewInput,
    ScanAttach,
    SpotCheckDraw,
    SpotCheckDrawPublic,
    SpotCheckFinding,
    SpotCheckFindingPublic,
)
from registry.inspections.periods import HalfYear
from registry.pagination import AfterQuery, LimitQuery, Page, page_of
from registry.responses import errors, files
from registry.units.models import PoliceUnit

router = APIRouter(tags=["inspections"], responses=errors(401, 422))
PDF = files("application/pdf")


class DueRowPublic(BaseModel):
    """One operator on a due list."""

    operator_id: int
    name: str
    address: str
    verifying_unit_code: str
    filing_unit_code: str
    first_filed_on: date
    last_inspected_on: date | None
    inspections_in_half: int
    status: due.DueStatus
    never_inspected: bool
    due_by: date


class DueListPublic(BaseModel):
    """One page of a unit's due list for a half-year, most urgent first, with the whole list's counts by status."""

    unit_code: str
    half: str
    label: str
    today: date
    counts: dict[str, int] = Field(description="the unit's (and area's) operators by status, and the total: "
                                               "every page, whatever the status filter")
    items: list[DueRowPublic]
    next_after: str | None = Field(description="`after` of the next page (null at the end)")


def allowed_unit(session: SessionDep, actor: CurrentActor, unit_code: str | None) -> str:
    """The unit whose lists the actor may read: their own, a station under it; the city department: any."""
    require_role(actor.user, Role.inspector, Role.intake, Role.reviewer, Role.supervisor, Role.admin)
    own = actor.user.unit_code
    assert own is not None
    if unit_code is None or unit_code == own:
        return own
    unit = session.get(PoliceUnit, unit_code)
    if unit is None:
        raise NotFound(f"单位 {unit_code[:8]} 不存在 / unit not found", field="unit_code")
    if own != CITY_UNIT and unit.parent_code != own:
        raise Forbidden("只能查看本单位及所属派出所的清单 / only your own unit's and its stations' lists")
    return unit_code


@router.get("/inspections/due", response_model=DueListPublic, responses=errors(403, 404))
def due_list(session: SessionDep, actor: CurrentActor, today: TodayDep, unit_code: str | None = None,
             half: str | None = None, status: due.DueStatus | None = None,
             district_code: Annotated[str | None, Query(pattern=r"^\d{6}$")] = None,
             station_id: Annotated[str | None, Query(pattern=r"^\d{1,8}$")] = None,
             after: Annotated[str | None, Query(max_length=300, description=(
                 "the previous page's next_after (rows after it in the list's order)"))] = None,
             limit: LimitQuery = 50) -> DueListPublic:
    """Operators to inspect in a half-year (default: the current one): overdue, never inspected, due, done, in
    that order then by name (keyset pages); the counts are the whole list's, of the unit or the area."""
    unit = allowed_unit(session, actor, unit_code)
    period = HalfYear.parse(half) if half else HalfYear.of(today)
    where = and_(due.unit_scope(unit), due.area(district_code=district_code, station_id=station_id))
    rows, next_after = due.due_page(session, due.classified(period, today), where=where, status=status,
                                    after=after, limit=limit)
    return DueListPublic(unit_code=unit, half=str(period), label=period.label, today=today,
                         counts=due.list_counts(session, unit_code=unit, half=period, today=today,
                                                district_code=district_code, station_id=station_id),
                         items=[DueRowPublic(**vars(r)) for r in rows], next_after=next_after)


@router.get("/inspections/due/summary", responses=errors(403))
def due_summary(session: SessionDep, actor: CurrentActor, today: TodayDep,
                half: str | None = None) -> dict[str, dict[str, int]]:
    """The city roll-up: counts by status per responsible unit (city department only)."""
    spotcheck.require_city(actor)
    period = HalfYear.parse(half) if half else HalfYear.of(today)
    return due.summary_by_unit(session, half=period, today=today)


@router.get("/inspections/review-progress", responses=errors(403))
def review_progress(session: SessionDep, actor: CurrentActor, today: TodayDep,
                    half: str | None = None) -> dict[str, dict[str, int]]:
    """Per inspecting unit: the half-year's recorded inspections and how many its 科信 reviewed (city only)."""
    spotcheck.require_city(actor)
    period = HalfYear.parse(half) if half else HalfYear.of(today)
    return spotcheck.review_progress(session, half=period)


@router.get("/inspections", response_model=Page[InspectionPublic])
def list_inspections(session: SessionDep, actor: CurrentActor, operator_id: int | None = None,
                     state: InspectionState | None = None, after: AfterQuery = 0, limit: LimitQuery = 50) -> Response:
    """Inspections the user may see, oldest first (keyset pages)."""
    query = select(Inspection).where(clause_for(Inspection, actor.user)).where(col(Inspection.id) > after)
    if operator_id is not None:
        query = query.where(Inspection.operator_id == operator_id)
    if state is not None:
        query = query.where(Inspection.state == state)
    rows = session.exec(query.order_by(col(Inspection.id)).limit(limit)).all()
    return page_of(list(rows), limit, InspectionPublic)


@router.post("/inspections", response_model=InspectionPublic, status_code=201, responses=errors(403, 404))
def open_inspection(session: SessionDep, actor: CurrentActor, today: TodayDep,
                    data: InspectionCreate) -> InspectionPublic:
    """Open an inspection with at least two officers of the unit (the recorder among them)."""
    inspection = service.create(session, actor=actor, data=data, today=today)
    return service.public(session, inspection)


@router.get("/inspections/{inspection_id}", response_model=InspectionPublic, responses=errors(404))
def get_inspection(session: SessionDep, actor: CurrentActor, inspection_id: int) -> InspectionPublic:
    """One inspection with its checklist, scan summary, notice and document."""
    return service.public(session, service.get_inspection(session, actor=actor, inspection_id=inspection_id))


@router.put("/inspections/{inspection_id}/items", response_model=InspectionPublic, responses=errors(403, 404, 409))
def answer_items(session: SessionDep, actor: CurrentActor, inspection_id: int, data: ItemAnswers) -> InspectionPublic:
    """Answer checklist lines: ok, hazard (with a note) or not applicable."""
    return service.public(session, service.answer(session, actor=actor, inspection_id=inspection_id,
                                                  answers=data.items))


@router.post("/inspections/{inspection_id}/scan", response_model=InspectionPublic, responses=errors(403, 404, 409))
def attach_scan(session: SessionDep, actor: CurrentActor, inspection_id: int, data: ScanAttach) -> InspectionPublic:
    """Attach the operator's discrepancy scan (uploaded with POST /filings/{id}/scans)."""
    return service.public(session, service.attach_scan(session, actor=actor, inspection_id=inspection_id,
                                                       scan_id=data.scan_id))


@router.post("/inspections/{inspection_id}/photos", response_model=InspectionPhotoPublic, status_code=201,
             responses=errors(403, 404, 409, 413))
async def add_photo(session: SessionDep, settings: SettingsDep, actor: CurrentActor, inspection_id: int,
                    file: Annotated[UploadFile, File()],
                    caption: Annotated[str, Form(max_length=200)] = "") -> InspectionPhoto:
    """A photo taken on site (PNG, JPEG or PDF)."""
    data = await file.read(settings.max_upload_bytes + 1)
    if len(data) > settings.max_upload_bytes:
        raise TooLarge(f"文件超过上限 / the file exceeds {settings.max_upload_bytes} bytes", field="file")
    return service.add_photo(session, actor=actor, inspection_id=inspection_id, filename=file.filename or "photo",
                             data=data, caption=caption, settings=settings)


@router.get("/inspections/{inspection_id}/photos", response_model=list[InspectionPhotoPublic], responses=errors(404))
def list_photos(session: SessionDep, actor: CurrentActor, inspection_id: int) -> list[InspectionPhoto]:
    """The inspection's photos (metadata; reading one is audited)."""
    service.get_inspection(session, actor=actor, inspection_id=inspection_id)
    return service.photos_of(session, inspection_id)


@router.get("/inspection-photos/{photo_id}", response_class=FileResponse,
            responses=files("application/pdf", "image/png", "image/jpeg") | errors(404, 503))
def read_photo(session: SessionDep, settings: SettingsDep, actor: CurrentActor, photo_id: int) -> FileResponse:
    """The bytes of a photo; every read is audited."""
    photo, path = service.read_photo(session, actor=actor, photo_id=photo_id, settings=settings)
    return FileResponse(path, media_type=photo.mime, filename=photo.filename)


@router.post("/inspections/{inspection_id}/record", response_model=InspectionPublic,
             responses=errors(403, 404, 409))
def record(session: SessionDep, settings: SettingsDep, actor: CurrentActor, today: TodayDep, inspection_id: int,
           data: InspectionRecord) -> InspectionPublic:
    """Close the 检查笔录 (signed, or the refusal noted); hazards give an 整改通知书; the record is issued as a PDF."""
    inspection = service.record(session, actor=actor, inspection_id=inspection_id, data=data, today=today,
                                settings=settings)
    return service.public(session, inspection)


def _pdf(session: SessionDep, settings: SettingsDep, actor: CurrentActor, document: object, what: str) -> Response:
    from registry.documents.models import IssuedDocument

    if not isinstance(document, IssuedDocument):
        raise NotFound(f"{what}尚未出具 / the document is not issued yet")
    data = documents.read(session, actor=actor, document=document, settings=settings)
    return Response(data, media_type="application/pdf",
                    headers={"Content-Disposition": f'inline; filename="{document.kind}-{document.number}.pdf"'})


@router.get("/inspections/{inspection_id}/record.pdf", response_class=Response, responses=PDF | errors(404, 503))
def record_pdf(session: SessionDep, settings: SettingsDep, actor: CurrentActor, inspection_id: int) -> Response:
    """The 检查笔录 as issued (the same bytes at every reprint); reading it is audited."""
    service.get_inspection(session, actor=actor, inspection_id=inspection_id)
    return _pdf(session, settings, actor, inspection_documents.record_document(session, inspection_id), "检查笔录")


@router.post("/inspections/{inspection_id}/review", response_model=InspectionPublic, responses=errors(403, 404, 409))
def review(session: SessionDep, actor: CurrentActor, today: TodayDep, inspection_id: int,
           data: ReviewInput) -> InspectionPublic:
    """科信 监督复查 of an inspection (June 1–15, October 8–25 only)."""
    return service.public(session, service.review(session, actor=actor, inspection_id=inspection_id,
                                                  comment=data.comment, today=today))


# --- the checklist ---------------------------------------------------------------------------------------

@router.get("/inspection-checklist", response_model=list[ChecklistItem])
def get_checklist(session: SessionDep, actor: CurrentActor, include_retired: bool = False) -> list[ChecklistItem]:
    """The 安全检查内容表 in order."""
    return checklist.items(session, include_retired=include_retired)


@router.post("/inspection-checklist", response_model=ChecklistItem, status_code=201, responses=errors(403, 409))
def add_checklist_item(session: SessionDep, actor: CurrentActor, data: ChecklistItemCreate) -> ChecklistItem:
    """Add a line (city administrator)."""
    return checklist.add(session, actor=actor, data=data)


@router.patch("/inspection-checklist/{key}", response_model=ChecklistItem, responses=errors(403, 404))
def update_checklist_item(session: SessionDep, actor: CurrentActor, key: str,
                          data: ChecklistItemUpdate) -> ChecklistItem:
    """Change or retire a line (city administrator); past records keep their wording."""
    return checklist.update(session, actor=actor, key=key, data=data)


# --- rectification ---------------------------------------------------------------------------------------

class RectificationList(BaseModel):
    """Open 整改通知, the most urgent first."""

    items: list[RectificationPublic]


@router.get("/rectifications", response_model=RectificationList, responses=errors(403, 404))
def list_rectifications(session: SessionDep, actor: CurrentActor, today: TodayDep, unit_code: str | None = None,
                        overdue: bool = False) -> RectificationList:
    """A unit's open 整改通知 (an operator: its own), most urgent first; only the overdue ones with overdue=true."""
    if actor.user.role == Role.operator:
        rows = rectification.open_for_operator(session, operator_id=actor.user.operator_id, today=today,
                                               overdue_only=overdue)
    else:
        unit = allowed_unit(session, actor, unit_code)
        rows = rectification.open_rectifications(session, unit_code=unit, today=today, overdue_only=overdue)
    return RectificationList(items=[rectification.public(r, today) for r in rows])


@router.get("/rectifications/{rectification_id}", response_model=RectificationPublic, responses=errors(404))
def get_rectification(session: SessionDep, actor: CurrentActor, today: TodayDep,
                      rectification_id: int) -> RectificationPublic:
    """One 整改通知."""
    from registry.auth.scope import get_visible

    return rectification.public(get_visible(session, Rectification, rectification_id, actor.user), today)


@router.post("/rectifications/{rectification_id}/follow-up", response_model=RectificationPublic,
             responses=errors(403, 404, 409))
def follow_up(session: SessionDep, actor: CurrentActor, today: TodayDep, rectification_id: int,
              data: FollowUpInput) -> RectificationPublic:
    """A follow-up inspection closes the notice (rectified) or escalates it."""
    notice = rectification.follow_up(session, actor=actor, rectification_id=rectification_id, data=data, today=today)
    return rectification.public(notice, today)


@router.get("/rectifications/{rectification_id}/notice.pdf", response_class=Response,
            responses=PDF | errors(404, 503))
def notice_pdf(session: SessionDep, settings: SettingsDep, actor: CurrentActor, rectification_id: int) -> Response:
    """The 整改通知书 as issued; reading it is audited."""
    from registry.auth.scope import get_visible

    get_visible(session, Rectification, rectification_id, actor.user)
    return _pdf(session, settings, actor, inspection_documents.notice_document(session, rectification_id), "整改通知书")


# --- spot checks (city department) -------------------------------------------------------------------------

@router.post("/spot-checks", response_model=SpotCheckDrawPublic, status_code=201, responses=errors(403, 409))
def draw(session: SessionDep, actor: CurrentActor, today: TodayDep, data: DrawInput) -> SpotCheckDraw:
    """Draw this window's random sample of inspections (June 16–30, October 26 – November 10)."""
    return spotcheck.draw(session, actor=actor, data=data, today=today)


@router.get("/spot-checks", response_model=list[SpotCheckDrawPublic], responses=errors(403))
def list_draws(session: SessionDep, actor: CurrentActor) -> list[SpotCheckDraw]:
    """Every recorded draw, newest first."""
    spotcheck.require_city(actor)
    return list(session.exec(select(SpotCheckDraw).order_by(col(SpotCheckDraw.id).desc())).all())


@router.get("/spot-checks/{draw_id}", response_model=SpotCheckDrawPublic, responses=errors(403, 404))
def get_draw(session: SessionDep, actor: CurrentActor, draw_id: int) -> SpotCheckDraw:
    """One draw: seed, population and sample (draw_sample(population, seed, size) gives the sample again)."""
    return spotcheck.get_draw(session, actor=actor, draw_id=draw_id)


@router.get("/spot-checks/{draw_id}/findings", response_model=list[SpotCheckFindingPublic], responses=errors(403, 404))
def list_findings(session: SessionDep, actor: CurrentActor, draw_id: int) -> list[SpotCheckFinding]:
    """The findings recorded for a draw."""
    spotcheck.get_draw(session, actor=actor, draw_id=draw_id)
    return spotcheck.findings_of(session, draw_id)


@router.post("/spot-checks/{draw_id}/findings", response_model=SpotCheckFindingPublic, status_code=201,
             responses=errors(403, 404, 409))
def record_finding(session: SessionDep, actor: CurrentActor, today: TodayDep, draw_id: int,
                   data: FindingInput) -> SpotCheckFinding:
    """Record what re-checking one sampled inspection found (in the window only)."""
    return spotcheck.record_finding(session, actor=actor, draw_id=draw_id, data=data, today=today)
