"""The signed-in pages: login, a home page for each role, and links to the maps."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from registry.auth import service as auth_service
from registry.deps import SESSION_COOKIE, PageActor, SessionDep, SettingsDep
from registry.errors import Unauthenticated
from registry.routing import jurisdictions

templates = Jinja2Templates(directory=Path(__file__).parent / "templates")
router = APIRouter(include_in_schema=False)


def _safe_next(next_url: str) -> str:
    # Only local paths: a crafted link must not bounce a signed-in officer to another site.
    return next_url if next_url.startswith("/") and not next_url.startswith("//") else "/"


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, next: str = "/") -> Response:
    """The sign-in form."""
    return templates.TemplateResponse(request, "login.html", {"next": _safe_next(next), "error": None})


@router.post("/login")
def login(request: Request, session: SessionDep, settings: SettingsDep, username: Annotated[str, Form()],
          password: Annotated[str, Form()], next: Annotated[str, Form()] = "/") -> Response:
    """Check the password, set an HttpOnly session cookie, go where the user was heading."""
    try:
        user = auth_service.authenticate(session, username=username, password=password)
    except Unauthenticated as exc:
        return templates.TemplateResponse(request, "login.html", {"next": _safe_next(next), "error": exc.message},
                                          status_code=401)
    token, _ = auth_service.issue_token(session, user=user, ttl_hours=settings.token_ttl_hours)
    response = RedirectResponse(_safe_next(next), status_code=303)
    response.set_cookie(SESSION_COOKIE, token, httponly=True, samesite="strict",
                        max_age=settings.token_ttl_hours * 3600)
    return response


@router.post("/logout")
def logout(request: Request, session: SessionDep) -> Response:
    """End the session."""
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        auth_service.revoke_token(session, token=token)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE)
    return response


@router.get("/", response_class=HTMLResponse)
def home(request: Request, actor: PageActor) -> Response:
    """Where to go next: the maps of the districts, the API documentation."""
    districts = jurisdictions().districts[["district_code", "name"]].itertuples(index=False)
    return templates.TemplateResponse(request, "home.html", {"user": actor.user, "districts": list(districts)})


def login_redirect(next_url: str) -> RedirectResponse:
    """Send a browser without a session to the login page, remembering where it was going."""
    return RedirectResponse(f"/login?next={quote(next_url)}", status_code=303)
