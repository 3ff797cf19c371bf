"""The filing workflow: submit → accept → (correction → corrected) → re-check → filed (SPEC §5)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

from sqlalchemy import func, or_
from sqlmodel import Session, col, select

from registry.actor import Actor
from registry.audit import service as audit
from registry.auth.models import Role
from registry.auth.scope import clause_for, get_visible, require_role, require_unit
from registry.camera_codes import DeviceType
from registry.cameras import identity
from registry.cameras import service as cameras_service
from registry.cameras.models import Camera, CameraCreate
from registry.deadlines import working_days_after
from registry.errors import Conflict, InvalidInput, NotFound
from registry.filings import changes, clock, documents, lateness, materials, verification
from registry.filings.models import (
    AWAITING_DECISION,
    EDITABLE_STATES,
    Channel,
    CorrectionItem,
    CorrectionNotice,
    Filing,
    FilingCreate,
    FilingForm,
    FilingKind,
    FilingState,
    Material,
    MaterialKind,
)
from registry.numbering.models import NumberKind
from registry.numbering.service import next_number
from registry.operators.models import Operator
from registry.settings import Settings
from registry.timeutil import beijing_today, utcnow

DESK_ROLES = (Role.intake, Role.reviewer)
# The materials a complete filing has (第七、八条), in the order they are bound, as a missing item says them.
MISSING_MATERIALS = {MaterialKind.form: "未上传备案表（加盖单位公章）",
                     MaterialKind.location_diagram: "未上传单位位置示意图", MaterialKind.deployment_map: "未上传布防图"}


def _require_state(filing: Filing, *allowed: FilingState) -> None:
    if filing.state not in allowed:
        wanted = " / ".join(s.value for s in allowed)
        raise Conflict(f"备案当前状态为 {filing.state.value}，不能执行此操作 / filing is {filing.state.value}; "
                       f"this action needs {wanted}", details={"state": filing.state.value})


def _require_submitter(actor: Actor, operator: Operator) -> None:
    """The operator itself, or a desk officer of its filing unit, may submit and upload."""
    if actor.user.role == Role.operator:
        return
    require_role(actor.user, *DESK_ROLES)
    require_unit(actor.user, operator.filing_unit_code)


def check_dates(form: FilingForm, kind: FilingKind, today: date, *, complete: bool) -> None:
    """The form's dates: none in the future; a complete first filing states its 竣工验收合格 date (第七条)."""
    if form.system_in_use_date > today:
        raise InvalidInput("投入使用日期不能晚于今天 / system_in_use_date is in the future", field="system_in_use_date")
    if form.acceptance_date is not None and form.acceptance_date > today:
        raise InvalidInput("竣工验收合格日期不能晚于今天 / acceptance_date is in the future", field="acceptance_date")
    if form.change_date is not None and form.change_date > today:
        raise InvalidInput("变更日期不能晚于今天 / change_date is in the future", field="change_date")
    if complete and kind == FilingKind.new and form.acceptance_date is None:
        raise InvalidInput("首次备案须填写竣工验收合格日期（第七条）/ a first filing needs acceptance_date",
                           field="acceptance_date")


