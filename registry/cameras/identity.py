"""One physical camera is active under one code only: the same serial and MAC, or the same ONVIF UUID.

A factory-default serial with a factory-default MAC (no-name OEM boards) identifies nothing and is not compared.

The database holds the rule (partial unique indexes over active coded cameras, migration 0011); this
module finds a conflict before a write so the refusal names the other filing and code, and turns the
index's own refusal (a concurrent writer) into the same message.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col

from registry.cameras.models import FACTORY_MACS, FACTORY_SERIALS, IDENTITY_INDEXES, Camera, CameraStatus
from registry.errors import Conflict
from registry.filings.models import Filing

CHUNK = 500


@dataclass(frozen=True)
class Device:
    """The identifying keys of one camera about to be (or staying) active under a code."""

    name: str
    serial: str | None
    mac: str | None
    onvif_uuid: str | None
    camera_id: int | None = None

    def identity_keys(self) -> list[tuple[str, ...]]:
        """("sm", serial, mac) and ("uuid", uuid), whichever the camera has."""
        found: list[tuple[str, ...]] = []
        factory = self.serial in FACTORY_SERIALS and self.mac in FACTORY_MACS
        if self.serial and self.mac and not factory:
            found.append(("sm", self.serial, self.mac))
        if self.onvif_uuid:
            found.append(("uuid", self.onvif_uuid))
        return found


def _describe(key: tuple[str, ...]) -> str:
    return f"序列号 {key[1]}、MAC {key[2]}" if key[0] == "sm" else f"ONVIF UUID {key[1]}"


def _conflict(name: str, key: tuple[str, ...], code: str | None, filing: str | None, other: str | None) -> Conflict:
    where = f"备案 {filing}" if filing else "另一备案"
    return Conflict(
        f"摄像机“{name}”（{_describe(key)}）已作为 {where} 的摄像机“{other}”以编码 {code} 在用："
        f"同一台摄像机只能在一个编码下在用，请通过该备案的变更备案办理 / "
        f"camera {name} ({'/'.join(key[1:])}) is already active as {code} in filing {filing}", field="cameras",
        details={"rule": "one_code_per_camera", "other_filing_number": filing, "other_code": code,
                 "camera": name, "key": list(key[1:])})


def check_active_once(session: Session, *, cameras: Sequence[Camera]) -> None:
    """Refuse if any of these active cameras is already active under another code, or listed twice."""
    devices = [Device(c.name, c.serial, c.mac, c.onvif_uuid, c.id) for c in cameras
               if c.status == CameraStatus.active]
    check_devices(session, devices)


def check_devices(session: Session, devices: Iterable[Device]) -> None:
    """As check_active_once, for plain keys (an import's rows): the first conflict is refused."""
    own: dict[tuple[str, ...], Device] = {}
    for device in devices:
        for key in device.identity_keys():
            if key in own:
                raise _conflict(device.name, key, None, None, own[key].name)
            own[key] = device
    ids = {d.camera_id for d in own.values() if d.camera_id is not None}
    pairs = [k for k in own if k[0] == "sm"]
    uuids = [k[1] for k in own if k[0] == "uuid"]
    base = (select(col(Camera.id), col(Camera.serial), col(Camera.mac), col(Camera.onvif_uuid), col(Camera.code),
                   col(Camera.name), col(Filing.number))
            .join(Filing, col(Filing.id) == col(Camera.filing_id))
            .where(col(Camera.status) == CameraStatus.active).where(col(Camera.code).is_not(None)))
    for start in range(0, len(pairs), CHUNK):
        part = pairs[start:start + CHUNK]
        query = base.where(col(Camera.serial).in_({p[1] for p in part}))
        for row in session.execute(query).all():
            key = ("sm", row.serial or "", row.mac or "")
            if key in own and row.id not in ids:
                raise _conflict(own[key].name, key, row.code, row.number, row.name)
    for start in range(0, len(uuids), CHUNK):
        query = base.where(col(Camera.onvif_uuid).in_(uuids[start:start + CHUNK]))
        for row in session.execute(query).all():
            key = ("uuid", row.onvif_uuid or "")
            if key in own and row.id not in ids:
                raise _conflict(own[key].name, key, row.code, row.number, row.name)


def is_identity_violation(exc: IntegrityError) -> bool:
    """Whether the database refused a write by one of the identity indexes (either backend's wording)."""
    text = str(exc.orig)
    return any(name in text for name, _c, _w in IDENTITY_INDEXES) or any(
        "camera." + ", camera.".join(columns) in text for _n, columns, _w in IDENTITY_INDEXES)


@contextmanager
def guarded(session: Session, cameras: Sequence[Camera]) -> Iterator[None]:
    """Run writes in a savepoint; a refusal by the identity indexes (a concurrent writer) becomes the named 409."""
    savepoint = session.begin_nested()
    try:
        yield
        savepoint.commit()
    except IntegrityError as exc:
        savepoint.rollback()
        if not is_identity_violation(exc):
            raise
        check_active_once(session, cameras=cameras)
        raise Conflict("同一台摄像机已在另一编码下在用 / the same camera is already active under another code",
                       details={"rule": "one_code_per_camera"}) from exc
