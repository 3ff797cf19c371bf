"""ONVIF identification with onvif-zeep's WSDLs: one parsed zeep Document per WSDL, shared by every
device; bounded, read-only calls; each failure kind mapped to its own status.

`ONVIFCamera` is deliberately not used: its constructor subscribes to events on the camera.
"""

from __future__ import annotations

import datetime as dt
import re
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote, urlsplit, urlunsplit

from zeep.exceptions import Error as ZeepError
from zeep.exceptions import Fault, TransportError

from discovery import httpclient
from discovery.credentials import Credential
from discovery.models import Identity, MediaProfile, Status
from discovery.onvifclient import (
    DEVICE_BINDING,
    MEDIA_BINDING,
    BoundedTransport,
    DigestToken,
    HostileReply,
    NotOnvif,
    WsdlCache,
    wsdl_dir,
)
from discovery.safexml import DEFAULT_MAX_BYTES, HostileXML
from discovery.wsd import rewrite_xaddr

__all__ = ["DEVICE_BINDING", "BoundedTransport", "WsdlCache", "identify", "identify_many", "status_of", "wsdl_dir"]

_AUTH_HINTS = (
    "notauthorized",
    "failedauthentication",
    "sender not authorized",
    "unauthorized",
    "not authorized",
    "authority failure",
)


def status_of(exc: BaseException) -> tuple[Status, str]:
    """Map a tolerated exception to a scan status and a short message."""
    if isinstance(exc, httpclient.Refused):
        return Status.REFUSED, str(exc)
    if isinstance(exc, httpclient.Unreachable):
        return Status.UNREACHABLE, str(exc)
    if isinstance(exc, httpclient.Timeout):
        return Status.TIMEOUT, str(exc)
    if isinstance(exc, httpclient.TooLarge | httpclient.Unending | HostileReply):
        return Status.HOSTILE_REPLY, str(exc)
    if isinstance(exc, httpclient.BadHttp | NotOnvif):
        return Status.NOT_ONVIF, str(exc)
    if isinstance(exc, Fault):
        text = " ".join(str(x) for x in (exc.message, exc.code, exc.subcodes) if x)
        if any(h in text.lower() for h in _AUTH_HINTS):
            return Status.AUTH_FAILED, f"SOAP fault: {exc.message}"
        return Status.SOAP_FAULT, f"SOAP fault: {exc.message}"
    if isinstance(exc, TransportError):
        if exc.status_code in (401, 403):
            return Status.AUTH_FAILED, f"HTTP {exc.status_code}"
        return Status.NOT_ONVIF, f"HTTP {exc.status_code}: not an ONVIF reply"
    if isinstance(exc, HostileXML):
        return Status.HOSTILE_REPLY, str(exc)
    if isinstance(exc, ZeepError):
        return Status.NOT_ONVIF, f"reply does not match the ONVIF schema: {str(exc)[:160]}"
    raise exc


TOLERATED: tuple[type[BaseException], ...] = (
    httpclient.HttpError,
    HostileReply,
    NotOnvif,
    HostileXML,
    ZeepError,
)


@dataclass
class Target:
    """Where to reach one device's device service."""

    address: str
    urls: list[str] = field(default_factory=list)

    def device_url(self) -> str:
        """Prefer an HTTP XAddr on the device's own address; else the default path on port 80."""
        own = [u for u in self.urls if u.startswith("http://") and f"//{self.address}" in u]
        return (
            own
            or [u for u in self.urls if u.startswith("http")]
            or [f"http://{self.address}/onvif/device_service"]
        )[0]


@dataclass
class IdentifyOptions:
    """Timeouts and what to ask."""

    request_timeout_s: float = 3.0
    device_budget_s: float = 12.0
    max_bytes: int = DEFAULT_MAX_BYTES
    profiles: bool = False


