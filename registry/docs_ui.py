"""The API documentation at /docs, served with Swagger UI from files inside the package.

FastAPI's default page loads Swagger UI from a CDN, so on an intranet it stays blank. The assets are
vendored from npm `swagger-ui-dist` (`scripts/vendor_swagger_ui.sh`, licence beside them) and started
by a static script rather than an inline one, so the page also works under a strict Content-Security-
Policy. ReDoc is not offered (it too would need a CDN, and Swagger UI already documents every route).
"""

from __future__ import annotations

from html import escape
from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

STATIC = Path(__file__).parent / "static"
ASSETS = "/docs/assets"


def docs_page(title: str, openapi_url: str) -> str:
    """The HTML of the documentation page (local assets only)."""
    return f"""<!DOCTYPE html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<title>{escape(title)} · API</title>
<link rel="icon" type="image/png" href="{ASSETS}/swagger-ui/favicon-32x32.png">
<link rel="stylesheet" href="{ASSETS}/swagger-ui/swagger-ui.css">
</head>
<body>
<div id="swagger-ui" data-openapi-url="{escape(openapi_url)}"></div>
<script src="{ASSETS}/swagger-ui/swagger-ui-bundle.js"></script>
<script src="{ASSETS}/docs/init.js"></script>
</body>
</html>
"""


def install(app: FastAPI) -> None:
    """Serve /docs and its assets from the package."""
    assert app.openapi_url is not None
    page = docs_page(app.title, app.openapi_url)

    from registry.ui.security import inline_script_csp

    # No inline script: script-src 'self' only. Swagger UI styles its elements inline, so styles stay allowed.
    headers = {"Content-Security-Policy": inline_script_csp(page)}

    @app.get("/docs", include_in_schema=False, response_class=HTMLResponse)
    async def docs() -> HTMLResponse:
        return HTMLResponse(page, headers=headers)

    app.mount(ASSETS, StaticFiles(directory=STATIC), name="docs-assets")
