"""ONVIF identification with onvif-zeep's WSDLs: one parsed zeep Document per WSDL, shared by every
device; bounded, read-only calls; each failure kind mapped to its own status.

Per device: find where its device service answers (`_locate`: the advertised XAddrs moved onto the
device's own address, then the sweep's, then the usual ports), read its clock without credentials,
authenticate with GetDeviceInformation (`deviceauth`: a bounded number of tries), then the reads of
`READS`. Adding a read is one `Read` entry (plus its operation in guard.READ_ONLY_OPERATIONS and, for a
new service, its WSDL in calls.SERVICES).

`ONVIFCamera` is deliberately not used: its constructor subscribes to events on the camera.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote, urlsplit, urlunsplit

from zeep.exceptions import Fault, TransportError

from discovery.calls import TOLERATED, DeviceSession, auth_kind, status_of
from discovery.clock import camera_offset, offset_from_header
from discovery.credentials import Credential
from discovery.deviceauth import DEFAULT_MAX_TRIES, authenticate
from discovery.hwaddr import normalise_mac, parse_mac
from discovery.models import Identity, MediaProfile, RecordingSummary, Status
from discovery.onvifclient import (
    DEVICE_BINDING,
    SEARCH_NS,
    AuthRefused,
    BoundedTransport,
    DeviceFault,
    WsdlCache,
    wsdl_dir,
)
from discovery.safexml import DEFAULT_MAX_BYTES
from discovery.wsd import rewrite_xaddr

__all__ = [
    "DEVICE_BINDING",
    "READS",
    "BoundedTransport",
    "IdentifyOptions",
    "Read",
    "Target",
    "WsdlCache",
    "identify",
    "identify_many",
    "normalise_mac",
    "status_of",
    "wsdl_dir",
]

ONVIF_PATH = "/onvif/device_service"
#: Failures after which another URL of the same device is worth a try (nothing there, or not ONVIF).
_TRY_NEXT = (Status.REFUSED, Status.UNREACHABLE, Status.NOT_ONVIF)


@dataclass
class Target:
    """Where to reach one device's device service."""

    address: str
    urls: list[str] = field(default_factory=list)

    def candidates(self) -> list[str]:
        """Its HTTP(S) URLs, all moved onto its own address; those already there first.

        An XAddr may name another host — the camera's address behind a NAT, a stale static address
        (https://github.com/home-assistant/core/issues/34218) — and that host may be another camera on
        the site, whose identity would then be reported for this one; only the device's own address is
        contacted, on the port and path the XAddr gives.
        """
        own, moved = [], []
        for url in self.urls:
            try:
                parts = urlsplit(url)
                port = parts.port
            except ValueError:
                continue
            if parts.scheme not in ("http", "https"):
                continue
            if parts.hostname == self.address:
                own.append(url)
            else:
                netloc = self.address if port is None else f"{self.address}:{port}"
                moved.append(urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment)))
        return list(dict.fromkeys(own + moved)) or [f"http://{self.address}{ONVIF_PATH}"]


@dataclass
class IdentifyOptions:
    """Timeouts, what to ask, and how many password tries a device may cost."""

    request_timeout_s: float = 3.0
    device_budget_s: float = 12.0
    max_bytes: int = DEFAULT_MAX_BYTES
    profiles: bool = False
    max_auth_tries: int = DEFAULT_MAX_TRIES
    password_text: bool = False  # also try WS-Security PasswordText (the password crosses in clear text)
    fallback_ports: Sequence[int] = (80, 8080, 8000, 8899)  # tried when every known URL refused
    recording: bool = True  # read the Recording Search summary where the device offers the service


def _text(value: Any) -> str:
    return "" if value is None else str(value).strip()


_SECRET_PARAM = re.compile(r"(?i)((?:^|[?&;])(?:password|passwd|pwd|pass)=)([^&;#]+)")


def redact_uri(uri: str) -> str:
    """Drop `user:password@` and non-empty password parameters: reports never carry credentials."""
    parts = urlsplit(uri)
    if parts.password is not None or parts.username is not None:
        host = parts.hostname or ""
        netloc = f"{host}:{parts.port}" if parts.port else host
        uri = urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))
    return _SECRET_PARAM.sub(r"\1***", uri)


@dataclass(frozen=True)
class Read:
    """One optional read after GetDeviceInformation: which operation of which service fills what."""

    operation: str
    apply: Callable[[Identity, Any, list[str]], None]
    service: str = "device"
    anonymous: bool = True  # also worth asking without credentials when every pair failed


def _set_macs(ident: Identity, reply: Any, notes: list[str]) -> None:
    macs, bad = set(), []
    for iface in reply or []:
        raw = _text(getattr(getattr(iface, "Info", None), "HwAddress", None))
        mac = parse_mac(raw)
        if mac:
            macs.add(mac)
        elif raw:
            bad.append(raw)
    ident.macs = sorted(macs)
    if bad:
        shown = ", ".join(repr(b[:64]) for b in bad)
        notes.append(f"GetNetworkInterfaces: invalid hardware address {shown} "
                     "not reported")


