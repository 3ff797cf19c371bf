"""799号令 checks: screening names against prohibited-place terms, declared and measured retention, staff training,
and the signage (提示标识, 第十三条) as the latest inspection recorded it.

Flags are for the inspector: nothing is dropped or refused because of a term (a "客房走廊" — the corridor
outside the rooms — is lawful; the inspector looks and decides).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from datetime import date
from typing import Any

from sqlmodel import Session, col, select

from discovery.models import Device
from discovery.reconcile import reconciliation_from_dict
from discovery.retention import MINIMUM_DAYS
from registry.actor import Actor
from registry.audit import service as audit
from registry.auth.models import OFFICER_ROLES, Role
from registry.auth.scope import CITY_UNIT, get_visible, require_role
from registry.cameras.models import Camera, CameraStatus
from registry.checks.models import (
    ProhibitedTerm,
    ProhibitedTermCreate,
    StaffMember,
    StaffMemberCreate,
    StaffPublic,
    TrainingCreate,
    TrainingPublic,
    TrainingRecord,
)
from registry.errors import Conflict, Forbidden, InvalidInput, NotFound
from registry.filings.models import Filing
from registry.inspections.models import RECORDED, Inspection, InspectionItem, ItemResult
from registry.operators.models import Operator
from registry.scans.models import Scan
from registry.timeutil import beijing_today, utcnow

STAFF_ROLES = (Role.operator, *sorted(OFFICER_ROLES))


@dataclass
class TermFlag:
    """One name that contains a prohibited-place term."""

    source: str  # "camera" (as filed) or "device" (as scanned)
    ref: str  # camera code / id, or device address
    field: str  # name, position_text, scope_name, scope_location, hostname
    text: str
    term: str


def _norm(text: str) -> str:
    """NFKC (full-width letters and digits folded), lower case, no spaces: "客 房" still says 客房."""
    return "".join(unicodedata.normalize("NFKC", text).lower().split())


def screen(items: Iterable[tuple[str, str, str, str]], terms: Sequence[str]) -> list[TermFlag]:
    """(source, ref, field, text) items whose text contains any term; one flag per item and term."""
    folded = [(t, _norm(t)) for t in terms if _norm(t)]
    flags = []
    for source, ref, field, text in items:
        norm = _norm(text or "")
        flags += [TermFlag(source, ref, field, text, term) for term, f in folded if f in norm]
    return flags


# ---------------------------------------------------------------- terms


def active_terms(session: Session) -> list[str]:
    """The terms in force, longest first."""
    rows = session.exec(select(ProhibitedTerm.term).where(col(ProhibitedTerm.active))).all()
    return sorted(rows, key=lambda t: (-len(t), t))


def list_terms(session: Session) -> list[ProhibitedTerm]:
    """Every term, active ones first."""
    return list(session.exec(select(ProhibitedTerm).order_by(col(ProhibitedTerm.active).desc(),
                                                             col(ProhibitedTerm.term))).all())


def _require_city_admin(actor: Actor) -> None:
    if actor.user.role != Role.admin or actor.user.unit_code != CITY_UNIT:
        raise Forbidden("禁止区域词表由市局管理员维护 / the prohibited-place list is kept by the city department's "
                        "administrators")


def add_term(session: Session, *, actor: Actor, data: ProhibitedTermCreate) -> ProhibitedTerm:
    """Add a term (or activate an inactive one again); city administrators only; audited."""
    _require_city_admin(actor)
    term = unicodedata.normalize("NFKC", data.term).strip()
    if not term or len(term) > 20:  # NFKC may lengthen: ㍿ is 株式会社
        raise InvalidInput("词语须为 1–20 个字 / the term must be 1-20 characters", field="term")
    row = session.exec(select(ProhibitedTerm).where(ProhibitedTerm.term == term)).one_or_none()
    if row is not None and row.active:
        raise Conflict(f"“{term}”已在词表中 / {term} is already listed", field="term")
    if row is None:
        row = ProhibitedTerm(term=term)
    row.active, row.note, row.changed_by_id, row.changed_at = True, data.note, actor.user_id, utcnow()
    session.add(row)
    session.flush()
    audit.append(session, actor=actor, action="checks.term_add", object_type="prohibited_term", object_id=row.id,
                 details={"term": term})
    return row


def remove_term(session: Session, *, actor: Actor, term_id: int) -> ProhibitedTerm:
    """Take a term out of force (the row stays, for the history); city administrators only; audited."""
    _require_city_admin(actor)
    row = session.get(ProhibitedTerm, term_id)
    if row is None:
        raise NotFound(f"没有编号为 {term_id} 的词语 / no term {term_id}")
    row.active, row.changed_by_id, row.changed_at = False, actor.user_id, utcnow()
    session.add(row)
    audit.append(session, actor=actor, action="checks.term_remove", object_type="prohibited_term",
                 object_id=row.id, details={"term": row.term})
    return row


# ---------------------------------------------------------------- screening


def camera_items(cameras: Iterable[Camera]) -> list[tuple[str, str, str, str]]:
    """The names of filed cameras that are screened: name and installation position."""
    out = []
    for c in cameras:
        ref = c.code or f"#{c.id}"
        out += [("camera", ref, "name", c.name), ("camera", ref, "position_text", c.position_text)]
    return out


def device_items(devices: Iterable[Device]) -> list[tuple[str, str, str, str]]:
    """The ONVIF names of scanned devices: the name and location scopes and the host name."""
    out = []
    for d in devices:
        out += [("device", d.address, f, getattr(d, f)) for f in ("scope_name", "scope_location", "hostname")
                if getattr(d, f)]
    return out


def latest_scan(session: Session, filing: Filing) -> Scan | None:
    """The newest scan of the filing's site."""
    return session.exec(select(Scan).where(Scan.operator_id == filing.operator_id)
                        .order_by(col(Scan.scanned_at).desc(), col(Scan.id).desc())).first()


