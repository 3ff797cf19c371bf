"""zeep plumbing for ONVIF calls: pre-parsed WSDLs shared by all devices, a bounded read-only transport,
and a WS-UsernameToken digest signed with the camera's clock."""

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
from zeep import Client, Settings
from zeep.exceptions import Error as ZeepError
from zeep.transports import Transport
from zeep.wsdl.wsdl import Document
from zeep.wsse import utils as wsse_utils

from discovery import httpclient
from discovery.credentials import Credential
from discovery.guard import check_operation
from discovery.safexml import DEFAULT_MAX_BYTES, HostileXML, parse_untrusted

SOAP_ENV = "http://www.w3.org/2003/05/soap-envelope"
DEVICE_BINDING = "{http://www.onvif.org/ver10/device/wsdl}DeviceBinding"
MEDIA_BINDING = "{http://www.onvif.org/ver10/media/wsdl}MediaBinding"


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
        timeout = self.timeout_s
        if self.deadline is not None:
            timeout = min(timeout, self.deadline - time.monotonic())
            if timeout <= 0:
                raise httpclient.Timeout("device time budget used up")
        data = message.encode() if isinstance(message, str) else message
        self.posts += 1
        reply = httpclient.post(address, data, headers, timeout_s=timeout, max_bytes=self.max_bytes)
        _screen(reply)
        response = requests.Response()  # the shape zeep's reply processing expects
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
