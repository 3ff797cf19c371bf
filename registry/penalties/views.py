"""Penalty-case routes: open, join, evidence, propose, the operator's statement, approve or return, issue."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Form, Response, UploadFile
from fastapi.responses import FileResponse
from sqlmodel import Session

from registry.auth.models import User
from registry.deps import CurrentActor, SessionDep, SettingsDep, read_only
from registry.errors import TooLarge
from registry.filings.documents import content_disposition
from registry.pagination import AfterQuery, LimitQuery, Page, page_of
from registry.penalties import documents, service
from registry.penalties.models import (
    PenaltyCase,
    PenaltyCaseCreate,
    PenaltyCaseDetail,
    PenaltyCasePublic,
    PenaltyEvidence,
    PenaltyEvidencePublic,
    PenaltyOfficerPublic,
    PenaltyOpinion,
    PenaltyProposal,
    PenaltyState,
    PenaltyStatement,
    PenaltyStepPublic,
)
from registry.responses import errors, files

router = APIRouter(prefix="/penalties", tags=["penalties"], responses=errors(401, 422))


def detail(session: Session, case: PenaltyCase, *, with_evidence: bool = True) -> PenaltyCaseDetail:
    """A case with its officers, evidence (police only) and steps."""
    assert case.id is not None
    officers = [PenaltyOfficerPublic(user_id=o.user_id, full_name=session.get_one(User, o.user_id).full_name,
                                     joined_at=o.joined_at) for o in service.officers_of(session, case.id)]
    evidence = [PenaltyEvidencePublic.model_validate(e, from_attributes=True)
                for e in service.evidence_of(session, case.id)] if with_evidence else []
    steps = [PenaltyStepPublic.model_validate(s, from_attributes=True) for s in service.steps_of(session, case.id)]
    public = PenaltyCasePublic.model_validate(case, from_attributes=True).model_dump()
    return PenaltyCaseDetail.model_validate({**public, "officers": officers, "evidence": evidence, "steps": steps})


@router.get("", response_model=Page[PenaltyCasePublic])
@read_only
def list_cases(session: SessionDep, actor: CurrentActor, state: PenaltyState | None = None,
               operator_id: int | None = None, after: AfterQuery = 0, limit: LimitQuery = 50) -> Response:
    """Penalty cases in the user's scope (an operator sees its own once told of a proposal)."""
    rows = service.list_visible(session, actor=actor, state=state, operator_id=operator_id, after_id=after,
                                limit=limit)
    return page_of(rows, limit, PenaltyCasePublic)


@router.post("", response_model=PenaltyCaseDetail, status_code=201, responses=errors(403, 404))
def open_case(session: SessionDep, actor: CurrentActor, data: PenaltyCaseCreate) -> PenaltyCaseDetail:
    """立案: an officer of a unit responsible for the operator opens a case and is its first officer."""
    return detail(session, service.open_case(session, actor=actor, data=data))


@router.get("/{case_id}", response_model=PenaltyCaseDetail, responses=errors(404))
def get_case(session: SessionDep, actor: CurrentActor, case_id: int) -> PenaltyCaseDetail:
    """One case with its officers, evidence and steps."""
    case = service.get(session, actor=actor, case_id=case_id)
    return detail(session, case, with_evidence=actor.user.role != "operator")


@router.post("/{case_id}/join", response_model=PenaltyCaseDetail, responses=errors(403, 404, 409))
def join_case(session: SessionDep, actor: CurrentActor, case_id: int) -> PenaltyCaseDetail:
    """Join the case as one of its officers (each officer joins as themselves)."""
    return detail(session, service.join(session, actor=actor, case_id=case_id))


@router.post("/{case_id}/evidence", response_model=PenaltyEvidencePublic, status_code=201,
             responses=errors(403, 404, 409, 413))