def submit(session: Session, *, actor: Actor, data: FilingCreate, settings: Settings,
           now: datetime | None = None, draft: bool = False) -> Filing:
    """File a system (online by the operator, or at the desk by an intake officer); or save it as a draft."""
    # Locked: a concurrent move of the operator (registry/filings/handover.py) waits, or is waited for, so the
    # filing unit read here is the one the operator has when this filing becomes visible.
    operator = get_visible(session, Operator, data.operator_id, actor.user, lock=True)
    _require_submitter(actor, operator)
    changes_id = None
    if data.changes_filing_number:
        original = session.exec(select(Filing).where(Filing.number == data.changes_filing_number)
                                .with_for_update()).first()
        if original is None or original.operator_id != operator.id or original.state not in (
                FilingState.filed, FilingState.superseded):
            raise InvalidInput(f"备案 {data.changes_filing_number} 不是本单位已备案的备案 / not a filed filing of "
                               "this operator", field="changes_filing_number")
        changes.check_can_change(session, original=original)
        changes_id = original.id
    kind = FilingKind.change if changes_id else FilingKind.new
    submitted_at = now or utcnow()
    today = beijing_today(submitted_at)
    check_dates(data, kind, today, complete=not draft)
    if not draft or data.change_date is not None or kind == FilingKind.new:
        changes.check_change_date(kind, data.change_date, today)
    late = lateness.of(data, kind, today, settings.late_filing_days)
    overdue = late.days
    filing = Filing.model_validate(data.model_dump(exclude={"operator_id", "changes_filing_number"}), update={
        "operator_id": operator.id, "kind": kind,
        "changes_filing_id": changes_id, "filing_unit_code": operator.filing_unit_code,
        "channel": Channel.online if actor.user.role == Role.operator else Channel.desk,
        "submitted_at": submitted_at, "submitted_by_id": actor.user_id, "updated_at": submitted_at,
        "state": FilingState.draft if draft else FilingState.submitted})
    lateness.apply(filing, late)
    session.add(filing)
    session.flush()
    audit.append(session, actor=actor, action="filing.draft" if draft else "filing.submit", object_type="filing",
                 object_id=filing.id, details={"operator_id": operator.id, "late_days": overdue,
                                                   "late_days_acceptance": late.acceptance,
                                                   "late_days_in_use": late.in_use, "changes": changes_id})
    return filing


def upload_material(session: Session, *, actor: Actor, filing_id: int, kind: MaterialKind, filename: str,
                    data: bytes, settings: Settings) -> Material:
    """Store a material for a filing that is still open; bytes are kept under their SHA-256."""
    filing = get_visible(session, Filing, filing_id, actor.user, lock=True)
    operator = session.get_one(Operator, filing.operator_id)
    _require_submitter(actor, operator)
    _require_state(filing, *EDITABLE_STATES)
    materials.check_size(len(data), settings.max_upload_bytes)
    mime = materials.sniff(data)
    digest = materials.store(settings.materials_dir, data)
    material = Material(filing_id=filing_id, kind=kind, sha256=digest, mime=mime, size=len(data),
                        filename=Path(filename or "upload").name[:255], uploaded_by_id=actor.user_id)
    session.add(material)
    session.flush()
    audit.append(session, actor=actor, action="material.upload", object_type="material", object_id=material.id,
                 details={"filing_id": filing_id, "kind": kind.value, "sha256": digest})
    return material


def read_material(session: Session, *, actor: Actor, material_id: int, settings: Settings) -> tuple[Material, Path]:
    """A material the user may see and the path of its bytes; every read is audited (第十一条)."""
    material = session.get(Material, material_id)
    if material is None:
        raise NotFound(f"Material {material_id} 不存在 / not found")
    get_visible(session, Filing, material.filing_id, actor.user)
    audit.append(session, actor=actor, action="material.read", object_type="material", object_id=material_id,
                 details={"filing_id": material.filing_id, "sha256": material.sha256})
    return material, materials.stored_path(settings.materials_dir, material.sha256, "材料")


def add_cameras(session: Session, *, actor: Actor, filing_id: int, items: Sequence[CameraCreate]) -> list[Camera]:
    """List cameras on an open filing (codes come when it is filed)."""
    filing = get_visible(session, Filing, filing_id, actor.user, lock=True)
    operator = session.get_one(Operator, filing.operator_id)
    _require_submitter(actor, operator)
    _require_state(filing, *EDITABLE_STATES)
    cameras = cameras_service.build(session, filing=filing, operator=operator, items=items)
    session.add_all(cameras)
    session.flush()
    audit.append(session, actor=actor, action="filing.cameras.add", object_type="filing", object_id=filing_id,
                 details={"count": len(cameras)})
    return cameras


def _officer_of_filing_unit(session: Session, actor: Actor, filing_id: int) -> Filing:
    filing = get_visible(session, Filing, filing_id, actor.user, lock=True)
    require_role(actor.user, *DESK_ROLES)
    require_unit(actor.user, filing.filing_unit_code)
    return filing


