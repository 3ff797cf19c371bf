"""Camera routes: lookups by code, serial, MAC and IP, and lists by station or district."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response
from pydantic import AfterValidator

from registry.auth.scope import get_visible
from registry.cameras import service
from registry.cameras.models import Camera, CameraPublic, CameraStatus, normalise_mac
from registry.deps import CurrentActor, SessionDep, read_only
from registry.pagination import AfterQuery, LimitQuery, Page, page_of
from registry.responses import errors

# A malformed MAC is the caller's mistake (422 naming `mac`), not a server error.
MacQuery = Annotated[str | None, AfterValidator(normalise_mac),
                     Query(description="any usual spelling, e.g. 00-11-22-AA-BB-CC")]

router = APIRouter(prefix="/cameras", tags=["cameras"], responses=errors(401, 422))


@router.get("", response_model=Page[CameraPublic])
@read_only
def list_cameras(session: SessionDep, actor: CurrentActor, filing_id: int | None = None,
                 operator_id: int | None = None, station_id: str | None = None, district_code: str | None = None,
                 code: str | None = None, serial: str | None = None, mac: MacQuery = None, ip: str | None = None,
                 status: CameraStatus | None = None, after: AfterQuery = 0,
                 limit: LimitQuery = 50) -> Response:
    """Cameras in the user's responsibility, by any of the lookup keys."""
    rows = service.list_visible(session, actor=actor, filing_id=filing_id, operator_id=operator_id,
                                station_id=station_id, district_code=district_code, code=code, serial=serial,
                                mac=mac, ip=ip, status=status, after_id=after, limit=limit)
    return page_of(rows, limit, CameraPublic)


@router.get("/{camera_id}", response_model=CameraPublic, responses=errors(404))
@read_only
def get_camera(session: SessionDep, actor: CurrentActor, camera_id: int) -> Camera:
    """One camera."""
    return get_visible(session, Camera, camera_id, actor.user)