async def add_evidence(session: SessionDep, settings: SettingsDep, actor: CurrentActor, case_id: int,
                       description: Annotated[str, Form(max_length=200)],
                       file: Annotated[UploadFile, File()]) -> PenaltyEvidence:
    """Attach evidence or written material (PDF, PNG or JPEG)."""
    data = await file.read(settings.max_upload_bytes + 1)
    if len(data) > settings.max_upload_bytes:
        raise TooLarge(f"文件超过上限 / the file exceeds {settings.max_upload_bytes} bytes", field="file")
    return service.add_evidence(session, actor=actor, case_id=case_id, description=description,
                                filename=file.filename or "upload", data=data, settings=settings)


@router.get("/{case_id}/evidence/{evidence_id}", response_class=FileResponse,
            responses=files("application/pdf", "image/png", "image/jpeg") | errors(403, 404, 503))
def read_evidence(session: SessionDep, settings: SettingsDep, actor: CurrentActor, case_id: int,
                  evidence_id: int) -> FileResponse:
    """The bytes of a piece of evidence (officers only); every read is audited."""
    evidence, path = service.read_evidence(session, actor=actor, case_id=case_id, evidence_id=evidence_id,
                                           settings=settings)
    return FileResponse(path, media_type=evidence.mime, filename=evidence.filename)


@router.post("/{case_id}/propose", response_model=PenaltyCaseDetail, responses=errors(403, 404, 409))
def propose(session: SessionDep, actor: CurrentActor, case_id: int, data: PenaltyProposal) -> PenaltyCaseDetail:
    """处罚意见: warning or fine with its amount; needs two officers and evidence; tells the operator."""
    return detail(session, service.propose(session, actor=actor, case_id=case_id, data=data))


@router.post("/{case_id}/statement", response_model=PenaltyCaseDetail, responses=errors(403, 404, 409))
def statement(session: SessionDep, actor: CurrentActor, case_id: int, data: PenaltyStatement) -> PenaltyCaseDetail:
    """陈述申辩: the operator answers a proposed penalty before the leader decides."""
    case = service.state_case(session, actor=actor, case_id=case_id, text=data.text)
    return detail(session, case, with_evidence=False)


@router.post("/{case_id}/approve", response_model=PenaltyCaseDetail, responses=errors(403, 404, 409))
def approve(session: SessionDep, actor: CurrentActor, case_id: int, data: PenaltyOpinion) -> PenaltyCaseDetail:
    """审批: the unit's leader, not one of the case's officers, approves the proposal."""
    return detail(session, service.approve(session, actor=actor, case_id=case_id, opinion=data.opinion))


@router.post("/{case_id}/return", response_model=PenaltyCaseDetail, responses=errors(403, 404, 409))
def send_back(session: SessionDep, actor: CurrentActor, case_id: int, data: PenaltyOpinion) -> PenaltyCaseDetail:
    """退回: the leader sends the case back to its officers with an opinion."""
    return detail(session, service.send_back(session, actor=actor, case_id=case_id, opinion=data.opinion))


@router.post("/{case_id}/issue", response_model=PenaltyCaseDetail, responses=errors(403, 404, 409))
def issue(session: SessionDep, settings: SettingsDep, actor: CurrentActor, case_id: int) -> PenaltyCaseDetail:
    """开具《公安行政处罚决定书》: numbered, issued once, one copy for the operator and one kept."""
    return detail(session, service.issue(session, actor=actor, case_id=case_id, settings=settings))


@router.get("/{case_id}/decision", response_class=Response,
            responses=files("application/pdf", description="the PDF") | errors(404))
def decision(session: SessionDep, settings: SettingsDep, actor: CurrentActor, case_id: int) -> Response:
    """The 公安行政处罚决定书 as issued (the operator's copy and the file copy); every read is audited."""
    case = service.get(session, actor=actor, case_id=case_id)
    data, filename = documents.read_decision(session, actor=actor, case=case, settings=settings)
    return Response(data, media_type="application/pdf", headers={
        "Content-Disposition": content_disposition(filename), "Cache-Control": "no-store"})
