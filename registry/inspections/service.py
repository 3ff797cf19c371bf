"""Inspections: open with two officers, answer the checklist, attach a scan and photos, record the 检查笔录."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from sqlmodel import Session, col, select

from registry.actor import Actor
from registry.audit import service as audit
from registry.auth.models import OFFICER_ROLES, Role, User
from registry.auth.scope import get_visible, require_role
from registry.errors import Conflict, Forbidden, InvalidInput, NotFound
from registry.filings import materials
from registry.inspections import checklist, numbers, periods
from registry.inspections.models import (
    RECORDED,
    Inspection,
    InspectionCreate,
    InspectionItem,
    InspectionPhoto,
    InspectionPublic,
    InspectionRecord,
    InspectionState,
    ItemAnswer,
    ItemResult,
    Rectification,
)
from registry.operators.models import Operator
from registry.scans.models import Scan
from registry.settings import Settings
from registry.timeutil import utcnow
from registry.units.models import PoliceUnit

# Who inspects: the business departments' and stations' officers (SPEC §6); administrators only manage.
INSPECT_ROLES = (Role.inspector, Role.intake, Role.reviewer, Role.supervisor)
MIN_OFFICERS = 2


def _officers(session: Session, *, actor: Actor, officer_ids: list[int]) -> list[User]:
    """At least two distinct, active officers of the actor's unit, the actor among them (第十四条)."""
    if len(set(officer_ids)) != len(officer_ids):
        raise InvalidInput("同一民警不能重复登记为两名检查人员 / the same officer cannot be listed twice",
                           field="officer_ids")
    if len(officer_ids) < MIN_OFFICERS:
        raise InvalidInput("监督检查应当不少于二名民警 / an inspection needs at least two officers (第十四条)",
                           field="officer_ids")
    if actor.user_id not in officer_ids:
        raise InvalidInput("登记人应为检查民警之一 / the officer recording the inspection must be one of its officers",
                           field="officer_ids")
    users = {u.id: u for u in session.exec(select(User).where(col(User.id).in_(officer_ids))).all()}
    for officer_id in officer_ids:
        user = users.get(officer_id)
        if (user is None or not user.active or user.role not in OFFICER_ROLES
                or user.unit_code != actor.user.unit_code):
            raise InvalidInput(f"民警 {officer_id} 不是本单位在职民警 / user {officer_id} is not an active officer "
                               f"of unit {actor.user.unit_code}", field="officer_ids")
    return [users[i] for i in officer_ids]


def create(session: Session, *, actor: Actor, data: InspectionCreate, today: date) -> Inspection:
    """Open an inspection of a visible operator with the unit's officers; the checklist lines are copied in."""
    operator = get_visible(session, Operator, data.operator_id, actor.user)
    require_role(actor.user, *INSPECT_ROLES)
    assert actor.user.unit_code is not None  # officers always belong to a unit
    officers = _officers(session, actor=actor, officer_ids=data.officer_ids)
    inspected_on = data.inspected_on or today
    if inspected_on > today:
        raise InvalidInput("检查日期不能晚于今天 / the inspection date cannot be in the future", field="inspected_on")
    number = numbers.next_number(session, unit_code=actor.user.unit_code, year=inspected_on.year, kind="inspection")
    inspection = Inspection(number=number, operator_id=data.operator_id, unit_code=actor.user.unit_code,
                            kind=data.kind, inspected_on=inspected_on, place=data.place or operator.address,
                            officer_ids=[o.id for o in officers if o.id is not None],
                            officer_names=[o.full_name for o in officers], created_by_id=actor.user_id)
    session.add(inspection)
    session.flush()
    assert inspection.id is not None
    for line in checklist.items(session):
        session.add(InspectionItem(inspection_id=inspection.id, operator_id=inspection.operator_id, key=line.key,
                                   label=line.label, article=line.article, position=line.position,
                                   signage=line.signage))
    session.flush()
    audit.append(session, actor=actor, action="inspection.open", object_type="inspection", object_id=inspection.id,
                 details={"number": number, "operator_id": data.operator_id, "kind": data.kind.value,
                          "inspected_on": inspected_on.isoformat(), "officer_ids": inspection.officer_ids})
    return inspection


