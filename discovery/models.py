"""Plain dataclasses the discovery library takes and returns (no vendor objects cross this line)."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class Status(StrEnum):
    """Outcome of identifying one device; each failure kind is its own value."""

    OK = "ok"
    AUTH_FAILED = "auth_failed"
    TIMEOUT = "timeout"
    SOAP_FAULT = "soap_fault"
    NOT_ONVIF = "not_onvif"
    REFUSED = "refused"
    UNREACHABLE = "unreachable"
    HOSTILE_REPLY = "hostile_reply"
    NOT_IDENTIFIED = "not_identified"  # found, identification not attempted (e.g. --no-identify)
    OUT_OF_SCOPE = "out_of_scope"  # answered from outside the allowed networks: never contacted


class FoundBy(StrEnum):
    """How a device was found."""

    MULTICAST = "multicast"
    UNICAST = "unicast"
    SWEEP = "sweep"


@dataclass
class ProbeMatch:
    """One parsed WS-Discovery ProbeMatch, as received from one sender."""

    sender: str
    endpoint_uuid: str
    types: list[str] = field(default_factory=list)
    scopes: list[str] = field(default_factory=list)
    xaddrs: list[str] = field(default_factory=list)
    xaddrs_advertised: list[str] = field(default_factory=list)
    metadata_version: int | None = None
    message_id: str = ""
    scope_name: str = ""
    scope_hardware: str = ""
    scope_location: str = ""
    scope_mac: str = ""


@dataclass
class MediaProfile:
    """A media profile and its RTSP stream URI (when asked for)."""

    token: str
    name: str = ""
    encoding: str = ""
    width: int | None = None
    height: int | None = None
    stream_uri: str = ""


@dataclass
class RecordingSummary:
    """What a device's ONVIF Recording Search service says it holds (GetRecordingSummary, a read).

    `days` is the span from the earliest to the latest recorded data: the footage the device keeps,
    which 799号令 第十七条 wants at 30 days or more.
    """

    data_from: str  # ISO 8601 UTC, the earliest recorded data
    data_until: str  # ISO 8601 UTC, the latest recorded data
    recordings: int
    days: float


@dataclass
class Identity:
    """What ONVIF calls told us about one device."""

    status: Status
    error: str = ""
    manufacturer: str = ""
    model: str = ""
    firmware: str = ""
    serial: str = ""
    hardware_id: str = ""
    hostname: str = ""
    macs: list[str] = field(default_factory=list)
    scopes: list[str] = field(default_factory=list)
    clock_offset_s: float | None = None
    authenticated: bool = False
    auth_tries: int = 0  # requests that carried a password (each may count towards an account lock)
    service_url: str = ""  # where the device service answered
    profiles: list[MediaProfile] = field(default_factory=list)
    recording: RecordingSummary | None = None  # None: no Recording Search service offered (or not read)


@dataclass
class Device:
    """One device as the scan reports it: discovery facts merged with identity."""

    address: str
    endpoint_uuid: str = ""
    manufacturer: str = ""
    model: str = ""
    firmware: str = ""
    serial: str = ""
    hardware_id: str = ""
    hostname: str = ""
    macs: list[str] = field(default_factory=list)
    xaddrs: list[str] = field(default_factory=list)
    xaddrs_advertised: list[str] = field(default_factory=list)
    scopes: list[str] = field(default_factory=list)
    types: list[str] = field(default_factory=list)
    metadata_version: int | None = None
    scope_name: str = ""
    scope_hardware: str = ""
    scope_location: str = ""
    open_ports: list[int] = field(default_factory=list)
    found_by: list[FoundBy] = field(default_factory=list)
    status: Status = Status.NOT_IDENTIFIED
    error: str = ""
    discovery_error: str = ""  # a refused (hostile) WS-Discovery reply from this address
    clock_offset_s: float | None = None
    authenticated: bool = False
    auth_tries: int = 0  # requests that carried a password (each may count towards an account lock)
    service_url: str = ""  # where the device service answered (may differ from the advertised XAddr)
    profiles: list[MediaProfile] = field(default_factory=list)
    recording: RecordingSummary | None = None  # the footage the device holds, when it offers Recording Search

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Device:
        """Inverse of to_dict (unknown keys ignored so newer reports still load)."""
        names = {f.name for f in dataclasses.fields(cls)}
        kwargs = {k: v for k, v in data.items() if k in names}
        kwargs["profiles"] = [MediaProfile(**p) for p in data.get("profiles", [])]
        recording = data.get("recording")
        kwargs["recording"] = RecordingSummary(**recording) if recording else None
        kwargs["status"] = Status(data.get("status", Status.NOT_IDENTIFIED))
        kwargs["found_by"] = [FoundBy(f) for f in data.get("found_by", [])]
        return cls(**kwargs)

    def apply_identity(self, ident: Identity) -> None:
        """Merge identification results into this record."""
        self.status = ident.status
        self.error = ident.error
        for name in ("manufacturer", "model", "firmware", "serial", "hardware_id", "hostname"):
            value = getattr(ident, name)
            if value:
                setattr(self, name, value)
        if ident.macs:
            self.macs = sorted(set(ident.macs))
        if ident.scopes:
            self.scopes = sorted(set(self.scopes) | set(ident.scopes))
        self.clock_offset_s = ident.clock_offset_s
        self.authenticated = ident.authenticated
        self.auth_tries = ident.auth_tries
        self.service_url = ident.service_url
        self.profiles = ident.profiles
        self.recording = ident.recording


@dataclass
class FiledCamera:
    """A camera as the registry filed it: the input reconciliation compares a scan with."""

    code: str
    name: str = ""
    ip: str = ""
    mac: str = ""
    serial: str = ""
    endpoint_uuid: str = ""
    manufacturer: str = ""
    model: str = ""
    firmware: str = ""
    hardware_id: str = ""