def _set_scopes(ident: Identity, reply: Any, notes: list[str]) -> None:
    # Percent-decoded, like the WS-Discovery scopes, so the two sources merge without duplicates.
    ident.scopes = sorted({unquote(_text(getattr(s, "ScopeItem", None))) for s in reply or []} - {""})


def _set_hostname(ident: Identity, reply: Any, notes: list[str]) -> None:
    ident.hostname = _text(getattr(reply, "Name", None))


READS: tuple[Read, ...] = (
    Read("GetNetworkInterfaces", _set_macs),
    Read("GetScopes", _set_scopes),
    Read("GetHostname", _set_hostname),
)


def identify(
    target: Target,
    credentials: Sequence[Credential],
    cache: WsdlCache,
    options: IdentifyOptions | None = None,
) -> Identity:
    """Read one device's identity; never raises for device misbehaviour (it becomes the status)."""
    opts = options or IdentifyOptions()
    session = DeviceSession(target.address, cache, request_timeout_s=opts.request_timeout_s,
                            max_bytes=opts.max_bytes, budget_s=opts.device_budget_s)
    ident = Identity(status=Status.OK)
    notes: list[str] = []
    if not _locate(session, target, opts, ident, notes):
        return ident
    ident.service_url = session.url
    auth = authenticate(session, credentials, max_tries=opts.max_auth_tries, password_text=opts.password_text)
    ident.auth_tries = auth.tries
    ident.status, ident.authenticated = auth.status, auth.status is Status.OK and auth.credential is not None
    if auth.error:
        notes.insert(0, auth.error)
    if auth.info is not None:
        for name in ("Manufacturer", "Model", "FirmwareVersion", "SerialNumber", "HardwareId"):
            setattr(ident, _FIELDS[name], _text(getattr(auth.info, name, None)))
    if auth.status in (Status.OK, Status.SOAP_FAULT, Status.AUTH_FAILED):
        service = auth.service or session.service("device", None)
        if not _reads(service, ident, notes, anonymous=auth.service is None):
            return ident
    if opts.profiles and auth.status is Status.OK:
        try:
            ident.profiles = _read_profiles(service, session)
        except TOLERATED as exc:
            status, err = status_of(exc)
            if status in (Status.HOSTILE_REPLY, Status.TIMEOUT):
                ident.status = status
            notes.append(f"profiles: {err}")
    if opts.recording and auth.status is Status.OK and ident.status is Status.OK:
        try:
            ident.recording = read_recording(service, session)
        except TOLERATED as exc:
            notes.append(f"recording summary: {status_of(exc)[1]}")
    ident.error = "; ".join(notes)
    return ident


_FIELDS = {"Manufacturer": "manufacturer", "Model": "model", "FirmwareVersion": "firmware",
           "SerialNumber": "serial", "HardwareId": "hardware_id"}


def _locate(session: DeviceSession, target: Target, opts: IdentifyOptions, ident: Identity, notes: list[str]) -> bool:
    """Find the URL whose device service answers GetSystemDateAndTime (no credentials) and read the clock.

    The advertised port may be one the camera does not listen on while its service answers on another of
    the usual ports (issue 12, reported for Dahua; https://github.com/yingchengpa/python-onvif2-zeep/issues/1).
    """
    urls = target.candidates()
    failures: list[tuple[Status, str]] = []
    for n, url in enumerate(urls):
        session.url = url
        try:
            reply = session.service("device", None).GetSystemDateAndTime()
        except TOLERATED as exc:
            status, err = status_of(exc)
            if status in _TRY_NEXT:
                failures.append((status, f"{url}: {err}"))
                if n == len(urls) - 1 and all(s is Status.REFUSED for s, _ in failures):
                    urls += _fallbacks(target.address, urls, opts.fallback_ports)
                continue
            if status not in (Status.AUTH_FAILED, Status.SOAP_FAULT):
                ident.status, ident.error = status, err
                return False
            # Some firmware wants credentials even for the clock: its reply's Date header still tells it.
            notes.append(f"GetSystemDateAndTime: {err}")
            last = session.last
            if last is not None:
                ident.clock_offset_s = offset_from_header(last.last_headers.get("date"), last.last_sent_at,
                                                          last.last_received_at)
        else:
            last = session.last
            assert last is not None
            ident.clock_offset_s, note = camera_offset(reply, last.last_sent_at, last.last_received_at,
                                                       last.last_headers.get("date"))
            if note:
                notes.append(note)
        if failures:
            notes.append(f"service answered at {url}, not at {', '.join(f.split(': ', 1)[0] for _, f in failures)}")
        session.offset = ident.clock_offset_s or 0.0
        return True
    first = next((s for s, _ in failures if s is not Status.REFUSED), failures[0][0])
    ident.status, ident.error = first, "; ".join(f for _, f in failures)
    return False