def scan_flags(session: Session, scan: Scan) -> list[TermFlag]:
    """Prohibited-place terms in the ONVIF names of a stored scan's devices (terms in force today)."""
    devices = [Device.from_dict(d) for d in scan.report.get("devices", [])]
    return screen(device_items(devices), active_terms(session))


def signage_at_inspection(session: Session, *, operator_id: int) -> dict[str, Any] | None:
    """The signage line (提示标识, 799号令 第十三条) of the operator's latest recorded inspection that answered
    it: its result, the inspector's note and which inspection; None when no inspection has recorded it yet."""
    query = (select(InspectionItem, Inspection)
             .join(Inspection, col(Inspection.id) == col(InspectionItem.inspection_id))
             .where(col(InspectionItem.operator_id) == operator_id, col(InspectionItem.signage).is_(True),
                    col(InspectionItem.result).is_not(None), col(Inspection.state).in_(RECORDED))
             .order_by(col(Inspection.inspected_on).desc(), col(Inspection.id).desc()))
    found = session.exec(query).first()
    if found is None:
        return None
    item, inspection = found
    return {"inspection_id": inspection.id, "number": inspection.number, "inspected_on": inspection.inspected_on,
            "result": item.result, "note": item.note, "label": item.label,
            "flagged": item.result == ItemResult.hazard}


def filing_checks(session: Session, *, actor: Actor, filing_id: int) -> dict[str, Any]:
    """Every 799号令 check of one filing: prohibited places in camera and device names, retention declared
    and measured (the latest scan), the operator's staff without training, and the signage as last inspected."""
    filing = get_visible(session, Filing, filing_id, actor.user)
    terms = active_terms(session)
    cameras = session.exec(select(Camera).where(Camera.filing_id == filing.id)
                           .where(Camera.status == CameraStatus.active).order_by(col(Camera.id))).all()
    flags = screen(camera_items(cameras), terms)
    scan = latest_scan(session, filing)
    measured: list[dict[str, Any]] = []
    if scan is not None:
        flags += screen(device_items(Device.from_dict(d) for d in scan.report.get("devices", [])), terms)
        measured = [asdict(r) for r in reconciliation_from_dict(scan.reconciliation).retention]
    declared = filing.retention_days
    staff = staff_of(session, operator_id=filing.operator_id)
    untrained = [s for s in staff if s.active and not s.trained]
    signage = signage_at_inspection(session, operator_id=filing.operator_id)
    return {
        "filing_id": filing.id,
        "operator_id": filing.operator_id,
        "terms": terms,
        "prohibited": [asdict(f) for f in flags],
        "retention": {
            "minimum_days": MINIMUM_DAYS,
            "declared_days": declared,
            "declared_ok": declared is not None and declared >= MINIMUM_DAYS,
            "scan_id": scan.id if scan else None,
            "scanned_at": scan.scanned_at if scan else None,
            "measured": measured,
            "flagged": sum(1 for r in measured if r["problems"]),
        },
        "staff": {"total": sum(1 for s in staff if s.active), "untrained": [s.model_dump() for s in untrained]},
        "signage": signage,
        "flag_count": len(flags) + sum(1 for r in measured if r["problems"]) + len(untrained)
        + (0 if declared is not None and declared >= MINIMUM_DAYS else 1)
        + (1 if signage and signage["flagged"] else 0),
    }


