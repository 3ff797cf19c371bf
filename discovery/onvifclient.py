"""zeep plumbing for ONVIF calls: pre-parsed WSDLs shared by all devices, a bounded read-only transport
(HTTP Digest when a camera asks for it), replies screened and faults read before zeep sees them, and a
WS-UsernameToken dated by the camera's clock."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import importlib.util
import os
import threading
import time
from pathlib import Path
from typing import Any

import requests
from lxml import etree
from requests.auth import HTTPDigestAuth
from requests.utils import parse_dict_header
from zeep import Client, Settings
from zeep.exceptions import Error as ZeepError
from zeep.transports import Transport
from zeep.wsdl.wsdl import Document
from zeep.wsse import utils as wsse_utils

from discovery import httpclient
from discovery.credentials import Credential
from discovery.guard import check_operation
from discovery.safexml import DEFAULT_MAX_BYTES, HostileXML, looks_like_html, parse_untrusted, strip_preamble, text_of

SOAP_ENV = "http://www.w3.org/2003/05/soap-envelope"
DEVICE_BINDING = "{http://www.onvif.org/ver10/device/wsdl}DeviceBinding"
MEDIA_BINDING = "{http://www.onvif.org/ver10/media/wsdl}MediaBinding"
SEARCH_NS = "http://www.onvif.org/ver10/search/wsdl"
SEARCH_BINDING = f"{{{SEARCH_NS}}}SearchBinding"


def wsdl_dir() -> Path:
    """The WSDL directory installed by onvif-zeep (site-packages/wsdl), found without importing `onvif`
    (whose import calls logging.basicConfig and would reconfigure the application's logging)."""
    spec = importlib.util.find_spec("onvif")
    if spec is None or not spec.origin:
        raise RuntimeError("onvif-zeep is not installed: its WSDL files are needed for identification")
    return Path(os.path.dirname(os.path.dirname(spec.origin))) / "wsdl"


class HostileReply(Exception):
    """A reply that is too big, declares entities or is malformed XML."""


class NotOnvif(Exception):
    """An HTTP answer that is not a SOAP envelope (a web page, a 404, another protocol)."""


class AuthRefused(Exception):
    """HTTP 401/403, whatever the body: a refusal of the credentials, not proof the device is no camera.

    Hikvision answers a wrong password with 401 and an HTML page ("Access Error: 401 -- Unauthorized",
    https://github.com/home-assistant/core/issues/119024): read as a page, that once made the device
    `not_onvif` and stopped the credential loop.
    """

    def __init__(self, status: int, *, digest: bool, basic_only: bool, carried: bool) -> None:
        kind = "Digest challenge" if digest else ("Basic challenge" if basic_only else "no challenge")
        super().__init__(f"HTTP {status} ({kind})")
        self.status = status
        self.digest = digest  # the reply carried an HTTP Digest challenge
        self.basic_only = basic_only  # it offered HTTP Basic and nothing else
        self.carried = carried  # our request already answered a Digest challenge


class DeviceFault(Exception):
    """A SOAP fault, read by us rather than by zeep.

    zeep resolves fault subcodes as QNames and fails on an undeclared prefix (`ter:NotAuthorized` without
    `xmlns:ter`, https://github.com/mvantellingen/python-zeep/issues/1205), which hid an authentication
    refusal behind a schema error; local names are all a scan needs.
    """

    def __init__(self, http_status: int, code: str, subcodes: list[str], reason: str) -> None:
        shown = ", ".join(x for x in (code, *subcodes) if x)
        super().__init__(f"{reason or '(no reason)'} [{shown}]" if shown else reason or "(no reason)")
        self.http_status = http_status
        self.code = code
        self.subcodes = subcodes
        self.reason = reason


class HttpDigestAuth:
    """HTTP Digest (RFC 7616) for cameras that authenticate at the HTTP layer instead of (or as well as)
    WS-Security; one per device: the challenge is the device's, the credential the pair being tried.

    requests' `HTTPDigestAuth` computes the response (MD5, SHA-256, qop=auth, nonce counts); it is driven
    directly because this transport does its own HTTP (wall-clock deadline, byte cap).
    """

    def __init__(self) -> None:
        self.challenge: dict[str, str] | None = None
        self.credential: Credential | None = None
        self._impl: dict[Credential, HTTPDigestAuth] = {}

    def ready(self) -> bool:
        """Whether the next request can answer a challenge."""
        return self.challenge is not None and self.credential is not None

    def authorization(self, url: str) -> str | None:
        """The Authorization header for a POST to `url`, or None."""
        if self.challenge is None or self.credential is None:
            return None
        impl = self._impl.get(self.credential)
        if impl is None:
            impl = self._impl[self.credential] = HTTPDigestAuth(self.credential.username, self.credential.password)
        impl.init_per_thread_state()
        impl._thread_local.chal = self.challenge
        return impl.build_digest_header("POST", url)

    def learn(self, challenges: list[str]) -> tuple[bool, bool, bool]:
        """Take a Digest challenge from WWW-Authenticate values: (digest offered, stale, Basic only)."""
        basic = False
        for value in challenges:
            scheme, _, rest = value.strip().partition(" ")
            if scheme.lower() == "digest":
                params = {k.lower(): v for k, v in parse_dict_header(rest).items() if v is not None}
                if params.get("nonce") and "realm" in params:
                    self.challenge = params
                    return True, params.get("stale", "").lower() == "true", False
            elif scheme.lower() == "basic":
                basic = True
        return False, False, basic


class BoundedTransport(Transport):
    """zeep transport over discovery.httpclient: wall-clock deadline, size cap, read-only guard."""

    def __init__(
        self,
        *,
        timeout_s: float,
        max_bytes: int = DEFAULT_MAX_BYTES,
        deadline: float | None = None,
        http_auth: HttpDigestAuth | None = None,
    ) -> None:
        # No requests.Session: this transport never loads documents (WSDLs are pre-parsed).
        self.timeout_s = timeout_s
        self.max_bytes = max_bytes
        self.deadline = deadline
        self.http_auth = http_auth
        self.posts = 0
        self.last_headers: dict[str, str] = {}  # of the last reply (its Date header dates the clock)
        self.last_sent_at = self.last_received_at = 0.0
        self._close_session = False  # zeep's __del__ looks for it

    def load(self, url: str) -> bytes:
        raise ZeepError(f"refusing to fetch {url}: WSDLs are parsed from local files only")

    def post_xml(self, address: str, envelope: etree._Element, headers: dict[str, str]) -> Any:
        body = envelope.find(f"{{{SOAP_ENV}}}Body")
        operation = etree.QName(body[0]).localname if body is not None and len(body) else ""
        check_operation(operation)  # the one place bytes leave: nothing but Get* may pass
        return super().post_xml(address, envelope, headers)

    def post(self, address: str, message: bytes | str, headers: dict[str, str]) -> Any:
        data = message.encode() if isinstance(message, str) else message
        reply, carried = self._exchange(address, data, headers)
        digest = stale = basic_only = False
        if reply.status == 401 and self.http_auth is not None:
            digest, stale, basic_only = self.http_auth.learn(reply.challenges)
            if digest and stale and carried:  # a fresh nonce, not a refusal (RFC 7616 3.3): answer it once
                reply, carried = self._exchange(address, data, headers)
                if reply.status == 401:
                    digest, stale, basic_only = self.http_auth.learn(reply.challenges)
        if reply.status in (401, 403):
            raise AuthRefused(reply.status, digest=digest, basic_only=basic_only, carried=carried)
        body = _screen(reply)
        response = requests.Response()  # the shape zeep's reply processing expects
        response.status_code = reply.status
        response._content = body
        response.headers.update(reply.headers)
        response.headers["content-type"] = "application/soap+xml; charset=utf-8"  # checked by content above
        response.url = address
        response.encoding = "utf-8"
        return response

    def _exchange(self, address: str, data: bytes, headers: dict[str, str]) -> tuple[httpclient.HttpReply, bool]:
        timeout = self.timeout_s
        if self.deadline is not None:
            timeout = min(timeout, self.deadline - time.monotonic())
            if timeout <= 0:
                raise httpclient.Timeout("device time budget used up")
        headers = dict(headers)
        authorization = self.http_auth.authorization(address) if self.http_auth else None
        if authorization:
            headers["Authorization"] = authorization
        self.posts += 1
        self.last_sent_at = time.time()
        reply = httpclient.post(address, data, headers, timeout_s=timeout, max_bytes=self.max_bytes)
        self.last_received_at = time.time()
        self.last_headers = reply.headers
        return reply, authorization is not None


def _screen(reply: httpclient.HttpReply) -> bytes:
    """Refuse hostile bodies before zeep sees them; raise faults as our own exceptions.

    The body decides, not the Content-Type: a SOAP envelope is read whatever label it came with, a web
    page is `not_onvif` whatever label it came with.
    """
    body = strip_preamble(reply.body)
    ctype = reply.headers.get("content-type", "")
    if not body.startswith(b"<") or looks_like_html(body):
        raise NotOnvif(f"HTTP {reply.status} {ctype or 'without content type'} is not a SOAP reply")
    try:
        root = parse_untrusted(body)
    except HostileXML as exc:
        raise HostileReply(str(exc)) from exc
    if etree.QName(root).localname != "Envelope":
        raise NotOnvif(
            f"HTTP {reply.status}: XML root <{etree.QName(root).localname}> is not a SOAP Envelope"
        )
    fault = root.find("{*}Body/{*}Fault")
    if fault is not None:
        raise DeviceFault(
            reply.status,
            _local(text_of(fault.find("{*}Code/{*}Value"))),
            [_local(text_of(v)) for v in fault.iterfind(".//{*}Subcode/{*}Value")],
            " ".join(text_of(t) for t in fault.iterfind("{*}Reason/{*}Text")).strip(),
        )
    if reply.status != 200:
        raise NotOnvif(f"HTTP {reply.status} with a SOAP envelope but no fault")
    return body


def _local(qname: str) -> str:
    return qname.rsplit(":", 1)[-1].rsplit("}", 1)[-1].strip()


class UsernameToken:
    """WS-UsernameToken whose Created follows the camera's clock (UTC, `Z`): PasswordDigest, or with
    `text=True` PasswordText (only when the inspector allows sending passwords in clear text)."""

    NS_PROFILE = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-username-token-profile-1.0"
    NS_SECURITY = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-soap-message-security-1.0"

    def __init__(self, credential: Credential, clock_offset_s: float = 0.0, *, text: bool = False) -> None:
        self._credential = credential
        self._offset = clock_offset_s
        self.text = text

    def __repr__(self) -> str:
        return f"UsernameToken({self._credential!r}, text={self.text})"

    def apply(
        self, envelope: etree._Element, headers: dict[str, str]
    ) -> tuple[etree._Element, dict[str, str]]:
        """Add the Security header (zeep wsse plugin protocol)."""
        security = wsse_utils.get_security_header(envelope)
        now = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=self._offset)
        created = now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond // 1000:03d}Z"
        nonce = os.urandom(16)
        if self.text:
            password = wsse_utils.WSSE.Password(self._credential.password, Type=f"{self.NS_PROFILE}#PasswordText")
        else:
            digest = base64.b64encode(
                hashlib.sha1(nonce + created.encode() + self._credential.password.encode()).digest()
            ).decode()
            password = wsse_utils.WSSE.Password(digest, Type=f"{self.NS_PROFILE}#PasswordDigest")
        token = wsse_utils.WSSE.UsernameToken(
            wsse_utils.WSSE.Username(self._credential.username),
            password,
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
        self, wsdl: str, binding: str, address: str, transport: BoundedTransport, wsse: UsernameToken | None
    ) -> Any:
        """A zeep service proxy for one device, bound to `address`, without re-parsing anything."""
        client = Client(self.document(wsdl), wsse=wsse, transport=transport, settings=self.SETTINGS)
        return client.create_service(binding, address)
