"""Builds the FastAPI application: routers under /api/v1 and one error shape for everything."""

from __future__ import annotations

import logging
from pathlib import Path

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DataError, IntegrityError, OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from maps.assets import STATIC_DIR as MAPS_STATIC_DIR
from registry import docs_ui, responses
from registry.body_limit import BodyLimit, BodyTooLarge, too_large_body
from registry.db import make_engine, reading_engine
from registry.deps import LoginRequired, PasswordChangeFirst
from registry.errors import DomainError
from registry.settings import Settings
from registry.ui import errors as page_errors
from registry.ui.security import CsrfFailed, SecurityHeadersMiddleware, check_csrf

log = logging.getLogger("camreg")
API_PREFIX = "/api/v1"
STATIC_DIR = Path(__file__).parent / "static"
# Room for the multipart boundaries, headers and form fields around an upload of max_upload_bytes.
MULTIPART_ALLOWANCE = 64 * 1024


def _error(status: int, code: str, message: str, **extra: object) -> JSONResponse:
    return JSONResponse(status_code=status, content={"error": {"code": code, "message": message, **extra}})


def _install_error_handlers(app: FastAPI, settings: Settings) -> None:
    """One JSON error shape under /api/; a Chinese error page everywhere else."""

    @app.exception_handler(LoginRequired)
    async def login_required(request: Request, exc: LoginRequired) -> Response:
        return page_errors.login_redirect(request, exc.next_url)

    @app.exception_handler(CsrfFailed)
    async def csrf_failed(request: Request, _: CsrfFailed) -> Response:
        return page_errors.csrf_page(request)

    @app.exception_handler(PasswordChangeFirst)
    async def password_change_first(_: Request, exc: PasswordChangeFirst) -> Response:
        from registry.auth.pages import password_redirect

        return password_redirect(exc.next_url)

    @app.exception_handler(DomainError)
    async def domain_error(request: Request, exc: DomainError) -> Response:
        if page_errors.wants_page(request):
            return page_errors.domain_error_page(request, exc)
        return JSONResponse(status_code=exc.status_code, content=exc.to_dict(), headers=exc.headers)

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> Response:
        if page_errors.wants_page(request):
            # A page URL with a malformed id or parameter names nothing that exists.
            return page_errors.error_page(request, 404)
        problems = [{"field": "body" if e["type"] == "json_invalid" else
                     ".".join(str(p) for p in e["loc"][1:]) or str(e["loc"][0]), "message": e["msg"]}
                    for e in exc.errors()]
        first = problems[0] if problems else {"field": None, "message": "invalid request"}
        return _error(422, "invalid_input", f"{first['field']}: {first['message']}", field=first["field"],
                      details=problems)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        if page_errors.wants_page(request):
            return page_errors.error_page(request, exc.status_code)
        if exc.status_code == 400:
            # FastAPI's only 400: a body that is not JSON or not multipart. Wrong input is a 422, like the rest.
            return _error(422, "invalid_input", f"请求体无法解析 / the request body cannot be parsed: {exc.detail}",
                          field="body")
        if isinstance(exc, BodyTooLarge):
            return JSONResponse(too_large_body(settings.max_upload_bytes), status_code=413)
        code = {404: "not_found", 405: "method_not_allowed", 401: "unauthenticated"}.get(exc.status_code, "http_error")
        return _error(exc.status_code, code, str(exc.detail))

    @app.exception_handler(IntegrityError)
    async def integrity_error(request: Request, exc: IntegrityError) -> Response:
        log.warning("integrity error: %s", exc.orig)
        if page_errors.wants_page(request):
            return page_errors.error_page(request, 409, "与已有数据冲突，请刷新后重试。")
        return _error(409, "conflict", "与已有数据冲突，请刷新后重试 / conflicts with existing data; reload and retry")

    @app.exception_handler(DataError)
    async def data_error(request: Request, exc: DataError) -> Response:
        # The database refused a value the schemas let through (e.g. a NUL byte in text on PostgreSQL).
        log.warning("data error: %s", exc.orig)
        if page_errors.wants_page(request):
            return page_errors.error_page(request, 422, "数据库不接受填写的某个值（格式或范围不对），请检查后重试。")
        return _error(422, "invalid_input", "数据库不接受某个值（格式或范围不对）/ the database refused a value "
                      "(malformed or out of range)")

    @app.exception_handler(OperationalError)
    async def operational_error(request: Request, exc: OperationalError) -> Response:
        log.error("database error: %s", exc.orig)
        if page_errors.wants_page(request):
            return page_errors.error_page(request, 503, "数据库暂不可用，请稍后重试。")
        return _error(503, "database_unavailable", "数据库暂不可用，请稍后重试 / database unavailable; retry shortly")


