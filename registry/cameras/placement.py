"""Where a camera is drawn on its filing's deployment map (布防图): page, point, direction, field of view."""

from __future__ import annotations

from sqlmodel import Field, Session, SQLModel

from registry.actor import Actor
from registry.audit import service as audit
from registry.cameras.models import Camera
from registry.errors import InvalidInput, NotFound
from registry.filings import mapimages
from registry.filings.drafts import open_for_edit
from registry.filings.models import EDITABLE_STATES, Material, MaterialKind
from registry.settings import Settings

PLACEMENT_FIELDS = ("map_material_id", "map_page", "map_x", "map_y", "azimuth", "hfov")


class Placement(SQLModel):
    """A camera's position on a deployment-map page, in the page's frame (registry.filings.mapimages)."""

    map_material_id: int | None = Field(default=None, description="the 布防图 material; null takes the camera off")
    map_page: int = Field(default=1, ge=1, le=mapimages.MAX_PAGES)
    map_x: float = Field(default=0, ge=0, le=100_000, description="frame pixels from the page's left edge")
    map_y: float = Field(default=0, ge=0, le=100_000, description="frame pixels from the page's top edge")
    azimuth: float | None = Field(default=None, ge=0, lt=360, description="degrees clockwise from the map's top")
    hfov: float | None = Field(default=None, gt=0, le=360, description="horizontal field of view, degrees")


def place(session: Session, *, actor: Actor, filing_id: int, camera_id: int, data: Placement,
          settings: Settings) -> Camera:
    """Put a camera on a page of one of its filing's deployment maps (or take it off); audited."""
    open_for_edit(session, actor=actor, filing_id=filing_id, states=EDITABLE_STATES)
    camera = session.get(Camera, camera_id)
    if camera is None or camera.filing_id != filing_id:
        raise NotFound(f"摄像机 {camera_id} 不在此备案中 / camera {camera_id} is not on this filing")
    if data.map_material_id is None:
        camera.map_material_id = camera.map_page = camera.map_x = camera.map_y = None
    else:
        material = session.get(Material, data.map_material_id)
        if material is None or material.filing_id != filing_id or material.kind != MaterialKind.deployment_map:
            raise InvalidInput("所选文件不是本备案的布防图 / not a deployment map of this filing",
                               field="map_material_id")
        try:
            frame = mapimages.frame(settings.materials_dir, material.sha256, material.mime, data.map_page)
        except NotFound as exc:
            raise InvalidInput(exc.message, field="map_page") from exc
        if data.map_x > frame.width or data.map_y > frame.height:
            raise InvalidInput(f"位置超出图纸范围（{frame.width}×{frame.height}）/ the point is outside the page",
                               field="map_x")
        camera.map_material_id, camera.map_page = material.id, data.map_page
        camera.map_x, camera.map_y = round(data.map_x, 1), round(data.map_y, 1)
    camera.azimuth = None if data.azimuth is None else round(data.azimuth, 1)
    camera.hfov = None if data.hfov is None else round(data.hfov, 1)
    session.add(camera)
    session.flush()
    audit.append(session, actor=actor, action="camera.place", object_type="filing", object_id=filing_id,
                 details={"camera_id": camera_id, **{name: getattr(camera, name) for name in PLACEMENT_FIELDS}})
    return camera
