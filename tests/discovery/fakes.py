"""Tiny in-test fake cameras on loopback: an ONVIF HTTP device and a WS-Discovery responder."""

from __future__ import annotations

import base64
import datetime as dt
import email.utils
import hashlib
import re
import select
import socket
import struct
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

ENV = (
    '<?xml version="1.0" encoding="UTF-8"?><s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" '
    'xmlns:tds="http://www.onvif.org/ver10/device/wsdl" xmlns:trt="http://www.onvif.org/ver10/media/wsdl" '
    'xmlns:tt="http://www.onvif.org/ver10/schema" xmlns:ter="http://www.onvif.org/ver10/error">'
    "<s:Body>{body}</s:Body></s:Envelope>"
)
AUTH_FAULT = (
    "<s:Fault><s:Code><s:Value>s:Sender</s:Value><s:Subcode><s:Value>ter:NotAuthorized</s:Value>"
    '</s:Subcode></s:Code><s:Reason><s:Text xml:lang="en">Sender not Authorized</s:Text></s:Reason></s:Fault>'
)
OTHER_FAULT = (
    "<s:Fault><s:Code><s:Value>s:Receiver</s:Value><s:Subcode><s:Value>ter:ActionNotSupported</s:Value>"
    '</s:Subcode></s:Code><s:Reason><s:Text xml:lang="en">Not supported</s:Text></s:Reason></s:Fault>'
)
BOMB = (
    '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;">'
    '<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;">]><s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope">'
    "<s:Body>&lol3;</s:Body></s:Envelope>"
)
XXE = (
    '<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
    '<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Body>&x;</s:Body></s:Envelope>'
)


@dataclass
class CameraSpec:
    """What a fake camera says, and how it misbehaves (`mode`)."""

    manufacturer: str = "Hikvision"
    model: str = "DS-2CD2043G2-I"
    firmware: str = "V5.7.3"
    serial: str = "DS-2CD2043G2-I20230101AAWRG12345678"
    hardware_id: str = "88"
    mac: str = "44:19:b6:00:00:01"
    hostname: str = "cam-lobby"
    username: str = ""  # empty: no authentication required
    password: str = ""
    clock_offset_s: float = 0.0
    # ok, html, fault, bomb, xxe, huge, endless, malformed, slow, clock_auth, bom (BOM + CRLF before the XML
    # declaration), soap_as_html (SOAP labelled text/html), page_as_soap (a web page labelled SOAP)
    mode: str = "ok"
    auth_failure: str = "fault"  # or "http401": a 401 HTML page with a Digest challenge (Hikvision)
    requests: list[str] = field(default_factory=list)


def _op(body: bytes) -> str:
    m = re.search(rb"<(?:[\w-]+:)?Body[^>]*>\s*<(?:[\w-]+:)?(\w+)", body)
    return m.group(1).decode() if m else ""


def _digest_ok(spec: CameraSpec, body: bytes) -> bool:
    text = body.decode()
    user = re.search(r"<(?:\w+:)?Username>([^<]*)<", text)
    pw = re.search(r"<(?:\w+:)?Password[^>]*>([^<]*)<", text)
    nonce = re.search(r"<(?:\w+:)?Nonce[^>]*>([^<]*)<", text)
    created = re.search(r"<(?:\w+:)?Created[^>]*>([^<]*)<", text)
    if not (user and pw and nonce and created) or user.group(1) != spec.username:
        return False
    expected = base64.b64encode(
        hashlib.sha1(base64.b64decode(nonce.group(1)) + created.group(1).encode() + spec.password.encode()).digest()
    ).decode()
    if pw.group(1) != expected or not created.group(1).endswith("Z"):
        return False
    stamp = dt.datetime.strptime(created.group(1)[:19], "%Y-%m-%dT%H:%M:%S").replace(tzinfo=dt.UTC)
    camera_now = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=spec.clock_offset_s)
    return abs((stamp - camera_now).total_seconds()) < 10  # a real camera rejects stale Created


