"""Camera table and its schema family."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import field_validator
from sqlalchemy import Column, DateTime, Index, text
from sqlmodel import Field, SQLModel

from registry.text import PlainTextInput
from registry.timeutil import UTCDateTime, utcnow


def normalise_mac(value: str | None) -> str | None:
    """A MAC as lower-case colon-separated hex, from any of the usual spellings."""
    if value is None or value == "":
        return None
    hexdigits = "".join(ch for ch in value.lower() if ch in "0123456789abcdef")
    if len(hexdigits) != 12 or len(value) not in (12, 14, 17):
        raise ValueError("mac must be 12 hex digits, e.g. 00:11:22:aa:bb:cc")
    return ":".join(hexdigits[i : i + 2] for i in range(0, 12, 2))


_ACTIVE_CODED = "status = 'active' AND code IS NOT NULL"
# No-name OEM boards ship with these factory defaults, shared by thousands of units: a camera with both a
# default serial and a default MAC is not identified by them (only by its ONVIF UUID). Changing this list
# changes the index (a migration, as 0011).
FACTORY_SERIALS = ("000000000000", "123456789ABCDEF", "XM0000000001")
FACTORY_MACS = ("00:12:41:00:00:01", "00:12:12:12:12:12", "00:00:00:00:00:00", "ff:ff:ff:ff:ff:ff")
_FACTORY_PAIR = (f"serial IN ({', '.join(repr(v) for v in FACTORY_SERIALS)}) "
                 f"AND mac IN ({', '.join(repr(v) for v in FACTORY_MACS)})")
# (index, columns, predicate): the keys that identify a physical camera among the active coded ones.
IDENTITY_INDEXES = (
    ("ux_camera_active_serial_mac", ("serial", "mac"),
     f"{_ACTIVE_CODED} AND serial IS NOT NULL AND serial <> '' AND mac IS NOT NULL AND NOT ({_FACTORY_PAIR})"),
    ("ux_camera_active_onvif_uuid", ("onvif_uuid",),
     f"{_ACTIVE_CODED} AND onvif_uuid IS NOT NULL AND onvif_uuid <> ''"),
)


class CameraStatus(StrEnum):
    """A removed camera keeps its code for life; the code is never reissued."""

    active = "active"
    removed = "removed"


class FormFactor(StrEnum):
    """Shape of the camera; PTZ and dome cameras cover a full circle."""

    fixed = "fixed"
    dome = "dome"
    ptz = "ptz"


class CameraBase(SQLModel):
    """What the operator declares about one camera."""

    name: str = Field(min_length=1, max_length=100)
    position_text: str = Field(min_length=1, max_length=200, description="where it is installed, in words")
    lon: float = Field(ge=73, le=136, description="WGS-84 longitude")
    lat: float = Field(ge=3, le=54, description="WGS-84 latitude")
    map_material_id: int | None = Field(default=None, foreign_key="material.id", description="布防图 file")
    map_page: int | None = Field(default=None, ge=1)
    map_x: float | None = Field(default=None, ge=0, description="pixels from the left of the page image")
    map_y: float | None = Field(default=None, ge=0, description="pixels from the top of the page image")
    azimuth: float | None = Field(default=None, ge=0, lt=360, description="degrees clockwise from north")
    hfov: float | None = Field(default=None, gt=0, le=360, description="horizontal field of view, degrees")
    range_m: float | None = Field(default=None, gt=0, le=5000)
    mount_height_m: float | None = Field(default=None, ge=0, le=500)
    device_type: str = Field(default="ipc", max_length=20)
    form_factor: FormFactor = FormFactor.fixed
    manufacturer: str | None = Field(default=None, max_length=100)
    model: str | None = Field(default=None, max_length=100)
    serial: str | None = Field(default=None, max_length=100)
    mac: str | None = Field(default=None, max_length=17)
    ip: str | None = Field(default=None, max_length=45)
    onvif_uuid: str | None = Field(default=None, max_length=100)
    indoor: bool = False
    public_area: bool = True


class CameraCreate(CameraBase, PlainTextInput):
    """A camera as listed in a filing; in a change filing, `existing_code` names a camera it keeps."""

    existing_code: str | None = Field(default=None, min_length=20, max_length=20)

    # Input only: stored rows are already normal, and re-checking every row of every page read back
    # cost a seventh of a worker's CPU under load.
    @field_validator("mac")
    @classmethod
    def _normalise_mac(cls, value: str | None) -> str | None:
        return normalise_mac(value)

    @field_validator("ip")
    @classmethod
    def _valid_ip(cls, value: str | None) -> str | None:
        import ipaddress

        if value is None or value == "":
            return None
        try:
            return str(ipaddress.ip_address(value))
        except ValueError as exc:
            raise ValueError(f"ip {value!r} is not an IP address") from exc


class Camera(CameraBase, table=True):
    """A camera, its code (issued when its filing is filed) and where it was routed."""

    __tablename__ = "camera"
    __table_args__ = (
        Index("ix_camera_station_id_id", "station_id", "id"),
        Index("ix_camera_district_code_id", "district_code", "id"),
        Index("ix_camera_filing_id_id", "filing_id", "id"),
        # Lookups are lists too (cheap cameras share IPs, serials, MACs): (key, id) serves keyset pages.
        Index("ix_camera_operator_id_id", "operator_id", "id"),
        Index("ix_camera_serial_id", "serial", "id"),
        Index("ix_camera_mac_id", "mac", "id"),
        Index("ix_camera_ip_id", "ip", "id"),
        # The dashboard's counts of cameras in use per district or station, from the index alone (migration 0014).
        Index("ix_camera_active_district_station", "district_code", "station_id",
              sqlite_where=text("status = 'active'"), postgresql_where=text("status = 'active'")),
        # The statistics report's camera figures from the index alone (migration 0016; registry/statistics).
        Index("ix_camera_coded_tally", "operator_id", "filing_id", "form_factor", "status", "created_at",
              "removed_at", sqlite_where=text("code IS NOT NULL"), postgresql_where=text("code IS NOT NULL")),
        # One physical camera is active under one code only (migration 0011; registry/cameras/identity.py).
        *(Index(name, *columns, unique=True, sqlite_where=text(where), postgresql_where=text(where))
          for name, columns, where in IDENTITY_INDEXES),
    )

    id: int | None = Field(default=None, primary_key=True)
    filing_id: int = Field(foreign_key="filing.id")
    operator_id: int = Field(foreign_key="operator.id")
    code: str | None = Field(default=None, max_length=20, unique=True, index=True)
    code_edition: str = Field(default="2016", max_length=4)
    serial: str | None = Field(default=None, max_length=100)
    mac: str | None = Field(default=None, max_length=17)
    ip: str | None = Field(default=None, max_length=45)
    district_code: str | None = Field(default=None, max_length=6)
    station_id: str | None = Field(default=None, max_length=8)
    status: CameraStatus = CameraStatus.active
    existing_code: str | None = Field(default=None, max_length=20, description="code carried over on filing")
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(DateTime(timezone=True)))
    removed_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))


class CameraPublic(CameraBase):
    """A camera as the API returns it."""

    id: int
    filing_id: int
    operator_id: int
    code: str | None
    code_edition: str
    district_code: str | None
    station_id: str | None
    status: CameraStatus
    existing_code: str | None
    created_at: UTCDateTime
    removed_at: UTCDateTime | None
