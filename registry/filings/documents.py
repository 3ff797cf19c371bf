"""What goes into a filing's documents, when each is issued, and where a download comes from.

The filing domain decides the content (this module); registry/documents decides how it looks and keeps
what was issued. The workflow calls `issue_correction_notice` when the notice is issued and
`issue_filing_documents` when the filing is filed, inside the same transaction.
"""

from __future__ import annotations

from datetime import datetime
from urllib.parse import quote

from sqlmodel import Session, col, select

from registry.actor import Actor
from registry.auth.models import User
from registry.auth.scope import get_visible
from registry.camera_codes import type_code_for
from registry.cameras.models import Camera
from registry.code_tables import INDUSTRY, NETWORK, TYPE, lookup
from registry.documents import service as documents
from registry.documents.kinds import (
    AUTHORIZATION,
    BASIC_INFO,
    CORRECTION_NOTICE,
    RECEIPT,
    REVIEW_FORM,
    AuthorizationData,
    BasicInfoData,
    CameraLine,
    CheckLine,
    CorrectionNoticeData,
    CorrectionSummary,
    DefectLine,
    DocumentKind,
    ReceiptData,
    ReviewFormData,
    StepLine,
    get_kind,
)
from registry.documents.models import IssuedDocument
from registry.documents.render import render
from registry.errors import Conflict, NotFound
from registry.filings.models import Channel, CorrectionNotice, Filing, FilingKind, Material, MaterialKind
from registry.operators.models import Operator
from registry.settings import Settings
from registry.timeutil import as_utc, beijing_today

FILING = "filing"
NOTICE = "correction_notice"
# Correction items name a field or material; the notice prints what a person calls it.
ITEM_LABELS = {
    "form": "备案表", "location_diagram": "单位位置示意图", "deployment_map": "布防图", "cameras": "摄像机清单",
    "camera_count": "摄像机数量", "camera_positions": "布防图标注", "camera_details": "摄像机信息",
    "other": "其他材料", "system_name": "系统名称", "system_location": "系统位置", "system_in_use_date": "投入使用日期",
    "retention_days": "视频保存期限", "camera_count_declared": "摄像机数量", "camera_types_declared": "摄像机类型",
    "network_digit": "传输网络", "operator": "使用单位信息", "uscc": "统一社会信用代码", "address": "单位地址",
    "contact": "联系人及电话",
}
MATERIAL_LABELS = {MaterialKind.form: "备案表", MaterialKind.location_diagram: "单位位置示意图",
                   MaterialKind.deployment_map: "布防图"}


def _officer(session: Session, user_id: int | None) -> str:
    user = session.get(User, user_id) if user_id is not None else None
    return user.full_name if user else "——"


def _unit(session: Session, code: str, settings: Settings) -> str:
    return documents.unit_title(session, code, authority=settings.authority_name)


def _device_label(device_type: str) -> str:
    try:
        row = lookup(TYPE["2016"], int(type_code_for(device_type)))
    except ValueError:
        return device_type
    # 网络摄像机(IPC) → 网络摄像机: the column is narrow and the Chinese name is what officers read.
    return row.name_zh.split("(")[0] if row else device_type


def _cameras(session: Session, filing: Filing) -> list[CameraLine]:
    # Every camera filed under this filing, removed ones included: the form shows what was filed.
    rows = session.exec(select(Camera).where(Camera.filing_id == filing.id).order_by(col(Camera.id))).all()
    return [CameraLine(code=c.code, name=c.name, position=c.position_text, device_type=_device_label(c.device_type),
                       ip=c.ip) for c in rows]


def _changes_number(session: Session, filing: Filing) -> str | None:
    original = session.get(Filing, filing.changes_filing_id) if filing.changes_filing_id else None
    return original.number if original else None


def _require_filed(filing: Filing, kind: DocumentKind) -> tuple[str, datetime]:
    if filing.filed_at is None or filing.number is None:
        raise Conflict(f"备案当前状态为 {filing.state.value}，尚未备案，不能出具{kind.title} / the filing is "
                       f"{filing.state.value}: a {kind.name} exists once it is filed",
                       details={"state": filing.state.value, "kind": kind.name})
    return filing.number, as_utc(filing.filed_at)


