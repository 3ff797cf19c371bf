"""Footage-access register routes: register an access, read one, search and export the register."""

from __future__ import annotations

from datetime import date
from typing import Literal

from fastapi import APIRouter, Query, Response

from registry.deps import CurrentActor, SessionDep, read_only
from registry.footage import export, service
from registry.footage.models import FootageAccess, FootageAccessCreate, FootageAccessPublic, FootageKind
from registry.footage.service import FootageFilters
from registry.imports.views import MEDIA_TYPES
from registry.pagination import AfterQuery, LimitQuery, Page, page_of
from registry.responses import errors, files

router = APIRouter(prefix="/footage-accesses", tags=["footage"], responses=errors(401, 422))


def _filters(q: str | None, operator_id: int | None, kind: FootageKind | None, taker_unit_code: str | None,
             accessed_from: date | None, accessed_to: date | None) -> FootageFilters:
    return FootageFilters(q=q, operator_id=operator_id, kind=kind, taker_unit_code=taker_unit_code,
                          accessed_from=accessed_from, accessed_to=accessed_to)


Q = Query(default=None, max_length=100)


@router.get("", response_model=Page[FootageAccessPublic])
@read_only
def list_accesses(session: SessionDep, actor: CurrentActor, q: str | None = Q, operator_id: int | None = None,
                  kind: FootageKind | None = None, taker_unit_code: str | None = None,
                  accessed_from: date | None = None, accessed_to: date | None = None, after: AfterQuery = 0,
                  limit: LimitQuery = 50) -> Response:
    """The register: an operator's own entries, or those of the operators in the unit's area; searchable."""
    filters = _filters(q, operator_id, kind, taker_unit_code, accessed_from, accessed_to)
    return page_of(service.list_visible(session, actor=actor, filters=filters, after_id=after, limit=limit),
                   limit, FootageAccessPublic)


@router.get("/export.{fmt}", response_class=Response,
            responses=files(*MEDIA_TYPES.values(), description="the register as CSV or .xlsx"))
def export_accesses(session: SessionDep, actor: CurrentActor, fmt: Literal["csv", "xlsx"], q: str | None = Q,
                    operator_id: int | None = None, kind: FootageKind | None = None,
                    taker_unit_code: str | None = None, accessed_from: date | None = None,
                    accessed_to: date | None = None) -> Response:
    """The searched register as CSV or Excel (audited)."""
    filters = _filters(q, operator_id, kind, taker_unit_code, accessed_from, accessed_to)
    data = (export.to_csv if fmt == "csv" else export.to_xlsx)(session, actor=actor, filters=filters)
    return Response(data, media_type=MEDIA_TYPES[fmt],
                    headers={"Content-Disposition": f'attachment; filename="{export.filename(fmt)}"'})


@router.post("", response_model=FootageAccessPublic, status_code=201, responses=errors(403, 404))
def record_access(session: SessionDep, actor: CurrentActor, data: FootageAccessCreate) -> FootageAccess:
    """Register an access: reason, cameras and time range, who took it, the county-level approval, the date."""
    return service.record(session, actor=actor, data=data)


@router.get("/{access_id}", response_model=FootageAccessPublic, responses=errors(404))
@read_only
def get_access(session: SessionDep, actor: CurrentActor, access_id: int) -> FootageAccess:
    """One register entry."""
    return service.get(session, actor=actor, access_id=access_id)
