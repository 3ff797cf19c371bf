"""Issuing the 检查笔录 and the 整改通知书 as documents (rendered once, frozen, verifiable)."""

from __future__ import annotations

from sqlmodel import Session, col, select

from registry.actor import Actor
from registry.documents import service as documents
from registry.documents.models import IssuedDocument
from registry.filings.models import Filing, FilingState
from registry.inspections.doc_kinds import (
    INSPECTION_RECORD,
    RECTIFICATION_NOTICE,
    HazardLine,
    RecordData,
    RecordLine,
    RectificationData,
)
from registry.inspections.models import Inspection, InspectionState, ItemResult, Rectification
from registry.operators.models import Operator
from registry.scans.models import Scan
from registry.settings import Settings

KIND_LABELS = {"periodic": "定期检查", "ad_hoc": "临时检查", "special": "专项检查", "random": "随机抽查"}
RESULT_LABELS = {ItemResult.ok: "符合", ItemResult.hazard: "存在隐患", ItemResult.na: "不适用"}
OUTCOME_LABELS = {"matched": "一致", "changed": "有变化", "missing": "未发现", "unfiled": "未备案",
                  "ambiguous": "无法确定"}


def _filing_id(session: Session, operator_id: int) -> int | None:
    """The operator's latest filed filing, which documents are listed under."""
    return session.exec(select(Filing.id).where(Filing.operator_id == operator_id, Filing.state == FilingState.filed)
                        .order_by(col(Filing.id).desc())).first()


def scan_summary(session: Session, scan_id: int | None) -> str:
    """The attached scan's reconciliation in one line: 一致 46 台，有变化 2 台 …"""
    scan = session.get(Scan, scan_id) if scan_id else None
    if scan is None:
        return ""
    parts = [f"{OUTCOME_LABELS.get(k, k)} {v} 台" for k, v in scan.counts.items() if v]
    return f"{scan.scanned_at:%Y-%m-%d} 核查比对（{scan.device_count} 台设备）：" + ("，".join(parts) or "无结果")


def issue_record(session: Session, *, actor: Actor, inspection: Inspection, settings: Settings) -> IssuedDocument:
    """Issue the 检查笔录 of a recorded inspection."""
    from registry.inspections.service import items_of

    assert inspection.id is not None
    operator = session.get_one(Operator, inspection.operator_id)
    notice = session.exec(select(Rectification).where(Rectification.inspection_id == inspection.id)).first()
    lines = items_of(session, inspection.id)
    data = RecordData(
        number=inspection.number, operator_name=operator.name, uscc=operator.uscc, operator_address=operator.address,
        place=inspection.place, inspected_on=inspection.inspected_on, kind=KIND_LABELS[inspection.kind.value],
        issuing_unit=documents.unit_title(session, inspection.unit_code, authority=settings.authority_name),
        officers=inspection.officer_names,
        lines=[RecordLine(label=line.label, article=line.article, result=RESULT_LABELS[line.result] if line.result
                          else "", note=line.note) for line in lines],
        scan_summary=scan_summary(session, inspection.scan_id), findings=inspection.findings,
        hazards=sum(1 for line in lines if line.result == ItemResult.hazard),
        rectification_number=notice.number if notice else None, rectification_due=notice.due_date if notice else None,
        representative_name=inspection.representative_name or "",
        representative_title=inspection.representative_title or "",
        signed=inspection.state == InspectionState.signed,
        representative_statement=inspection.representative_statement or "", refusal_note=inspection.refusal_note or "")
    return documents.issue(session, actor=actor, kind=INSPECTION_RECORD, data=data, subject_type="inspection",
                           subject_id=inspection.id, operator_id=inspection.operator_id,
                           filing_id=_filing_id(session, inspection.operator_id), number=inspection.number,
                           unit_code=inspection.unit_code, settings=settings)


def issue_notice(session: Session, *, actor: Actor, notice: Rectification, settings: Settings) -> IssuedDocument:
    """Issue the 整改通知书 of a rectification."""
    assert notice.id is not None
    inspection = session.get_one(Inspection, notice.inspection_id)
    operator = session.get_one(Operator, notice.operator_id)
    data = RectificationData(
        number=notice.number, operator_name=operator.name, inspection_number=inspection.number,
        inspected_on=inspection.inspected_on, issued_on=notice.issued_on,
        items=[HazardLine(label=i["label"], note=i["note"]) for i in notice.items], workdays=notice.workdays,
        due_date=notice.due_date, due_provisional=notice.due_provisional, officers=inspection.officer_names,
        issuing_unit=documents.unit_title(session, notice.unit_code, authority=settings.authority_name))
    return documents.issue(session, actor=actor, kind=RECTIFICATION_NOTICE, data=data, subject_type="rectification",
                           subject_id=notice.id, operator_id=notice.operator_id,
                           filing_id=_filing_id(session, notice.operator_id), number=notice.number,
                           unit_code=notice.unit_code, settings=settings)


def record_document(session: Session, inspection_id: int) -> IssuedDocument | None:
    """The issued 检查笔录 of an inspection, if recorded."""
    return documents.find(session, kind=INSPECTION_RECORD, subject_type="inspection", subject_id=inspection_id)


def notice_document(session: Session, rectification_id: int) -> IssuedDocument | None:
    """The issued 整改通知书 of a rectification."""
    return documents.find(session, kind=RECTIFICATION_NOTICE, subject_type="rectification",
                          subject_id=rectification_id)
