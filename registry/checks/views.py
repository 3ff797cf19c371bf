"""799号令 check routes: the prohibited-place list, a filing's checks, a scan's name flags, staff and training."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from registry.auth.scope import get_visible
from registry.checks import service
from registry.checks.models import (
    ProhibitedTerm,
    ProhibitedTermCreate,
    ProhibitedTermPublic,
    StaffMemberCreate,
    StaffPublic,
    TrainingCreate,
)
from registry.deps import CurrentActor, SessionDep, read_only
from registry.responses import errors
from registry.scans.models import Scan

router = APIRouter(tags=["checks"], responses=errors(401, 422))


@router.get("/checks/prohibited-terms", response_model=list[ProhibitedTermPublic])
@read_only
def list_terms(session: SessionDep, actor: CurrentActor) -> list[ProhibitedTerm]:
    """The prohibited-place terms (799号令 第八条) that camera and device names are screened against."""
    return service.list_terms(session)


@router.post("/checks/prohibited-terms", response_model=ProhibitedTermPublic, status_code=201,
             responses=errors(403, 409))
def add_term(session: SessionDep, actor: CurrentActor, data: ProhibitedTermCreate) -> ProhibitedTerm:
    """Add a term (city administrators)."""
    return service.add_term(session, actor=actor, data=data)


@router.delete("/checks/prohibited-terms/{term_id}", response_model=ProhibitedTermPublic,
               responses=errors(403, 404))
def remove_term(session: SessionDep, actor: CurrentActor, term_id: int) -> ProhibitedTerm:
    """Take a term out of force; it stays listed as inactive (city administrators)."""
    return service.remove_term(session, actor=actor, term_id=term_id)


@router.get("/filings/{filing_id}/checks", responses=errors(404))
@read_only
def filing_checks(session: SessionDep, actor: CurrentActor, filing_id: int) -> dict[str, Any]:
    """The 799号令 checks of a filing: prohibited-place names, retention declared and measured, untrained staff."""
    return service.filing_checks(session, actor=actor, filing_id=filing_id)


@router.get("/scans/{scan_id}/prohibited", responses=errors(404))
@read_only
def scan_prohibited(session: SessionDep, actor: CurrentActor, scan_id: int) -> list[dict[str, Any]]:
    """Scanned devices whose ONVIF names (name and location scopes, host name) contain a prohibited-place term."""
    scan = get_visible(session, Scan, scan_id, actor.user)
    return [f.__dict__ for f in service.scan_flags(session, scan)]


@router.get("/operators/{operator_id}/staff", response_model=list[StaffPublic], responses=errors(404))
@read_only
def list_staff(session: SessionDep, actor: CurrentActor, operator_id: int) -> list[StaffPublic]:
    """The operator's staff in contact with the system, with trainings; `trained: false` is flagged."""
    return service.list_staff(session, actor=actor, operator_id=operator_id)


@router.post("/operators/{operator_id}/staff", response_model=StaffPublic, status_code=201,
             responses=errors(403, 404))
def add_staff(session: SessionDep, actor: CurrentActor, operator_id: int, data: StaffMemberCreate) -> StaffPublic:
    """Add a person to the staff list."""
    return service.add_staff(session, actor=actor, operator_id=operator_id, data=data)


@router.post("/operators/{operator_id}/staff/{staff_id}/leave", response_model=StaffPublic,
             responses=errors(403, 404))
def leave_staff(session: SessionDep, actor: CurrentActor, operator_id: int, staff_id: int) -> StaffPublic:
    """Mark a person as gone (kept, with their trainings)."""
    return service.leave_staff(session, actor=actor, operator_id=operator_id, staff_id=staff_id)


@router.post("/operators/{operator_id}/staff/{staff_id}/trainings", response_model=StaffPublic,
             status_code=201, responses=errors(403, 404, 409))
def record_training(session: SessionDep, actor: CurrentActor, operator_id: int, staff_id: int,
                    data: TrainingCreate) -> StaffPublic:
    """Record a training: when, what, by whom."""
    return service.record_training(session, actor=actor, operator_id=operator_id, staff_id=staff_id, data=data)
