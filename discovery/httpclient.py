"""A tiny HTTP/1.1 POST with a wall-clock deadline and a size cap, for talking to untrusted devices.

requests' timeouts are per socket operation, so a reply that dribbles one byte a second never times
out and one that never ends fills memory; here every read is bounded by the remaining total time and
the body by a byte limit. One connection per request (`Connection: close`): simple and enough.
"""

from __future__ import annotations

import errno
import socket
import ssl
import time
from dataclasses import dataclass, field
from urllib.parse import urlsplit


class HttpError(Exception):
    """Base of transport failures; each subclass is one scan status."""


class Refused(HttpError):
    """TCP connection refused (nothing listens on that port)."""


class Unreachable(HttpError):
    """No route / host down."""


class Timeout(HttpError):
    """The whole exchange did not finish before its deadline."""


class TooLarge(HttpError):
    """The reply exceeded the byte limit."""


class Unending(HttpError):
    """The reply started (status and headers arrived) but its body did not end before the deadline."""


class BadHttp(HttpError):
    """The peer spoke something that is not HTTP/1.x."""


@dataclass
class HttpReply:
    """Status, lower-cased headers and body of one response."""

    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    challenges: list[str] = field(default_factory=list)  # every WWW-Authenticate value (it may repeat)


_UNREACHABLE = {errno.EHOSTUNREACH, errno.ENETUNREACH, errno.EHOSTDOWN, errno.ENETDOWN}
_HEADER_LIMIT = 64 * 1024


def _connect(host: str, port: int, deadline: float) -> socket.socket:
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise Timeout("deadline passed before connecting")
    try:
        return socket.create_connection((host, port), timeout=remaining)
    except ConnectionRefusedError as exc:
        raise Refused(f"connection refused by {host}:{port}") from exc
    except TimeoutError as exc:
        raise Timeout(f"connect to {host}:{port} timed out") from exc
    except OSError as exc:
        if exc.errno in _UNREACHABLE:
            raise Unreachable(f"{host}:{port} unreachable ({exc.strerror})") from exc
        raise Unreachable(f"{host}:{port}: {exc}") from exc


def _dechunk(data: bytes) -> bytes | None:
    """Decode a chunked body; None while it is incomplete."""
    out = bytearray()
    pos = 0
    while True:
        eol = data.find(b"\r\n", pos)
        if eol < 0:
            return None
        size_text = data[pos:eol].split(b";", 1)[0].strip()
        try:
            size = int(size_text, 16)
        except ValueError as exc:
            raise BadHttp("bad chunk size") from exc
        if size == 0:
            return bytes(out)
        start = eol + 2
        if len(data) < start + size + 2:
            return None
        out += data[start : start + size]
        pos = start + size + 2


def _parse_head(head: bytes) -> tuple[int, dict[str, str], list[str]]:
    lines = head.decode("latin-1").split("\r\n")
    parts = lines[0].split(" ", 2)
    if len(parts) < 2 or not parts[0].startswith("HTTP/1.") or not parts[1].isdigit():
        raise BadHttp(f"not an HTTP status line: {lines[0][:60]!r}")
    headers: dict[str, str] = {}
    challenges: list[str] = []
    for line in lines[1:]:
        name, sep, value = line.partition(":")
        if sep:
            headers[name.strip().lower()] = value.strip()
            if name.strip().lower() == "www-authenticate":
                challenges.append(value.strip())
    return int(parts[1]), headers, challenges


def post(url: str, body: bytes, headers: dict[str, str], *, timeout_s: float, max_bytes: int) -> HttpReply:
    """POST `body` to `url`; the whole exchange ends within `timeout_s` and reads at most `max_bytes`."""
    deadline = time.monotonic() + timeout_s
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    sock = _connect(host, port, deadline)
    try:
        if parts.scheme == "https":
            ctx = ssl.create_default_context()
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE  # cameras ship self-signed certificates
            sock = ctx.wrap_socket(sock, server_hostname=host)
        path = parts.path or "/"
        if parts.query:
            path += "?" + parts.query
        lines = [
            f"POST {path} HTTP/1.1",
            f"Host: {parts.netloc}",
            f"Content-Length: {len(body)}",
            "Connection: close",
            "Accept-Encoding: identity",
        ]
        lines += [f"{k}: {v}" for k, v in headers.items() if k.lower() not in ("content-length", "host")]
        sock.settimeout(max(0.001, deadline - time.monotonic()))
        sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body)
        return _read_reply(sock, deadline, max_bytes)
    except TimeoutError as exc:
        raise Timeout(f"no complete reply from {host}:{port} within {timeout_s:g} s") from exc
    except ConnectionResetError as exc:
        raise BadHttp(f"{host}:{port} reset the connection") from exc
    except ssl.SSLError as exc:
        raise BadHttp(f"TLS error with {host}:{port}: {exc}") from exc
    finally:
        sock.close()


def _read_reply(sock: socket.socket, deadline: float, max_bytes: int) -> HttpReply:
    buf = bytearray()
    status: int | None = None
    headers: dict[str, str] = {}
    challenges: list[str] = []
    body_start = 0
    while True:
        remaining = deadline - time.monotonic()
        try:
            if remaining <= 0:
                raise TimeoutError
            sock.settimeout(remaining)
            chunk = sock.recv(65536)
        except TimeoutError:
            if status is not None:  # a body that dribbles on forever is an attack, not a slow camera
                raise Unending(f"reply body still incomplete after {len(buf) - body_start} bytes") from None
            raise
        if chunk:
            buf += chunk
        if status is None:
            end = buf.find(b"\r\n\r\n")
            if end < 0:
                if len(buf) > _HEADER_LIMIT:
                    raise TooLarge("HTTP headers exceed 64 KiB")
                if not chunk:
                    raise BadHttp("connection closed before the HTTP headers ended")
                continue
            status, headers, challenges = _parse_head(bytes(buf[:end]))
            body_start = end + 4
        body = bytes(buf[body_start:])
        if len(body) > max_bytes:
            raise TooLarge(f"reply larger than {max_bytes} bytes")
        if headers.get("transfer-encoding", "").lower() == "chunked":
            decoded = _dechunk(body)
            if decoded is not None:
                return HttpReply(status, headers, decoded, challenges)
        elif "content-length" in headers:
            try:
                length = int(headers["content-length"])
            except ValueError as exc:
                raise BadHttp("bad Content-Length") from exc
            if length > max_bytes:
                raise TooLarge(f"announced {length} bytes > limit {max_bytes}")
            if len(body) >= length:
                return HttpReply(status, headers, body[:length], challenges)
        elif status in (204, 304) or 100 <= status < 200:
            return HttpReply(status, headers, b"", challenges)
        if not chunk:
            if headers.get("transfer-encoding", "").lower() == "chunked" or "content-length" in headers:
                raise BadHttp("connection closed before the body ended")
            return HttpReply(status, headers, body, challenges)
