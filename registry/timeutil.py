"""Clock helpers: the registry stores UTC and counts deadlines in Beijing dates."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, timezone
from typing import Annotated

from pydantic import AfterValidator

BEIJING = timezone(timedelta(hours=8), "Asia/Shanghai")


def utcnow() -> datetime:
    """The current time, timezone-aware, in UTC."""
    return datetime.now(UTC)


def beijing_today(now: datetime | None = None) -> date:
    """The calendar date in Beijing, which is what working-day deadlines count from."""
    return (now or utcnow()).astimezone(BEIJING).date()


def beijing_midnight_utc(day: date) -> datetime:
    """00:00 Beijing time on `day`, as a UTC instant (where a Beijing date begins, for timestamp bounds)."""
    return datetime.combine(day, time(0), BEIJING).astimezone(UTC)


def as_utc(value: datetime) -> datetime:
    """Treat naive datetimes read back from SQLite as UTC."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


# API schemas use this so every timestamp leaves the service with its UTC offset, whatever the backend kept.
UTCDateTime = Annotated[datetime, AfterValidator(as_utc)]