def create_app(settings: Settings, engine: Engine | None = None) -> FastAPI:
    """The application for these settings (tests pass their own engine)."""
    from registry import models  # noqa: F401  (register every table)
    from registry.audit.views import router as audit_router
    from registry.auth.views import router as auth_router
    from registry.cameras.views import router as cameras_router
    from registry.checks.views import router as checks_router
    from registry.coverage.views import router as maps_router
    from registry.documents.views import router as documents_router
    from registry.exports.views import router as exports_router
    from registry.filings.views import materials_router
    from registry.filings.views import router as filings_router
    from registry.footage.views import router as footage_router
    from registry.imports.views import router as imports_router
    from registry.inspections.views import router as inspections_router
    from registry.operators.views import router as operators_router
    from registry.penalties.views import router as penalties_router
    from registry.scans.views import router as scans_router
    from registry.statistics.views import router as statistics_router
    from registry.ui import page_routers
    from registry.units.views import router as units_router

    # The documentation lists the API in the order of the work, whatever order the routes match in.
    tags = [{"name": name} for name in ("auth", "units", "operators", "filings", "documents", "cameras", "scans",
                                        "imports", "exports", "audit", "maps")]
    app = FastAPI(title="camera-registry 公共安全视频图像信息系统备案", version="0.1.0",
                  openapi_url=f"{API_PREFIX}/openapi.json", docs_url=None, redoc_url=None, openapi_tags=tags,
                  # One CSRF check for every route (no-op for safe methods and /api/): registry/ui/security.py.
                  dependencies=[Depends(check_csrf)])
    # Every request body, uploads included, is cut off at the cap as it streams in: a 500 MB upload costs
    # the server the cap, not 500 MB (and nothing at all when its Content-Length says so). Added before
    # the security headers, which then wrap its 413 too.
    app.add_middleware(BodyLimit, max_bytes=settings.max_upload_bytes + MULTIPART_ALLOWANCE,
                       error_limit=settings.max_upload_bytes)
    app.add_middleware(SecurityHeadersMiddleware)
    if settings.trusted_proxies:
        # The client address (audit, sign-in throttle) and scheme (Secure cookies) come from X-Forwarded-For
        # and -Proto only when the direct peer is one of these proxies; anyone else could write those headers.
        app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=settings.trusted_proxies)
    app.state.settings = settings
    app.state.engine = engine or make_engine(settings)
    app.state.reading_engine = reading_engine(app.state.engine)  # for routes marked read_only
    # Routes are matched in order: the busiest lookups first (a request tried ~25 routes before its own).
    for router in (cameras_router, filings_router, operators_router, auth_router, units_router, materials_router,
                   documents_router, scans_router, imports_router, exports_router, audit_router, penalties_router,
                   footage_router, inspections_router, checks_router, statistics_router):
        app.include_router(router, prefix=API_PREFIX)
    app.include_router(maps_router)
    docs_ui.install(app)  # /docs with Swagger UI from the package, not a CDN
    for router in page_routers():
        app.include_router(router)
    # Leaflet as vendored for the maps (maps/static/README.md): the operator's location picker uses it too.
    app.mount("/static/leaflet", StaticFiles(directory=MAPS_STATIC_DIR / "leaflet"), name="leaflet")
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    _install_error_handlers(app, settings)
    responses.install(app)
    return app