def accept(session: Session, *, actor: Actor, filing_id: int, now: datetime | None = None) -> Filing:
    """受理: assign the 13-digit filing number and start the 15-working-day clock."""
    filing = _officer_of_filing_unit(session, actor, filing_id)
    _require_state(filing, FilingState.submitted)
    accepted_at = now or utcnow()
    today = beijing_today(accepted_at)
    filing.number = next_number(session, unit_code=filing.filing_unit_code, year=today.year, kind=NumberKind.filing)
    due = working_days_after(session, today, clock.DECISION_DAYS)
    filing.deadline, filing.deadline_provisional, filing.deadline_calendar_version = (
        due.date, due.provisional, due.calendar_version)
    filing.state, filing.accepted_at, filing.accepted_by_id = FilingState.accepted, accepted_at, actor.user_id
    filing.updated_at = accepted_at
    session.add(filing)
    session.flush()
    audit.append(session, actor=actor, action="filing.accept", object_type="filing", object_id=filing.id,
                 details={"number": filing.number, "deadline": filing.deadline,
                          "provisional": filing.deadline_provisional})
    return filing


def request_correction(session: Session, *, actor: Actor, filing_id: int, items: Sequence[CorrectionItem],
                       settings: Settings, now: datetime | None = None) -> CorrectionNotice:
    """Issue the one correction notice, listing every missing or wrong item, with its own number."""
    filing = _officer_of_filing_unit(session, actor, filing_id)
    _require_state(filing, FilingState.accepted)
    if session.exec(select(CorrectionNotice).where(CorrectionNotice.filing_id == filing_id)).first():
        raise Conflict("补正通知只能出具一次 / a correction notice was already issued for this filing")
    issued_at = now or utcnow()
    today = beijing_today(issued_at)
    number = next_number(session, unit_code=filing.filing_unit_code, year=today.year, kind=NumberKind.correction)
    due = working_days_after(session, today, clock.CORRECTION_DAYS)
    notice = CorrectionNotice(filing_id=filing_id, number=number, items=[i.model_dump() for i in items],
                              issued_at=issued_at, issued_by_id=actor.user_id, due_date=due.date,
                              due_provisional=due.provisional, due_calendar_version=due.calendar_version)
    filing.state, filing.updated_at = FilingState.correction_requested, issued_at
    session.add_all([notice, filing])
    session.flush()
    audit.append(session, actor=actor, action="filing.correction_notice", object_type="filing", object_id=filing_id,
                 details={"number": number, "items": [i.item for i in items], "due": due.date})
    documents.issue_correction_notice(session, actor=actor, filing=filing, notice=notice, settings=settings,
                                      now=issued_at)
    return notice


def submit_correction(session: Session, *, actor: Actor, filing_id: int, now: datetime | None = None) -> Filing:
    """The operator has corrected: on time within the notice's limit, otherwise flagged late; the clock resumes."""
    filing = get_visible(session, Filing, filing_id, actor.user, lock=True)
    _require_submitter(actor, session.get_one(Operator, filing.operator_id))
    _require_state(filing, FilingState.correction_requested)
    notice = session.exec(select(CorrectionNotice).where(CorrectionNotice.filing_id == filing_id)).one()
    corrected_at = now or utcnow()
    notice.corrected_at = corrected_at
    notice.late = beijing_today(corrected_at) > notice.due_date
    filing.state, filing.updated_at = FilingState.corrected, corrected_at
    # The police clock was suspended from the notice to now (第九条): it resumes with the days that were left.
    old_deadline, resumed = clock.resume(session, filing=filing, notice=notice)
    verification.forget_after_correction(filing)
    session.add_all([notice, filing])
    session.flush()
    audit.append(session, actor=actor, action="filing.corrected", object_type="filing", object_id=filing_id,
                 details={"late": notice.late, "deadline_before": old_deadline, "deadline": resumed.date,
                          "provisional": resumed.provisional})
    return filing


# Devices drawn on the 布防图 (第八条: "标明每个摄像机的安装位置"): cameras, not the recorders, encoders and
# other equipment a camera list also declares (GB/T 28181 type codes 131, 132, 121, 122).
PLACED_DEVICE_TYPES = (DeviceType.ipc.value, DeviceType.camera.value, DeviceType.checkpoint.value,
                       DeviceType.multi_lens.value)
