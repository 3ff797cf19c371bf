"""The home page's to-do list: what each person has to do, counted with one grouped query per item.

Per role (issue 11 part 8): filing decisions due within 3 working days and the 核对 waiting at the
verifying unit; corrections due (the operator's own notices with their limit, the desk's filings waiting
for the operator); inspections due this half-year; open rectifications; penalty proposals waiting for the
leader's approval; the supervision windows open today. Every count is scoped by registry.auth.scope, so
another unit's work never shows, and each item links to the list that shows exactly those rows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import case, func, or_
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from registry.auth.models import Role, User
from registry.auth.scope import CITY_UNIT, clause_for, operator_clause
from registry.deadlines import working_days_after
from registry.filings import handover
from registry.filings.models import CLOCK_RUNNING, CorrectionNotice, Filing, FilingState, state_in
from registry.filings.verification import awaiting_clause
from registry.inspections import periods
from registry.inspections.models import (
    RECORDED,
    Inspection,
    Rectification,
    RectificationState,
    SpotCheckDraw,
    SpotCheckFinding,
)
from registry.inspections.rectification import unit_clause
from registry.inspections.service import INSPECT_ROLES
from registry.operators.models import Operator
from registry.penalties.service import awaiting_approval
from registry.timeutil import BEIJING
from registry.units.models import PoliceUnit

#: Decisions due within this many working days are on the desk's list (overdue ones included).
DECISION_HORIZON = 3
DESK_ROLES = (Role.intake, Role.reviewer)
VERIFY_ROLES = (Role.inspector, Role.intake, Role.reviewer)
RECTIFICATION_ROLES = (*INSPECT_ROLES, Role.leader)
# Who acts in each supervision window: the unit's 科信 reviews (service.review), the city draws spot checks.
WINDOW_ROLES = {"review": (Role.reviewer, Role.supervisor), "spot_check": (Role.supervisor, Role.admin)}

# The pages each item opens (the inspection pages are another part of issue 11: home.py links only the
# ones that exist, so an item is never a dead link).
INSPECTIONS_DUE_URL = "/inspections/due"
RECTIFICATIONS_URL = "/rectifications"
REVIEW_URL = "/inspections/review"
SPOT_CHECK_URL = "/spot-checks"
OWN_INSPECTIONS_URL = "/apply/inspections"


@dataclass(frozen=True)
class Entry:
    """One line under an item (a case or a notice), with its own link."""

    text: str
    url: str | None


@dataclass(frozen=True)
class TodoItem:
    """One line of the to-do list: what, how many, where to do it."""

    key: str
    label: str
    count: int
    url: str | None
    detail: str = ""
    urgent: bool = False
    entries: list[Entry] = field(default_factory=list)


def _count(session: Session, query: Any) -> int:
    return int(session.execute(query).scalar_one() or 0)


def decisions_due(session: Session, user: User, today: date, horizon: date) -> TodoItem:
    """The filing unit's accepted (or corrected) filings whose decision deadline is by `horizon` (3 working days)."""
    query = (sa_select(func.count(), func.coalesce(func.sum(case((col(Filing.deadline) < today, 1), else_=0)), 0))
             .select_from(Filing).where(clause_for(Filing, user))
             .where(col(Filing.filing_unit_code) == (user.unit_code or "-"))
             .where(state_in(CLOCK_RUNNING)).where(col(Filing.deadline) <= horizon))
    total, late = session.execute(query).one()
    detail = f"办结期限在 {horizon:%Y-%m-%d} 之前" + (f"，其中 {late} 件已办理超期" if late else "")
    return TodoItem("decisions_due", f"{DECISION_HORIZON} 个工作日内到期的备案审查", int(total),
                    f"/desk?stage=review&due_by={horizon.isoformat()}", detail, urgent=bool(late))


def to_accept(session: Session, user: User) -> TodoItem:
    """Filings submitted to the unit and not yet accepted (受理审查)."""
    query = (sa_select(func.count()).select_from(Filing).where(clause_for(Filing, user))
             .where(col(Filing.filing_unit_code) == (user.unit_code or "-"))
             .where(state_in((FilingState.submitted,))))
    handed = len(handover.handed_in(session, user.unit_code))
    detail = f"其中 {handed} 件由其他单位移交（使用单位变更位置等）" if handed else ""
    return TodoItem("to_accept", "待受理的备案申请", _count(session, query), "/desk?stage=intake", detail)