def get_open(session: Session, *, actor: Actor, inspection_id: int) -> Inspection:
    """An inspection still being recorded, which the actor is one of the officers of."""
    inspection = get_visible(session, Inspection, inspection_id, actor.user, lock=True)
    if actor.user_id not in inspection.officer_ids:
        raise Forbidden("只有本次检查的民警可以填写检查笔录 / only the inspection's officers may record it")
    if inspection.state != InspectionState.open:
        raise Conflict("检查笔录已签署完成，不能再修改 / the inspection record is closed and cannot change",
                       details={"state": inspection.state.value})
    return inspection


def items_of(session: Session, inspection_id: int) -> list[InspectionItem]:
    """The inspection's checklist lines in order."""
    return list(session.exec(select(InspectionItem).where(InspectionItem.inspection_id == inspection_id)
                             .order_by(col(InspectionItem.position), col(InspectionItem.id))).all())


def answer(session: Session, *, actor: Actor, inspection_id: int, answers: list[ItemAnswer]) -> Inspection:
    """Answer checklist lines: ok, a hazard with a note saying what is wrong, or not applicable."""
    inspection = get_open(session, actor=actor, inspection_id=inspection_id)
    lines = {line.key: line for line in items_of(session, inspection_id)}
    for index, given in enumerate(answers):
        line = lines.get(given.key)
        if line is None:
            raise InvalidInput(f"检查表中没有 {given.key} 这一项 / no checklist line {given.key}",
                               field=f"items.{index}.key")
        if given.result == ItemResult.hazard and not given.note.strip():
            raise InvalidInput(f"“{line.label}”存在隐患，须写明情况 / a hazard needs a note saying what is wrong",
                               field=f"items.{index}.note")
        line.result, line.note = given.result, given.note.strip()
        session.add(line)
    session.flush()
    audit.append(session, actor=actor, action="inspection.items", object_type="inspection", object_id=inspection_id,
                 details={"answers": {a.key: a.result.value for a in answers}})
    return inspection


def attach_scan(session: Session, *, actor: Actor, inspection_id: int, scan_id: int) -> Inspection:
    """Attach a discrepancy scan of the same operator's site; its reconciliation is shown with the inspection."""
    inspection = get_open(session, actor=actor, inspection_id=inspection_id)
    scan = get_visible(session, Scan, scan_id, actor.user)
    if scan.operator_id != inspection.operator_id:
        raise InvalidInput("该核查比对不是被检查单位的 / the scan belongs to another operator's site", field="scan_id")
    inspection.scan_id = scan_id
    session.add(inspection)
    session.flush()
    audit.append(session, actor=actor, action="inspection.scan", object_type="inspection", object_id=inspection_id,
                 details={"scan_id": scan_id, "counts": scan.counts})
    return inspection


def add_photo(session: Session, *, actor: Actor, inspection_id: int, filename: str, data: bytes, caption: str,
              settings: Settings) -> InspectionPhoto:
    """Store a photo taken on site (PNG, JPEG or PDF, type read from the content) under its SHA-256."""
    inspection = get_open(session, actor=actor, inspection_id=inspection_id)
    materials.check_size(len(data), settings.max_upload_bytes)
    mime = materials.sniff(data)
    digest = materials.store(settings.materials_dir, data)
    photo = InspectionPhoto(inspection_id=inspection_id, operator_id=inspection.operator_id, sha256=digest, mime=mime,
                            size=len(data), filename=Path(filename or "photo").name[:255], caption=caption[:200],
                            uploaded_by_id=actor.user_id)
    session.add(photo)
    session.flush()
    audit.append(session, actor=actor, action="inspection.photo", object_type="inspection", object_id=inspection_id,
                 details={"photo_id": photo.id, "sha256": digest})
    return photo


def read_photo(session: Session, *, actor: Actor, photo_id: int, settings: Settings) -> tuple[InspectionPhoto, Path]:
    """A visible photo and the path of its bytes; every read is audited."""
    photo = get_visible(session, InspectionPhoto, photo_id, actor.user)
    audit.append(session, actor=actor, action="inspection.photo.read", object_type="inspection",
                 object_id=photo.inspection_id, details={"photo_id": photo_id, "sha256": photo.sha256})
    return photo, materials.stored_path(settings.materials_dir, photo.sha256, "检查照片")


def photos_of(session: Session, inspection_id: int) -> list[InspectionPhoto]:
    """The inspection's photos, oldest first."""
    return list(session.exec(select(InspectionPhoto).where(InspectionPhoto.inspection_id == inspection_id)
                             .order_by(col(InspectionPhoto.id))).all())