# How many unplaced cameras a missing item names before "等 N 台".
NAMED_UNPLACED, NAMED_CHARS = 10, 300


@dataclass(frozen=True)
class MissingItem:
    """One thing that keeps a filing from being complete: its key (a material kind, `cameras`,
    `camera_positions`, `camera_count`) and what is missing, in Chinese, naming the cameras and counts."""

    item: str
    message: str


def completeness(session: Session, filing: Filing) -> list[MissingItem]:
    """What keeps a filing from being complete (第七、八条), in the order the materials are bound: the 备案表
    uploaded, the location diagram, the deployment map, a camera list of the declared size, and every camera
    at its position on the 布防图 (map page and pixel x/y on a deployment map of this filing)."""
    kinds = set(session.exec(select(Material.kind).where(Material.filing_id == filing.id)).all())
    missing = [MissingItem(k.value, MISSING_MATERIALS[k]) for k in MISSING_MATERIALS if k not in kinds]
    listed = session.exec(select(func.count()).select_from(Camera).where(Camera.filing_id == filing.id)).one()
    if not listed:
        missing.append(MissingItem("cameras", "未登记摄像机清单"))
        return missing
    if listed != filing.camera_count_declared:
        missing.append(MissingItem("camera_count", f"备案表申报摄像机 {filing.camera_count_declared} 台"
                                   f"（{filing.camera_types_declared}），摄像机清单登记 {listed} 台，数量不一致"))
    if MaterialKind.deployment_map in kinds:
        maps = select(Material.id).where(Material.filing_id == filing.id) \
            .where(Material.kind == MaterialKind.deployment_map)
        unplaced = (select(Camera.name).where(Camera.filing_id == filing.id)
                    .where(col(Camera.device_type).in_(PLACED_DEVICE_TYPES))
                    .where(or_(col(Camera.map_material_id).is_(None), col(Camera.map_material_id).not_in(maps),
                               col(Camera.map_page).is_(None), col(Camera.map_x).is_(None),
                               col(Camera.map_y).is_(None))))
        count = session.exec(select(func.count()).select_from(unplaced.subquery())).one()
        if count:
            names: list[str] = []
            for name in session.exec(unplaced.order_by(col(Camera.id)).limit(NAMED_UNPLACED)).all():
                if sum(map(len, names)) + len(name) > NAMED_CHARS:
                    break  # the message goes on a correction notice, whose items hold 500 characters
                names.append(name)
            more = f"等 {count} 台" if count > len(names) else ""
            missing.append(MissingItem("camera_positions", f"{count} 台摄像机未在布防图上标注安装位置："
                                       f"{'、'.join(names)}{more}"))
    return missing


def missing_items(session: Session, filing: Filing) -> list[str]:
    """The keys of what keeps a filing from being complete (see `completeness`)."""
    return [m.item for m in completeness(session, filing)]


def review(session: Session, *, actor: Actor, filing_id: int, settings: Settings,
           now: datetime | None = None) -> Filing:
    """复查、复核 by a second officer after the verifying unit's 核对: if complete, file it, issue the receipt
    and the camera codes."""
    filing = _officer_of_filing_unit(session, actor, filing_id)
    _require_state(filing, FilingState.accepted, FilingState.corrected)
    if filing.accepted_by_id == actor.user_id:
        raise Conflict("复核须由受理人以外的民警进行 / the re-check must be done by an officer other than the one "
                       "who accepted", details={"state": filing.state.value, "rule": "two_person"})
    verification.require_verified(session, filing, actor)
    gaps = completeness(session, filing)
    if gaps:
        missing = [g.item for g in gaps]
        raise Conflict(f"材料不齐：{'；'.join(g.message for g in gaps)} / the filing is incomplete: "
                       f"{', '.join(missing)}", details={"state": filing.state.value, "missing": missing,
                                                         "messages": [g.message for g in gaps]})
    operator = session.get_one(Operator, filing.operator_id)
    filed_at = now or utcnow()
    if filing.changes_filing_id is not None:
        changes.supersede(session, actor=actor, change=filing, at=filed_at)
        cameras_service.carry_over(session, filing=filing, removed_at=filed_at)
    cameras = session.exec(select(Camera).where(Camera.filing_id == filing_id).order_by(col(Camera.id))).all()
    identity.check_active_once(session, cameras=cameras)
    with identity.guarded(session, cameras):
        issued = cameras_service.issue_codes(session, filing=filing, operator=operator, cameras=cameras)
    filing.state, filing.filed_at, filing.reviewed_by_id, filing.updated_at = (
        FilingState.filed, filed_at, actor.user_id, filed_at)
    session.add(filing)
    session.flush()
    audit.append(session, actor=actor, action="filing.file", object_type="filing", object_id=filing_id,
                 details={"number": filing.number, "codes_issued": issued})
    documents.issue_filing_documents(session, actor=actor, filing=filing, settings=settings, now=filed_at)
    return filing