def _clock_offset(reply: Any, sent_at: float, received_at: float) -> float | None:
    utc: Any = getattr(reply, "UTCDateTime", None)
    try:
        d, t = utc.Date, utc.Time
        camera = dt.datetime(d.Year, d.Month, d.Day, t.Hour, t.Minute, t.Second, tzinfo=dt.UTC)
    except (AttributeError, TypeError, ValueError):
        return None
    midpoint = dt.datetime.fromtimestamp((sent_at + received_at) / 2, dt.UTC)
    return round((camera - midpoint).total_seconds(), 3)


def _text(value: Any) -> str:
    return "" if value is None else str(value).strip()


def _macs(interfaces: Any) -> list[str]:
    out = []
    for iface in interfaces or []:
        mac = _text(getattr(getattr(iface, "Info", None), "HwAddress", None))
        if mac:
            out.append(normalise_mac(mac))
    return sorted(set(out))


_SECRET_PARAM = re.compile(r"(?i)((?:^|[?&;])(?:password|passwd|pwd|pass)=)([^&;#]+)")


def redact_uri(uri: str) -> str:
    """Drop `user:password@` and non-empty password parameters: reports never carry credentials."""
    parts = urlsplit(uri)
    if parts.password is not None or parts.username is not None:
        host = parts.hostname or ""
        netloc = f"{host}:{parts.port}" if parts.port else host
        uri = urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))
    return _SECRET_PARAM.sub(r"\1***", uri)


def normalise_mac(mac: str) -> str:
    """`AA-BB-CC-DD-EE-FF` / `aabb.ccdd.eeff` → `aa:bb:cc:dd:ee:ff` (other text returned lower-cased)."""
    hexdigits = "".join(ch for ch in mac.lower() if ch in "0123456789abcdef")
    if len(hexdigits) != 12:
        return mac.strip().lower()
    return ":".join(hexdigits[i : i + 2] for i in range(0, 12, 2))


def identify(
    target: Target,
    credentials: Sequence[Credential],
    cache: WsdlCache,
    options: IdentifyOptions | None = None,
) -> Identity:
    """Read one device's identity; never raises for device misbehaviour (it becomes the status)."""
    opts = options or IdentifyOptions()
    deadline = time.monotonic() + opts.device_budget_s
    url = target.device_url()

    def device(wsse: DigestToken | None) -> Any:
        transport = BoundedTransport(
            timeout_s=opts.request_timeout_s, max_bytes=opts.max_bytes, deadline=deadline
        )
        return cache.service("devicemgmt.wsdl", DEVICE_BINDING, url, transport, wsse)

    ident = Identity(status=Status.OK)
    notes = []
    try:
        sent = time.time()
        clock = device(None).GetSystemDateAndTime()
        ident.clock_offset_s = _clock_offset(clock, sent, time.time())
    except TOLERATED as exc:
        status, err = status_of(exc)
        if status not in (Status.AUTH_FAILED, Status.SOAP_FAULT):
            ident.status, ident.error = status, err
            return ident
        # Some firmware wants auth even for the clock: sign with our own clock and carry on.
        notes.append(f"GetSystemDateAndTime: {err}")
    offset = ident.clock_offset_s or 0.0
    service, info, cred = _authenticate(device, credentials, offset, ident)
    if service is None:
        return ident
    ident.manufacturer = _text(info.Manufacturer)
    ident.model = _text(info.Model)
    ident.firmware = _text(info.FirmwareVersion)
    ident.serial = _text(info.SerialNumber)
    ident.hardware_id = _text(info.HardwareId)
    for name, apply in _SECONDARY:
        try:
            apply(ident, getattr(service, name)())
        except (Fault, TransportError) as exc:
            notes.append(f"{name}: {status_of(exc)[1]}")  # optional calls: note, keep going
        except TOLERATED as exc:
            ident.status, err = status_of(exc)
            ident.error = f"{name}: {err}"
            return ident
    if opts.profiles:
        try:
            ident.profiles = _read_profiles(
                service, target, cache, opts, deadline, DigestToken(cred, offset) if cred else None
            )
        except TOLERATED as exc:
            status, err = status_of(exc)
            if status in (Status.HOSTILE_REPLY, Status.TIMEOUT):
                ident.status = status
            notes.append(f"profiles: {err}")
    ident.error = "; ".join(notes)
    return ident


