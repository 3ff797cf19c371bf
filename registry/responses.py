"""The error answers a route declares in the OpenAPI, all in the one error shape (`ErrorResponse`).

Every API route declares each error status it can return, so clients (and the schemathesis run in
tests/registry/test_api_fuzz.py, which fails on any undeclared status) know what to expect. The pattern:

* a router declares what all its routes can answer — ``APIRouter(prefix="/things",
  responses=errors(401, 422))``: 401 for the bearer token, 422 for malformed parameters; ``errors``
  always adds 503 (the database is unreachable, see registry/app.py);
* a route that answers a file says which kinds — ``responses=files("text/csv") | errors(404)``;
* a route adds its own — ``@router.post("/{thing_id}/close", responses=errors(403, 404, 409))``:
  403 when a role or unit may not act, 404 for an object the user cannot see, 409 for a state that
  does not allow the action, 413 for an upload over its cap.

Declare what the route's service functions can raise (the domain exceptions of registry/errors.py
carry their status). Errors are JSON even on routes that answer CSV, HTML, xlsx or PDF: `install`
corrects the OpenAPI, where FastAPI files them under the route's own media type. Pages
(``include_in_schema=False``) are not in the OpenAPI and declare nothing.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from pydantic import BaseModel, Field

DESCRIPTIONS: dict[int, str] = {
    400: "请求有误 / bad request",
    401: "未登录或令牌无效 / no valid bearer token",
    403: "无权执行此操作 / the user may not do this",
    404: "对象不存在或无权查看 / not found, or not visible to the user",
    409: "与对象当前状态冲突 / conflicts with the object's current state",
    413: "上传内容超过上限 / the upload exceeds its size or count limit",
    422: "字段值无效（field 指明哪个字段）/ a field has a wrong value (named in `field`)",
    429: "登录失败次数过多：稍后再试，或账户/地址已临时锁定（见 Retry-After）/ too many failed sign-ins: wait, "
         "or the account or address is locked for a while (Retry-After)",
    503: "数据库暂不可用 / the database is unavailable; retry shortly",
}


class ErrorBody(BaseModel):
    """A machine code, a bilingual message "中文 / English", the field at fault, and details when there are."""

    code: str = Field(description="machine-readable code, e.g. not_found, invalid_input, conflict")
    message: str = Field(description="中文 / English")
    field: str | None = Field(default=None, description="the input field at fault")
    details: Any = Field(default=None, description="more about the error (e.g. every invalid field)")


class ErrorResponse(BaseModel):
    """The one JSON shape of every error answer of the API."""

    error: ErrorBody


def errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses` declaring these error statuses (and 503) with the error shape."""
    unknown = [s for s in statuses if s not in DESCRIPTIONS]
    if unknown:
        raise ValueError(f"no description for status {unknown}: add it to registry.responses.DESCRIPTIONS")
    return {status: {"model": ErrorResponse, "description": DESCRIPTIONS[status]}
            for status in sorted({*statuses, 503})}


def files(*media_types: str, description: str = "the file") -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses` for a 200 that is a file of one of these media types (CSV, xlsx, PDF, images)."""
    return {200: {"description": description, "content": {m: {"schema": {"type": "string", "format": "binary"}}
                                                          for m in {t.split(";")[0] for t in media_types}}}}


ERROR_REF = "#/components/schemas/ErrorResponse"


def _json_errors(openapi: dict[str, Any]) -> dict[str, Any]:
    """Move error schemas that FastAPI filed under a route's media type (text/csv, …) to application/json."""
    for path in openapi.get("paths", {}).values():
        for operation in path.values():
            for status, response in operation.get("responses", {}).items():
                content = response.get("content", {})
                if not status.isdigit() or int(status) < 400:
                    continue
                for media_type in [m for m, c in content.items() if m != "application/json"
                                   and c.get("schema", {}).get("$ref") == ERROR_REF]:
                    content["application/json"] = content.pop(media_type)
    return openapi


def install(app: FastAPI) -> None:
    """Serve the app's OpenAPI with every error answer as application/json in the error shape."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = _json_errors(build())
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
