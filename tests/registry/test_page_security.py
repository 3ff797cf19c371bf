"""CSRF on every cookie-signed write, security headers on every answer, no inline script in our templates."""

from __future__ import annotations

import re
from collections.abc import Callable
from enum import StrEnum

import pytest
from fastapi.testclient import TestClient

from registry.auth.models import Role
from registry.ui import labels, menu
from registry.ui.security import PAGE_CSP, check_csrf
from registry.ui.templating import TEMPLATES_DIR
from tests.registry.conftest import Person
from tests.registry.page_helpers import app_routes, csrf_of, post_form, sign_in

pytestmark = pytest.mark.usefixtures("backend")


def test_every_route_carries_the_csrf_check(client: TestClient) -> None:
    """The check is application-wide: no route, page or API, can be added without it."""
    routes = app_routes(client.app)
    assert len(routes) > 40
    for route in routes:
        calls = [d.call for d in route.dependant.dependencies]
        assert check_csrf in calls, f"{route.path} is missing the CSRF check"


def test_a_form_without_its_token_is_refused_with_a_chinese_page(
        client: TestClient, make_person: Callable[..., Person]) -> None:
    token = sign_in(client, make_person(Role.intake, "101"))
    for data in ({}, {"csrf_token": "0" * 64}, {"csrf_token": token[:-1] + ("0" if token[-1] != "0" else "1")}):
        response = client.post("/logout", data=data, follow_redirects=False)
        assert response.status_code == 403
        assert "页面已过期或来源无法确认" in response.text and response.headers["content-type"].startswith("text/html")
    # Still signed in: the refused logout did nothing.
    assert client.get("/filings", follow_redirects=False).status_code == 200
    assert client.post("/logout", headers={"X-CSRF-Token": token}, follow_redirects=False).status_code == 303


def test_a_token_is_bound_to_its_session(client: TestClient, make_person: Callable[..., Person]) -> None:
    first = sign_in(client, make_person(Role.intake, "101"))
    second = sign_in(client, make_person(Role.reviewer, "101"))
    assert first != second
    assert post_form(client, "/logout", first).status_code == 403
    assert post_form(client, "/logout", second).status_code == 303


def test_sign_in_needs_the_login_pages_token(client: TestClient, make_person: Callable[..., Person]) -> None:
    person = make_person(Role.intake, "101")
    data = {"username": person.user.username, "password": "correct horse battery"}
    assert client.post("/login", data=data, follow_redirects=False).status_code == 403
    token = csrf_of(client.get("/login").text)
    assert "camreg_presession" in client.cookies
    assert client.post("/login", data={**data, "csrf_token": token}, follow_redirects=False).status_code == 303


def test_api_writes_need_no_csrf_token(client: TestClient, make_person: Callable[..., Person]) -> None:
    """Bearer-token calls are not cookie-signed: another site cannot forge them."""
    person = make_person(Role.admin, "101")
    client.cookies.set("camreg_session", "anything")
    response = client.post("/api/v1/auth/logout", headers=person.headers)
    assert response.status_code == 204


def test_security_headers_on_pages_api_static_and_errors(client: TestClient,
                                                         make_person: Callable[..., Person]) -> None:
    person = make_person(Role.intake, "101")
    sign_in(client, person)
    for url in ("/", "/filings", "/login", "/static/app.css", "/static/htmx/htmx.min.js", "/no/such/page",
                "/api/v1/auth/me", "/api/v1/openapi.json", "/api/v1/filings/999999"):
        response = client.get(url, headers=person.headers if url.startswith("/api") else None)
        assert response.headers["x-content-type-options"] == "nosniff", url
        assert response.headers["referrer-policy"] == "same-origin", url
        assert "frame-ancestors 'none'" in response.headers["content-security-policy"], url
        assert response.headers["x-frame-options"] == "DENY", url
    assert client.get("/filings").headers["content-security-policy"] == PAGE_CSP
    assert "unsafe-inline" not in PAGE_CSP.split("script-src")[1].split(";")[0]


def test_maps_allow_exactly_their_own_inline_scripts(client: TestClient,
                                                      make_person: Callable[..., Person]) -> None:
    sign_in(client, make_person(Role.supervisor, "001"))
    response = client.get("/maps/city")
    csp = response.headers["content-security-policy"]
    scripts = csp.split("script-src ")[1].split(";")[0].split()
    inline = re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", response.text)
    assert inline and len([s for s in scripts if s.startswith("'sha256-")]) >= 1
    assert "'unsafe-inline'" not in scripts and "frame-ancestors 'none'" in csp


def test_docs_page_works_under_its_csp(client: TestClient) -> None:
    response = client.get("/docs")
    csp = response.headers["content-security-policy"]
    scripts = csp.split("script-src ")[1].split(";")[0].split()
    assert response.status_code == 200 and scripts == ["'self'"] and "http" not in csp


def test_no_inline_script_or_handler_in_our_templates() -> None:
    """The pages run under script-src 'self': behaviour lives in static/app.js, configured by data- attributes."""
    offenders = []
    for path in TEMPLATES_DIR.rglob("*.html"):
        text = path.read_text(encoding="utf-8")
        if re.search(r"<script(?![^>]*\bsrc=)", text) or re.search(r"\son[a-z]+\s*=", text) or "hx-on" in text \
                or re.search(r"\sstyle\s*=", text) or "javascript:" in text:
            offenders.append(str(path.relative_to(TEMPLATES_DIR)))
    assert not offenders, f"inline script, handler or style attribute in {offenders}"


@pytest.mark.parametrize("enum", list(labels.LABELS))
def test_every_coded_value_has_a_chinese_label(enum: type[StrEnum]) -> None:
    missing = [m.value for m in enum if m.value not in labels.LABELS[enum]]
    assert not missing, f"{enum.__name__}: add Chinese labels for {missing} in registry/ui/labels.py"


def test_every_menu_entry_leads_to_a_page(client: TestClient) -> None:
    paths = {r.path for r in app_routes(client.app)}
    for entry in menu.ENTRIES:
        assert entry.url.split("?")[0] in paths, f"menu entry {entry.label} → {entry.url} has no route"
