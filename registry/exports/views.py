"""Export routes: the operator, filing and camera lists a user may see, as CSV (streamed) or .xlsx."""

from __future__ import annotations

import os
import tempfile
from datetime import date
from pathlib import Path
from typing import Annotated, Literal

from fastapi import APIRouter, Depends
from fastapi.responses import FileResponse, Response, StreamingResponse
from sqlalchemy.engine import Engine
from starlette.background import BackgroundTask

from registry.cameras.models import CameraStatus
from registry.deps import CurrentActor, SessionDep, get_engine
from registry.exports import service
from registry.exports.service import Filters
from registry.filings.models import FilingState
from registry.imports.columns import Kind
from registry.imports.views import MEDIA_TYPES
from registry.keyset import KeyOrder
from registry.responses import errors, files
from registry.timeutil import beijing_today

router = APIRouter(prefix="/exports", tags=["exports"], responses=errors(401, 422))
EngineDep = Annotated[Engine, Depends(get_engine)]
Format = Literal["xlsx", "csv"]
EXPORT_FILES = files(*MEDIA_TYPES.values(), description="the list as CSV (streamed) or .xlsx")


def respond(session: SessionDep, engine: Engine, actor: CurrentActor, kind: Kind, fmt: Format,
             filters: Filters, order: KeyOrder | None = None) -> Response:
    """Audit first (the event commits with the request), then send the rows (list pages' 导出 too, in the list's
    order; id order without one)."""
    filename = f"{kind.value}-{beijing_today().isoformat()}.{fmt}"
    disposition = {"Content-Disposition": f'attachment; filename="{filename}"'}
    if fmt == "csv":
        rows = service.count(session, kind=kind, user=actor.user, filters=filters)
        service.record(session, actor=actor, kind=kind, fmt=fmt, filters=filters, rows=rows)
        chunks = service.csv_chunks(engine, kind=kind, user=actor.user, filters=filters, order=order)
        return StreamingResponse(chunks, media_type=MEDIA_TYPES[fmt], headers=disposition)
    # End the request's transaction first: on SQLite it holds the write lock the batch reader needs.
    session.commit()
    handle, name = tempfile.mkstemp(suffix=".xlsx", prefix="camreg-export-")
    os.close(handle)
    try:
        rows = service.write_xlsx(engine, Path(name), kind=kind, user=actor.user, filters=filters, order=order)
    except BaseException:
        os.unlink(name)
        raise
    service.record(session, actor=actor, kind=kind, fmt=fmt, filters=filters, rows=rows)
    return FileResponse(name, media_type=MEDIA_TYPES[fmt], headers=disposition,
                        background=BackgroundTask(os.unlink, name))


@router.get("/operators.{fmt}", response_class=Response, responses=EXPORT_FILES)
def export_operators(session: SessionDep, engine: EngineDep, actor: CurrentActor, fmt: Format,
                     district_code: str | None = None, filing_unit_code: str | None = None, q: str | None = None,
                     overdue: bool = False, overdue_on: date | None = None) -> Response:
    """Operators in the user's responsibility; `overdue` keeps those with a filing past its deadline."""
    filters = Filters(district_code=district_code, filing_unit_code=filing_unit_code, q=q,
                      overdue_on=service.overdue_date(overdue, overdue_on))
    return respond(session, engine, actor, Kind.operators, fmt, filters)


@router.get("/filings.{fmt}", response_class=Response, responses=EXPORT_FILES)
def export_filings(session: SessionDep, engine: EngineDep, actor: CurrentActor, fmt: Format,
                   state: FilingState | None = None, filing_unit_code: str | None = None,
                   district_code: str | None = None, operator_id: int | None = None, late: bool | None = None,
                   overdue: bool = False, overdue_on: date | None = None) -> Response:
    """Filings in the user's responsibility, by state, unit, district, operator, lateness, overdue."""
    filters = Filters(state=state, filing_unit_code=filing_unit_code, district_code=district_code,
                      operator_id=operator_id, late=late, overdue_on=service.overdue_date(overdue, overdue_on))
    return respond(session, engine, actor, Kind.filings, fmt, filters)


@router.get("/cameras.{fmt}", response_class=Response, responses=EXPORT_FILES)
def export_cameras(session: SessionDep, engine: EngineDep, actor: CurrentActor, fmt: Format,
                   filing_id: int | None = None, operator_id: int | None = None, station_id: str | None = None,
                   district_code: str | None = None, status: CameraStatus | None = None) -> Response:
    """Cameras in the user's responsibility (a million rows stream in constant memory as CSV)."""
    filters = Filters(filing_id=filing_id, operator_id=operator_id, station_id=station_id,
                      district_code=district_code, status=status)
    return respond(session, engine, actor, Kind.cameras, fmt, filters)
