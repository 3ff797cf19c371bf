"""The operator's side of a filing: a draft saved and resumed, then submitted; the form corrected; a change begun.

A draft (FilingState.draft) is the operator's own: no officer sees it (registry.auth.scope), it has no
number and no clock, and it enters the filing unit's queue only when `submit_draft` moves it to
`submitted`, which is also when lateness is counted.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, col, select

from registry.actor import Actor
from registry.audit import service as audit
from registry.auth.models import Role
from registry.auth.scope import get_visible, require_role
from registry.cameras import service as cameras_service
from registry.cameras.models import Camera, CameraCreate, CameraStatus
from registry.errors import Conflict, Forbidden, NotFound
from registry.filings import changes, handover, lateness, service
from registry.filings.models import (
    EDITABLE_STATES,
    FORM_EDITABLE_STATES,
    Channel,
    Filing,
    FilingCreate,
    FilingForm,
    FilingKind,
    FilingState,
    Material,
    MaterialKind,
)
from registry.operators.models import Operator
from registry.settings import Settings
from registry.timeutil import beijing_today, utcnow

FORM_FIELDS = tuple(FilingForm.model_fields)
# Wording of what is still missing, as the operator reads it before submitting.
MISSING_NAMES = {"location_diagram": "单位位置示意图", "deployment_map": "布防图", "cameras": "摄像机清单",
                 "form": "备案表（加盖单位公章后上传）", "authorization": "委托办理备案登记授权书",
                 "camera_count": "与申报数量一致的摄像机清单", "camera_positions": "每台摄像机在布防图上的位置",
                 "change_date": "变更日期", "acceptance_date": "竣工验收合格日期"}
# Missing items whose own message says more than the name (how many cameras, which ones).
DETAILED = ("camera_count", "camera_positions")


def open_for_edit(session: Session, *, actor: Actor, filing_id: int, states: tuple[FilingState, ...]) -> Filing:
    """The filing, locked, if the actor may change it and its state allows (404, 403, 409 otherwise)."""
    filing = get_visible(session, Filing, filing_id, actor.user, lock=True)
    service._require_submitter(actor, session.get_one(Operator, filing.operator_id))
    service._require_state(filing, *states)
    return filing


def _own_draft(session: Session, actor: Actor, filing_id: int) -> Filing:
    filing = get_visible(session, Filing, filing_id, actor.user, lock=True)
    require_role(actor.user, Role.operator)
    service._require_state(filing, FilingState.draft)
    return filing


def create_draft(session: Session, *, actor: Actor, data: FilingCreate, settings: Settings,
                 now: datetime | None = None) -> Filing:
    """Save a new filing as the operator's draft (checked like a submission; nobody else sees it yet)."""
    get_visible(session, Operator, data.operator_id, actor.user)
    require_role(actor.user, Role.operator)
    return service.submit(session, actor=actor, data=data, settings=settings, now=now, draft=True)


def _refresh_lateness(filing: Filing, settings: Settings) -> None:
    """Lateness under both rules as of the day the filing was (or is now being) submitted."""
    lateness.apply(filing, lateness.of(filing, filing.kind, beijing_today(filing.submitted_at),
                                       settings.late_filing_days))


def desk_typed_by(actor: Actor, filing: Filing) -> bool:
    """Whether this officer typed the filing in at the desk (窗口受理) and it waits, unaccepted, in his unit.

    Until acceptance he may correct what he typed from the operator's paper form: nothing has been examined, no
    number given, no clock started. A filing the operator submitted online is the operator's signed form, and
    stays as submitted; after acceptance any change goes through the one correction notice (SPEC §5)."""
    return (filing.state == FilingState.submitted and filing.channel == Channel.desk
            and filing.submitted_by_id == actor.user_id and actor.user.unit_code == filing.filing_unit_code)


def require_form_editable(actor: Actor, filing: Filing) -> None:
    """That this user may change the filing's form now (see `update_form`): 409 for the state, 403 for the user."""
    if filing.state != FilingState.submitted:
        service._require_state(filing, *FORM_EDITABLE_STATES)
    elif filing.channel != Channel.desk or actor.user.role == Role.operator:
        raise Conflict("已提交的备案在受理前不能修改：使用单位网上提交的是其签章的备案表，须受理后以补正通知补正 / a "
                       "submitted filing's form is not edited before acceptance", details={"state": filing.state.value})
    elif not desk_typed_by(actor, filing):
        raise Forbidden("窗口录入的备案，受理前只能由录入的民警修改 / only the officer who typed it in may correct it")


def _open_form(session: Session, actor: Actor, filing_id: int) -> Filing:
    filing = get_visible(session, Filing, filing_id, actor.user, lock=True)
    service._require_submitter(actor, session.get_one(Operator, filing.operator_id))
    require_form_editable(actor, filing)
    return filing


