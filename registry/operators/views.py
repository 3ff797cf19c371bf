"""Operator routes: thin wrappers over the service."""

from __future__ import annotations

from fastapi import APIRouter, Response

from registry.auth.scope import get_visible
from registry.deps import CurrentActor, SessionDep, read_only
from registry.operators import service
from registry.operators.models import Operator, OperatorCreate, OperatorPublic, OperatorUpdate
from registry.pagination import AfterQuery, LimitQuery, Page, page_of
from registry.responses import errors

router = APIRouter(prefix="/operators", tags=["operators"], responses=errors(401, 422))


@router.get("", response_model=Page[OperatorPublic])
@read_only
def list_operators(session: SessionDep, actor: CurrentActor, district_code: str | None = None,
                   filing_unit_code: str | None = None, q: str | None = None, after: AfterQuery = 0,
                   limit: LimitQuery = 50) -> Response:
    """Operators in the user's responsibility, filterable by district, filing unit, name or credit code."""
    rows = service.list_visible(session, actor=actor, district_code=district_code,
                                filing_unit_code=filing_unit_code, q=q, after_id=after, limit=limit)
    return page_of(rows, limit, OperatorPublic)


@router.post("", response_model=OperatorPublic, status_code=201, responses=errors(403, 409))
def create_operator(session: SessionDep, actor: CurrentActor, data: OperatorCreate) -> Operator:
    """Register an operator; it is routed to its responsible units at once."""
    return service.create(session, actor=actor, data=data)


@router.get("/{operator_id}", response_model=OperatorPublic, responses=errors(404))
@read_only
def get_operator(session: SessionDep, actor: CurrentActor, operator_id: int) -> Operator:
    """One operator, with who verifies and who files for it, and why."""
    return get_visible(session, Operator, operator_id, actor.user)


@router.patch("/{operator_id}", response_model=OperatorPublic, responses=errors(403, 404, 409))
def update_operator(session: SessionDep, actor: CurrentActor, operator_id: int, data: OperatorUpdate) -> Operator:
    """Change an operator; moving it re-routes it."""
    return service.update(session, actor=actor, operator_id=operator_id, data=data)