def _reply(spec: CameraSpec, op: str, host: str) -> str:
    now = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=spec.clock_offset_s)
    if op == "GetSystemDateAndTime":
        return (
            "<tds:GetSystemDateAndTimeResponse><tds:SystemDateAndTime><tt:DateTimeType>NTP</tt:DateTimeType>"
            "<tt:DaylightSavings>false</tt:DaylightSavings><tt:TimeZone><tt:TZ>CST-8</tt:TZ></tt:TimeZone>"
            f"<tt:UTCDateTime><tt:Time><tt:Hour>{now.hour}</tt:Hour><tt:Minute>{now.minute}</tt:Minute>"
            f"<tt:Second>{now.second}</tt:Second></tt:Time><tt:Date><tt:Year>{now.year}</tt:Year>"
            f"<tt:Month>{now.month}</tt:Month><tt:Day>{now.day}</tt:Day></tt:Date></tt:UTCDateTime>"
            "</tds:SystemDateAndTime></tds:GetSystemDateAndTimeResponse>"
        )
    if op == "GetDeviceInformation":
        return (
            f"<tds:GetDeviceInformationResponse><tds:Manufacturer>{spec.manufacturer}</tds:Manufacturer>"
            f"<tds:Model>{spec.model}</tds:Model><tds:FirmwareVersion>{spec.firmware}</tds:FirmwareVersion>"
            f"<tds:SerialNumber>{spec.serial}</tds:SerialNumber><tds:HardwareId>{spec.hardware_id}</tds:HardwareId>"
            "</tds:GetDeviceInformationResponse>"
        )
    if op == "GetNetworkInterfaces":
        return (
            '<tds:GetNetworkInterfacesResponse><tds:NetworkInterfaces token="eth0"><tt:Enabled>true</tt:Enabled>'
            f"<tt:Info><tt:Name>eth0</tt:Name><tt:HwAddress>{spec.mac.upper().replace(':', '-')}</tt:HwAddress>"
            "<tt:MTU>1500</tt:MTU></tt:Info></tds:NetworkInterfaces></tds:GetNetworkInterfacesResponse>"
        )
    if op == "GetScopes":
        return (
            "<tds:GetScopesResponse><tds:Scopes><tt:ScopeDef>Fixed</tt:ScopeDef>"
            "<tt:ScopeItem>onvif://www.onvif.org/name/Lobby%20Cam</tt:ScopeItem></tds:Scopes></tds:GetScopesResponse>"
        )
    if op == "GetHostname":
        return (
            "<tds:GetHostnameResponse><tds:HostnameInformation><tt:FromDHCP>false</tt:FromDHCP>"
            f"<tt:Name>{spec.hostname}</tt:Name></tds:HostnameInformation></tds:GetHostnameResponse>"
        )
    if op == "GetCapabilities":
        return (
            "<tds:GetCapabilitiesResponse><tds:Capabilities><tt:Media>"
            f"<tt:XAddr>http://0.0.0.0:{host.split(':')[-1]}/onvif/media_service</tt:XAddr>"
            "</tt:Media></tds:Capabilities></tds:GetCapabilitiesResponse>"
        )
    if op == "GetProfiles":
        return (
            '<trt:GetProfilesResponse><trt:Profiles token="main" fixed="true"><tt:Name>mainStream</tt:Name>'
            '<tt:VideoEncoderConfiguration token="v0"><tt:Name>v</tt:Name><tt:UseCount>1</tt:UseCount>'
            "<tt:Encoding>H264</tt:Encoding><tt:Resolution><tt:Width>2688</tt:Width><tt:Height>1520</tt:Height>"
            "</tt:Resolution></tt:VideoEncoderConfiguration></trt:Profiles></trt:GetProfilesResponse>"
        )
    if op == "GetStreamUri":
        return (
            "<trt:GetStreamUriResponse><trt:MediaUri><tt:Uri>rtsp://camera/Streaming/101</tt:Uri>"
            "<tt:InvalidAfterConnect>false</tt:InvalidAfterConnect><tt:InvalidAfterReboot>false"
            "</tt:InvalidAfterReboot><tt:Timeout>PT0S</tt:Timeout></trt:MediaUri></trt:GetStreamUriResponse>"
        )
    return OTHER_FAULT


