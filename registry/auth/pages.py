"""Sign-in and sign-out pages: the session is a bearer token kept in an HttpOnly, SameSite=Strict cookie."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from registry.auth import service as auth_service
from registry.deps import SessionDep, SettingsDep
from registry.errors import Unauthenticated
from registry.ui.security import SESSION_COOKIE
from registry.ui.templating import render

router = APIRouter(include_in_schema=False)


def safe_next(next_url: str | None) -> str:
    """Only local paths: a crafted link must not bounce a signed-in officer to another site."""
    if not next_url or not next_url.startswith("/") or next_url.startswith("//") or "\\" in next_url:
        return "/"
    return next_url


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, next: str = "/") -> Response:
    """The sign-in form."""
    return render(request, "auth/login.html", {"next": safe_next(next), "error": None, "username": ""})


@router.post("/login", response_class=HTMLResponse)
async def login(request: Request, session: SessionDep, settings: SettingsDep) -> Response:
    """Check the password, set the session cookie, go where the user was heading."""
    form = await request.form()
    username, password = str(form.get("username", "")), str(form.get("password", ""))
    next_url = safe_next(str(form.get("next", "/")))
    try:
        user = auth_service.authenticate(session, username=username, password=password)
    except Unauthenticated as exc:
        return render(request, "auth/login.html", {"next": next_url, "error": exc.message.split(" / ")[0],
                                                   "username": username}, status_code=401)
    token, _ = auth_service.issue_token(session, user=user, ttl_hours=settings.token_ttl_hours)
    response = RedirectResponse(next_url, status_code=303)
    response.set_cookie(SESSION_COOKIE, token, httponly=True, samesite="strict",
                        max_age=settings.token_ttl_hours * 3600)
    return response


@router.post("/logout")
def logout(request: Request, session: SessionDep) -> Response:
    """End the session (the token is revoked, not just forgotten by the browser)."""
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        auth_service.revoke_token(session, token=token)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE)
    return response
