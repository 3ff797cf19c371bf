"""The first page after sign-in: where each role's work starts, and the coverage maps."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from registry.auth.models import Role
from registry.deps import PageActor, SessionDep
from registry.routing import jurisdictions
from registry.ui.templating import render

router = APIRouter(include_in_schema=False)


@router.get("/", response_class=HTMLResponse)
def home(request: Request, session: SessionDep, actor: PageActor) -> Response:
    """Links to the day's work by role, and the maps of the districts (officers)."""
    districts = []
    if actor.user.role != Role.operator:
        districts = list(jurisdictions().districts[["district_code", "name"]].itertuples(index=False))
    return render(request, "home/home.html", {"districts": districts}, actor=actor, session=session)
