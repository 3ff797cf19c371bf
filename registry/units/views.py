"""Police-unit routes (the unit table is public to every signed-in user)."""

from __future__ import annotations

from fastapi import APIRouter

from registry.deps import CurrentActor, SessionDep
from registry.errors import NotFound
from registry.responses import errors
from registry.units import service
from registry.units.models import PoliceUnit, PoliceUnitPublic, UnitKind

router = APIRouter(prefix="/units", tags=["units"], responses=errors(401, 422))


@router.get("", response_model=list[PoliceUnitPublic])
def list_units(session: SessionDep, actor: CurrentActor, kind: UnitKind | None = None) -> list[PoliceUnit]:
    """Every police unit, optionally of one kind."""
    del actor
    return service.list_units(session, kind=kind)


@router.get("/{code}", response_model=PoliceUnitPublic, responses=errors(404))
def get_unit(session: SessionDep, actor: CurrentActor, code: str) -> PoliceUnit:
    """One police unit by code."""
    del actor
    unit = session.get(PoliceUnit, code)
    if unit is None:
        raise NotFound(f"单位 {code} 不存在 / unit {code} not found")
    return unit
