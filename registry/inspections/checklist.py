"""The 安全检查内容表: default lines shipped as data (default_checklist.json), edited by the city administrator."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, col, select

from registry.actor import Actor
from registry.audit import service as audit
from registry.auth.models import Role
from registry.auth.scope import CITY_UNIT
from registry.errors import Conflict, Forbidden, NotFound
from registry.inspections.models import ChecklistItem, ChecklistItemCreate, ChecklistItemUpdate

DEFAULTS_FILE = Path(__file__).with_name("default_checklist.json")


def defaults() -> list[dict[str, Any]]:
    """The default lines (SPEC §6, from 799号令 and the implementation opinion)."""
    rows: list[dict[str, Any]] = json.loads(DEFAULTS_FILE.read_text(encoding="utf-8"))
    return rows


def ensure_defaults(session: Session) -> None:
    """Load the default lines into an empty table (the first use of a new registry)."""
    if session.exec(select(ChecklistItem.key).limit(1)).first() is not None:
        return
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    for row in defaults():
        values = {"article": "", "position": 0, "active": True, "signage": False, **row}
        session.execute(insert(ChecklistItem.__table__).values(**values).on_conflict_do_nothing())  # type: ignore[attr-defined]
    session.flush()


def items(session: Session, *, include_retired: bool = False) -> list[ChecklistItem]:
    """The checklist in order (active lines only unless asked)."""
    ensure_defaults(session)
    query = select(ChecklistItem).order_by(col(ChecklistItem.position), col(ChecklistItem.key))
    if not include_retired:
        query = query.where(col(ChecklistItem.active).is_(True))
    return list(session.exec(query).all())


def _require_city_admin(actor: Actor) -> None:
    if actor.user.role != Role.admin or actor.user.unit_code != CITY_UNIT:
        raise Forbidden("安全检查内容表由市局管理员维护 / only the city department's administrator edits the checklist")


def add(session: Session, *, actor: Actor, data: ChecklistItemCreate) -> ChecklistItem:
    """Add a line to the checklist."""
    _require_city_admin(actor)
    ensure_defaults(session)
    if session.get(ChecklistItem, data.key) is not None:
        raise Conflict(f"检查项 {data.key} 已存在 / checklist item {data.key} already exists", field="key")
    item = ChecklistItem(**data.model_dump())
    session.add(item)
    session.flush()
    audit.append(session, actor=actor, action="checklist.add", object_type="checklist_item", object_id=item.key,
                 details=data.model_dump())
    return item


def update(session: Session, *, actor: Actor, key: str, data: ChecklistItemUpdate) -> ChecklistItem:
    """Change or retire a line; inspections already made keep the wording they were made with."""
    _require_city_admin(actor)
    ensure_defaults(session)
    item = session.get(ChecklistItem, key)
    if item is None:
        raise NotFound(f"检查项 {key} 不存在 / checklist item {key} not found")
    changes = data.model_dump(exclude_unset=True, exclude_none=True)
    for name, value in changes.items():
        setattr(item, name, value)
    session.add(item)
    session.flush()
    audit.append(session, actor=actor, action="checklist.update", object_type="checklist_item", object_id=key,
                 details=changes)
    return item
