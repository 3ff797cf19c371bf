"""The interactive API documentation (/docs) under a CSP that allows exactly its inline scripts."""

from __future__ import annotations

from fastapi import APIRouter, FastAPI
from fastapi.openapi.docs import get_swagger_ui_html, get_swagger_ui_oauth2_redirect_html
from fastapi.responses import HTMLResponse

from registry.ui.security import inline_script_csp

# FastAPI's Swagger UI loads its bundle from this CDN; on an intranet without internet the page stays
# empty until the assets are served locally (the CSP names the CDN only for these two pages).
SWAGGER_CDN = "https://cdn.jsdelivr.net"


def _with_csp(response: HTMLResponse) -> HTMLResponse:
    html = bytes(response.body).decode()
    response.headers["Content-Security-Policy"] = inline_script_csp(
        html, script_src=[SWAGGER_CDN], style_src=[SWAGGER_CDN], img_src=["https:"])
    return response


def docs_router(app: FastAPI) -> APIRouter:
    """/docs and its OAuth2 redirect page, each with the hashes of its own inline script."""
    router = APIRouter(include_in_schema=False)
    openapi_url = app.openapi_url or "/openapi.json"
    title = app.title

    @router.get("/docs", response_class=HTMLResponse)
    def swagger_ui() -> HTMLResponse:
        """Swagger UI over the OpenAPI document."""
        return _with_csp(get_swagger_ui_html(openapi_url=openapi_url, title=title,
                                             oauth2_redirect_url="/docs/oauth2-redirect"))

    @router.get("/docs/oauth2-redirect", response_class=HTMLResponse)
    def swagger_redirect() -> HTMLResponse:
        """Swagger UI's OAuth2 redirect helper."""
        return _with_csp(get_swagger_ui_oauth2_redirect_html())

    return router