def _fallbacks(address: str, urls: list[str], ports: Sequence[int]) -> list[str]:
    tried = {urlsplit(u).port or (443 if u.startswith("https") else 80) for u in urls}
    return [f"http://{address}{'' if p == 80 else f':{p}'}{ONVIF_PATH}" for p in ports if p not in tried]


def _reads(service: Any, ident: Identity, notes: list[str], *, anonymous: bool) -> bool:
    """Run READS (only the anonymous-worthy ones without credentials); False when the device turned hostile."""
    answered = []
    for read in READS:
        if anonymous and not read.anonymous:
            continue
        try:
            read.apply(ident, getattr(service, read.operation)(), notes)
            answered.append(read.operation)
        except (Fault, TransportError, DeviceFault, AuthRefused) as exc:
            if not (anonymous and auth_kind(exc)):  # refusals are expected without credentials
                notes.append(f"{read.operation}: {status_of(exc)[1]}")  # optional calls: note, keep going
        except TOLERATED as exc:
            ident.status, err = status_of(exc)
            ident.error = "; ".join([*notes, f"{read.operation}: {err}"])
            return False
    if anonymous and answered:
        notes.append(f"read without credentials: {', '.join(answered)}")
    ident.error = "; ".join(notes)
    return True


def _read_profiles(device: Any, session: DeviceSession) -> list[MediaProfile]:
    """Media GetProfiles + GetStreamUri for each profile, through the media XAddr the device gives."""
    caps = device.GetCapabilities(Category="Media")
    media_url = _text(getattr(getattr(caps, "Media", None), "XAddr", None))
    if not media_url:
        return []
    # Only the device's own address may be contacted, whatever host the capability names.
    media_url = rewrite_xaddr(media_url, session.address, lambda h: h == session.address)
    media = session.service("media", session.token, media_url)
    try:
        listed = media.GetProfiles() or []
    except TOLERATED as exc:
        moved = _on_device_port(media_url, session.url)
        if status_of(exc)[0] not in _TRY_NEXT or moved == media_url:
            raise
        media = session.service("media", session.token, moved)  # the capability names the same wrong port
        listed = media.GetProfiles() or []
    profiles = []
    for p in listed:
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


def read_recording(device: Any, session: DeviceSession) -> RecordingSummary | None:
    """The footage a device holds (799号令 第十七条): GetServices, then Recording Search's GetRecordingSummary.

    None when the device lists no Recording Search service (most cameras without a memory card or NVR).
    Only reads: both operations are on the guard's list.
    """
    listed = device.GetServices(IncludeCapability=False) or []
    url = next((_text(getattr(s, "XAddr", None)) for s in listed
                if _text(getattr(s, "Namespace", None)) == SEARCH_NS), "")
    if not url:
        return None
    url = rewrite_xaddr(url, session.address, lambda h: h == session.address)
    search = session.service("search", session.token, url)
    try:
        summary = search.GetRecordingSummary()
    except TOLERATED as exc:
        moved = _on_device_port(url, session.url)
        if status_of(exc)[0] not in _TRY_NEXT or moved == url:
            raise
        summary = session.service("search", session.token, moved).GetRecordingSummary()
    return recording_summary(getattr(summary, "DataFrom", None), getattr(summary, "DataUntil", None),
                             getattr(summary, "NumberRecordings", None))


def recording_summary(data_from: Any, data_until: Any, recordings: Any) -> RecordingSummary | None:
    """A RecordingSummary from the reply's values; None when the device holds no recording at all."""
    if not isinstance(data_from, dt.datetime) or not isinstance(data_until, dt.datetime) or not recordings:
        return None
    start = data_from if data_from.tzinfo else data_from.replace(tzinfo=dt.UTC)
    end = data_until if data_until.tzinfo else data_until.replace(tzinfo=dt.UTC)
    days = max(0.0, (end - start).total_seconds() / 86400)
    return RecordingSummary(data_from=start.astimezone(dt.UTC).isoformat(),
                            data_until=end.astimezone(dt.UTC).isoformat(), recordings=int(recordings),
                            days=round(days, 2))


def _on_device_port(url: str, device_url: str) -> str:
    """`url` moved to the scheme and port where the device service answered."""
    parts, dev = urlsplit(url), urlsplit(device_url)
    return urlunsplit((dev.scheme, dev.netloc, parts.path, parts.query, parts.fragment))


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
    # search.wsdl is parsed (once, under the cache's lock) when a first device lists Recording Search.
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="identify") as pool:
        futures = {pool.submit(identify, t, credentials_for(t.address), cache, options): t for t in targets}
        for fut in as_completed(futures):
            yield futures[fut], fut.result()
