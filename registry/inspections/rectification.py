"""整改通知: a hazard found on inspection gets a deadline in working days; a follow-up closes or escalates it."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from sqlalchemy import ColumnElement, or_
from sqlmodel import Session, col, select

from registry.actor import Actor
from registry.audit import service as audit
from registry.auth.scope import CITY_UNIT, get_visible, require_role
from registry.deadlines import working_days_after
from registry.errors import Conflict, Forbidden, InvalidInput
from registry.inspections import numbers
from registry.inspections.models import (
    RECORDED,
    FollowUpInput,
    Inspection,
    InspectionItem,
    Rectification,
    RectificationPublic,
    RectificationState,
)
from registry.units.models import PoliceUnit


def issue(session: Session, *, actor: Actor, inspection: Inspection, hazards: Sequence[InspectionItem],
          workdays: int, today: date) -> Rectification:
    """One notice per inspection listing every hazard, due `workdays` Chinese working days after today."""
    deadline = working_days_after(session, today, workdays)
    number = numbers.next_number(session, unit_code=inspection.unit_code, year=today.year, kind="rectification")
    assert inspection.id is not None
    notice = Rectification(number=number, inspection_id=inspection.id, operator_id=inspection.operator_id,
                           unit_code=inspection.unit_code, issued_on=today, workdays=workdays,
                           due_date=deadline.date, due_provisional=deadline.provisional,
                           items=[{"key": h.key, "label": h.label, "note": h.note} for h in hazards])
    session.add(notice)
    session.flush()
    audit.append(session, actor=actor, action="rectification.issue", object_type="rectification",
                 object_id=notice.id, details={"number": number, "inspection_id": inspection.id,
                                               "due_date": deadline.date.isoformat(), "hazards": len(hazards)})
    return notice


def follow_up(session: Session, *, actor: Actor, rectification_id: int, data: FollowUpInput,
              today: date) -> Rectification:
    """Close the notice (rectified) or escalate it, on the strength of a later recorded inspection."""
    from registry.inspections.service import INSPECT_ROLES

    notice = get_visible(session, Rectification, rectification_id, actor.user, lock=True)
    require_role(actor.user, *INSPECT_ROLES)
    if actor.user.unit_code != notice.unit_code:
        raise Forbidden("只有发出整改通知的单位可以复查 / only the unit that issued the notice follows it up")
    if notice.state != RectificationState.open:
        raise Conflict(f"整改通知 {notice.number} 已办结 / the notice is already {notice.state.value}",
                       details={"state": notice.state.value})
    inspection = get_visible(session, Inspection, data.inspection_id, actor.user)
    if inspection.id == notice.inspection_id or inspection.operator_id != notice.operator_id:
        raise InvalidInput("复查须是对同一单位的另一次检查 / the follow-up must be another inspection of the same "
                           "operator", field="inspection_id")
    if inspection.state not in RECORDED:
        raise InvalidInput("复查检查的笔录尚未完成 / the follow-up inspection is not recorded yet",
                           field="inspection_id")
    if inspection.inspected_on < notice.issued_on:
        raise InvalidInput("复查检查早于整改通知 / the follow-up inspection predates the notice", field="inspection_id")
    notice.state = RectificationState.closed if data.rectified else RectificationState.escalated
    notice.follow_up_inspection_id, notice.outcome_note = inspection.id, data.note
    notice.closed_on, notice.closed_by_id = today, actor.user_id
    session.add(notice)
    session.flush()
    audit.append(session, actor=actor, action=f"rectification.{notice.state.value}", object_type="rectification",
                 object_id=notice.id, details={"follow_up_inspection_id": inspection.id, "note": data.note,
                                               "late": today > notice.due_date})
    return notice


def unit_clause(unit_code: str) -> ColumnElement[bool]:
    """Notices of a unit and, for a branch, of the stations under it; the city department sees all."""
    if unit_code == CITY_UNIT:
        return col(Rectification.id).is_not(None)
    stations = select(PoliceUnit.code).where(PoliceUnit.parent_code == unit_code)
    return or_(col(Rectification.unit_code) == unit_code, col(Rectification.unit_code).in_(stations))


def open_rectifications(session: Session, *, unit_code: str, today: date,
                        overdue_only: bool = False, limit: int = 500) -> list[Rectification]:
    """A unit's open notices, the most urgent first; overdue ones (past their deadline) when asked."""
    query = (select(Rectification).where(Rectification.state == RectificationState.open)
             .where(unit_clause(unit_code)).order_by(col(Rectification.due_date), col(Rectification.id)).limit(limit))
    if overdue_only:
        query = query.where(col(Rectification.due_date) < today)
    return list(session.exec(query).all())


def open_for_operator(session: Session, *, operator_id: int | None, today: date,
                      overdue_only: bool = False) -> list[Rectification]:
    """An operator's own open notices (what it still has to put right)."""
    query = (select(Rectification).where(Rectification.state == RectificationState.open)
             .where(Rectification.operator_id == (operator_id or 0)).order_by(col(Rectification.due_date)))
    if overdue_only:
        query = query.where(col(Rectification.due_date) < today)
    return list(session.exec(query).all())


def public(notice: Rectification, today: date) -> RectificationPublic:
    """The notice as the API returns it, with whether it is overdue today."""
    overdue = notice.state == RectificationState.open and notice.due_date < today
    return RectificationPublic.model_validate(notice, update={"overdue": overdue})
