"""One device's calls: the state they share (service URL, time budget, clock, HTTP Digest challenge, the
token that worked) and what each failure means as a scan status."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, Literal

from zeep.exceptions import Error as ZeepError
from zeep.exceptions import Fault, TransportError

from discovery import httpclient
from discovery.models import Status
from discovery.onvifclient import (
    DEVICE_BINDING,
    MEDIA_BINDING,
    SEARCH_BINDING,
    AuthRefused,
    BoundedTransport,
    DeviceFault,
    HostileReply,
    HttpDigestAuth,
    NotOnvif,
    UsernameToken,
    WsdlCache,
)
from discovery.safexml import HostileXML


@dataclass(frozen=True)
class ServiceSpec:
    """An ONVIF service a scan reads: its WSDL and binding."""

    wsdl: str
    binding: str


#: The services identity reads. Another read of another service adds its WSDL here, its operation to
#: guard.READ_ONLY_OPERATIONS and a `Read` to identity.READS (or, like Recording Search, its own step).
SERVICES: dict[str, ServiceSpec] = {
    "device": ServiceSpec("devicemgmt.wsdl", DEVICE_BINDING),
    "media": ServiceSpec("media.wsdl", MEDIA_BINDING),
    "search": ServiceSpec("search.wsdl", SEARCH_BINDING),
}

TOLERATED: tuple[type[BaseException], ...] = (
    httpclient.HttpError,
    HostileReply,
    NotOnvif,
    HostileXML,
    AuthRefused,
    DeviceFault,
    ZeepError,
)

_AUTH_HINTS = (
    "notauthorized",
    "failedauthentication",
    "invalidsecuritytoken",
    "sender not authorized",
    "unauthorized",
    "not authorized",
    "authority failure",  # TP-Link Tapo (https://github.com/open-nvr/open-nvr/pull/470)
)


def auth_kind(exc: BaseException) -> Literal["auth", "suspect", "locked"] | None:
    """Whether a failure refuses the credentials: "auth" surely, "suspect" probably, "locked" for good.

    "suspect" is a Sender fault with neither subcode nor reason, HTTP 400 — what Reolink firmware answers
    a wrong password with (https://github.com/fwestenberg/reolink_dev/issues/100).
    """
    if isinstance(exc, AuthRefused):
        return "auth"
    if isinstance(exc, DeviceFault):
        text = " ".join((exc.reason, *exc.subcodes)).lower()
        if any(h in text for h in _AUTH_HINTS):
            return "locked" if "locked" in exc.reason.lower() else "auth"
        if exc.code.lower() == "sender" and not exc.subcodes and not exc.reason:
            return "suspect"
        return None
    if isinstance(exc, Fault):
        text = " ".join(str(x) for x in (exc.message, exc.code, exc.subcodes) if x).lower()
        return "auth" if any(h in text for h in _AUTH_HINTS) else None
    if isinstance(exc, TransportError) and exc.status_code in (401, 403):
        return "auth"
    return None


def status_of(exc: BaseException) -> tuple[Status, str]:
    """Map a tolerated exception to a scan status and a short message."""
    if isinstance(exc, httpclient.Refused):
        return Status.REFUSED, str(exc)
    if isinstance(exc, httpclient.Unreachable):
        return Status.UNREACHABLE, str(exc)
    if isinstance(exc, httpclient.Timeout):
        return Status.TIMEOUT, str(exc)
    if isinstance(exc, httpclient.TooLarge | httpclient.Unending | HostileReply | HostileXML):
        return Status.HOSTILE_REPLY, str(exc)
    if isinstance(exc, httpclient.BadHttp | NotOnvif):
        return Status.NOT_ONVIF, str(exc)
    if isinstance(exc, AuthRefused):
        return Status.AUTH_FAILED, str(exc)
    if isinstance(exc, DeviceFault | Fault):
        message = str(exc) if isinstance(exc, DeviceFault) else exc.message
        return (Status.AUTH_FAILED if auth_kind(exc) else Status.SOAP_FAULT), f"SOAP fault: {message}"
    if isinstance(exc, TransportError):
        if exc.status_code in (401, 403):
            return Status.AUTH_FAILED, f"HTTP {exc.status_code}"
        return Status.NOT_ONVIF, f"HTTP {exc.status_code}: not an ONVIF reply"
    if isinstance(exc, ZeepError):
        return Status.NOT_ONVIF, f"reply does not match the ONVIF schema: {str(exc)[:160]}"
    raise exc


class DeviceSession:
    """What one device's calls share; lives in the one thread that identifies the device."""

    def __init__(
        self, address: str, cache: WsdlCache, *, request_timeout_s: float, max_bytes: int, budget_s: float
    ) -> None:
        self.address = address
        self.cache = cache
        self.request_timeout_s = request_timeout_s
        self.max_bytes = max_bytes
        self.deadline = time.monotonic() + budget_s
        self.url = ""  # where its device service answered
        self.offset = 0.0  # camera clock minus ours
        self.http = HttpDigestAuth()
        self.token: UsernameToken | None = None  # the token that was accepted, if any
        self.last: BoundedTransport | None = None  # transport of the latest call (its reply headers)

    def service(self, name: str = "device", token: UsernameToken | None = None, url: str | None = None) -> Any:
        """A zeep proxy of service `name` at `url` (default: the device service URL) signing with `token`."""
        spec = SERVICES[name]
        self.last = BoundedTransport(
            timeout_s=self.request_timeout_s, max_bytes=self.max_bytes, deadline=self.deadline, http_auth=self.http
        )
        return self.cache.service(spec.wsdl, spec.binding, url or self.url, self.last, token)
