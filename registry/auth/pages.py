"""Sign-in and sign-out pages: the session is a bearer token kept in an HttpOnly, SameSite=Strict cookie."""

from __future__ import annotations

from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from registry.auth import accounts
from registry.auth import service as auth_service
from registry.deps import PageActorBeforePasswordChange, SessionDep, SettingsDep, client_addr
from registry.errors import DomainError, InvalidInput
from registry.settings import Settings
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
        user = auth_service.sign_in(session, username=username, password=password, client_addr=client_addr(request),
                                    settings=settings)
    except DomainError as exc:  # wrong password (401), wait or locked (429): say so in Chinese on the form
        page = render(request, "auth/login.html", {"next": next_url, "error": exc.message.split(" / ")[0],
                                                   "username": username}, status_code=exc.status_code)
        page.headers.update(exc.headers or {})
        return page
    token, _ = auth_service.issue_token(session, user=user, ttl_hours=settings.token_ttl_hours)
    if user.must_change_password:
        next_url = f"/account/password?next={quote(next_url)}"
    response = RedirectResponse(next_url, status_code=303)
    _set_session(response, request, settings, token)
    return response


def _set_session(response: Response, request: Request, settings: Settings, token: str) -> None:
    # Secure when configured so, or (unset) when the request came over HTTPS, directly or via a trusted proxy.
    secure = settings.cookie_secure if settings.cookie_secure is not None else request.url.scheme == "https"
    response.set_cookie(SESSION_COOKIE, token, httponly=True, samesite="strict", secure=secure,
                        max_age=settings.token_ttl_hours * 3600)


@router.get("/account/password", response_class=HTMLResponse)
def password_page(request: Request, settings: SettingsDep, actor: PageActorBeforePasswordChange,
                  next: str = "/") -> Response:
    """The form to change one's own password (required first when an administrator set it)."""
    return render(request, "auth/password.html", {"next": safe_next(next), "error": None, "field": None,
                                                  "min_length": settings.password_min_length}, actor=actor)


@router.post("/account/password", response_class=HTMLResponse)
async def change_password(request: Request, session: SessionDep, settings: SettingsDep,
                          actor: PageActorBeforePasswordChange) -> Response:
    """Change the password; every other session ends and this browser gets a new one."""
    form = await request.form()
    current, new, again = (str(form.get(k, ""))[:200] for k in ("current_password", "new_password",
                                                                "new_password_again"))
    next_url = safe_next(str(form.get("next", "/")))
    try:
        if new != again:
            raise InvalidInput("两次输入的新密码不一致 / the new passwords differ", field="new_password_again")
        user = accounts.change_password(session, actor=actor, current_password=current, new_password=new,
                                        settings=settings)
    except DomainError as exc:
        page = render(request, "auth/password.html", {
            "next": next_url, "error": exc.message.split(" / ")[0], "field": exc.field,
            "min_length": settings.password_min_length}, actor=actor, status_code=exc.status_code)
        page.headers.update(exc.headers or {})
        return page
    token, _ = auth_service.issue_token(session, user=user, ttl_hours=settings.token_ttl_hours)
    response = RedirectResponse(next_url, status_code=303)
    _set_session(response, request, settings, token)
    return response


def password_redirect(next_url: str) -> RedirectResponse:
    """Send a user who must change the password an administrator set to the password page."""
    return RedirectResponse(f"/account/password?next={quote(next_url)}", status_code=303)


@router.post("/logout")
def logout(request: Request, session: SessionDep) -> Response:
    """End the session (the token is revoked, not just forgotten by the browser)."""
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        auth_service.revoke_token(session, token=token)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE)
    return response
