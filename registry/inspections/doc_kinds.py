"""The supervision documents: 检查笔录 (第十四条) and 整改通知书, registered with registry/documents."""

from __future__ import annotations

from datetime import date

from pydantic import Field

from registry.documents.kinds import DocumentData, DocumentKind, register


class RecordLine(DocumentData):
    """One checklist line as the record prints it."""

    label: str
    article: str = ""
    result: str
    note: str = ""


class RecordData(DocumentData):
    """检查笔录: what was checked, the hazards found, the officers, the representative's signature or refusal."""

    number: str
    operator_name: str
    uscc: str
    operator_address: str
    place: str
    inspected_on: date
    kind: str
    issuing_unit: str
    officers: list[str] = Field(min_length=2)
    lines: list[RecordLine]
    scan_summary: str = ""
    findings: str = ""
    hazards: int
    rectification_number: str | None = None
    rectification_due: date | None = None
    representative_name: str
    representative_title: str = ""
    signed: bool
    representative_statement: str = ""
    refusal_note: str = ""


class HazardLine(DocumentData):
    """One hazard to correct."""

    label: str
    note: str


class RectificationData(DocumentData):
    """整改通知书: the hazards, the working-day deadline, the follow-up to come."""

    number: str
    operator_name: str
    inspection_number: str
    inspected_on: date
    issued_on: date
    items: list[HazardLine] = Field(min_length=1)
    workdays: int
    due_date: date
    due_provisional: bool = False
    officers: list[str]
    issuing_unit: str


INSPECTION_RECORD = register(DocumentKind("inspection_record", "检查笔录", "inspection_record.typ", RecordData,
                                          issued=True))
RECTIFICATION_NOTICE = register(DocumentKind("rectification_notice", "整改通知书", "rectification_notice.typ",
                                             RectificationData, issued=True))