def _shown(name: str, value: object) -> object:
    """A form value as the audit log keeps it (the agent's ID number masked, as the pages show it)."""
    if name == "agent_id_number" and isinstance(value, str):
        return f"{value[:6]}********{value[-4:]}"
    return value


def update_form(session: Session, *, actor: Actor, filing_id: int, data: FilingForm, settings: Settings,
                now: datetime | None = None) -> Filing:
    """Change the form of a draft, or of a filing being corrected (补正), or of a filing typed in at the desk by
    the officer correcting it, before acceptance (`desk_typed_by`); every changed field is audited, and a desk
    correction with what it was and what it became."""
    filing = _open_form(session, actor, filing_id)
    at = now or utcnow()
    submitted = filing.state == FilingState.submitted
    service.check_dates(data, filing.kind, beijing_today(at), complete=submitted)
    if submitted:
        changes.check_change_date(filing.kind, data.change_date, beijing_today(at))
    changed = {name: getattr(data, name) for name in FORM_FIELDS if getattr(filing, name) != getattr(data, name)}
    if not changed:
        return filing
    before = {name: _shown(name, getattr(filing, name)) for name in changed}
    filing.sqlmodel_update(changed)
    _refresh_lateness(filing, settings)
    filing.updated_at = at
    session.add(filing)
    session.flush()
    details: dict[str, object] = {"fields": sorted(changed), "state": filing.state.value}
    if submitted:
        details["changes"] = {name: [before[name], _shown(name, value)] for name, value in changed.items()}
    audit.append(session, actor=actor, action="filing.form", object_type="filing", object_id=filing_id,
                 details=details)
    return filing


def gaps_before_submit(session: Session, filing: Filing) -> list[service.MissingItem]:
    """What a draft still lacks: the officers' completeness list, and the letter when an agent files."""
    missing = service.completeness(session, filing)
    if filing.kind == FilingKind.change and filing.change_date is None:
        missing.append(service.MissingItem("change_date", "变更备案须填写变更日期"))
    if filing.kind == FilingKind.new and filing.acceptance_date is None:
        missing.append(service.MissingItem("acceptance_date", "首次备案须填写竣工验收合格日期"))
    if filing.agent_name:
        kinds = set(session.exec(select(Material.kind).where(Material.filing_id == filing.id)).all())
        if MaterialKind.authorization not in kinds:
            missing.append(service.MissingItem("authorization", "委托他人办理的，须上传委托办理备案登记授权书"))
    return missing


def missing_before_submit(session: Session, filing: Filing) -> list[str]:
    """The keys of what a draft still lacks (see `gaps_before_submit`)."""
    return [m.item for m in gaps_before_submit(session, filing)]


def missing_notes(gaps: list[service.MissingItem]) -> dict[str, str]:
    """The messages that say more than an item's name (how many cameras are listed, which are not placed)."""
    return {m.item: m.message for m in gaps if m.item in DETAILED}


def submit_draft(session: Session, *, actor: Actor, filing_id: int, settings: Settings,
                 now: datetime | None = None) -> Filing:
    """Send the draft to the filing unit: it enters their queue now, and lateness counts to today.

    The filing unit is the operator's as of now (a draft saved before the operator moved goes to the new unit);
    the operator row is locked before the draft, the order a move keeps (registry/filings/handover.py)."""
    peek = get_visible(session, Filing, filing_id, actor.user)
    operator = handover.lock_operator(session, peek.operator_id)
    filing = _own_draft(session, actor, filing_id)
    filing.filing_unit_code = operator.filing_unit_code
    gaps = gaps_before_submit(session, filing)
    if gaps:
        missing = [m.item for m in gaps]
        names = "、".join(MISSING_NAMES.get(m, m) for m in missing)
        notes = "".join(f"；{note}" for note in missing_notes(gaps).values())
        raise Conflict(f"提交前请补齐：{names}{notes} / the filing is incomplete: {', '.join(missing)}",
                       details={"state": filing.state.value, "missing": missing,
                                "messages": [m.message for m in gaps]})
    at = now or utcnow()
    service.check_dates(filing, filing.kind, beijing_today(at), complete=True)
    changes.check_change_date(filing.kind, filing.change_date, beijing_today(at))
    if filing.changes_filing_id is not None:
        changes.check_can_change(session, original=session.exec(
            select(Filing).where(Filing.id == filing.changes_filing_id).with_for_update()).one(), change=filing)
    filing.state, filing.submitted_at, filing.submitted_by_id, filing.updated_at = (
        FilingState.submitted, at, actor.user_id, at)
    _refresh_lateness(filing, settings)
    session.add(filing)
    session.flush()
    audit.append(session, actor=actor, action="filing.submit", object_type="filing", object_id=filing_id,
                 details={"operator_id": filing.operator_id, "late_days": filing.late_days, "from_draft": True,
                          "changes": filing.changes_filing_id})
    return filing


