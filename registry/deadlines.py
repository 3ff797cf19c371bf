"""Working-day deadlines with the calendar they were computed from (SPEC §5)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlmodel import Session

from registry.calendars import current_calendar


@dataclass(frozen=True)
class Deadline:
    """A due date, whether it is provisional, and the calendar version behind it."""

    date: date
    provisional: bool
    calendar_version: str


def working_days_after(session: Session, start: date, days: int) -> Deadline:
    """The N-th Chinese working day after `start`, provisional where a year has no calendar."""
    calendar = current_calendar(session)
    result = calendar.add_working_days(start, days)
    return Deadline(result.date, result.provisional, calendar.calendar_version)
