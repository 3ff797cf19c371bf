"""The police decision clock (第九条): 15 working days from acceptance, suspended while the operator corrects.

The filing unit decides within 15 working days counted from the day after acceptance. When it issues the
correction notice (补正材料通知单) the clock stops: the operator has 10 working days to correct, and that time
is the operator's, not the police's. When the correction is recorded the clock runs again with the working
days that were left on the notice day, counted from the day after the correction:

    new deadline = correction day + (15 − working days in (acceptance day, notice day])

A filing waiting for the operator (``correction_requested``) is therefore never 办理超期, and a filing
whose notice came after its deadline resumes with none left (due on the correction day itself).

Two words, never mixed: 逾期备案 is the operator's late filing (more than 30 days after 竣工验收合格 or going
into use); 办理超期 is the filing unit past its decision deadline.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import ColumnElement
from sqlmodel import Session, col, select

from registry.calendars import current_calendar
from registry.filings.models import CLOCK_RUNNING, CorrectionNotice, Filing, FilingState
from registry.timeutil import beijing_today
from registry.workdays import WorkCalendar, WorkdayResult

DECISION_DAYS = 15  # 第九条: complete materials, decided within 15 working days
CORRECTION_DAYS = 10  # 第九条: an incomplete filing is corrected within 10 working days
LATE_LABEL = "逾期备案"  # the operator filed late (第七条; 799号令 第十四条)
OVERDUE_LABEL = "办理超期"  # the filing unit is past its decision deadline (第九条)
SUSPENDED_LABEL = "计时暂停（待补正）"  # the police clock while the operator corrects


def decision_deadline(calendar: WorkCalendar, *, accepted: date, notice_issued: date | None = None,
                      corrected: date | None = None) -> WorkdayResult:
    """The decision deadline: 15 working days after acceptance, moved by a suspension from notice to correction."""
    first = calendar.add_working_days(accepted, DECISION_DAYS)
    if notice_issued is None or corrected is None:
        return first
    used = max(0, calendar.working_days_between(accepted, notice_issued))
    left = max(0, DECISION_DAYS - used)
    resumed = calendar.add_working_days(corrected, left)
    uncovered = sorted(set(resumed.uncovered_years) | set(calendar.uncovered_years_between(accepted, notice_issued)))
    return WorkdayResult(resumed.date, bool(uncovered), uncovered, calendar.calendar_version)


def days_left_at_notice(calendar: WorkCalendar, *, accepted: date, notice_issued: date) -> int:
    """Working days the filing unit still had when it issued the correction notice (0 when already past)."""
    return max(0, DECISION_DAYS - max(0, calendar.working_days_between(accepted, notice_issued)))


def recompute(calendar: WorkCalendar, filing: Filing, notice: CorrectionNotice | None) -> WorkdayResult:
    """A filing's decision deadline from its own dates (acceptance, notice, correction) with `calendar`."""
    assert filing.accepted_at is not None
    corrected = notice.corrected_at if notice is not None else None
    return decision_deadline(calendar, accepted=beijing_today(filing.accepted_at),
                             notice_issued=beijing_today(notice.issued_at) if notice is not None else None,
                             corrected=beijing_today(corrected) if corrected is not None else None)


def resume(session: Session, *, filing: Filing, notice: CorrectionNotice) -> tuple[date | None, WorkdayResult]:
    """Restart the clock when the correction is recorded: store and return (old deadline, new deadline)."""
    old = filing.deadline
    result = recompute(current_calendar(session), filing, notice)
    filing.deadline, filing.deadline_provisional = result.date, result.provisional
    filing.deadline_calendar_version = result.calendar_version
    return old, result


def notice_of(session: Session, filing_id: int | None) -> CorrectionNotice | None:
    """The filing's correction notice, if one was issued."""
    return session.exec(select(CorrectionNotice).where(CorrectionNotice.filing_id == filing_id)).first()


def overdue_clause(today: date) -> ColumnElement[bool]:
    """办理超期 on `today`: the clock runs (not waiting for the operator) and the deadline has passed."""
    return col(Filing.state).in_(CLOCK_RUNNING) & (col(Filing.deadline) < today)


def is_overdue(filing: Filing, today: date | None = None) -> bool:
    """Whether the filing unit is past the decision deadline (never while the operator corrects)."""
    return (filing.state in CLOCK_RUNNING and filing.deadline is not None
            and filing.deadline < (today or beijing_today()))


def is_suspended(filing: Filing) -> bool:
    """Whether the police clock is stopped, waiting for the operator's correction."""
    return filing.state == FilingState.correction_requested