def receipt_data(session: Session, *, filing: Filing, settings: Settings) -> ReceiptData:
    """备案回执单 of a filed filing."""
    number, filed_at = _require_filed(filing, RECEIPT)
    operator = session.get_one(Operator, filing.operator_id)
    count = len(session.exec(select(Camera.id).where(Camera.filing_id == filing.id)).all())
    return ReceiptData(number=number, operator_name=operator.name, uscc=operator.uscc,
                       system_name=filing.system_name, system_location=filing.system_location, camera_count=count,
                       camera_types=filing.camera_types_declared, retention_days=filing.retention_days,
                       submitted_on=beijing_today(as_utc(filing.submitted_at)), filed_on=beijing_today(filed_at),
                       changes_number=_changes_number(session, filing),
                       issuing_unit=_unit(session, filing.filing_unit_code, settings))


def notice_data(session: Session, *, filing: Filing, notice: CorrectionNotice,
                settings: Settings) -> CorrectionNoticeData:
    """补正材料通知单: every defect and the date the correction limit falls on."""
    operator = session.get_one(Operator, filing.operator_id)
    items = [DefectLine(label=ITEM_LABELS.get(str(i["item"]), str(i["item"])), message=str(i["message"]))
             for i in notice.items]
    return CorrectionNoticeData(number=notice.number, filing_number=filing.number, operator_name=operator.name,
                                system_name=filing.system_name, submitted_on=beijing_today(as_utc(filing.submitted_at)),
                                issued_on=beijing_today(as_utc(notice.issued_at)), items=items,
                                due_workdays=settings.correction_deadline_workdays, due_date=notice.due_date,
                                due_provisional=notice.due_provisional,
                                officer_name=_officer(session, notice.issued_by_id),
                                issuing_unit=_unit(session, filing.filing_unit_code, settings))


def _correction(session: Session, filing: Filing) -> CorrectionSummary | None:
    notice = session.exec(select(CorrectionNotice).where(CorrectionNotice.filing_id == filing.id)).first()
    if notice is None:
        return None
    corrected = beijing_today(as_utc(notice.corrected_at)) if notice.corrected_at else None
    return CorrectionSummary(number=notice.number, issued_on=beijing_today(as_utc(notice.issued_at)),
                             items=len(notice.items), corrected_on=corrected, late=notice.late)


def _verification_step(session: Session, *, filing: Filing, operator: Operator,
                       settings: Settings) -> list[StepLine]:
    """The verifying unit's 核对, once the workflow records one (issue 13 adds verified_at/by and the result
    to Filing; read by name so this module works before and after that lands)."""
    verified_at = getattr(filing, "verified_at", None)
    if verified_at is None:
        return []
    result = str(getattr(filing, "verification_result", "") or "")
    return [StepLine(step="核对", unit=_unit(session, operator.verifying_unit_code, settings).removeprefix(
        settings.authority_name), officer=_officer(session, getattr(filing, "verified_by_id", None)),
        on=beijing_today(as_utc(verified_at)), result={"matches": "与现场相符", "differs": "与现场不符"}.get(result,
                                                                                                   result))]


def review_form_data(session: Session, *, filing: Filing, settings: Settings) -> ReviewFormData:
    """备案审核表: who examined, re-checked and filed it, what was checked, and every camera with its code."""
    number, filed_at = _require_filed(filing, REVIEW_FORM)
    operator = session.get_one(Operator, filing.operator_id)
    kinds = set(session.exec(select(Material.kind).where(Material.filing_id == filing.id)).all())
    cameras = _cameras(session, filing)
    checks = [CheckLine(label=label, present=kind in kinds) for kind, label in MATERIAL_LABELS.items()]
    checks.append(CheckLine(label="摄像机清单", present=bool(cameras), note=f"{len(cameras)} 台"))
    unit = _unit(session, filing.filing_unit_code, settings).removeprefix(settings.authority_name) + "科信部门"
    accepted_on = beijing_today(as_utc(filing.accepted_at)) if filing.accepted_at else None
    steps = [StepLine(step="受理审查", unit=unit, officer=_officer(session, filing.accepted_by_id), on=accepted_on,
                      result="材料受理"),
             *_verification_step(session, filing=filing, operator=operator, settings=settings),
             StepLine(step="复查、复核", unit=unit, officer=_officer(session, filing.reviewed_by_id),
                      on=beijing_today(filed_at), result="材料齐全，符合要求")]
    late = _late_note(filing)
    return ReviewFormData(
        number=number, operator_name=operator.name, uscc=operator.uscc, operator_address=operator.address,
        contact=f"{operator.contact_name} {operator.contact_phone}", system_name=filing.system_name,
        system_location=filing.system_location, acceptance_date=filing.acceptance_date,
        system_in_use_date=filing.system_in_use_date,
        retention_days=filing.retention_days, camera_count_declared=filing.camera_count_declared,
        camera_types=filing.camera_types_declared,
        filing_kind="变更备案" if filing.kind == FilingKind.change else "新建备案",
        changes_number=_changes_number(session, filing),
        channel="网上报送" if filing.channel == Channel.online else "窗口报送", late_note=late,
        submitted_on=beijing_today(as_utc(filing.submitted_at)), checks=checks,
        correction=_correction(session, filing), steps=steps,
        conclusion=f"经{'、'.join(s.step for s in steps)}，备案材料齐全，符合备案要求，予以备案。",
        filed_on=beijing_today(filed_at),
        issuing_unit=_unit(session, filing.filing_unit_code, settings), cameras=cameras)


