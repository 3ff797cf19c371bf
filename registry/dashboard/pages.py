"""The supervisor's dashboard page (/dashboard): every figure links to the list that holds its rows."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from sqlmodel import Session

from registry.auth.models import User
from registry.auth.scope import require_role
from registry.clock import TodayDep
from registry.dashboard import cache, service
from registry.deps import PageActor, SessionDep, read_only
from registry.inspections.periods import HalfYear
from registry.ui.menu import OFFICERS
from registry.ui.templating import render

router = APIRouter(include_in_schema=False)
_DISTRICT = re.compile(r"^\d{6}$")


class Links:
    """The list URLs behind one dashboard row (its district, and station if any)."""

    def __init__(self, level: str, district_code: str | None, key: str | None, half: str = "") -> None:
        self.half = half
        self.area: dict[str, str] = {}
        if level == "district" and key:
            self.area = {"district_code": key}
        elif level == "station":
            self.area = {"district_code": district_code or ""}
            if key:
                self.area["station_id"] = key

    def _url(self, path: str, **extra: str) -> str:
        query = urlencode({**self.area, **extra})
        return f"{path}?{query}" if query else path

    def operators(self, **extra: str) -> str:
        """The operator list of this area (with extra filters, e.g. overdue=true)."""
        return self._url("/operators", **extra)

    def cameras(self) -> str:
        """The camera list of this area: the cameras in use."""
        return self._url("/cameras", status="active")

    def filings(self, **extra: str) -> str:
        """The filing list of this area (with extra filters: state, overdue, late)."""
        return self._url("/filings", **extra)

    def due(self, status: str = "") -> str:
        """The due list of this area for the dashboard's half-year (with a status: done, overdue …)."""
        extra = {"half": self.half, **({"status": status} if status else {})}
        return self._url("/inspections/due", **extra)


def _links(dashboard: service.Dashboard, key: str | None, total: bool = False) -> Links | None:
    half = str(dashboard.half)
    if total:
        links = Links("total", None, None, half)
        if dashboard.district_code:
            links.area = {"district_code": dashboard.district_code}
        return links
    if key is None:
        return None  # operators routed to no district or station: no list filter can name them
    return Links(dashboard.level, dashboard.district_code, key, half)


@router.get("/dashboard", response_class=HTMLResponse)
@read_only
def dashboard(request: Request, session: SessionDep, actor: PageActor, today: TodayDep) -> Response:
    """Figures per district (the city) or per station (a district), scoped to what the user may see: the
    filings and cameras, and each area's completion of the half-year's inspections (section 一)."""
    require_role(actor.user, *OFFICERS)
    district = request.query_params.get("district")
    if district is not None and not _DISTRICT.match(district):
        district = None
    if district is None and "district" not in request.query_params:
        district = service.home_district(session, actor.user)
    current = HalfYear.of(today)
    halves = [current, current.previous(), current.previous().previous()]
    half = next((h for h in halves if str(h) == request.query_params.get("half")), current)
    # The city's figures count a million cameras: kept a short while when slow (registry/dashboard/cache.py).
    user_id = actor.user.id

    def count(own: Session) -> service.Dashboard:
        # A recount behind the page (refresh-ahead) has a session of its own: the user is read again there.
        return service.figures(own, user=own.get(User, user_id) or actor.user, today=today, district_code=district,
                               half=half)

    counted = cache.counted(session, ("dashboard", actor.user.unit_code, district, str(half), today), count,
                            refresh_ahead=True, after_changes=True)
    data: service.Dashboard = counted.value
    context: dict[str, Any] = {
        "counted_at": counted.counted_at, "counted_kept": counted.kept, "recounting": counted.recounting,
        "title": "统计概览", "dash": data, "shown_states": service.SHOWN_STATES, "links": lambda key: _links(data, key),
        "total_links": _links(data, None, total=True), "today": today,
        "halves": halves, "area_query": f"district={district}" if district else "district="}
    return render(request, "dashboard/dashboard.html", context, actor=actor, session=session)