# ---------------------------------------------------------------- staff and training


def staff_of(session: Session, *, operator_id: int) -> list[StaffPublic]:
    """The operator's staff with their trainings, newest training first (no scope check: callers check)."""
    people = session.exec(select(StaffMember).where(StaffMember.operator_id == operator_id)
                          .order_by(col(StaffMember.active).desc(), col(StaffMember.id))).all()
    trainings: dict[int, list[TrainingRecord]] = {}
    for t in session.exec(select(TrainingRecord).where(TrainingRecord.operator_id == operator_id)
                          .order_by(col(TrainingRecord.trained_on).desc(), col(TrainingRecord.id).desc())):
        trainings.setdefault(t.staff_id, []).append(t)
    out = []
    for p in people:
        mine = trainings.get(p.id or 0, [])
        out.append(StaffPublic(id=p.id or 0, operator_id=p.operator_id, name=p.name, duty=p.duty, phone=p.phone,
                               active=p.active, trained=bool(mine),
                               last_trained_on=mine[0].trained_on if mine else None,
                               trainings=[TrainingPublic.model_validate(t, from_attributes=True) for t in mine]))
    return out


def list_staff(session: Session, *, actor: Actor, operator_id: int) -> list[StaffPublic]:
    """The staff list of an operator the user may see."""
    get_visible(session, Operator, operator_id, actor.user)
    return staff_of(session, operator_id=operator_id)


def add_staff(session: Session, *, actor: Actor, operator_id: int, data: StaffMemberCreate) -> StaffPublic:
    """Add a person to the staff list (the operator itself, or an officer of its units); audited."""
    get_visible(session, Operator, operator_id, actor.user)
    require_role(actor.user, *STAFF_ROLES)
    person = StaffMember(operator_id=operator_id, **data.model_dump())
    session.add(person)
    session.flush()
    audit.append(session, actor=actor, action="checks.staff_add", object_type="staff_member", object_id=person.id,
                 details={"operator_id": operator_id, "duty": data.duty.value})
    return next(s for s in staff_of(session, operator_id=operator_id) if s.id == person.id)


def _staff(session: Session, actor: Actor, operator_id: int, staff_id: int) -> StaffMember:
    get_visible(session, Operator, operator_id, actor.user)
    person = session.get(StaffMember, staff_id)
    if person is None or person.operator_id != operator_id:
        raise NotFound(f"该单位没有编号为 {staff_id} 的人员 / no staff member {staff_id} at this operator")
    require_role(actor.user, *STAFF_ROLES)
    return person


def leave_staff(session: Session, *, actor: Actor, operator_id: int, staff_id: int) -> StaffPublic:
    """Mark a person as gone (kept with their trainings); audited."""
    person = _staff(session, actor, operator_id, staff_id)
    person.active = False
    session.add(person)
    audit.append(session, actor=actor, action="checks.staff_leave", object_type="staff_member",
                 object_id=person.id, details={"operator_id": operator_id})
    return next(s for s in staff_of(session, operator_id=operator_id) if s.id == staff_id)


def record_training(session: Session, *, actor: Actor, operator_id: int, staff_id: int,
                    data: TrainingCreate, today: date | None = None) -> StaffPublic:
    """Record one training (who, when, what); a date in the future is refused; audited."""
    person = _staff(session, actor, operator_id, staff_id)
    if data.trained_on > (today or beijing_today()):
        raise InvalidInput("培训日期不能晚于今天 / the training cannot be in the future", field="trained_on")
    if not person.active:
        raise Conflict("该人员已离岗 / this person has left", field="staff_id")
    row = TrainingRecord(operator_id=operator_id, staff_id=staff_id, recorded_by_id=actor.user_id, **data.model_dump())
    session.add(row)
    session.flush()
    audit.append(session, actor=actor, action="checks.training", object_type="training_record", object_id=row.id,
                 details={"operator_id": operator_id, "staff_id": staff_id, "trained_on": data.trained_on})
    return next(s for s in staff_of(session, operator_id=operator_id) if s.id == staff_id)