def record(session: Session, *, actor: Actor, inspection_id: int, data: InspectionRecord, today: date,
           settings: Settings) -> Inspection:
    """Close the 检查笔录: every line answered, the representative's signature or the refusal noted (第十四条).

    Hazards give an 整改通知 with a deadline in working days; the record (and the notice) are issued as
    documents in the same transaction.
    """
    from registry.inspections import documents, rectification

    inspection = get_open(session, actor=actor, inspection_id=inspection_id)
    lines = items_of(session, inspection_id)
    missing = [line.label for line in lines if line.result is None]
    if missing:
        raise InvalidInput(f"检查表还有 {len(missing)} 项未填写：{'；'.join(missing)} / every checklist line needs "
                           "an answer", field="items", details={"missing": missing})
    if not data.signed and not data.refusal_note.strip():
        raise InvalidInput("被检查单位拒绝签名的，检查民警应注明情况 / a refusal to sign must be noted by the officers",
                           field="refusal_note")
    inspection.findings = data.findings.strip()
    inspection.representative_name = data.representative_name.strip()
    inspection.representative_title = data.representative_title.strip()
    inspection.representative_statement = data.representative_statement.strip() or None
    inspection.refusal_note = None if data.signed else data.refusal_note.strip()
    inspection.state = InspectionState.signed if data.signed else InspectionState.refused
    inspection.recorded_at = utcnow()
    session.add(inspection)
    session.flush()
    hazards = [line for line in lines if line.result == ItemResult.hazard]
    notice: Rectification | None = None
    if hazards:
        notice = rectification.issue(session, actor=actor, inspection=inspection, hazards=hazards,
                                     workdays=data.rectification_workdays, today=today)
    audit.append(session, actor=actor, action="inspection.record", object_type="inspection", object_id=inspection_id,
                 details={"state": inspection.state.value, "hazards": len(hazards),
                          "rectification_id": notice.id if notice else None})
    documents.issue_record(session, actor=actor, inspection=inspection, settings=settings)
    if notice is not None:
        documents.issue_notice(session, actor=actor, notice=notice, settings=settings)
    return inspection


def public(session: Session, inspection: Inspection) -> InspectionPublic:
    """The inspection as the API returns it, with its lines, scan counts, notice and document."""
    from registry.inspections import documents

    assert inspection.id is not None
    scan = session.get(Scan, inspection.scan_id) if inspection.scan_id else None
    notice = session.exec(select(Rectification.id).where(Rectification.inspection_id == inspection.id)).first()
    document = documents.record_document(session, inspection.id)
    body = InspectionPublic.model_validate(inspection, update={
        "items": [line.model_dump() for line in items_of(session, inspection.id)],
        "scan_counts": scan.counts if scan else None, "rectification_id": notice,
        "document_id": document.id if document else None})
    return body


def review(session: Session, *, actor: Actor, inspection_id: int, comment: str, today: date) -> Inspection:
    """科信 review (监督复查) of a recorded inspection, in the June 1–15 / October 8–25 windows."""
    inspection = get_visible(session, Inspection, inspection_id, actor.user, lock=True)
    require_role(actor.user, Role.reviewer, Role.supervisor)
    unit = session.get(PoliceUnit, inspection.unit_code)
    own = {inspection.unit_code, unit.parent_code if unit else None}
    if actor.user.unit_code not in own:
        raise Forbidden("只能复查本单位（含所属派出所）的检查 / only the inspecting unit's own 科信 (or its branch's) "
                        "reviews its inspections")
    window = periods.require_review_window(today)
    if inspection.state not in RECORDED:
        raise Conflict("检查笔录尚未完成，不能复查 / the inspection is not recorded yet")
    if periods.HalfYear.of(inspection.inspected_on) != window.half:
        raise Conflict(f"本期复查{window.half.label}的检查 / this window reviews the inspections of {window.half}",
                       details={"half": str(window.half)})
    first = inspection.reviewed_at is None
    inspection.reviewed_at, inspection.reviewed_by_id, inspection.review_comment = utcnow(), actor.user_id, comment
    session.add(inspection)
    session.flush()
    audit.append(session, actor=actor, action="inspection.review", object_type="inspection", object_id=inspection_id,
                 details={"comment": comment, "first": first, "window": window.season})
    return inspection


def get_inspection(session: Session, *, actor: Actor, inspection_id: int) -> Inspection:
    """A visible inspection (404 otherwise)."""
    try:
        return get_visible(session, Inspection, inspection_id, actor.user)
    except NotFound:
        raise NotFound(f"检查记录 {inspection_id} 不存在 / inspection {inspection_id} not found") from None