def verifications_waiting(session: Session, user: User, horizon: date) -> TodoItem:
    """Filings whose 核对 this unit owes (it verifies the operator); how many are due by `horizon` (3 working days)."""
    # The operators the unit verifies, looked up once: the filings awaiting 核对 then come from their partial
    # index alone (joining each filing's operator took 20 ms for a branch at 100,000 filings).
    verified = sa_select(col(Operator.id)).where(col(Operator.verifying_unit_code) == (user.unit_code or "-"))
    query = (sa_select(func.count(), func.coalesce(func.sum(case((col(Filing.deadline) <= horizon, 1), else_=0)), 0))
             .select_from(Filing).where(clause_for(Filing, user)).where(awaiting_clause(True))
             .where(col(Filing.operator_id).in_(verified)))
    total, soon = session.execute(query).one()
    detail = f"其中 {soon} 件的办结期限在 {DECISION_HORIZON} 个工作日内" if soon else ""
    return TodoItem("verifications", "待核对（本单位核对的备案）", int(total), "/verifications", detail,
                    urgent=bool(soon))


def corrections_waiting(session: Session, user: User, today: date) -> TodoItem:
    """The desk's filings waiting for the operator's correction, and how many are past the 10-day limit."""
    query = (sa_select(func.count(), func.coalesce(func.sum(case((col(CorrectionNotice.due_date) < today, 1),
                                                                 else_=0)), 0))
             .select_from(Filing).join(CorrectionNotice, col(CorrectionNotice.filing_id) == col(Filing.id))
             .where(clause_for(Filing, user)).where(col(Filing.filing_unit_code) == (user.unit_code or "-"))
             .where(state_in((FilingState.correction_requested,))))
    total, late = session.execute(query).one()
    detail = f"其中 {late} 件已过补正期限" if late else ""
    return TodoItem("corrections", "等待使用单位补正", int(total), "/desk?stage=waiting", detail)


def own_corrections(session: Session, user: User, today: date) -> TodoItem:
    """The operator's correction notices still to answer, each with its limit."""
    rows = session.execute(
        sa_select(col(Filing.id), col(Filing.system_name), col(CorrectionNotice.number), col(CorrectionNotice.due_date))
        .select_from(Filing).join(CorrectionNotice, col(CorrectionNotice.filing_id) == col(Filing.id))
        .where(clause_for(Filing, user)).where(col(Filing.state) == FilingState.correction_requested)
        .order_by(col(CorrectionNotice.due_date), col(Filing.id))).all()
    entries = [Entry(f"{name}：补正通知 {number}，请于 {due:%Y-%m-%d} 前补正"
                     + ("（已过期限）" if due < today else ""), f"/apply/{fid}") for fid, name, number, due in rows]
    return TodoItem("own_corrections", "待补正的备案", len(rows), "/apply", entries=entries,
                    urgent=any(due < today for *_, due in rows))


def inspections_due(session: Session, user: User, today: date) -> TodoItem:
    """Operators of the unit's area not yet inspected this half-year (the due list's never inspected + due).

    The same rule as registry.inspections.due: an operator is due once its first filing was filed by the
    half-year's cut-off day; it counts until a recorded inspection falls in the half-year.
    """
    half = periods.HalfYear.of(today)
    cutoff = datetime.combine(half.first_due_cutoff + timedelta(days=1), time(), BEIJING).astimezone(UTC)
    # Correlated EXISTS (first filed before the cut-off = some filing filed before it): PostgreSQL looks up
    # only the unit's operators, where grouping every filing of the city first took 105 ms at 100,000
    # filings (bench/pages.py, the home page); 33 ms this way.
    filed = (select(Filing.id).where(col(Filing.operator_id) == col(Operator.id))
             .where(Filing.state == FilingState.filed, col(Filing.filed_at) < cutoff))
    done = (select(Inspection.id).where(col(Inspection.operator_id) == col(Operator.id))
            .where(col(Inspection.state).in_(RECORDED))
            .where(col(Inspection.inspected_on) >= half.start, col(Inspection.inspected_on) <= half.end))
    query = (sa_select(func.count()).select_from(Operator).where(operator_clause(user))
             .where(filed.exists()).where(~done.exists()))
    left = (half.end - today).days
    return TodoItem("inspections_due", f"{half.label}待检查的使用单位", _count(session, query),
                    f"{INSPECTIONS_DUE_URL}?half={half}", f"本半年度还剩 {left} 天", urgent=left <= 30)


def rectifications_due(session: Session, user: User, today: date) -> TodoItem:
    """The unit's open rectification notices (its stations' too), and how many are past their deadline."""
    query = (sa_select(func.count(), func.coalesce(func.sum(case((col(Rectification.due_date) < today, 1),
                                                                 else_=0)), 0))
             .select_from(Rectification).where(clause_for(Rectification, user))
             .where(col(Rectification.state) == RectificationState.open)
             .where(unit_clause(user.unit_code or "-")))
    total, late = session.execute(query).one()
    return TodoItem("rectifications", "未办结的整改通知", int(total), RECTIFICATIONS_URL,
                    f"其中 {late} 件已超过整改期限" if late else "", urgent=bool(late))


