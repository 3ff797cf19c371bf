"""Where a camera sits on its deployment-map page, drawn as a static SVG over the page image (no script)."""

from __future__ import annotations

import math
from dataclasses import dataclass

from sqlmodel import Session

from registry.cameras.models import Camera
from registry.filings import mapimages
from registry.filings.models import Material
from registry.settings import Settings


@dataclass(frozen=True)
class MapPosition:
    """The page image, its frame, the marker and, when aimed, the field-of-view sector's SVG path."""

    material: Material
    page: int
    width: int
    height: int
    x: float
    y: float
    dot: float
    sector: str | None
    circle: float | None


def sector_path(x: float, y: float, azimuth: float, hfov: float, reach: float) -> str:
    """The SVG path of a field of view (azimuth clockwise from the top of the plan), as placement.js draws it."""
    def point(degrees: float) -> tuple[float, float]:
        a = math.radians(degrees)
        return x + reach * math.sin(a), y - reach * math.cos(a)

    (x0, y0), (x1, y1) = point(azimuth - hfov / 2), point(azimuth + hfov / 2)
    large = 1 if hfov > 180 else 0
    return f"M{x:.1f} {y:.1f} L{x0:.1f} {y0:.1f} A{reach:.1f} {reach:.1f} 0 {large} 1 {x1:.1f} {y1:.1f} Z"


def map_position(session: Session, settings: Settings, camera: Camera) -> MapPosition | None:
    """The camera's placement on its map page, or None when it was not placed (or the map no longer reads)."""
    if camera.map_material_id is None or camera.map_x is None or camera.map_y is None:
        return None
    material = session.get(Material, camera.map_material_id)
    if material is None:
        return None
    frames = mapimages.frames(settings.materials_dir, material.sha256, material.mime)
    page = camera.map_page or 1
    if not 1 <= page <= len(frames):
        return None
    frame = frames[page - 1]
    side = max(frame.width, frame.height)
    reach = side * 0.07
    sector = circle = None
    if camera.azimuth is not None:
        hfov = camera.hfov if camera.hfov is not None else 90.0
        if hfov >= 360:
            circle = reach
        else:
            sector = sector_path(camera.map_x, camera.map_y, camera.azimuth, hfov, reach)
    return MapPosition(material=material, page=page, width=frame.width, height=frame.height, x=camera.map_x,
                       y=camera.map_y, dot=side * 0.009, sector=sector, circle=circle)
