"""Map pages: the city, a district, an operator's site — self-contained HTML, no internet needed."""

from __future__ import annotations

from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse

from registry.coverage import service
from registry.deps import PageActor, SessionDep, SettingsDep

router = APIRouter(prefix="/maps", tags=["maps"], include_in_schema=False)


@router.get("/city", response_class=HTMLResponse)
def city_map(session: SessionDep, settings: SettingsDep, actor: PageActor,
             metric: str = Query("density", pattern="^(density|cameras)$")) -> HTMLResponse:
    """Districts coloured by camera density (or count), with the numbers; only what the user may see."""
    return HTMLResponse(service.city_html(session, user=actor.user, metric=metric, tile_url=settings.tile_url))


@router.get("/district/{district_code}", response_class=HTMLResponse)
def district_map(session: SessionDep, settings: SettingsDep, actor: PageActor, district_code: str) -> HTMLResponse:
    """A district: stations by density, cameras aggregated, detail and sectors when zoomed in."""
    return HTMLResponse(service.district_html(session, user=actor.user, district_code=district_code,
                                              tile_url=settings.tile_url))


@router.get("/operator/{operator_id}", response_class=HTMLResponse)
def operator_map(session: SessionDep, settings: SettingsDep, actor: PageActor, operator_id: int) -> HTMLResponse:
    """An operator's site, its cameras and their fields of view."""
    return HTMLResponse(service.operator_html(session, user=actor.user, operator_id=operator_id,
                                              tile_url=settings.tile_url))