class _Handler(BaseHTTPRequestHandler):
    spec: CameraSpec

    def log_message(self, *args: object) -> None:  # keep test output quiet
        pass

    def date_time_string(self, timestamp: float | None = None) -> str:
        """The Date header by the camera's clock, as real cameras send it."""
        return email.utils.formatdate(time.time() + self.spec.clock_offset_s, usegmt=True)

    def _send(self, status: int, body: bytes, ctype: str = "application/soap+xml; charset=utf-8") -> None:
        if self.spec.mode == "bom" and body.startswith(b"<?xml"):
            body = b"\xef\xbb\xbf\r\n" + body
        elif self.spec.mode == "soap_as_html" and body.startswith(b"<?xml"):
            ctype = "text/html"
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self) -> None:
        spec = self.spec
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        op = _op(body)
        spec.requests.append(op)
        mode = spec.mode
        if mode == "slow":
            time.sleep(3)  # longer than the client's deadline in the tests: nothing arrives in time
        if mode == "html":
            return self._send(404, b"<!DOCTYPE html><html><body>Not found</body></html>", "text/html")
        if mode == "page_as_soap":
            return self._send(200, b"<html><head><title>Login</title></head><body>Login</body></html>")
        if mode == "bomb":
            return self._send(200, BOMB.encode())
        if mode == "xxe":
            return self._send(200, XXE.encode())
        if mode == "malformed":
            return self._send(200, b"<s:Envelope xmlns:s='http://www.w3.org/2003/05/soap-envelope'><s:Body><unclosed")
        if mode == "huge":
            return self._send(200, ENV.format(body="<x>" + "A" * 5_000_000 + "</x>").encode())
        if mode == "endless":
            self.send_response(200)
            self.send_header("Content-Type", "application/soap+xml")
            self.end_headers()
            try:
                for _ in range(600):  # dribbles for up to a minute: the client must give up first
                    self.wfile.write(b"<a>")
                    self.wfile.flush()
                    time.sleep(0.1)
            except OSError:
                pass
            return None
        if mode == "fault" and op != "GetSystemDateAndTime":
            return self._send(500, ENV.format(body=OTHER_FAULT).encode())
        needs_auth = op != "GetSystemDateAndTime" or mode == "clock_auth"
        if needs_auth and spec.username and not _digest_ok(spec, body):
            if spec.auth_failure == "http401":
                self.send_response(401)
                self.send_header("WWW-Authenticate", 'Digest realm="IP Camera", qop="auth", nonce="abc123"')
                page = b"<!DOCTYPE html><html><body><h2>Access Error: 401 -- Unauthorized</h2></body></html>"
                self.send_header("Content-Type", "text/html")
                self.send_header("Content-Length", str(len(page)))
                self.end_headers()
                self.wfile.write(page)
                return None
            return self._send(400, ENV.format(body=AUTH_FAULT).encode())
        return self._send(200, ENV.format(body=_reply(spec, op, self.headers.get("Host", ""))).encode())


