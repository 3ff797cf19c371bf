"""Audit routes: the city department reads the log and checks the chain."""

from __future__ import annotations

from fastapi import APIRouter, Query
from pydantic import BaseModel
from sqlmodel import col, select

from registry.audit import service
from registry.audit.models import AuditEvent, AuditEventPublic
from registry.auth.models import Role
from registry.auth.scope import CITY_UNIT, require_role, require_unit
from registry.deps import CurrentActor, SessionDep, SettingsDep
from registry.responses import errors

router = APIRouter(prefix="/audit", tags=["audit"], responses=errors(401, 403, 422))


class ChainReport(BaseModel):
    """The result of verifying the chain."""

    ok: bool
    checked: int
    first_problem: dict[str, object] | None
    checkpoint_seq: int | None = None


@router.get("/events", response_model=list[AuditEventPublic])
def list_events(session: SessionDep, actor: CurrentActor, object_type: str | None = None,
                object_id: str | None = None, after_seq: int = Query(0, ge=0),
                limit: int = Query(100, ge=1, le=1000)) -> list[AuditEvent]:
    """Audit events in order (city supervisors and administrators)."""
    require_role(actor.user, Role.supervisor, Role.admin)
    require_unit(actor.user, CITY_UNIT)
    query = select(AuditEvent).where(col(AuditEvent.seq) > after_seq)
    if object_type:
        query = query.where(AuditEvent.object_type == object_type)
    if object_id:
        query = query.where(AuditEvent.object_id == object_id)
    return list(session.exec(query.order_by(col(AuditEvent.seq)).limit(limit)).all())


@router.get("/verify", response_model=ChainReport)
def verify_chain(session: SessionDep, settings: SettingsDep, actor: CurrentActor) -> ChainReport:
    """Walk the chain and report the first edited, inserted, deleted or truncated event."""
    require_role(actor.user, Role.supervisor, Role.admin)
    require_unit(actor.user, CITY_UNIT)
    result = service.verify_anchored(session, settings=settings)
    problem = vars(result.problem) if result.problem else None
    return ChainReport(ok=result.ok, checked=result.checked, first_problem=problem,
                       checkpoint_seq=result.checkpoint_seq)
