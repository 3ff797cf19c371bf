"""/docs works on an intranet: Swagger UI comes from the package, nothing from a CDN."""

from __future__ import annotations

import re
import socket
import threading
import time
from collections.abc import Iterator

import pytest
import uvicorn
from fastapi.testclient import TestClient

from registry.app import create_app
from registry.settings import Settings
from tests.conftest import skip_or_fail
from tests.maps.browser_harness import chromium_missing, is_local, offline_browser

ASSET = re.compile(r"""<(?:script|link)\b[^>]*\b(?:src|href)="([^"]+)\"""")


def test_docs_reference_only_local_assets(client: TestClient) -> None:
    page = client.get("/docs")
    assert page.status_code == 200
    assets = ASSET.findall(page.text)
    assert len(assets) == 4 and all(a.startswith("/docs/assets/") for a in assets), assets
    assert "<script>" not in page.text  # no inline script: works under a strict Content-Security-Policy
    for asset in assets:
        response = client.get(asset)
        assert response.status_code == 200 and len(response.content) > 500, asset
    assert client.get("/redoc").status_code == 404


@pytest.fixture
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The app served by uvicorn on a free loopback port (no database needed for /docs)."""
    app = create_app(Settings(data_dir=tmp_path_factory.mktemp("docs")))
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)


@pytest.mark.browser
def test_docs_render_offline_in_a_browser(live_server: str) -> None:
    reason = chromium_missing()
    if reason:
        skip_or_fail(reason)
    blocked: list[str] = []
    with offline_browser() as context:
        page = context.new_page()
        page.route("**/*", lambda r: r.continue_() if is_local(r.request.url)
                   else (blocked.append(r.request.url), r.abort("blockedbyclient")))
        page.goto(f"{live_server}/docs", wait_until="load", timeout=60_000)
        page.wait_for_selector(".opblock", timeout=60_000)
        operations = page.evaluate("document.querySelectorAll('.opblock').length")
        title = page.inner_text(".info .title")
    assert not blocked, blocked
    assert operations >= 40 and "camera-registry" in title
