"""Map pages: the city, a district, an operator's site — self-contained HTML, no internet needed."""

from __future__ import annotations

from urllib.parse import urlsplit

from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse

from registry.coverage import service
from registry.deps import PageActor, SessionDep, SettingsDep
from registry.ui.security import inline_script_csp

router = APIRouter(prefix="/maps", tags=["maps"], include_in_schema=False)


def _map_page(html: str, tile_url: str | None) -> HTMLResponse:
    """A folium map under a CSP naming the hashes of its own inline scripts and the intranet tile server."""
    tiles = urlsplit(tile_url) if tile_url else None
    origin = [f"{tiles.scheme}://{tiles.netloc}"] if tiles and tiles.netloc else []
    response = HTMLResponse(html, headers={"Cache-Control": "no-store"})
    response.headers["Content-Security-Policy"] = inline_script_csp(html, img_src=origin)
    return response


@router.get("/city", response_class=HTMLResponse)
def city_map(session: SessionDep, settings: SettingsDep, actor: PageActor,
             metric: str = Query("density", pattern="^(density|cameras)$")) -> HTMLResponse:
    """Districts coloured by camera density (or count), with the numbers; only what the user may see."""
    return _map_page(service.city_html(session, user=actor.user, metric=metric, tile_url=settings.tile_url),
                     settings.tile_url)


@router.get("/district/{district_code}", response_class=HTMLResponse)
def district_map(session: SessionDep, settings: SettingsDep, actor: PageActor, district_code: str) -> HTMLResponse:
    """A district: stations by density, cameras aggregated, detail and sectors when zoomed in."""
    return _map_page(service.district_html(session, user=actor.user, district_code=district_code,
                                           tile_url=settings.tile_url), settings.tile_url)


@router.get("/operator/{operator_id}", response_class=HTMLResponse)
def operator_map(session: SessionDep, settings: SettingsDep, actor: PageActor, operator_id: int) -> HTMLResponse:
    """An operator's site, its cameras and their fields of view."""
    return _map_page(service.operator_html(session, user=actor.user, operator_id=operator_id,
                                           tile_url=settings.tile_url), settings.tile_url)
