"""Administrator-loaded year calendars, and recomputing provisional deadlines when one arrives."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Column, DateTime, Text
from sqlmodel import Field, Session, SQLModel, col, select

from registry.actor import Actor
from registry.timeutil import beijing_today, utcnow
from registry.workdays import CalendarFileError, WorkCalendar, YearCalendar, parse_calendar_text


class CalendarYear(SQLModel, table=True):
    """One loaded year file, kept verbatim so the calendar can be rebuilt and audited."""

    __tablename__ = "calendar_year"

    year: int = Field(primary_key=True)
    text: str = Field(sa_column=Column(Text, nullable=False))
    digest: str = Field(max_length=64)
    official: bool
    source: str = Field(max_length=300)
    loaded_at: datetime = Field(default_factory=utcnow, sa_column=Column(DateTime(timezone=True)))


# Calendars built from the stored years, by their (year, digest)s: parsing every year's file for each page that
# shows a deadline was a tenth of a queue's time. A handful at most (one per set of loaded years).
_built: dict[tuple[tuple[int, str], ...], WorkCalendar] = {}
_built_lock = threading.Lock()


def current_calendar(session: Session) -> WorkCalendar:
    """The package's official years plus every year file loaded into this registry."""
    versions = tuple((int(y), str(d)) for y, d in session.execute(
        select(col(CalendarYear.year), col(CalendarYear.digest)).order_by(col(CalendarYear.year))).all())
    with _built_lock:
        kept = _built.get(versions)
    if kept is not None:
        return kept
    rows = session.exec(select(CalendarYear).order_by(col(CalendarYear.year))).all()
    calendar = WorkCalendar([parse_calendar_text(row.text, path=f"calendar_year {row.year}") for row in rows])
    with _built_lock:
        if len(_built) > 8:
            _built.clear()
        # Keyed by what was parsed (a year may have been loaded between the two reads).
        _built[tuple((row.year, row.digest) for row in rows)] = calendar
    return calendar


@dataclass
class LoadReport:
    """What loading a calendar year changed."""

    year: int
    official: bool
    filings_recomputed: int
    notices_recomputed: int
    still_provisional: int


def load_year(session: Session, *, text: str, path: str = "<upload>", actor: Actor | None = None) -> LoadReport:
    """Store a year file (replacing that year's) and recompute every provisional deadline with it (audited)."""
    from registry.audit import service as audit
    from registry.filings import clock
    from registry.filings.models import CorrectionNotice, Filing

    parsed: YearCalendar = parse_calendar_text(text, path=path)
    row = session.get(CalendarYear, parsed.year) or CalendarYear(year=parsed.year, text="", digest="",
                                                                 official=False, source="")
    row.text, row.digest, row.official, row.source, row.loaded_at = (
        text, parsed.digest, parsed.official, parsed.source[:300], utcnow())
    session.add(row)
    session.flush()
    calendar = current_calendar(session)
    filings = session.exec(select(Filing).where(Filing.deadline_provisional == True)).all()  # noqa: E712
    still = 0
    for filing in filings:
        # From the filing's own dates, so a deadline moved by a correction (suspended clock) stays moved.
        result = clock.recompute(calendar, filing, clock.notice_of(session, filing.id))
        filing.deadline, filing.deadline_provisional = result.date, result.provisional
        filing.deadline_calendar_version = calendar.calendar_version
        still += result.provisional
        session.add(filing)
    notices = session.exec(select(CorrectionNotice).where(CorrectionNotice.due_provisional == True)).all()  # noqa: E712
    for notice in notices:
        result = calendar.add_working_days(beijing_today(notice.issued_at), 10)
        notice.due_date, notice.due_provisional = result.date, result.provisional
        notice.due_calendar_version = calendar.calendar_version
        still += result.provisional
        session.add(notice)
    session.flush()
    report = LoadReport(parsed.year, parsed.official, len(filings), len(notices), still)
    audit.append(session, actor=actor, action="calendar.load", object_type="calendar_year", object_id=parsed.year,
                 details={"digest": parsed.digest, "official": parsed.official, "source": parsed.source[:300],
                          "filings_recomputed": report.filings_recomputed,
                          "notices_recomputed": report.notices_recomputed, "still_provisional": still})
    return report


__all__ = ["CalendarFileError", "CalendarYear", "LoadReport", "current_calendar", "load_year"]
