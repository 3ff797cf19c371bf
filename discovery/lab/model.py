"""Ground truth of a simulated fleet: one `DeviceSpec` per camera, one `FleetSpec` per lab.

The same records drive the simulated cameras and tell scanner tests what they should find, so a
test compares a scan against `FleetSpec.devices` field by field.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from discovery.lab.vendors import STYLES, VendorStyle

HTTP_HOSTILE_MODES = (
    "entity_bomb",
    "external_entity",
    "huge_reply",
    "endless_reply",
    "malformed_xml",
    "not_onvif",
    "refuse",
    "slow",
)
# The same faults on WS-Discovery, but for "refuse": UDP has no connection to refuse.
WSD_HOSTILE_MODES = tuple(mode for mode in HTTP_HOSTILE_MODES if mode != "refuse")

# What a correct scanner should conclude about a device's identity (see `DeviceSpec.expected`).
IDENTIFIED = "identified"
AUTH_FAILED = "auth_failed"
SOAP_FAULT = "soap_fault"
TIMEOUT = "timeout"
REFUSED = "refused"
NOT_ONVIF = "not_onvif"
BAD_REPLY = "bad_reply"  # hostile XML: bomb, external entity, huge, endless, malformed

MULTICAST_GROUP = "239.255.255.250"
WSD_PORT = 3702


@dataclass
class DeviceSpec:
    """One simulated camera: how it behaves and what a scanner should learn about it."""

    id: str
    subnet: int
    ip: str
    vendor: str
    manufacturer: str
    model: str
    firmware: str
    serial: str
    hardware_id: str
    macs: list[str]
    hostname: str
    endpoint_uuid: str  # "urn:uuid:…", the WS-Discovery EndpointReference address
    name: str  # decoded value of the /name/ scope
    location: str  # decoded value of the /location/ scope, e.g. "city/北京"
    username: str
    password: str
    credentials_known: bool  # the password is among FleetSpec.site_credentials
    http_port: int  # 0 until a loopback lab binds it
    wsd_port: int = WSD_PORT  # unicast probes; 0 until a loopback lab binds it
    rtsp_port: int | None = 554
    clock_skew_s: float = 0.0  # camera clock minus true UTC
    discoverable: bool = True  # answers WS-Discovery probes at all
    xaddr_mode: str = "own"  # "own" | "zero" (0.0.0.0) | "unreachable" | "other" (other_host)
    drop_rate: float = 0.0  # share of received probes and of sent replies it loses
    hostile_http: str | None = None
    hostile_wsd: str | None = None
    faulty_ops: list[str] = field(default_factory=list)  # read ops answered with a SOAP fault
    shared: dict[str, list[str]] = field(default_factory=dict)  # "serial"/"mac"/"uuid" -> other ids
    metadata_version: int = 1
    unreachable_host: str = "198.18.200.64"  # what "unreachable" XAddrs point at
    quirks: list[str] = field(default_factory=list)  # real-device behaviours, see discovery/lab/quirks.py
    xaddr_port: int | None = None  # the port XAddrs and capabilities name when it is not http_port
    other_host: str = ""  # what "other" XAddrs point at (another address of the site)
    recording_days: float | None = None  # footage held, offered by Recording Search; None: no such service

    # --- derived facts -------------------------------------------------------------------
    @property
    def style(self) -> VendorStyle:
        """The VendorStyle this camera speaks."""
        return STYLES[self.vendor]

    @property
    def probe_shapes(self) -> list[str]:
        """Probe shapes (nvt, device, empty) this camera answers."""
        return sorted(self.style.probe_shapes)

    @property
    def types(self) -> list[str]:
        """WS-Discovery Types it advertises, in its own order."""
        return list(self.style.types_order)

    def _host_port(self, host: str, port: int) -> str:
        return host if port == 80 else f"{host}:{port}"

    @property
    def device_service_url(self) -> str:
        """Where its device service really is."""
        return f"http://{self._host_port(self.ip, self.http_port)}/onvif/device_service"

    @property
    def media_service_url(self) -> str:
        """Where its media service really is (vendor-specific path)."""
        return f"http://{self._host_port(self.ip, self.http_port)}{self.style.media_path}"

    @property
    def events_service_url(self) -> str:
        """Where it claims its events service is."""
        return f"http://{self._host_port(self.ip, self.http_port)}{self.style.events_path}"

    @property
    def advertised_port(self) -> int:
        """The port its XAddrs and capabilities name (not always the one it listens on)."""
        return self.http_port if self.xaddr_port is None else self.xaddr_port

    def advertised_url(self, path: str) -> str:
        """A service URL as the camera itself states it (GetCapabilities, GetServices)."""
        return f"http://{self._host_port(self.ip, self.advertised_port)}{path}"

    @property
    def auth_schemes(self) -> set[str]:
        """What authenticates a request: "ws_digest", "ws_text" (PasswordText), "http_digest"."""
        if "password_text_only" in self.quirks:
            return {"ws_text"}
        if "http_digest_only" in self.quirks:
            return {"http_digest"}
        schemes = {"ws_digest"}
        if self.style.accepts_password_text:
            schemes.add("ws_text")
        if self.style.http_digest:
            schemes.add("http_digest")
        return schemes

    @property
    def advertised_xaddrs(self) -> list[str]:
        """XAddrs as its ProbeMatch carries them (may need rewriting to the sender's address)."""
        hosts = {"own": self.ip, "zero": "0.0.0.0", "unreachable": self.unreachable_host, "other": self.other_host}
        host = hosts[self.xaddr_mode]
        urls = [f"http://{self._host_port(host, self.advertised_port)}/onvif/device_service"]
        if self.style.ipv6_xaddr:
            if self.ip.startswith("127."):
                # Loopback labs run in the host's own namespace: a link-local address there could
                # lead a scanner onto the real LAN, so the extra XAddr is an unbound ::1 port.
                urls.append(f"http://[::1]:{self.http_port}/onvif/device_service")
            else:
                urls.append(f"http://[{self.ipv6_link_local}]/onvif/device_service")
        return urls

    @property
    def ipv6_link_local(self) -> str:
        """EUI-64 link-local address of its first MAC (never reachable from the scanner)."""
        b = [int(x, 16) for x in self.macs[0].split(":")]
        b[0] ^= 0x02
        eui = [*b[:3], 0xFF, 0xFE, *b[3:]]
        groups = [f"{eui[i] << 8 | eui[i + 1]:x}" for i in range(0, 8, 2)]
        return "fe80::" + ":".join(groups)

    @property
    def scopes(self) -> list[str]:
        """Its scope URIs, percent-encoded as sent."""
        base = "onvif://www.onvif.org/"
        out = [base + "type/video_encoder", base + "Profile/Streaming", *self.style.extra_scopes]
        out.append(base + "name/" + quote(self.name, safe=""))
        out.append(base + "hardware/" + quote(self.model, safe=""))
        out.append(base + "location/" + quote(self.location, safe="/"))
        if self.style.scope_mac:
            out.append(base + "MAC/" + self.macs[0])
        return out

    @property
    def unicast_probe_answers(self) -> bool:
        """Whether a Probe of a shape it answers gets a well-formed, timely ProbeMatches.

        An `endless_reply` device does send valid ProbeMatches (a flood of them); every other
        hostile discovery mode sends nothing usable within a scan.
        """
        return self.discoverable and self.hostile_wsd in (None, "endless_reply")

    @property
    def multicast_reachable(self) -> bool:
        """Whether a multicast probe from the laptop reaches it and gets a usable reply."""
        return self.subnet == 1 and self.unicast_probe_answers

    @property
    def expected(self) -> str:
        """What a correct identification should conclude, given the site credentials (`outcome()`)."""
        return self.outcome()

    def outcome(self, *, password_text: bool = False) -> str:
        """What a correct identification concludes with the site credentials, tried within the scanner's
        limit; `password_text`: the scanner may send PasswordText (`camreg scan --password-text`)."""
        mode = self.hostile_http
        if mode == "refuse":
            return REFUSED
        if mode == "slow":
            return TIMEOUT
        if mode == "not_onvif":
            return NOT_ONVIF
        if mode is not None:
            return BAD_REPLY
        if not self.credentials_known or (self.auth_schemes == {"ws_text"} and not password_text):
            return AUTH_FAILED
        if self.faulty_ops:
            return SOAP_FAULT
        return IDENTIFIED

    def stream_uri(self, profile_index: int) -> str:
        """RTSP URI of profile 0 (main) or 1 (sub)."""
        path = self.style.stream_path.format(
            ch=1 if profile_index == 0 else 2, sub=profile_index, sub1=profile_index + 1,
            kind="main" if profile_index == 0 else "sub",
        )
        port = "" if self.rtsp_port in (None, 554) else f":{self.rtsp_port}"
        return f"rtsp://{self.ip}{port}{path}"

    def truth(self) -> dict[str, Any]:
        """Stored fields plus every derived fact, JSON-ready."""
        out = dataclasses.asdict(self)
        for name in (
            "probe_shapes",
            "types",
            "device_service_url",
            "media_service_url",
            "advertised_xaddrs",
            "scopes",
            "auth_schemes",
            "advertised_port",
            "multicast_reachable",
            "unicast_probe_answers",
            "expected",
        ):
            out[name] = getattr(self, name)
        out["stream_uris"] = [self.stream_uri(0), self.stream_uri(1)]
        out["auth_schemes"] = sorted(out["auth_schemes"])
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> DeviceSpec:
        """Rebuild from `truth()` or `asdict()` output (derived keys are ignored)."""
        names = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in names})


