"""Helpers for page tests: sign in through the form (with its CSRF token), read tokens out of pages."""

from __future__ import annotations

import re
from typing import Any

from fastapi.testclient import TestClient

from tests.registry.conftest import Person

PASSWORD = "correct horse battery"
_TOKEN = re.compile(r'name="csrf_token" value="([0-9a-f]{64})"')


def csrf_of(html: str) -> str:
    """The CSRF token a page embeds in its forms."""
    found = _TOKEN.search(html)
    assert found, "page has no CSRF token"
    return found.group(1)


def sign_in(client: TestClient, person: Person, next_url: str = "/") -> str:
    """Sign in through the login form as a browser would; returns the session's CSRF token."""
    client.cookies.clear()
    form = client.get("/login")
    response = client.post("/login", data={"username": person.user.username, "password": PASSWORD,
                                           "next": next_url, "csrf_token": csrf_of(form.text)},
                           follow_redirects=False)
    assert response.status_code == 303, response.text
    return csrf_of(client.get("/").text)


def post_form(client: TestClient, url: str, token: str, data: dict[str, Any] | None = None,
              **kwargs: Any) -> Any:
    """A form POST carrying the CSRF token (not following the redirect)."""
    return client.post(url, data={**(data or {}), "csrf_token": token}, follow_redirects=False, **kwargs)


def app_routes(app: Any) -> list[Any]:
    """Every API route of the app with its full path, methods, endpoint and dependant (FastAPI's
    included routers are walked through their effective route contexts)."""
    from fastapi.routing import APIRoute

    found: list[Any] = []
    for route in app.routes:
        if isinstance(route, APIRoute):
            found.append(route)
        elif hasattr(route, "effective_route_contexts"):
            found.extend(c for c in route.effective_route_contexts() if c.dependant is not None)
    return found


def page_routes(app: Any) -> list[tuple[str, str]]:
    """(method, path) of every page route: every route outside /api/ that is not the API documentation."""
    return sorted((method, r.path) for r in app_routes(app) for method in r.methods
                  if not r.path.startswith("/api/") and not r.path.startswith("/docs") and method != "HEAD")