def _late_note(filing: Filing) -> str:
    """逾期备案 on the review form, by the rule (and date) each count starts from (registry/filings/lateness)."""
    if not filing.late:
        return "按时报送"
    if filing.kind == FilingKind.change:
        return f"逾期备案 {filing.late_days} 天（自变更之日起计）"
    rules = [f"第七条自竣工验收合格起逾期 {filing.late_days_acceptance} 天" if filing.late_days_acceptance else "",
             f"条例第十四条自投入使用起逾期 {filing.late_days_in_use} 天" if filing.late_days_in_use else ""]
    return f"逾期备案 {filing.late_days} 天（{'；'.join(r for r in rules if r)}）"


def basic_info_data(session: Session, *, filing: Filing, settings: Settings) -> BasicInfoData:
    """备案基本信息表, pre-filled from what the operator entered, for signing and sealing."""
    operator = session.get_one(Operator, filing.operator_id)
    industry = lookup(INDUSTRY["2022" if operator.industry_edition == "2022" else "2016"], int(operator.industry_code))
    network = lookup(NETWORK["2016"], filing.network_digit)
    return BasicInfoData(
        number=filing.number, operator_name=operator.name, uscc=operator.uscc, operator_address=operator.address,
        industry=industry.name_zh.removesuffix("接入") if industry else operator.industry_code,
        contact_name=operator.contact_name, contact_phone=operator.contact_phone, system_name=filing.system_name,
        system_location=filing.system_location, acceptance_date=filing.acceptance_date,
        system_in_use_date=filing.system_in_use_date,
        retention_days=filing.retention_days, camera_count=filing.camera_count_declared,
        camera_types=filing.camera_types_declared, network=network.name_zh if network else str(filing.network_digit),
        filing_unit=_unit(session, filing.filing_unit_code, settings), cameras=_cameras(session, filing))


def issue_correction_notice(session: Session, *, actor: Actor, filing: Filing, notice: CorrectionNotice,
                            settings: Settings, now: datetime | None = None, backfill: bool = False) -> IssuedDocument:
    """Issue the notice's PDF when the notice is issued (frozen from then on)."""
    assert filing.id is not None and notice.id is not None
    return documents.issue(session, actor=actor, kind=CORRECTION_NOTICE,
                           data=notice_data(session, filing=filing, notice=notice, settings=settings),
                           subject_type=NOTICE, subject_id=notice.id, operator_id=filing.operator_id,
                           filing_id=filing.id, number=notice.number, unit_code=filing.filing_unit_code,
                           settings=settings, now=now, backfill=backfill)


def _issue_filed(session: Session, *, actor: Actor, filing: Filing, kind: DocumentKind, settings: Settings,
                 now: datetime | None, backfill: bool) -> IssuedDocument:
    assert filing.id is not None and filing.number is not None
    data = (receipt_data if kind is RECEIPT else review_form_data)(session, filing=filing, settings=settings)
    supersedes = None
    if kind is RECEIPT and filing.changes_filing_id is not None:
        old = documents.find(session, kind=RECEIPT, subject_type=FILING, subject_id=filing.changes_filing_id)
        supersedes = old if old is not None and old.superseded_by_id is None else None
    issued = documents.issue(session, actor=actor, kind=kind, data=data, subject_type=FILING, subject_id=filing.id,
                             operator_id=filing.operator_id, filing_id=filing.id, number=filing.number,
                             unit_code=filing.filing_unit_code, settings=settings, now=now, supersedes=supersedes,
                             backfill=backfill)
    if kind is RECEIPT and backfill:
        _supersede_by_newer(session, actor=actor, filing=filing, document=issued)
    return issued


