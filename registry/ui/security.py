"""Security for every answer: headers (CSP and friends) and the one CSRF check for cookie-signed writes.

CSRF: a page session is a bearer token kept in an HttpOnly cookie, so a form on another site could make
the browser send it. Every unsafe request (POST, PUT, PATCH, DELETE) outside /api/ must carry a token
derived from the browser's session: the form field `csrf_token` or the `X-CSRF-Token` header (htmx sends
it from the `hx-headers` of <body>). The check is a dependency of the whole application, so a page route
cannot be added without it. /api/ is exempt because it never reads the cookie (bearer tokens only, and
`registry.deps.get_page_actor` refuses to run there). The sign-in form, sent before there is a session,
is bound to a pre-session cookie in the same way (login CSRF).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
from collections.abc import Iterable

from fastapi import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

SESSION_COOKIE = "camreg_session"
PRESESSION_COOKIE = "camreg_presession"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_CSRF_KEY = b"camreg csrf v1"  # domain separation: the token is never the session token itself

# Our own pages: scripts and styles only from our origin, no inline code, nothing framed from elsewhere.
PAGE_CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
            "font-src 'self'; connect-src 'self'; object-src 'none'; frame-src 'self'; "
            "frame-ancestors 'none'; base-uri 'none'; form-action 'self'")
STATIC_HEADERS: tuple[tuple[bytes, bytes], ...] = (
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
    (b"cross-origin-opener-policy", b"same-origin"),
)
_INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>(.*?)</script>", re.S | re.I)


class CsrfFailed(Exception):
    """An unsafe cookie-authenticated request without a valid CSRF token."""


def _derive(secret: str) -> str:
    return hmac.new(_CSRF_KEY, secret.encode(), hashlib.sha256).hexdigest()


def csrf_token(request: Request) -> str:
    """The token a page embeds in its forms: bound to the session (or the pre-session before sign-in)."""
    secret = request.cookies.get(SESSION_COOKIE) or presession(request)
    return _derive(secret)


def presession(request: Request) -> str:
    """The pre-session secret of this browser, made on first use; the response must set it (see below)."""
    value = request.cookies.get(PRESESSION_COOKIE) or getattr(request.state, "new_presession", None)
    if value is None:
        value = secrets.token_urlsafe(32)
        request.state.new_presession = value
    return str(value)


API_PATH = "/api/"


def needs_csrf(request: Request) -> bool:
    """Whether this request must prove it came from one of our pages (every unsafe request outside /api/)."""
    return request.method in UNSAFE_METHODS and not request.url.path.startswith(API_PATH)


async def check_csrf(request: Request) -> None:
    """Application-wide dependency: refuse an unsafe cookie request whose token does not match its session."""
    if not needs_csrf(request):
        return
    secret = request.cookies.get(SESSION_COOKIE) or request.cookies.get(PRESESSION_COOKIE)
    sent = request.headers.get(CSRF_HEADER)
    if sent is None and request.headers.get("content-type", "").startswith(
            ("application/x-www-form-urlencoded", "multipart/form-data")):
        # Starlette caches the parsed form on the request: the route's own Form() parameters reuse it.
        form = await request.form()
        value = form.get(CSRF_FIELD)
        sent = value if isinstance(value, str) else None
    if not secret or not sent or not hmac.compare_digest(sent, _derive(secret)):
        raise CsrfFailed


def inline_script_csp(html: str, *, img_src: Iterable[str] = (), script_src: Iterable[str] = (),
                      style_src: Iterable[str] = ()) -> str:
    """A CSP for a generated page with inline scripts (folium maps, API docs): each allowed by its hash.

    Only the scripts in the page as rendered run; anything injected later, or a script tag with other
    contents, is refused by the browser. Such pages keep inline styles (Leaflet sets them everywhere).
    """
    hashes = sorted({"'sha256-" + base64.b64encode(hashlib.sha256(body.encode()).digest()).decode() + "'"
                     for body in _INLINE_SCRIPT.findall(html)})
    scripts = " ".join(["'self'", *hashes, *script_src])
    styles = " ".join(["'self'", "'unsafe-inline'", *style_src])
    images = " ".join(["'self'", "data:", "blob:", *img_src])
    return (f"default-src 'self'; script-src {scripts}; style-src {styles}; img-src {images}; "
            "font-src 'self' data:; connect-src 'self'; object-src 'none'; frame-ancestors 'none'; "
            "base-uri 'none'; form-action 'self'")


class SecurityHeadersMiddleware:
    """Adds the security headers to every HTTP answer; a route may send its own CSP or framing rule."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                headers.extend(h for h in STATIC_HEADERS if h[0] not in present)
                if b"content-security-policy" not in present:
                    headers.append((b"content-security-policy", PAGE_CSP.encode()))
                if b"x-frame-options" not in present:
                    headers.append((b"x-frame-options", b"DENY"))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, with_headers)
