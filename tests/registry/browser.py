"""Page journeys in headless Chromium against the real app on a loopback port.

`LiveApp` serves the test's app with uvicorn in a thread; `Pages` opens pages at 1366×768 with every
non-local request blocked and fails the test on any console error, page error, failed request or
error status — except a refusal the test announces with `expect_refusal`. Screenshots go to
$CAMREG_SCREENSHOTS (default: the test's tmp dir) so a person can look at them.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import uvicorn
from fastapi import FastAPI

from tests.maps.browser_harness import is_local
from tests.registry.page_helpers import PASSWORD

# Chromium's own PDF viewer (a PDF material shown inline in an iframe) loads its parts from these schemes and
# abandons them when the page navigates on: they are the browser's insides, neither the app's requests nor
# requests leaving the machine, so they are let through and their failures are not the app's.
BROWSER_SCHEMES = ("chrome:", "chrome-extension:")


@contextmanager
def live_app(app: FastAPI) -> Iterator[str]:
    """Serve `app` on 127.0.0.1 (a free port) until the block ends; yields the base URL."""
    config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", access_log=False)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the app did not start")
        time.sleep(0.05)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@dataclass
class Pages:
    """One browser tab on the live app, recording everything that went wrong."""

    page: Any
    base: str
    shots: Path
    problems: list[str] = field(default_factory=list)
    allowed: list[int] = field(default_factory=list)
    blocked: list[str] = field(default_factory=list)

    def attach(self) -> None:
        """Listen for console errors, page errors, failed and refused requests; block outside requests."""
        def route(r: Any) -> None:
            if is_local(r.request.url) or r.request.url.startswith(BROWSER_SCHEMES):
                r.continue_()
            else:
                self.blocked.append(r.request.url)
                r.abort("blockedbyclient")

        self.page.route("**/*", route)
        self.page.on("console", self._console)
        self.page.on("pageerror", lambda exc: self.problems.append(f"page error: {exc}"))
        self.page.on("requestfailed", self._failed)
        self.page.on("response", self._response)

    def _failed(self, request: Any) -> None:
        """A failed request of the app (the browser's own insides excepted) is a problem."""
        if not request.url.startswith(BROWSER_SCHEMES):
            self.problems.append(f"request failed: {request.url} {request.failure}")

    def _console(self, message: Any) -> None:
        if message.type == "error" and not str(message.location.get("url", "")).startswith(BROWSER_SCHEMES):
            text = message.text
            # Chromium reports an error status of a page it loads as a console error: allowed when expected.
            if "Failed to load resource" in text and any(f"status of {s}" in text for s in self.allowed):
                return
            self.problems.append(f"console error: {text} at {message.location}")

    def _response(self, response: Any) -> None:
        if response.status >= 400:
            if response.status in self.allowed:
                return
            self.problems.append(f"HTTP {response.status} for {response.url}")

    @contextmanager
    def expect_refusal(self, status: int) -> Iterator[None]:
        """Inside the block, an answer with this status is the point of the test, not a problem."""
        self.allowed.append(status)
        try:
            yield
        finally:
            self.allowed.remove(status)

    def goto(self, path: str) -> Any:
        """Open a page of the app and wait for it to settle."""
        response = self.page.goto(self.base + path, wait_until="load")
        self.page.wait_for_load_state("networkidle")
        return response

    def sign_in(self, username: str, password: str = PASSWORD) -> None:
        """Sign in through the form, as a person would."""
        self.goto("/login")
        self.page.fill("#u", username)
        self.page.fill("#p", password)
        with self.page.expect_navigation():
            self.page.click("button[type=submit]")

    def sign_out(self) -> None:
        """The 退出 button in the header."""
        with self.page.expect_navigation():
            self.page.click("header .who button")

    def shot(self, name: str) -> Path:
        """A screenshot of the whole page, for a person to look at."""
        path = self.shots / f"{name}.png"
        self.page.screenshot(path=str(path), full_page=True)
        return path

    def check(self) -> None:
        """Fail on anything that went wrong so far."""
        assert not self.problems, "\n".join(self.problems)
        assert not self.blocked, f"requests left the machine: {self.blocked}"


@contextmanager
def pages(base: str, shots: Path) -> Iterator[Pages]:
    """A fresh browser (own profile) with one tab attached to the live app."""
    from tests.maps.browser_harness import offline_browser

    shots.mkdir(parents=True, exist_ok=True)
    with offline_browser() as context:
        tab = Pages(page=context.new_page(), base=base, shots=shots)
        tab.attach()
        yield tab
        tab.check()


def screenshot_dir(tmp_path: Path) -> Path:
    """Where screenshots go: $CAMREG_SCREENSHOTS if set (to keep them), else the test's tmp dir."""
    return Path(os.environ.get("CAMREG_SCREENSHOTS", tmp_path / "screens"))