def reject(session: Session, *, actor: Actor, filing_id: int, reason: str, now: datetime | None = None) -> Filing:
    """Refuse a filing that cannot be completed (the operator files anew)."""
    filing = _officer_of_filing_unit(session, actor, filing_id)
    _require_state(filing, *AWAITING_DECISION)
    if not reason.strip():
        raise InvalidInput("请说明不予备案的理由 / a reason is required", field="reason")
    filing.state, filing.rejected_reason, filing.updated_at = FilingState.rejected, reason.strip(), now or utcnow()
    session.add(filing)
    session.flush()
    audit.append(session, actor=actor, action="filing.reject", object_type="filing", object_id=filing_id,
                 details={"reason": filing.rejected_reason})
    return filing


def list_visible(session: Session, *, actor: Actor, state: FilingState | None = None,
                 filing_unit_code: str | None = None, district_code: str | None = None,
                 operator_id: int | None = None, submitted_from: date | None = None,
                 submitted_to: date | None = None, late: bool | None = None, overdue_on: date | None = None,
                 awaiting_verification: bool | None = None, after_id: int = 0, limit: int = 50) -> Sequence[Filing]:
    """Filings the user may see, filtered, in id order after a keyset cursor."""
    query = select(Filing).where(clause_for(Filing, actor.user)).where(col(Filing.id) > after_id)
    if state is not None:
        query = query.where(Filing.state == state)
    if filing_unit_code:
        query = query.where(Filing.filing_unit_code == filing_unit_code)
    if operator_id is not None:
        query = query.where(Filing.operator_id == operator_id)
    if district_code:
        query = query.where(col(Filing.operator_id).in_(
            select(Operator.id).where(Operator.district_code == district_code)))
    if submitted_from:
        query = query.where(col(Filing.submitted_at) >= datetime.combine(submitted_from, datetime.min.time()))
    if submitted_to:
        query = query.where(col(Filing.submitted_at) < datetime.combine(submitted_to + timedelta(days=1),
                                                                         datetime.min.time()))
    if late is not None:
        query = query.where(Filing.late == late)
    if overdue_on is not None:  # 办理超期: never a filing waiting for the operator's correction
        query = query.where(clock.overdue_clause(overdue_on))
    if awaiting_verification is not None:
        query = query.where(verification.awaiting_clause(awaiting_verification))
    # Equality-filtered key first (same order): the (key, id) index then serves the page without a sort.
    leading = next((c for c, v in ((Filing.operator_id, operator_id), (Filing.filing_unit_code, filing_unit_code),
                                    (Filing.state, state)) if v is not None and v != ""), None)
    order = (col(leading), col(Filing.id)) if leading is not None else (col(Filing.id),)
    return session.exec(query.order_by(*order).limit(limit)).all()


def history(session: Session, *, actor: Actor, filing_id: int) -> list[Filing]:
    """The chain of filings this one changes and is changed by, oldest first."""
    filing = get_visible(session, Filing, filing_id, actor.user)
    chain = [filing]
    while chain[0].changes_filing_id is not None:
        chain.insert(0, session.get_one(Filing, chain[0].changes_filing_id))
    while True:
        newer = session.exec(select(Filing).where(Filing.changes_filing_id == chain[-1].id)
                             .order_by(col(Filing.id))).first()
        if newer is None:
            break
        chain.append(newer)
    return chain