@contextmanager
def fake_camera(spec: CameraSpec | None = None, host: str = "127.0.0.1") -> Iterator[tuple[CameraSpec, int]]:
    """Serve a fake ONVIF device on loopback; yields (spec, port)."""
    spec = spec or CameraSpec()
    handler = type("Handler", (_Handler,), {"spec": spec})
    server = ThreadingHTTPServer((host, 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield spec, server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()


PROBE_MATCH = (
    '<?xml version="1.0" encoding="UTF-8"?><s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" '
    'xmlns:a="http://schemas.xmlsoap.org/ws/2004/08/addressing" '
    'xmlns:d="http://schemas.xmlsoap.org/ws/2005/04/discovery" xmlns:dn="http://www.onvif.org/ver10/network/wsdl">'
    "<s:Header><a:MessageID>urn:uuid:{mid}</a:MessageID><a:RelatesTo>{rel}</a:RelatesTo>"
    "<a:Action>http://schemas.xmlsoap.org/ws/2005/04/discovery/ProbeMatches</a:Action></s:Header>"
    "<s:Body><d:ProbeMatches><d:ProbeMatch><a:EndpointReference><a:Address>urn:uuid:{uuid}</a:Address>"
    "</a:EndpointReference><d:Types>dn:NetworkVideoTransmitter tds:Device</d:Types>"
    "<d:Scopes>{scopes}</d:Scopes><d:XAddrs>{xaddrs}</d:XAddrs><d:MetadataVersion>1</d:MetadataVersion>"
    "</d:ProbeMatch></d:ProbeMatches></s:Body></s:Envelope>"
)


@dataclass
class Responder:
    """One fake WS-Discovery target."""

    address: str
    uuid: str
    xaddrs: str = ""
    scopes: str = (
        "onvif://www.onvif.org/type/video_encoder onvif://www.onvif.org/name/Lobby%20Cam "
        "onvif://www.onvif.org/hardware/DS-2CD2043G2-I onvif://www.onvif.org/location/city/Beijing"
    )
    answers: tuple[str, ...] = ("NetworkVideoTransmitter", "Device", "")  # which probe shapes it answers
    payload: bytes | None = None  # a hostile datagram instead of a ProbeMatch
    fixed_message_id: str = ""  # cheap firmware reuses one MessageID
    probes: int = 0


def _shape(data: bytes) -> str:
    m = re.search(rb"<d:Types>[^<:]*:?([^<]*)</d:Types>", data)
    return m.group(1).decode() if m else ""


@contextmanager
def wsd_responders(responders: list[Responder], group: str = "239.255.255.250") -> Iterator[int]:
    """Fake cameras joined to the WS-Discovery group on loopback, on a random port; yields the port."""
    probe_port = _free_udp_port()
    stop = threading.Event()
    socks = []
    for r in responders:
        rx = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        rx.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        rx.bind(("", probe_port))
        rx.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP,
                      struct.pack("4s4s", socket.inet_aton(group), socket.inet_aton("127.0.0.1")))
        # Unicast probes to the device's own address land here (a specific bind beats the wildcard).
        tx = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        tx.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        tx.bind((r.address, probe_port))  # replies come from the device's own loopback address
        socks.append((r, rx, tx))

    def serve(r: Responder, rx: socket.socket, tx: socket.socket) -> None:
        n = 0
        while not stop.is_set():
            ready, _, _ = select.select([rx, tx], [], [], 0.05)
            if not ready:
                continue
            data, addr = ready[0].recvfrom(65535)
            if b"/discovery/Probe<" not in data or _shape(data) not in r.answers:
                continue
            r.probes += 1
            rel = re.search(rb"<a:MessageID>([^<]*)<", data)
            n += 1
            body = r.payload or PROBE_MATCH.format(
                mid=r.fixed_message_id or f"00000000-0000-0000-0000-{n:012d}",
                rel=rel.group(1).decode() if rel else "", uuid=r.uuid, scopes=r.scopes, xaddrs=r.xaddrs,
            ).encode()
            tx.sendto(body, addr)

    threads = [threading.Thread(target=serve, args=s, daemon=True) for s in socks]
    for t in threads:
        t.start()
    try:
        yield probe_port
    finally:
        stop.set()
        for t in threads:
            t.join()
        for _, rx, tx in socks:
            rx.close()
            tx.close()


def _free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])