def own_rectifications(session: Session, user: User, today: date) -> TodoItem:
    """The operator's own open rectification notices, each with its deadline."""
    rows = session.exec(select(Rectification).where(clause_for(Rectification, user))
                        .where(Rectification.state == RectificationState.open)
                        .order_by(col(Rectification.due_date), col(Rectification.id))).all()
    entries = [Entry(f"整改通知 {r.number}：请于 {r.due_date:%Y-%m-%d} 前整改完毕"
                     + ("（已过期限）" if r.due_date < today else ""), f"{OWN_INSPECTIONS_URL}#rectification-{r.id}")
               for r in rows]
    return TodoItem("own_rectifications", "待整改的隐患", len(rows), OWN_INSPECTIONS_URL, entries=entries,
                    urgent=any(r.due_date < today for r in rows))


def approvals_waiting(session: Session, user: User) -> TodoItem:
    """The penalty proposals this leader may approve (own unit, not his own cases)."""
    cases = awaiting_approval(session, user=user)
    entries = [Entry(f"第 {c.id} 号案件：{c.facts[:30]}", f"/penalties/{c.id}") for c in cases]
    return TodoItem("approvals", "待审批的行政处罚", len(cases), "/penalties?state=proposed", entries=entries)


def _window_dates(window: periods.Window, today: date) -> str:
    left = (window.end - today).days + 1
    start, end = window.start, window.end
    return f"{start.month}月{start.day}日至{end.month}月{end.day}日，还剩 {left} 天（含今天）"


def review_waiting(session: Session, user: User, window: periods.Window, today: date) -> TodoItem:
    """监督复查 open: the recorded inspections of the window's half-year this 科信 has not reviewed yet."""
    stations = select(PoliceUnit.code).where(PoliceUnit.parent_code == (user.unit_code or "-"))
    half = window.half
    query = (sa_select(func.count()).select_from(Inspection).where(clause_for(Inspection, user))
             .where(col(Inspection.state).in_(RECORDED)).where(col(Inspection.reviewed_at).is_(None))
             .where(col(Inspection.inspected_on) >= half.start, col(Inspection.inspected_on) <= half.end)
             .where(or_(col(Inspection.unit_code) == user.unit_code, col(Inspection.unit_code).in_(stations))))
    return TodoItem("window_review", f"监督复查期：待复查的{half.label}检查", _count(session, query),
                    f"{REVIEW_URL}?half={half}", _window_dates(window, today), urgent=True)


def spot_check_waiting(session: Session, window: periods.Window, today: date) -> TodoItem:
    """市局抽查 open: the sample still to draw (1 until it is drawn), then the sampled inspections without a finding."""
    draw = session.exec(select(SpotCheckDraw).where(SpotCheckDraw.year == today.year,
                                                    SpotCheckDraw.season == window.season)).first()
    if draw is None:
        return TodoItem("window_spot_check", f"市局抽查期：尚未抽取{window.half.label}的抽查样本", 1, SPOT_CHECK_URL,
                        _window_dates(window, today), urgent=True)
    found = _count(session, sa_select(func.count()).select_from(SpotCheckFinding)
                   .where(col(SpotCheckFinding.draw_id) == draw.id))
    return TodoItem("window_spot_check", f"市局抽查期：待记录抽查结果的{window.half.label}检查",
                    max(len(draw.sample_ids) - found, 0), f"{SPOT_CHECK_URL}/{draw.id}", _window_dates(window, today),
                    urgent=True)


def windows_now(session: Session, user: User, today: date) -> list[TodoItem]:
    """The supervision windows open today, for the roles that act in them, with the work left in each."""
    items = []
    for kind, window in periods.windows_open(today):
        if user.role not in WINDOW_ROLES[kind]:
            continue
        if kind == "review" and user.unit_code != CITY_UNIT:
            items.append(review_waiting(session, user, window, today))
        elif kind == "spot_check" and user.unit_code == CITY_UNIT:
            items.append(spot_check_waiting(session, window, today))
    return items


def todo_list(session: Session, user: User, today: date) -> list[TodoItem]:
    """Everything on this person's list today, in the order of the work."""
    if user.role == Role.operator:
        return [own_corrections(session, user, today), own_rectifications(session, user, today)]
    if user.unit_code is None:
        return []
    items: list[TodoItem] = []
    # The working-day calendar is read once for both items that count up to the horizon.
    needs_horizon = user.role in DESK_ROLES or user.role in VERIFY_ROLES
    horizon = working_days_after(session, today, DECISION_HORIZON).date if needs_horizon else today
    if user.role in DESK_ROLES:
        items += [to_accept(session, user), decisions_due(session, user, today, horizon),
                  corrections_waiting(session, user, today)]
    if user.role in VERIFY_ROLES:
        items.append(verifications_waiting(session, user, horizon))
    if user.role in INSPECT_ROLES:
        items.append(inspections_due(session, user, today))
    if user.role in RECTIFICATION_ROLES:
        items.append(rectifications_due(session, user, today))
    if user.role == Role.leader:
        items.append(approvals_waiting(session, user))
    return items + windows_now(session, user, today)
