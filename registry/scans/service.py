"""Reconciling a scan with a filing's cameras, and storing it against the site."""

from __future__ import annotations

import json

from sqlmodel import Session, col, select

from discovery.models import Device, FiledCamera
from discovery.reconcile import Reconciliation, diff_scans, reconcile
from discovery.report import MAX_DEVICES, ReportError, ReportTooLarge, ScanReport, report_from_bytes
from registry.actor import Actor
from registry.audit import service as audit
from registry.auth.models import Role
from registry.auth.scope import get_visible, require_role
from registry.cameras.models import Camera, CameraStatus
from registry.errors import InvalidInput, TooLarge
from registry.filings.models import AWAITING_DECISION, Filing, FilingState
from registry.scans.models import Scan

SCAN_ROLES = (Role.inspector, Role.intake, Role.reviewer, Role.supervisor, Role.admin)


def parse_upload(data: bytes, filename: str = "scan.json", *, max_devices: int = MAX_DEVICES) -> ScanReport:
    """Check an uploaded report: JSON within bounds, the schema, and its checksum (a hand-edited report is refused).

    Nesting, number size and device count are bounded while parsing (discovery.report.report_from_bytes):
    200,000 `[` or a 5,000-digit number is a 422, a report of more devices than `max_devices` a 413.
    """
    try:
        return report_from_bytes(data, filename, max_devices=max_devices)
    except ReportTooLarge as exc:
        raise TooLarge(f"扫描报告设备过多 / too many devices: {exc} (CAMREG_SCAN_MAX_DEVICES)", field="file") from exc
    except ReportError as exc:
        raise InvalidInput(f"扫描报告无效 / invalid scan report: {exc}", field="file") from exc


def filed_cameras(session: Session, filing: Filing) -> list[FiledCamera]:
    """The filing's active cameras, as reconciliation takes them."""
    rows = session.exec(select(Camera).where(Camera.filing_id == filing.id)
                        .where(Camera.status == CameraStatus.active).order_by(col(Camera.id))).all()
    return [FiledCamera(code=c.code or f"uncoded-{c.id}", name=c.name, ip=c.ip or "", mac=c.mac or "",
                        serial=c.serial or "", endpoint_uuid=c.onvif_uuid or "", manufacturer=c.manufacturer or "",
                        model=c.model or "") for c in rows]


def reconcile_filing(session: Session, *, filing: Filing, report: ScanReport) -> Reconciliation:
    """Classify every filed camera and every scanned device; check the footage held against the declared retention."""
    return reconcile(filed_cameras(session, filing), report.devices, declared_retention_days=filing.retention_days)


def record(session: Session, *, actor: Actor, filing_id: int, report: ScanReport) -> Scan:
    """Store a scan against its filing and operator, reconciled, with the changes since the last scan."""
    filing = get_visible(session, Filing, filing_id, actor.user)
    require_role(actor.user, *SCAN_ROLES)
    # A site is scanned for the 核对 before it is filed (accepted onwards), and on inspections after.
    if filing.state not in (*AWAITING_DECISION, FilingState.filed):
        raise InvalidInput("只能对已受理或已备案的系统进行核查比对 / only an accepted or filed filing can be checked "
                           "against a scan", field="filing_id")
    result = reconcile_filing(session, filing=filing, report=report)
    previous = session.exec(select(Scan).where(Scan.operator_id == filing.operator_id)
                            .order_by(col(Scan.scanned_at).desc(), col(Scan.id).desc())).first()
    changes = None
    if previous is not None:
        before = [Device.from_dict(d) for d in previous.report.get("devices", [])]
        changes = diff_scans(before, report.devices).to_dict()
    dumped = json.loads(report.model_dump_json())
    scan = Scan(operator_id=filing.operator_id, filing_id=filing_id,
                previous_scan_id=previous.id if previous else None, checksum=report.checksum,
                scanned_at=report.started_at, host=report.host, networks=report.networks,
                device_count=len(report.devices), counts=result.counts(), report=dumped,
                reconciliation=result.to_dict(), changes_since_previous=changes, uploaded_by_id=actor.user_id)
    session.add(scan)
    session.flush()
    audit.append(session, actor=actor, action="scan.upload", object_type="scan", object_id=scan.id,
                 details={"filing_id": filing_id, "checksum": report.checksum, "counts": scan.counts,
                          "retention_flagged": result.to_dict()["retention_flagged"]})
    return scan
