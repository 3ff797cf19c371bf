"""The bounded HTTP POST: framing (length, chunked, close), caps and deadlines, against raw loopback servers."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from discovery import httpclient


@contextmanager
def raw_server(chunks: list[bytes], pause_s: float = 0.0) -> Iterator[str]:
    """Accept one connection, read the request, send `chunks` (pausing between them), close."""
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen()

    def serve() -> None:
        conn, _ = srv.accept()
        with conn:
            conn.recv(65536)
            try:
                for c in chunks:
                    conn.sendall(c)
                    time.sleep(pause_s)
            except OSError:
                pass

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{srv.getsockname()[1]}/onvif/device_service"
    finally:
        srv.close()
        thread.join(timeout=5)


def post(url: str, **kw: float) -> httpclient.HttpReply:
    return httpclient.post(url, b"<x/>", {"Content-Type": "application/soap+xml"},
                           timeout_s=kw.get("timeout_s", 2.0), max_bytes=int(kw.get("max_bytes", 1000)))


def test_content_length_chunked_and_close_framing() -> None:
    with raw_server([b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nX-A: b\r\n\r\nhello"]) as url:
        reply = post(url)
    assert (reply.status, reply.body, reply.headers["x-a"]) == (200, b"hello", "b")
    chunked = [b"HTTP/1.1 500 Err\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n", b"2;x=1\r\nde\r\n0\r\n\r\n"]
    with raw_server(chunked, pause_s=0.05) as url:
        reply = post(url)
    assert (reply.status, reply.body) == (500, b"abcde")
    with raw_server([b"HTTP/1.0 200 OK\r\n\r\nuntil ", b"close"]) as url:
        assert post(url).body == b"until close"


@pytest.mark.parametrize("chunks, error", [
    ([b"HTTP/1.1 200 OK\r\nContent-Length: 5000\r\n\r\n"], httpclient.TooLarge),   # announced too big
    ([b"HTTP/1.1 200 OK\r\n\r\n" + b"A" * 3000], httpclient.TooLarge),           # streamed too big
    ([b"SSH-2.0-OpenSSH_9\r\n\r\n"], httpclient.BadHttp),                           # not HTTP
    ([b"HTTP/1.1 200 OK\r\nContent-Length: 50\r\n\r\nshort"], httpclient.BadHttp),  # closed early
    ([b"HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\n"], httpclient.BadHttp),
])
def test_malformed_or_oversized_replies(chunks: list[bytes], error: type[Exception]) -> None:
    with raw_server(chunks) as url, pytest.raises(error):
        post(url)


def test_a_dribbling_reply_hits_the_wall_clock_deadline() -> None:
    # One byte every 50 ms never trips a per-read timeout; the total deadline still ends it.
    with raw_server([b"HTTP/1.1 200 OK\r\n\r\n"] + [b"x"] * 200, pause_s=0.05) as url, \
            pytest.raises(httpclient.Unending):
        post(url, timeout_s=0.5, max_bytes=10_000)
    with raw_server([b"HTTP/1.1 2"] + [b"0"] * 200, pause_s=0.05) as url, pytest.raises(httpclient.Timeout):
        post(url, timeout_s=0.5)  # not even the headers arrived: a plain timeout


def test_refused() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        with pytest.raises(httpclient.Refused):
            post(f"http://127.0.0.1:{s.getsockname()[1]}/")