def discard_draft(session: Session, *, actor: Actor, filing_id: int) -> None:
    """Throw a draft away with its cameras and material records (the stored bytes may be shared: kept)."""
    filing = _own_draft(session, actor, filing_id)
    for camera in session.exec(select(Camera).where(Camera.filing_id == filing_id)).all():
        session.delete(camera)
    session.flush()
    for material in session.exec(select(Material).where(Material.filing_id == filing_id)).all():
        session.delete(material)
    session.flush()
    session.delete(filing)
    session.flush()
    audit.append(session, actor=actor, action="filing.discard", object_type="filing", object_id=filing_id,
                 details={"system_name": filing.system_name})


def open_change(session: Session, *, original_id: int) -> Filing | None:
    """The change filing of a filed filing that is still open (draft included), if there is one."""
    return changes.open_change(session, original_id=original_id)


def start_change(session: Session, *, actor: Actor, filing_id: int, settings: Settings,
                 now: datetime | None = None) -> Filing:
    """A change filing as a draft, carrying over the form, the materials and every active camera with its code."""
    original = get_visible(session, Filing, filing_id, actor.user, lock=True)
    require_role(actor.user, Role.operator)
    changes.check_can_change(session, original=original)
    assert original.number is not None  # filed filings are numbered
    data = FilingCreate.model_validate({**original.model_dump(include=set(FORM_FIELDS) - {"change_date"}),
                                        "operator_id": original.operator_id,
                                        "changes_filing_number": original.number})
    draft = service.submit(session, actor=actor, data=data, settings=settings, now=now, draft=True)
    assert draft.id is not None
    copies: dict[int | None, int | None] = {None: None}
    for material in session.exec(select(Material).where(Material.filing_id == filing_id)
                                 .order_by(col(Material.id))).all():
        copy = Material.model_validate(material.model_dump(exclude={"id", "filing_id", "uploaded_at"}),
                                       update={"filing_id": draft.id, "uploaded_by_id": actor.user_id})
        session.add(copy)
        session.flush()
        copies[material.id] = copy.id
    kept = session.exec(select(Camera).where(Camera.filing_id == filing_id)
                        .where(Camera.status == CameraStatus.active).order_by(col(Camera.id))).all()
    if kept:
        declared = set(CameraCreate.model_fields)
        items = [CameraCreate.model_validate({**c.model_dump(include=declared), "existing_code": c.code,
                                              "map_material_id": copies.get(c.map_material_id)}) for c in kept]
        operator = session.get_one(Operator, original.operator_id)
        session.add_all(cameras_service.build(session, filing=draft, operator=operator, items=items))
        session.flush()
    audit.append(session, actor=actor, action="filing.change.start", object_type="filing", object_id=draft.id,
                 details={"changes": filing_id, "materials": len(copies) - 1, "cameras": len(kept)})
    return draft


def remove_camera(session: Session, *, actor: Actor, filing_id: int, camera_id: int) -> None:
    """Take a camera off an open filing's list (a camera with a code is never deleted: it is retired on filing)."""
    open_for_edit(session, actor=actor, filing_id=filing_id, states=EDITABLE_STATES)
    camera = session.get(Camera, camera_id)
    if camera is None or camera.filing_id != filing_id:
        raise NotFound(f"摄像机 {camera_id} 不在此备案中 / camera {camera_id} is not on this filing")
    if camera.code is not None:
        raise Conflict("已赋码的摄像机不能删除 / a coded camera cannot be deleted", details={"code": camera.code})
    session.delete(camera)
    session.flush()
    audit.append(session, actor=actor, action="filing.cameras.remove", object_type="filing", object_id=filing_id,
                 details={"camera_id": camera_id, "name": camera.name, "existing_code": camera.existing_code})


def remove_material(session: Session, *, actor: Actor, filing_id: int, material_id: int) -> None:
    """Take a wrongly uploaded file off a draft; cameras placed on that map lose their placement."""
    open_for_edit(session, actor=actor, filing_id=filing_id, states=(FilingState.draft,))
    material = session.get(Material, material_id)
    if material is None or material.filing_id != filing_id:
        raise NotFound(f"材料 {material_id} 不在此备案中 / material {material_id} is not on this filing")
    placed = session.exec(select(Camera).where(Camera.map_material_id == material_id)).all()
    for camera in placed:
        camera.map_material_id = camera.map_page = camera.map_x = camera.map_y = None
        session.add(camera)
    session.flush()
    session.delete(material)
    session.flush()
    audit.append(session, actor=actor, action="material.remove", object_type="material", object_id=material_id,
                 details={"filing_id": filing_id, "kind": material.kind.value, "unplaced": len(placed)})
