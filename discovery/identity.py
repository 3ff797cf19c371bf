"""ONVIF identification with onvif-zeep's WSDLs: one parsed zeep Document per WSDL, shared by every
device; bounded, read-only calls; each failure kind mapped to its own status.

`ONVIFCamera` is deliberately not used: its constructor subscribes to events on the camera.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import os
import re
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from lxml import etree
from zeep import Client, Settings
from zeep.exceptions import Error as ZeepError
from zeep.exceptions import Fault, TransportError
from zeep.transports import Transport
from zeep.wsdl.wsdl import Document
from zeep.wsse import utils as wsse_utils

from discovery import httpclient
from discovery.credentials import Credential
from discovery.guard import check_operation
from discovery.models import Identity, MediaProfile, Status
from discovery.safexml import DEFAULT_MAX_BYTES, HostileXML, parse_untrusted
from discovery.wsd import rewrite_xaddr

SOAP_ENV = "http://www.w3.org/2003/05/soap-envelope"
DEVICE_BINDING = "{http://www.onvif.org/ver10/device/wsdl}DeviceBinding"
MEDIA_BINDING = "{http://www.onvif.org/ver10/media/wsdl}MediaBinding"
_AUTH_HINTS = (
    "notauthorized",
    "failedauthentication",
    "sender not authorized",
    "unauthorized",
    "not authorized",
    "authority failure",
)


def wsdl_dir() -> Path:
    """The WSDL directory installed by onvif-zeep (site-packages/wsdl)."""
    import onvif  # local import: onvif configures logging at import, only pay that when identifying

    return Path(os.path.dirname(os.path.dirname(onvif.__file__))) / "wsdl"


class HostileReply(Exception):
    """A reply that is too big, declares entities or is malformed XML."""


class NotOnvif(Exception):
    """An HTTP answer that is not a SOAP envelope (a web page, a 404, another protocol)."""


class BoundedTransport(Transport):
    """zeep transport over discovery.httpclient: wall-clock deadline, size cap, read-only guard."""

    def __init__(
        self, *, timeout_s: float, max_bytes: int = DEFAULT_MAX_BYTES, deadline: float | None = None
    ) -> None:
        # No requests.Session: this transport never loads documents (WSDLs are pre-parsed).
        self.timeout_s = timeout_s
        self.max_bytes = max_bytes
        self.deadline = deadline
        self.posts = 0
        self._close_session = False  # zeep's __del__ looks for it

    def load(self, url: str) -> bytes:
        raise ZeepError(f"refusing to fetch {url}: WSDLs are parsed from local files only")

    def post_xml(self, address: str, envelope: etree._Element, headers: dict[str, str]) -> Any:
        body = envelope.find(f"{{{SOAP_ENV}}}Body")
        operation = etree.QName(body[0]).localname if body is not None and len(body) else ""
        check_operation(operation)  # the one place bytes leave: nothing but Get* may pass
        return super().post_xml(address, envelope, headers)

    def post(self, address: str, message: bytes | str, headers: dict[str, str]) -> Any:
        import requests  # the Response shape zeep expects

        timeout = self.timeout_s
        if self.deadline is not None:
            timeout = min(timeout, self.deadline - time.monotonic())
            if timeout <= 0:
                raise httpclient.Timeout("device time budget used up")
        data = message.encode() if isinstance(message, str) else message
        self.posts += 1
        reply = httpclient.post(address, data, headers, timeout_s=timeout, max_bytes=self.max_bytes)
        _screen(reply)
        response = requests.Response()
        response.status_code = reply.status
        response._content = reply.body
        response.headers.update(reply.headers)
        response.url = address
        response.encoding = "utf-8"
        return response


def _screen(reply: httpclient.HttpReply) -> None:
    """Refuse hostile bodies before zeep sees them; tell web pages from malformed SOAP."""
    ctype = reply.headers.get("content-type", "").lower()
    if reply.status in (401, 403):
        return  # zeep raises TransportError with the status; mapped to auth_failed
    if "html" in ctype or not reply.body.lstrip()[:1] == b"<":
        raise NotOnvif(f"HTTP {reply.status} {ctype or 'without content type'} is not a SOAP reply")
    try:
        root = parse_untrusted(reply.body)
    except HostileXML as exc:
        raise HostileReply(str(exc)) from exc
    if etree.QName(root).localname != "Envelope":
        raise NotOnvif(
            f"HTTP {reply.status}: XML root <{etree.QName(root).localname}> is not a SOAP Envelope"
        )


class DigestToken:
    """WS-UsernameToken PasswordDigest whose Created follows the camera's clock (UTC, `Z`)."""

    NS_PROFILE = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0"
    NS_SECURITY = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-soap-message-security-1.0"

    def __init__(self, credential: Credential, clock_offset_s: float = 0.0) -> None:
        self._credential = credential
        self._offset = clock_offset_s

    def __repr__(self) -> str:
        return f"DigestToken({self._credential!r})"

    def apply(
        self, envelope: etree._Element, headers: dict[str, str]
    ) -> tuple[etree._Element, dict[str, str]]:
        """Add the Security header (zeep wsse plugin protocol)."""
        security = wsse_utils.get_security_header(envelope)
        now = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=self._offset)
        created = now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond // 1000:03d}Z"
        nonce = os.urandom(16)
        digest = base64.b64encode(
            hashlib.sha1(nonce + created.encode() + self._credential.password.encode()).digest()
        ).decode()
        token = wsse_utils.WSSE.UsernameToken(
            wsse_utils.WSSE.Username(self._credential.username),
            wsse_utils.WSSE.Password(digest, Type=f"{self.NS_PROFILE}#PasswordDigest"),
            wsse_utils.WSSE.Nonce(
                base64.b64encode(nonce).decode(), EncodingType=f"{self.NS_SECURITY}#Base64Binary"
            ),
            wsse_utils.WSU.Created(created),
        )
        security.append(token)
        return envelope, headers

    def verify(self, envelope: etree._Element) -> None:
        """Replies are not signed."""


class WsdlCache:
    """One parsed zeep Document per WSDL, built once and shared by all devices and threads."""

    SETTINGS = Settings(
        strict=False, forbid_dtd=True, forbid_entities=True, forbid_external=True, xml_huge_tree=False
    )

    def __init__(self, directory: Path | None = None) -> None:
        self._dir = directory
        self._docs: dict[str, Document] = {}
        self._lock = threading.Lock()

    def document(self, name: str) -> Document:
        """The parsed Document of e.g. 'devicemgmt.wsdl' (parsed on first use)."""
        with self._lock:
            if name not in self._docs:
                path = (self._dir or wsdl_dir()) / name
                self._docs[name] = Document(str(path), Transport(), settings=self.SETTINGS)  # type: ignore[arg-type]
            return self._docs[name]

    def service(
        self, wsdl: str, binding: str, address: str, transport: BoundedTransport, wsse: DigestToken | None
    ) -> Any:
        """A zeep service proxy for one device, bound to `address`, without re-parsing anything."""
        client = Client(self.document(wsdl), wsse=wsse, transport=transport, settings=self.SETTINGS)
        return client.create_service(binding, address)


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
    ident.scopes = sorted({_text(getattr(s, "ScopeItem", None)) for s in reply or []} - {""})


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
