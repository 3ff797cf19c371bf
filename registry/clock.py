"""The registry's idea of "now", injectable: tests (and a demo) set `app.state.clock` to a fixed time.

Rules that depend on the calendar date — supervision windows, due lists, overdue rectifications —
take `today` as an argument in their service functions; routes and pages get it from `get_today`.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Annotated

from fastapi import Depends, Request

from registry.timeutil import beijing_today, utcnow

Clock = Callable[[], datetime]


def clock_of(request: Request) -> Clock:
    """The app's clock: `app.state.clock` when set, the system clock otherwise."""
    clock: Clock | None = getattr(request.app.state, "clock", None)
    return clock or utcnow


async def get_today(request: Request) -> date:
    """Today's date in Beijing by the app's clock."""
    return beijing_today(clock_of(request)())


TodayDep = Annotated[date, Depends(get_today)]
