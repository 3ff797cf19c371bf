"""Registering accesses to footage, and reading the register: the operator its own, a police unit its area.

第二十条: police who read, copy or take footage hold an approval from the head of a county-level or higher
police unit; 第二十一条: the operator cooperates, keeps the papers and charges nothing; 799号令 第十六条:
every access is registered with its reason, content, and the unit and name of who took it. The register
is append-only: an entry is never edited or deleted (a wrong entry is answered by a new one).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, or_
from sqlalchemy import select as sa_select
from sqlmodel import Session, col

from registry.actor import Actor
from registry.audit import service as audit
from registry.auth.models import OFFICER_ROLES, Role, User
from registry.auth.scope import clause_for, get_visible, require_role
from registry.errors import InvalidInput
from registry.footage.models import FootageAccess, FootageAccessCreate, FootageKind
from registry.operators.models import Operator
from registry.timeutil import BEIJING, beijing_today
from registry.units.models import PoliceUnit, UnitKind

OFFICER_RECORDERS = tuple(sorted(OFFICER_ROLES - {Role.admin}))
RECORDER_ROLES = (Role.operator, *OFFICER_RECORDERS)
KIND_NAMES = {FootageKind.view: "查阅", FootageKind.copy: "复制", FootageKind.take: "调取"}


def as_beijing(value: datetime) -> datetime:
    """A time typed without a zone is Beijing time (the operator reads it off its recorder); stored in UTC,
    since SQLite keeps the wall time without its offset."""
    return (value.replace(tzinfo=BEIJING) if value.tzinfo is None else value).astimezone(UTC)


def require_approving_unit(session: Session, code: str) -> PoliceUnit:
    """The approving unit must be a county-level or higher police unit (第二十条): not a station."""
    unit = session.get(PoliceUnit, code)
    if unit is None:
        raise InvalidInput(f"公安单位 {code[:8]} 不存在 / no police unit {code[:8]}", field="approver_unit_code")
    if unit.kind == UnitKind.station:
        raise InvalidInput(f"{unit.name} 是派出所：须由县级以上公安机关负责人批准 / {unit.name} is a station: the "
                           "approval must come from the head of a county-level or higher unit",
                           field="approver_unit_code")
    return unit


def record(session: Session, *, actor: Actor, data: FootageAccessCreate) -> FootageAccess:
    """Register one access: by the operator in its own register, or by an officer for an operator in scope."""
    operator = get_visible(session, Operator, data.operator_id, actor.user)
    require_role(actor.user, *RECORDER_ROLES)
    require_approving_unit(session, data.approver_unit_code)
    if data.taker_unit_code is not None and session.get(PoliceUnit, data.taker_unit_code) is None:
        raise InvalidInput(f"公安单位 {data.taker_unit_code} 不存在 / no police unit {data.taker_unit_code}",
                           field="taker_unit_code")
    today = beijing_today()
    if data.accessed_on > today:
        raise InvalidInput("调取日期不能晚于今天 / the access cannot be in the future", field="accessed_on")
    start, end = as_beijing(data.footage_from), as_beijing(data.footage_to)
    if start.astimezone(BEIJING).date() > data.accessed_on:
        raise InvalidInput("录像开始时间晚于调取日期 / the footage starts after the day it was taken",
                           field="footage_from")
    entry = FootageAccess.model_validate({**data.model_dump(), "footage_from": start, "footage_to": end,
                                          "operator_id": operator.id, "recorded_by_id": actor.user_id})
    session.add(entry)
    session.flush()
    audit.append(session, actor=actor, action="footage.record", object_type="footage_access", object_id=entry.id,
                 details={"operator_id": operator.id, "kind": data.kind.value, "accessed_on": data.accessed_on,
                          "taker_unit": data.taker_unit_name, "approval_number": data.approval_number})
    return entry


def get(session: Session, *, actor: Actor, access_id: int) -> FootageAccess:
    """One entry the user may see (the operator's own, or one of the unit's operators)."""
    return get_visible(session, FootageAccess, access_id, actor.user)


@dataclass
class FootageFilters:
    """What the register can be searched by."""

    q: str | None = None
    operator_id: int | None = None
    kind: FootageKind | None = None
    taker_unit_code: str | None = None
    accessed_from: date | None = None
    accessed_to: date | None = None


def conditions(filters: FootageFilters) -> list[ColumnElement[bool]]:
    """The WHERE conditions of a search (the list page, the API and the export share them)."""
    where: list[ColumnElement[bool]] = []
    if filters.operator_id is not None:
        where.append(col(FootageAccess.operator_id) == filters.operator_id)
    if filters.kind is not None:
        where.append(col(FootageAccess.kind) == filters.kind)
    if filters.taker_unit_code:
        where.append(col(FootageAccess.taker_unit_code) == filters.taker_unit_code)
    if filters.accessed_from is not None:
        where.append(col(FootageAccess.accessed_on) >= filters.accessed_from)
    if filters.accessed_to is not None:
        where.append(col(FootageAccess.accessed_on) <= filters.accessed_to)
    if filters.q:
        text = filters.q.strip()
        where.append(or_(col(FootageAccess.reason).contains(text), col(FootageAccess.cameras).contains(text),
                         col(FootageAccess.taker_unit_name).contains(text),
                         col(FootageAccess.taker_names).contains(text),
                         col(FootageAccess.approval_number) == text, col(Operator.name).contains(text)))
    return where


def scoped_query(user: User, filters: FootageFilters, columns: Sequence[Any]) -> Select[Any]:
    """Entries the user may see, joined with their operator, filtered.

    An outer join (every entry has its operator: a NOT NULL foreign key): the list's count, which uses no
    column of the operator unless a search names it, then leaves the join out.
    """
    query = (sa_select(*columns).select_from(FootageAccess)
             .outerjoin(Operator, col(Operator.id) == col(FootageAccess.operator_id))
             .where(clause_for(FootageAccess, user)))
    return query.where(*conditions(filters))


def list_visible(session: Session, *, actor: Actor, filters: FootageFilters, after_id: int = 0,
                 limit: int = 50) -> Sequence[FootageAccess]:
    """One keyset page of the register, in id order."""
    query = scoped_query(actor.user, filters, [FootageAccess]).where(col(FootageAccess.id) > after_id)
    return session.execute(query.order_by(col(FootageAccess.id)).limit(limit)).scalars().all()