def _supersede_by_newer(session: Session, *, actor: Actor, filing: Filing, document: IssuedDocument) -> None:
    """A receipt issued late for a filing a change has already replaced is born superseded."""
    newer = session.exec(select(Filing).where(Filing.changes_filing_id == filing.id)
                         .where(col(Filing.filed_at).is_not(None))).first()
    if newer is None or newer.id is None:
        return
    replacement = documents.find(session, kind=RECEIPT, subject_type=FILING, subject_id=newer.id)
    if replacement is not None and replacement.issued_at is not None:
        documents.supersede(session, actor=actor, old=document, new=replacement, now=as_utc(replacement.issued_at))


def issue_filing_documents(session: Session, *, actor: Actor, filing: Filing, settings: Settings,
                           now: datetime | None = None) -> list[IssuedDocument]:
    """On filing: the review form and the receipt; a change filing's receipt supersedes the original's."""
    return [_issue_filed(session, actor=actor, filing=filing, kind=kind, settings=settings, now=now, backfill=False)
            for kind in (REVIEW_FORM, RECEIPT)]


def _issued(session: Session, *, actor: Actor, filing: Filing, kind: DocumentKind,
            settings: Settings) -> IssuedDocument:
    """The issued document of this kind for the filing; issued now if the filing predates documents."""
    assert filing.id is not None
    if kind is CORRECTION_NOTICE:
        notice = session.exec(select(CorrectionNotice).where(CorrectionNotice.filing_id == filing.id)).first()
        if notice is None:
            raise Conflict(f"备案当前状态为 {filing.state.value}，未出具补正材料通知单 / the filing is "
                           f"{filing.state.value} and no correction notice was issued for it",
                           details={"state": filing.state.value, "kind": kind.name})
        assert notice.id is not None
        found = documents.find(session, kind=kind, subject_type=NOTICE, subject_id=notice.id)
        return found or issue_correction_notice(session, actor=actor, filing=filing, notice=notice,
                                                settings=settings, backfill=True)
    _require_filed(filing, kind)
    found = documents.find(session, kind=kind, subject_type=FILING, subject_id=filing.id)
    return found or _issue_filed(session, actor=actor, filing=filing, kind=kind, settings=settings, now=None,
                                 backfill=True)


def download(session: Session, *, actor: Actor, filing_id: int, kind_name: str,
             settings: Settings) -> tuple[bytes, str]:
    """A filing's document as a PDF and its file name: issued kinds as issued, the others rendered now."""
    kind = get_kind(kind_name)
    filing = get_visible(session, Filing, filing_id, actor.user, lock=kind.issued)
    label = filing.number or f"filing-{filing_id}"
    if kind in (RECEIPT, REVIEW_FORM, CORRECTION_NOTICE):
        document = _issued(session, actor=actor, filing=filing, kind=kind, settings=settings)
        pdf = documents.read(session, actor=actor, document=document, settings=settings)
        return pdf, f"{kind.title}-{document.number}.pdf"
    if kind is BASIC_INFO:
        info = basic_info_data(session, filing=filing, settings=settings)
        return render(kind, info, font_dir=settings.font_dir), f"{kind.title}-{label}.pdf"
    if kind is AUTHORIZATION:
        operator = session.get_one(Operator, filing.operator_id)
        data = AuthorizationData(operator_name=operator.name,
                                 filing_unit=_unit(session, filing.filing_unit_code, settings))
        return render(kind, data, font_dir=settings.font_dir), f"{kind.title}-{label}.pdf"
    raise NotFound(f"{kind.title}不是备案的文书 / {kind.name} is not a document of a filing", field="kind")


def blank(kind_name: str, settings: Settings) -> tuple[bytes, str]:
    """An empty form to print and fill in by hand (委托办理备案登记授权书)."""
    kind = get_kind(kind_name)
    if not kind.blank:
        raise NotFound(f"{kind.title}没有空白表 / there is no blank {kind.name}", field="kind")
    return render(kind, kind.data_model(), font_dir=settings.font_dir), f"{kind.title}.pdf"


def content_disposition(filename: str) -> str:
    """An inline disposition with the Chinese file name (RFC 6266) and an ASCII fallback."""
    fallback = "".join(ch if ch.isascii() and ch not in '"\\' else "_" for ch in filename)
    return f"inline; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename)}"


def listed(session: Session, *, actor: Actor, filing_id: int) -> list[IssuedDocument]:
    """The documents issued for a filing the user may see."""
    get_visible(session, Filing, filing_id, actor.user)
    return documents.list_for_filing(session, filing_id=filing_id)

