"""Every request body is cut off at the upload cap while it streams in, with a 413 in the API's error shape.

Without this, an upload is spooled to the end (500 MB) before the route sees it and answers 413.
Starlette's own RequestBodyLimitMiddleware does the counting too, but answers in plain text and replaces
whatever response the app sends; this one raises a 413 HTTPException the app's handlers turn into the
one error shape (registry/app.py), and refuses a too-long Content-Length before reading a byte.
"""

from __future__ import annotations

from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send


def too_large_body(limit: int) -> dict[str, object]:
    """The 413 error body, naming the setting to change."""
    message = (f"请求体超过上限 {limit // 2**20} MB / the request body exceeds the {limit} byte limit "
               "(CAMREG_MAX_UPLOAD_BYTES)")
    return {"error": {"code": "too_large", "field": "file", "message": message}}


class BodyTooLarge(HTTPException):
    """Raised from `receive` when the body passes the cap; FastAPI lets HTTPExceptions through body parsing."""

    def __init__(self) -> None:
        super().__init__(status_code=413, detail="request body too large")


class BodyLimit:
    """ASGI middleware: at most `max_bytes` of any HTTP request body are ever read."""

    def __init__(self, app: ASGIApp, max_bytes: int, error_limit: int) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.error_limit = error_limit  # the configured cap, as the message names it

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        length = Headers(scope=scope).get("content-length", "")
        if length.isdigit() and int(length) > self.max_bytes:
            await JSONResponse(too_large_body(self.error_limit), status_code=413)(scope, receive, send)
            return
        seen = 0

        async def limited() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    raise BodyTooLarge
            return message

        await self.app(scope, limited, send)