@dataclass
class FleetSpec:
    """A whole lab: devices plus the settings every device shares."""

    name: str
    seed: int
    loopback: bool
    subnets: int
    devices: list[DeviceSpec]
    site_credentials: list[tuple[str, str]]  # what the inspector knows; some devices differ
    max_delay_ms: int = 500  # WS-Discovery APP_MAX_DELAY for replies
    auth_window_s: float = 10.0  # accepted |Created - camera clock|
    slow_delay_s: float = 30.0  # how late "slow" devices answer
    laptop_ip: str = "198.18.1.2"
    lockout_after: int = 5  # failed logins that lock a camera's account (0: never)
    lockout_s: float = 1800.0  # for how long (Hikvision: 30 min, https://github.com/evercam/evercam-server/issues/91)

    def by_id(self, device_id: str) -> DeviceSpec:
        """The device with this id (KeyError names it if absent)."""
        for d in self.devices:
            if d.id == device_id:
                return d
        raise KeyError(f"no device {device_id!r} in lab {self.name!r}")

    def by_ip(self, ip: str) -> DeviceSpec:
        """The device at this address."""
        for d in self.devices:
            if d.ip == ip:
                return d
        raise KeyError(f"no device at {ip} in lab {self.name!r}")

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form; devices carry their full `truth()`."""
        out = {f.name: getattr(self, f.name) for f in dataclasses.fields(self) if f.name != "devices"}
        out["site_credentials"] = [list(c) for c in self.site_credentials]
        out["devices"] = [d.truth() for d in self.devices]
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> FleetSpec:
        """Inverse of `to_dict`."""
        names = {f.name for f in dataclasses.fields(cls)}
        kw = {k: v for k, v in data.items() if k in names}
        kw["devices"] = [DeviceSpec.from_dict(d) for d in data["devices"]]
        kw["site_credentials"] = [(u, p) for u, p in data["site_credentials"]]
        return cls(**kw)
