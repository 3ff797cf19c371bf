"""Error answers for pages: a Chinese page (never JSON) for 404, 403, 409, CSRF and the rest."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from registry.errors import DomainError
from registry.ui.templating import render

API_PREFIX = "/api/"
HEADINGS = {
    400: "请求有误",
    401: "请先登录",
    403: "无权办理",
    404: "页面不存在",
    405: "不支持的操作",
    409: "当前状态不能办理",
    413: "文件过大",
    422: "填写有误",
    503: "系统暂时不可用",
}
MESSAGES = {
    404: "您要找的记录不存在，或不在本单位的管辖范围内。",
    403: "您的账户没有办理此项业务的权限。",
}


def wants_page(request: Request) -> bool:
    """Whether an error on this request is answered with a page (everything outside /api/)."""
    return not request.url.path.startswith(API_PREFIX)


def _chinese(message: str) -> str:
    """The Chinese half of a bilingual "中文 / English" message."""
    return message.split(" / ", 1)[0]


def error_page(request: Request, status: int, message: str | None = None, *, detail: str | None = None) -> HTMLResponse:
    """A full error page in the layout (the menu needs no database: the user is not looked up again)."""
    actor = getattr(request.state, "page_actor", None)
    back = request.headers.get("referer") if status in (403, 409, 422) else None
    return render(request, "errors/error.html", {
        "heading": HEADINGS.get(status, "出错了"), "status": status,
        "message": message or MESSAGES.get(status, "请求未能完成。"), "detail": detail,
        "back": back if back and back.startswith(str(request.base_url)) else None,
    }, actor=actor, status_code=status)


def domain_error_page(request: Request, exc: DomainError) -> HTMLResponse:
    """A service refusal as a page: scope misses are the generic 404, the rest say what went wrong."""
    if exc.status_code == 404:
        return error_page(request, 404)
    return error_page(request, exc.status_code, _chinese(exc.message))


def csrf_page(request: Request) -> HTMLResponse:
    """The form was not sent from one of our pages, or the page is older than the session."""
    return error_page(request, 403, "页面已过期或来源无法确认，操作未执行。请返回上一页，刷新后重新提交。",
                      detail="为防止跨站伪造请求，每个表单都带有与登录会话绑定的校验码；重新登录后，旧页面上的表单会失效。")


def login_redirect(request: Request, next_url: str) -> Response:
    """Send a browser without a session to sign in; htmx is told to load the login page as a whole."""
    from urllib.parse import quote

    target = f"/login?next={quote(next_url)}"
    if request.headers.get("hx-request") == "true":
        return Response(status_code=204, headers={"HX-Redirect": target})
    return RedirectResponse(target, status_code=303)
