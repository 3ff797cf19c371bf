"""The first page after sign-in: the person's to-do list, where each role's work starts, and the coverage maps."""

from __future__ import annotations

from dataclasses import replace
from urllib.parse import urlsplit

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from starlette.routing import Match

from registry.auth.models import Role
from registry.clock import TodayDep
from registry.deps import PageActor, SessionDep, read_only
from registry.routing import jurisdictions
from registry.ui.templating import render
from registry.ui.todo import TodoItem, todo_list

router = APIRouter(include_in_schema=False)


def page_exists(request: Request, url: str) -> bool:
    """Whether the app serves a page (GET) at this URL: an item links only to a page that is there."""
    scope = {"type": "http", "method": "GET", "path": urlsplit(url).path, "root_path": ""}
    return any(route.matches(scope)[0] == Match.FULL for route in request.app.router.routes)


def _linked(request: Request, item: TodoItem) -> TodoItem:
    """The item with its links kept only where the page exists (the text stays either way)."""
    def keep(url: str | None) -> str | None:
        return url if url and page_exists(request, url) else None

    return replace(item, url=keep(item.url), entries=[replace(e, url=keep(e.url)) for e in item.entries])


@router.get("/", response_class=HTMLResponse)
@read_only
def home(request: Request, session: SessionDep, actor: PageActor, today: TodayDep) -> Response:
    """The day's to-do list (counts linking to their lists), links to the work by role, the district maps."""
    districts = []
    if actor.user.role != Role.operator:
        districts = list(jurisdictions().districts[["district_code", "name"]].itertuples(index=False))
    todo = [_linked(request, item) for item in todo_list(session, actor.user, today)]
    return render(request, "home/home.html", {"districts": districts, "todo": todo}, actor=actor, session=session)
