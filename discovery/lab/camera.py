"""One simulated camera's TCP side: the ONVIF HTTP endpoint (SOAP 1.2) and a token RTSP port."""

from __future__ import annotations

import asyncio
import contextlib
import random
import socket
import time
from dataclasses import dataclass

from lxml import etree

from discovery.lab import events, hostile, soap
from discovery.lab.auth import AuthGate, HttpAnswer, http_date
from discovery.lab.model import DeviceSpec, FleetSpec
from discovery.lab.soap import SOAP_CT
from discovery.lab.vendors import NS_DEVICE, NS_MEDIA, NS_SEARCH, NS_SOAP12, SEARCH_PATH

MAX_HEADER = 16 * 1024
MAX_BODY = 1024 * 1024
ENDLESS_FOR_S = 3600.0  # an endless reply still ends with the lab, at the latest after an hour
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)
_REASONS = {
    200: "OK", 400: "Bad Request", 401: "Unauthorized", 404: "Not Found", 405: "Method Not Allowed",
    500: "Internal Server Error",
}
LOGIN_PAGE = b"<!DOCTYPE html><html><head><title>Login</title></head><body>Camera web login</body></html>"


@dataclass
class Request:
    """A parsed HTTP request."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes


class BadRequest(Exception):
    """The client sent something that is not a usable HTTP request."""


async def read_request(reader: asyncio.StreamReader) -> Request | None:
    """Next request on a kept-alive connection, None at a clean end of stream."""
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except asyncio.IncompleteReadError as exc:
        if exc.partial.strip():
            raise BadRequest("truncated header") from exc
        return None
    except asyncio.LimitOverrunError as exc:
        raise BadRequest("header too large") from exc
    lines = head.decode("latin-1").split("\r\n")
    parts = lines[0].split(" ")
    if len(parts) != 3:
        raise BadRequest("bad request line")
    headers = {}
    for line in lines[1:]:
        if ":" in line:
            k, _, v = line.partition(":")
            headers[k.strip().lower()] = v.strip()
    if headers.get("transfer-encoding", "").lower() == "chunked":
        body = await _read_chunked(reader)
    else:
        try:
            length = int(headers.get("content-length", "0"))
        except ValueError as exc:
            raise BadRequest("bad Content-Length") from exc
        if not 0 <= length <= MAX_BODY:
            raise BadRequest("body too large")
        body = await reader.readexactly(length) if length else b""
    return Request(parts[0], parts[1].split("?")[0], headers, body)


async def _read_chunked(reader: asyncio.StreamReader) -> bytes:
    """Body sent with Transfer-Encoding: chunked (some HTTP clients stream SOAP that way)."""
    body = bytearray()
    while True:
        try:
            line = await reader.readuntil(b"\r\n")
        except asyncio.LimitOverrunError as exc:
            raise BadRequest("chunk header too long") from exc
        try:
            size = int(line.split(b";")[0].strip(), 16)
        except ValueError as exc:
            raise BadRequest("bad chunk size") from exc
        if size == 0:
            await reader.readuntil(b"\r\n")  # no trailers expected; the empty line ends the body
            return bytes(body)
        if len(body) + size > MAX_BODY:
            raise BadRequest("body too large")
        body += await reader.readexactly(size)
        await reader.readexactly(2)


class SimCamera:
    """HTTP/RTSP side of one simulated camera; the discovery side lives in `responder`."""

    def __init__(self, dev: DeviceSpec, fleet: FleetSpec, log: events.EventLog) -> None:
        self.dev = dev
        self.fleet = fleet
        self.log = log
        self.rng = random.Random(f"{fleet.seed}:{dev.id}")
        self.auth = AuthGate(dev, fleet, log)
        self.servers: list[asyncio.Server] = []
        self._placeholders: list[socket.socket] = []  # ports kept bound but closed: connections are refused
        self.paths = {"/onvif/device_service", dev.style.media_path, dev.style.events_path}
        if dev.recording_days is not None:
            self.paths.add(SEARCH_PATH)

    async def start(self) -> None:
        """Bind the HTTP (and RTSP) ports; port 0 takes an ephemeral port and records it."""
        dev = self.dev
        if dev.xaddr_port == 0:  # loopback `xaddr_wrong_port`: advertise a port nobody listens on
            dev.xaddr_port = self._placeholder(0)
        if dev.hostile_http == "refuse":
            dev.http_port = self._placeholder(dev.http_port)
        else:
            server = await asyncio.start_server(
                self._serve_http, dev.ip, dev.http_port, reuse_address=True, backlog=256, limit=MAX_HEADER
            )
            dev.http_port = server.sockets[0].getsockname()[1]
            self.servers.append(server)
        if dev.rtsp_port is not None:
            rtsp = await asyncio.start_server(self._serve_rtsp, dev.ip, dev.rtsp_port, reuse_address=True)
            dev.rtsp_port = rtsp.sockets[0].getsockname()[1]
            self.servers.append(rtsp)

    def _placeholder(self, port: int) -> int:
        """Bind (ip, port) without listening, so connections are refused and the port stays ours."""
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self.dev.ip, port))
        self._placeholders.append(sock)
        return int(sock.getsockname()[1])

    def close(self) -> None:
        """Stop listening."""
        for s in self.servers:
            s.close()
        for sock in self._placeholders:
            sock.close()

    async def _serve_rtsp(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """Answer one RTSP request with 401, as a camera does before credentials."""
        with contextlib.suppress(Exception):
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)
            lines = head.decode("latin-1").split("\r\n")
            cseq = next((ln.split(":", 1)[1].strip() for ln in lines if ln.lower().startswith("cseq:")), "1")
            writer.write(
                f"RTSP/1.0 401 Unauthorized\r\nCSeq: {cseq}\r\n"
                'WWW-Authenticate: Digest realm="IP Camera"\r\n\r\n'.encode()
            )
            await writer.drain()
        writer.close()

    async def _serve_http(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        peer = writer.get_extra_info("peername")
        client = peer[0] if peer else "?"
        try:
            while True:
                try:
                    req = await read_request(reader)
                except BadRequest:
                    await self._send(writer, 400, b"bad request", "text/plain", keep=False)
                    break
                if req is None:
                    break
                keep = req.headers.get("connection", "").lower() != "close"
                if not await self._answer(req, writer, client, keep):
                    break
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, OSError):
            pass  # the client went away or sent garbage mid-body: drop the connection, as a camera does
        finally:
            writer.close()

    async def _send(
        self, writer: asyncio.StreamWriter, status: int, body: bytes, ctype: str, *, keep: bool,
        headers: dict[str, str] | None = None,
    ) -> None:
        if ctype == SOAP_CT and "leading_crlf" in self.dev.quirks:
            # CRLF first and no XML declaration (https://github.com/home-assistant/core/issues/63399)
            body = b"\r\n" + body.split(b"?>", 1)[-1].lstrip(b"\n") if body.startswith(b"<?xml") else body
        extra = "".join(f"{k}: {v}\r\n" for k, v in (headers or {}).items())
        head = (
            f"HTTP/1.1 {status} {_REASONS.get(status, 'Error')}\r\nServer: {self.dev.style.server_header}\r\n"
            f"Date: {http_date(self.dev)}\r\nContent-Type: {ctype}\r\nContent-Length: {len(body)}\r\n{extra}"
            f"Connection: {'keep-alive' if keep else 'close'}\r\n\r\n"
        )
        writer.write(head.encode() + body)
        await writer.drain()

    async def _answer(self, req: Request, writer: asyncio.StreamWriter, client: str, keep: bool) -> bool:
        """Write the reply to `req`; False closes the connection."""
        dev = self.dev
        if req.path == hostile.CANARY_PATH:
            self.log.add(events.XXE_FETCH, dev.id, client=client)
            await self._send(writer, 200, b"canary", "text/plain", keep=keep)
            return keep
        mode = dev.hostile_http
        if mode == "slow":
            await asyncio.sleep(self.fleet.slow_delay_s)
        elif mode == "not_onvif":
            await self._send(writer, 200, hostile.NOT_ONVIF_HTML, "text/html", keep=keep)
            return keep
        elif mode == "endless_reply":
            await self._dribble(writer)
            return False
        elif mode is not None:
            payload = {
                "entity_bomb": hostile.http_entity_bomb,
                "external_entity": hostile.http_external_entity,
                "huge_reply": hostile.http_huge,
                "malformed_xml": hostile.http_malformed,
            }[mode](dev)
            await self._send(writer, 200, payload, SOAP_CT, keep=keep)
            return keep
        if req.method == "GET" and req.path in ("/", "/index.html"):
            await self._send(writer, 200, LOGIN_PAGE, "text/html", keep=keep)
            return keep
        if req.path not in self.paths:
            await self._send(writer, 404, b"not found", "text/plain", keep=keep)
            return keep
        if req.method != "POST":
            await self._send(writer, 405, b"POST SOAP here", "text/plain", keep=keep)
            return keep
        answer = self.soap_reply(req.body, client, req.headers, req.path)
        await self._send(writer, answer.status, answer.body, answer.ctype, keep=keep, headers=answer.headers)
        return keep

    async def _dribble(self, writer: asyncio.StreamWriter) -> None:
        """A 200 reply with no length whose body trickles out forever (well, for an hour)."""
        writer.write(
            f"HTTP/1.1 200 OK\r\nServer: {self.dev.style.server_header}\r\nContent-Type: {SOAP_CT}\r\n"
            "Connection: close\r\n\r\n".encode()
            + hostile.endless_http_prefix(self.dev)
        )
        deadline = time.monotonic() + ENDLESS_FOR_S
        while time.monotonic() < deadline:
            writer.write(hostile.ENDLESS_CHUNK)
            await writer.drain()
            await asyncio.sleep(0.1)

    def soap_reply(
        self, body: bytes, client: str, http: dict[str, str] | None = None, path: str = "/onvif/device_service"
    ) -> HttpAnswer:
        """The HTTP answer to one request body (headers and path matter to HTTP Digest)."""
        dev = self.dev

        def answer(status: int, doc: bytes) -> HttpAnswer:
            return HttpAnswer(status, doc, SOAP_CT)

        try:
            root = etree.fromstring(body, _PARSER)
        except etree.XMLSyntaxError:
            return answer(400, soap.fault(dev, "Sender", "ter:WellFormed", "Request is not well-formed XML"))
        op_el = root.find(f"{{{NS_SOAP12}}}Body/*")
        if op_el is None:
            return answer(400, soap.fault(dev, "Sender", "ter:InvalidArgVal", "Empty Body"))
        qname = etree.QName(op_el)
        op = qname.localname
        now = time.time()
        why, presented = self.auth.verify(root.find(f"{{{NS_SOAP12}}}Header"), http or {}, path, now)
        self.log.add(events.REQUEST, dev.id, op=op, client=client, auth=why or "ok", presented=presented)
        if not op.startswith("Get"):
            self.log.add(events.WRITE_ATTEMPT, dev.id, op=op, ns=qname.namespace, client=client)
            if why is not None:
                return self.auth.refuse(op, why, presented, client, now)
            return answer(400, soap.fault(dev, "Receiver", "ter:ActionNotSupported", "The lab camera refuses changes"))
        if op not in self.auth.pre_auth:
            if why is not None:
                return self.auth.refuse(op, why, presented, client, now)
            self.auth.succeeded()
        if op in dev.faulty_ops:
            return answer(500, soap.fault(dev, "Receiver", "ter:Action", f"{op} failed: internal error"))
        if op == "GetStreamUri" and self._profile_index(op_el) is None:
            return answer(400, soap.fault(dev, "Sender", "ter:InvalidArgVal", "ter:NoProfile: no such profile token"))
        reply = self._read_op(qname.namespace or "", op, op_el, now)
        if reply is None:
            return answer(400, soap.fault(dev, "Receiver", "ter:ActionNotSupported", f"{op} is not supported"))
        return answer(200, soap.envelope(dev, reply))

    def _read_op(self, ns: str, op: str, el: etree._Element, now: float) -> str | None:
        dev = self.dev
        if ns == NS_DEVICE:
            if op == "GetCapabilities":
                cat = (el.findtext(f"{{{NS_DEVICE}}}Category") or "All").strip()
                return soap.get_capabilities(dev, cat if cat in ("Device", "Media", "Events") else "All")
            simple = {
                "GetSystemDateAndTime": lambda: soap.get_system_date_and_time(dev, now),
                "GetDeviceInformation": lambda: soap.get_device_information(dev),
                "GetNetworkInterfaces": lambda: soap.get_network_interfaces(dev),
                "GetScopes": lambda: soap.get_scopes(dev),
                "GetHostname": lambda: soap.get_hostname(dev),
                "GetServices": lambda: soap.get_services(dev),
            }
            fn = simple.get(op)
            return fn() if fn else None
        if ns == NS_MEDIA:
            if op == "GetProfiles":
                return soap.get_profiles(dev)
            index = self._profile_index(el)
            if op == "GetStreamUri" and index is not None:
                return soap.get_stream_uri(dev, index)
        if ns == NS_SEARCH and op == "GetRecordingSummary" and dev.recording_days is not None:
            return soap.get_recording_summary(dev, now)
        return None

    def _profile_index(self, el: etree._Element) -> int | None:
        """Which of the two profiles a media request's ProfileToken names, if any."""
        token = (el.findtext(f"{{{NS_MEDIA}}}ProfileToken") or "").strip()
        tokens = self.dev.style.profile_tokens
        return tokens.index(token) if token in tokens else None