def _authenticate(
    make: Callable[[DigestToken | None], Any],
    credentials: Sequence[Credential],
    offset: float,
    ident: Identity,
) -> tuple[Any, Any, Credential | None]:
    """Try each credential (or none) on GetDeviceInformation; return the service that worked."""
    attempts: list[Credential | None] = list(credentials) or [None]
    for cred in attempts:
        service = make(DigestToken(cred, offset) if cred else None)
        try:
            info = service.GetDeviceInformation()
        except TOLERATED as exc:
            ident.status, ident.error = status_of(exc)
            if ident.status is Status.AUTH_FAILED:
                continue
            return None, None, None
        ident.authenticated = cred is not None
        ident.status, ident.error = Status.OK, ""
        return service, info, cred
    if not credentials:
        ident.error = "authentication required and no credentials were given for this network"
    else:
        ident.error = f"none of the {len(credentials)} credential pair(s) for this network was accepted"
    return None, None, None


def _set_macs(ident: Identity, reply: Any) -> None:
    ident.macs = _macs(reply)


def _set_scopes(ident: Identity, reply: Any) -> None:
    # Percent-decoded, like the WS-Discovery scopes, so the two sources merge without duplicates.
    ident.scopes = sorted({unquote(_text(getattr(s, "ScopeItem", None))) for s in reply or []} - {""})


def _set_hostname(ident: Identity, reply: Any) -> None:
    ident.hostname = _text(getattr(reply, "Name", None))


_SECONDARY: tuple[tuple[str, Callable[[Identity, Any], None]], ...] = (
    ("GetNetworkInterfaces", _set_macs),
    ("GetScopes", _set_scopes),
    ("GetHostname", _set_hostname),
)


def _read_profiles(
    device: Any,
    target: Target,
    cache: WsdlCache,
    opts: IdentifyOptions,
    deadline: float,
    wsse: DigestToken | None,
) -> list[MediaProfile]:
    """Media GetProfiles + GetStreamUri for each profile, through the media XAddr the device gives."""
    caps = device.GetCapabilities(Category="Media")
    media_url = _text(getattr(getattr(caps, "Media", None), "XAddr", None))
    if not media_url:
        return []
    # Only the device's own address may be contacted, whatever host the capability names.
    media_url = rewrite_xaddr(media_url, target.address, lambda h: h == target.address)
    transport = BoundedTransport(
        timeout_s=opts.request_timeout_s, max_bytes=opts.max_bytes, deadline=deadline
    )
    media = cache.service("media.wsdl", MEDIA_BINDING, media_url, transport, wsse)
    profiles = []
    for p in media.GetProfiles() or []:
        enc = getattr(p, "VideoEncoderConfiguration", None)
        res = getattr(enc, "Resolution", None)
        profile = MediaProfile(
            token=_text(p.token),
            name=_text(getattr(p, "Name", None)),
            encoding=_text(getattr(enc, "Encoding", None)),
            width=getattr(res, "Width", None),
            height=getattr(res, "Height", None),
        )
        uri = media.GetStreamUri(
            StreamSetup={"Stream": "RTP-Unicast", "Transport": {"Protocol": "RTSP"}},
            ProfileToken=profile.token,
        )
        profile.stream_uri = redact_uri(_text(getattr(uri, "Uri", None)))
        profiles.append(profile)
    return profiles


def identify_many(
    targets: Iterable[Target],
    credentials_for: Callable[[str], Sequence[Credential]],
    *,
    cache: WsdlCache | None = None,
    options: IdentifyOptions | None = None,
    workers: int = 32,
) -> Iterator[tuple[Target, Identity]]:
    """Identify devices in a bounded thread pool; yields (target, identity) as each finishes."""
    cache = cache or WsdlCache()
    cache.document("devicemgmt.wsdl")  # parse before the threads start, not inside each
    if options and options.profiles:
        cache.document("media.wsdl")
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="identify") as pool:
        futures = {pool.submit(identify, t, credentials_for(t.address), cache, options): t for t in targets}
        for fut in as_completed(futures):
            yield futures[fut], fut.result()
