"""Rendering a page: one Jinja2 environment, Chinese dates and deadlines, the layout's context, flash messages."""

from __future__ import annotations

import base64
import json
from datetime import date, datetime
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from sqlmodel import Session

from registry.actor import Actor
from registry.auth.models import Role
from registry.filings import models as filing_models
from registry.timeutil import BEIJING, as_utc, beijing_today
from registry.ui import deadlines, labels, menu
from registry.ui.security import CSRF_FIELD, CSRF_HEADER, PRESESSION_COOKIE, csrf_token
from registry.units.names import UnitNames
from registry.workdays import WorkCalendar

TEMPLATES_DIR = Path(__file__).resolve().parent.parent / "templates"
FLASH_COOKIE = "camreg_flash"
ROLE_NAMES = {Role.operator: "使用单位", Role.intake: "受理民警", Role.reviewer: "复核民警",
              Role.inspector: "检查民警", Role.supervisor: "监督管理", Role.admin: "系统管理员",
              Role.leader: "主管领导"}

templates = Jinja2Templates(directory=TEMPLATES_DIR)
env = templates.env
# The templates ship with the code and change only with it (a restart): without this, every template a
# page uses, and a list's row template once per row, was checked on disk for changes on every request.
env.auto_reload = False
env.trim_blocks = True
env.lstrip_blocks = True


def zh_date(value: date | datetime | None, *, with_time: bool = False) -> str:
    """2026年12月5日 (datetimes are shown in Beijing time; with_time adds 14:03).

    A naive datetime is a stored UTC time read back from SQLite (registry.timeutil.as_utc).
    """
    if value is None:
        return "—"
    if isinstance(value, datetime):
        local = as_utc(value).astimezone(BEIJING)
        text = f"{local.year}年{local.month}月{local.day}日"
        return f"{text} {local:%H:%M}" if with_time else text
    return f"{value.year}年{value.month}月{value.day}日"


def zh_number(value: int | float | None) -> str:
    """Numbers with thousands separators, as officers read them."""
    return "—" if value is None else f"{value:,}"


env.filters["zh_date"] = zh_date
env.filters["zh_datetime"] = lambda v: zh_date(v, with_time=True)
env.filters["zh_number"] = zh_number
env.globals["ROLE_NAMES"] = ROLE_NAMES
env.filters["label"] = labels.label
# The workflow's state groups (AWAITING_DECISION, EDITABLE_STATES, …) as defined beside FilingState.
env.globals["states"] = filing_models
env.filters["district"] = labels.district_name
env.globals["CSRF_FIELD"] = CSRF_FIELD
env.globals["deadline"] = deadlines.deadline
env.globals["decision_deadline"] = deadlines.decision_deadline


class PageCalendar:
    """The working-day calendar, loaded at most once per page and only if the page shows a deadline."""

    def __init__(self, session: Session) -> None:
        self._session = session
        self._calendar: WorkCalendar | None = None

    @property
    def calendar(self) -> WorkCalendar:
        """The registry's calendar (package years plus loaded year files)."""
        if self._calendar is None:
            from registry.calendars import current_calendar

            self._calendar = current_calendar(self._session)
        return self._calendar

    def left(self, deadline: date | None) -> int | None:
        """Working days from today to the deadline (negative once it has passed)."""
        return None if deadline is None else self.calendar.working_days_between(beijing_today(), deadline)

    def waited(self, since: date | datetime | None) -> int | None:
        """Working days waited since a day (or a moment, taken as its Beijing date)."""
        if since is None:
            return None
        start = since.astimezone(BEIJING).date() if isinstance(since, datetime) else since
        return self.calendar.working_days_between(start, beijing_today())


def set_flash(response: Response, message: str, kind: str = "ok") -> None:
    """A one-time message shown on the next page (after a redirect): kind is ok, warn or error."""
    payload = base64.urlsafe_b64encode(json.dumps({"m": message, "k": kind}).encode()).decode()
    response.set_cookie(FLASH_COOKIE, payload, httponly=True, samesite="strict", max_age=120)


def _take_flash(request: Request) -> dict[str, str] | None:
    raw = request.cookies.get(FLASH_COOKIE)
    if not raw:
        return None
    try:
        data = json.loads(base64.urlsafe_b64decode(raw.encode()))
        return {"message": str(data["m"]), "kind": str(data.get("k", "ok"))}
    except (ValueError, KeyError, TypeError):
        return None


def is_htmx(request: Request) -> bool:
    """An htmx request for a part of a page (a full page is sent for history restores and plain loads)."""
    return request.headers.get("hx-request") == "true" and request.headers.get("hx-history-restore-request") != "true"


def render(request: Request, name: str, context: dict[str, Any], *, actor: Actor | None = None,
           session: Session | None = None, status_code: int = 200) -> HTMLResponse:
    """A page (or htmx fragment) with the layout's context: user, menu, CSRF token, flash, calendar."""
    flash = _take_flash(request)
    units = UnitNames(session)
    full: dict[str, Any] = {
        "unit": units,
        "unit_name": units(actor.user.unit_code) if actor and actor.user.unit_code and session else None,
        "user": actor.user if actor else None,
        "menu": menu.for_user(actor.user, request.url.path) if actor else [],
        "csrf_token": csrf_token(request),
        "csrf_header": CSRF_HEADER,
        "flash": flash,
        "today": beijing_today(),
        "cal": PageCalendar(session) if session is not None else None,
        **context,
    }
    response = templates.TemplateResponse(request, name, full, status_code=status_code)
    new_presession = getattr(request.state, "new_presession", None)
    if new_presession:
        response.set_cookie(PRESESSION_COOKIE, new_presession, httponly=True, samesite="strict")
    if flash:
        response.delete_cookie(FLASH_COOKIE)
    response.headers["Vary"] = "HX-Request"
    response.headers["Cache-Control"] = "no-store"  # pages carry confidential filing data (第十一条)
    return response


def redirect(url: str, *, message: str | None = None, kind: str = "ok") -> RedirectResponse:
    """After a successful POST: 303 to the next page, with a flash message."""
    response = RedirectResponse(url, status_code=303)
    if message:
        set_flash(response, message, kind)
    return response
