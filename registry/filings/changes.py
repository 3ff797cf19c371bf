"""Change filings (第十条): one open change per filing, a date of change, the changed filing superseded.

A filed filing may be changed by one change filing at a time; while that change is open (a draft
included) no other is accepted, and when it is filed the changed filing becomes `superseded`, so a
second change can only start from the newest filing: the chain never forks.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlmodel import Session, col, select

from registry.actor import Actor
from registry.audit import service as audit
from registry.errors import Conflict, InvalidInput
from registry.filings.models import CLOSED_STATES, Filing, FilingKind, FilingState

STATE_NAMES = {"draft": "使用单位草稿", "submitted": "待受理", "accepted": "已受理", "correction_requested": "待补正",
               "corrected": "已补正", "filed": "已备案", "rejected": "不予备案", "superseded": "已被替代"}


def name_of(filing: Filing) -> str:
    """How a message names a filing: its number once it has one, else its id, with its state."""
    label = f"备案 {filing.number}" if filing.number else f"备案（ID {filing.id}）"
    return f"{label}（{STATE_NAMES.get(filing.state.value, filing.state.value)}）"


def open_change(session: Session, *, original_id: int, besides: int | None = None) -> Filing | None:
    """The change filing of a filing that is still open (a draft included), if there is one (other than `besides`)."""
    query = select(Filing).where(Filing.changes_filing_id == original_id).where(col(Filing.state).not_in(CLOSED_STATES))
    if besides is not None:
        query = query.where(Filing.id != besides)
    return session.exec(query.order_by(col(Filing.id))).first()


def newer_of(session: Session, *, original_id: int) -> Filing | None:
    """The filed change filing that replaced this one, if any."""
    return session.exec(select(Filing).where(Filing.changes_filing_id == original_id)
                        .where(col(Filing.state).in_((FilingState.filed, FilingState.superseded)))
                        .order_by(col(Filing.id))).first()


def check_can_change(session: Session, *, original: Filing, change: Filing | None = None) -> None:
    """Refuse a second open change, and a change of a filing that is not (or no longer) the one in force.

    `change` is the change filing being submitted itself (a draft), which does not count against itself.
    """
    assert original.id is not None
    if original.state == FilingState.superseded:
        newer = newer_of(session, original_id=original.id)
        newest = f"：请对 {name_of(newer)} 办理变更" if newer is not None else ""
        raise Conflict(f"备案 {original.number} 已被变更备案替代{newest} / filing {original.number} was superseded "
                       f"by {newer.number if newer else 'a change'}; change the filing in force",
                       details={"state": original.state.value, "superseded_by": newer.number if newer else None},
                       field="changes_filing_number")
    if original.state != FilingState.filed:
        raise Conflict(f"备案 {original.number or original.id} 尚未备案，不能变更 / only a filed filing can be changed",
                       details={"state": original.state.value}, field="changes_filing_number")
    pending = open_change(session, original_id=original.id, besides=change.id if change is not None else None)
    if pending is not None:
        raise Conflict(f"备案 {original.number} 已有未办结的变更备案：{name_of(pending)}，"
                       "请继续办理该变更，不能另起一份 / "
                       f"filing {original.number} already has an open change "
                       f"({pending.number or 'id ' + str(pending.id)}, {pending.state.value}); continue that one",
                       details={"state": original.state.value, "filing_id": pending.id, "open_change_id": pending.id,
                                "open_change_number": pending.number, "open_change_state": pending.state.value},
                       field="changes_filing_number")


def check_change_date(kind: FilingKind, change_date: date | None, today: date) -> None:
    """A change filing says when the content changed (not in the future); a first filing has no such date."""
    if kind == FilingKind.change:
        if change_date is None:
            raise InvalidInput("变更备案须填写变更日期 / a change filing needs the date of the change",
                               field="change_date")
        if change_date > today:
            raise InvalidInput("变更日期不能晚于今天 / change_date is in the future", field="change_date")
    elif change_date is not None:
        raise InvalidInput("首次备案无需填写变更日期 / only a change filing has a date of change", field="change_date")


def supersede(session: Session, *, actor: Actor, change: Filing, at: datetime) -> Filing:
    """When a change is filed, the filing it changes is superseded (locked; refused if it is no longer in force)."""
    assert change.changes_filing_id is not None
    original = session.exec(select(Filing).where(Filing.id == change.changes_filing_id).with_for_update()).one()
    if original.state != FilingState.filed:
        raise Conflict(f"被变更的 {name_of(original)} 已不在有效状态，不能再以此变更替代 / the filing being changed is "
                       f"{original.state.value}", details={"state": change.state.value,
                                                           "original_state": original.state.value})
    original.state, original.updated_at = FilingState.superseded, at
    session.add(original)
    session.flush()
    audit.append(session, actor=actor, action="filing.superseded", object_type="filing", object_id=original.id,
                 details={"number": original.number, "by": change.number, "by_id": change.id})
    return original
