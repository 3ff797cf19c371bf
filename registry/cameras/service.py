"""Adding cameras to a filing, issuing their codes, and finding them."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Row, func
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from registry.actor import Actor
from registry.auth.scope import clause_for
from registry.camera_codes import CameraCodeError, code_prefix, format_code, type_code_for
from registry.cameras.models import Camera, CameraCreate, CameraPublic, CameraStatus, normalise_mac
from registry.errors import InvalidInput
from registry.filings.models import Filing, Material, MaterialKind
from registry.numbering.service import take_serials
from registry.operators.models import Operator
from registry.routing import locate_many
from registry.units.models import PoliceUnit


def build(session: Session, *, filing: Filing, operator: Operator, items: Sequence[CameraCreate]) -> list[Camera]:
    """Validate new cameras for a filing and route each to its district and station (not yet stored)."""
    if not items:
        raise InvalidInput("至少需要一个摄像机 / at least one camera is needed", field="cameras")
    map_ids = {i.map_material_id for i in items if i.map_material_id is not None}
    if map_ids:
        found = session.exec(select(Material).where(col(Material.id).in_(map_ids))).all()
        valid = {m.id for m in found if m.filing_id == filing.id and m.kind == MaterialKind.deployment_map}
        for index, item in enumerate(items):
            if item.map_material_id is not None and item.map_material_id not in valid:
                raise InvalidInput(f"cameras[{index}]: map_material_id {item.map_material_id} is not a deployment "
                                   "map of this filing", field=f"cameras[{index}].map_material_id")
    for index, item in enumerate(items):
        try:
            type_code_for(item.device_type)
        except CameraCodeError as exc:
            raise InvalidInput(f"cameras[{index}]: {exc}", field=f"cameras[{index}].device_type") from exc
    _check_carried_codes(session, filing=filing, items=items)
    assert filing.id is not None and operator.id is not None  # both are stored before cameras are listed
    places = locate_many([i.lon for i in items], [i.lat for i in items])
    cameras = []
    for index, (item, place) in enumerate(zip(items, places, strict=True)):
        if place is None:
            raise InvalidInput(f"cameras[{index}]: location ({item.lon}, {item.lat}) is outside Beijing",
                               field=f"cameras[{index}].lon")
        district_code, station_id = place
        # The item was validated as a CameraCreate already; building the table row directly skips a second pass.
        cameras.append(Camera(**item.model_dump(), filing_id=filing.id, operator_id=operator.id,
                              district_code=district_code, station_id=station_id))
    return cameras


def _check_carried_codes(session: Session, *, filing: Filing, items: Sequence[CameraCreate]) -> None:
    """A kept code must belong to an active camera of the filing being changed, and be kept once."""
    codes = [i.existing_code for i in items if i.existing_code]
    if not codes:
        return
    if filing.changes_filing_id is None:
        raise InvalidInput("只有变更备案可以沿用原编码 / only a change filing can keep existing codes",
                           field="existing_code")
    if len(set(codes)) != len(codes):
        raise InvalidInput("同一编码被沿用两次 / an existing code is listed twice", field="existing_code")
    known = set(session.exec(select(Camera.code).where(Camera.filing_id == filing.changes_filing_id)
                             .where(Camera.status == CameraStatus.active)).all())
    for index, code in enumerate(codes):
        if code not in known:
            raise InvalidInput(f"cameras[{index}]: {code} is not an active camera of the filing being changed",
                               field=f"cameras[{index}].existing_code")


def carry_over(session: Session, *, filing: Filing, removed_at: datetime) -> None:
    """On filing a change: kept cameras move to it with their code and id; the rest retire their codes."""
    new_rows = session.exec(select(Camera).where(Camera.filing_id == filing.id)).all()
    kept = {c.existing_code: c for c in new_rows if c.existing_code}
    old_rows = session.exec(select(Camera).where(Camera.filing_id == filing.changes_filing_id)
                            .where(Camera.status == CameraStatus.active)).all()
    declared = set(CameraCreate.model_fields) - {"existing_code"}
    for old in old_rows:
        new = kept.get(old.code or "")
        if new is None:
            old.status, old.removed_at = CameraStatus.removed, removed_at
        else:
            # The physical camera keeps its row and code for life; the newer declaration replaces the old.
            old.sqlmodel_update(new.model_dump(include=declared | {"district_code", "station_id"}))
            assert filing.id is not None
            old.filing_id = filing.id
            session.delete(new)
        session.add(old)
    session.flush()


def _station_number(session: Session, station_id: str | None, cache: dict[str | None, str]) -> str:
    if station_id not in cache:
        unit = session.get(PoliceUnit, station_id) if station_id else None
        cache[station_id] = unit.station_number if unit and unit.station_number else "00"
    return cache[station_id]


def issue_codes(session: Session, *, filing: Filing, operator: Operator, cameras: Sequence[Camera]) -> int:
    """Give every active camera without a code its 20-digit code; serials come from locked counters."""
    by_prefix: dict[str, list[Camera]] = defaultdict(list)
    stations: dict[str | None, str] = {}
    for camera in cameras:
        if camera.code is not None or camera.status != CameraStatus.active:
            continue
        try:
            prefix = code_prefix(
                district=camera.district_code or "", grassroots=_station_number(session, camera.station_id, stations),
                industry=operator.industry_code, type_code=type_code_for(camera.device_type, operator.industry_edition),
                network=str(filing.network_digit), edition=operator.industry_edition)
        except CameraCodeError as exc:
            raise InvalidInput(f"camera {camera.name}: {exc}", field=exc.field) from exc
        by_prefix[prefix].append(camera)
    # Lock counters in a fixed order so two filings never wait on each other in a cycle.
    for prefix in sorted(by_prefix):
        group = sorted(by_prefix[prefix], key=lambda c: c.id or 0)
        for camera, serial in zip(group, take_serials(session, prefix=prefix, count=len(group)), strict=True):
            camera.code = format_code(prefix, serial)
            camera.code_edition = operator.industry_edition
            session.add(camera)
    session.flush()
    return sum(len(g) for g in by_prefix.values())


# The columns the API shows, in the public schema's order.
PUBLIC_COLUMNS = tuple(Camera.__table__.c[name] for name in CameraPublic.model_fields)  # type: ignore[attr-defined]
# Filters with a (key, id) index (migration 0003), most selective first.
LEADING_KEYS = ("code", "serial", "mac", "ip", "filing_id", "station_id", "district_code", "operator_id")


def list_visible(session: Session, *, actor: Actor, filing_id: int | None = None, operator_id: int | None = None,
                 station_id: str | None = None, district_code: str | None = None, code: str | None = None,
                 serial: str | None = None, mac: str | None = None, ip: str | None = None,
                 status: CameraStatus | None = None, after_id: int = 0, limit: int = 50) -> Sequence[Row[Any]]:
    """Cameras the user may see, filtered, in id order after a keyset cursor: rows of the public columns.

    Plain rows, not ORM objects: a page is read once and serialised, and building and tracking 50
    mapped objects per request was a sixth of a worker's CPU under load.
    """
    query = sa_select(*PUBLIC_COLUMNS).where(clause_for(Camera, actor.user)).where(col(Camera.id) > after_id)
    filters = {"filing_id": filing_id, "operator_id": operator_id, "station_id": station_id,
               "district_code": district_code, "code": code, "serial": serial, "ip": ip, "status": status}
    for name, value in filters.items():
        if value is not None:
            query = query.where(col(getattr(Camera, name)) == value)
    if mac is not None:
        query = query.where(col(Camera.mac) == normalise_mac(mac))
    # Ordering by the equality-filtered key first is the same order (the key is constant) but makes the
    # (key, id) index the only path without a sort, so the planner cannot page the primary key and filter.
    filters["mac"] = mac
    leading = next((name for name in LEADING_KEYS if filters.get(name) is not None), None)
    order = (col(getattr(Camera, leading)), col(Camera.id)) if leading else (col(Camera.id),)
    return session.execute(query.order_by(*order).limit(limit)).all()


def count_active(session: Session, *, filing_id: int) -> int:
    """How many active cameras a filing has."""
    query = select(func.count()).select_from(Camera).where(Camera.filing_id == filing_id)
    return session.exec(query.where(Camera.status == CameraStatus.active)).one()
