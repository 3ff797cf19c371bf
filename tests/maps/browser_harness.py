"""Headless Chromium with every non-local request blocked and recorded (used by tests and bench)."""

from __future__ import annotations

import functools
import http.server
import os
import shutil
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

CHROMIUM = os.environ.get("CAMREG_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--dns-prefetch-disable",  # no DNS lookups for links in the page (Leaflet's attribution link)
]
LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1", "[::1]"}
LOCAL_SCHEMES = {"file", "data", "blob", "about"}


def chromium_missing() -> str | None:
    """Why the browser tests cannot run here, or None when they can."""
    if not Path(CHROMIUM).exists():
        return f"{CHROMIUM} not found (apt-get install -y chromium)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "playwright (Python) is not installed"
    return None


def is_local(url: str) -> bool:
    """True for loopback http(s) and for file/data/blob/about URLs."""
    parts = urlsplit(url)
    return parts.scheme in LOCAL_SCHEMES or (parts.hostname or "") in LOCAL_HOSTS


@dataclass
class Loaded:
    """A page after its map reported ready, with what it tried to fetch."""

    page: Any
    ready_ms: float
    blocked: list[str] = field(default_factory=list)
    requested: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def count(self, selector: str) -> int:
        """Number of elements matching a CSS selector."""
        return int(self.page.evaluate("s => document.querySelectorAll(s).length", selector))


@contextmanager
def serve(directory: Path) -> Iterator[str]:
    """Serve `directory` on 127.0.0.1 (a free port) for the duration; yields the base URL."""
    handler = functools.partial(_QuietHandler, directory=str(directory))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@contextmanager
def offline_browser() -> Iterator[Any]:
    """A fresh headless Chromium (own profile directory) for opening maps offline."""
    from playwright.sync_api import sync_playwright

    profile = tempfile.mkdtemp(prefix="camreg-chromium-")
    try:
        with sync_playwright() as pw:
            context = pw.chromium.launch_persistent_context(
                profile, executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True,
                viewport={"width": 1366, "height": 768}, service_workers="block",
            )
            try:
                yield context
            finally:
                context.close()
    finally:
        shutil.rmtree(profile, ignore_errors=True)


def open_map(context: Any, url: str, *, timeout_ms: int = 60_000) -> Loaded:
    """Open `url` with outside requests aborted, and wait until the map set window.camregReady."""
    page = context.new_page()
    loaded = Loaded(page=page, ready_ms=0.0)

    def route(r: Any) -> None:
        req_url = r.request.url
        loaded.requested.append(req_url)
        if is_local(req_url):
            r.continue_()
        else:
            loaded.blocked.append(req_url)
            r.abort("blockedbyclient")

    page.route("**/*", route)
    page.on("request", lambda req: None if is_local(req.url) or req.url in loaded.blocked
            else loaded.blocked.append(req.url))
    page.on("pageerror", lambda exc: loaded.errors.append(str(exc)))
    page.goto(url, wait_until="load", timeout=timeout_ms)
    if loaded.errors:  # the map script died: waiting for its ready flag would only time out
        raise AssertionError(f"{url}: script errors {loaded.errors}")
    page.wait_for_function("() => window.camregReady !== undefined", timeout=timeout_ms)
    loaded.ready_ms = float(page.evaluate("window.camregReady"))
    return loaded


def map_js(loaded: Loaded, body: str) -> Any:
    """Evaluate `body` with `map` bound to the page's Leaflet map (folium names it after its div)."""
    return loaded.page.evaluate(
        "body => { const map = window[document.querySelector('.folium-map').id];"
        " return new Function('map', body)(map); }",
        body,
    )
