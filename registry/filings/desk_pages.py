"""The filing unit's desk (王 and 李, JOURNEYS §1): the queue of the unit's filings by deadline, the re-check queue,
and the actions on a filing's page — accept, one correction notice, the correction recorded, materials handed in
at the desk, re-check and file, reject. Each action calls the workflow service; a refusal comes back on the
filing's page saying why (a 403 or 404 is the error page, as everywhere).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any, Literal

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel, Field
from sqlalchemy import Select
from sqlmodel import Session, col

from registry.actor import Actor
from registry.auth.scope import get_visible, require_role, require_unit
from registry.deps import PageActor, SessionDep, SettingsDep
from registry.errors import DomainError
from registry.exports import views as exports
from registry.exports.service import Filters
from registry.filings import handover, page_uploads, service
from registry.filings.desk_context import DEFECT_NAMES, OTHER
from registry.filings.models import (
    AWAITING_DECISION,
    CorrectionItem,
    Filing,
    FilingState,
    MaterialKind,
    VerificationResult,
)
from registry.filings.pages import DEADLINE_ORDER, FILING_ROW_EXPORT, EngineDep, filing_rows, show_detail
from registry.filings.views import RejectRequest
from registry.imports.columns import Kind
from registry.settings import Settings
from registry.ui.forms import FormErrors, parse
from registry.ui.list_export import export_list
from registry.ui.listing import Column, FilterField, ListSpec, Sort, filters_of, order_of, show_list
from registry.ui.templating import redirect

router: APIRouter = APIRouter(include_in_schema=False)
OPEN_STATES = (FilingState.submitted, *AWAITING_DECISION)
STAGES: dict[str, tuple[FilingState, ...]] = {
    "intake": (FilingState.submitted,),
    "review": (FilingState.accepted, FilingState.corrected),
    "waiting": (FilingState.correction_requested,),
}
STAGE_CHOICES = (("intake", "待受理"), ("review", "待审查、复核"), ("waiting", "待使用单位补正"))


class QueueFilters(BaseModel):
    """The desk queue: open filings of the officer's own unit, by stage or text."""

    q: str | None = Field(default=None, max_length=100)
    stage: Literal["intake", "review", "waiting"] | None = None
    due_by: date | None = None  # the home page's "decisions due within 3 working days"

    def to_export(self, unit_code: str | None) -> Filters:
        """The same rows as the queue's export."""
        return Filters(q=self.q, filing_unit_code=unit_code or "-",
                       states=STAGES[self.stage] if self.stage else OPEN_STATES, deadline_by=self.due_by)


QUEUE_SORTS = (Sort("deadline", "办结期限", DEADLINE_ORDER, date.fromisoformat),
               Sort("id", "登记顺序", col(Filing.id)))
QUEUE_COLUMNS = (
    Column("备案编号", "id"), Column("使用单位"), Column("系统名称"), Column("状态"), Column("提交日期"),
    Column("提交后已等待"), Column("办结期限", "deadline"), Column("受理方式"),
)
QUEUE = ListSpec(
    url="/desk", title="待办备案", filters=QueueFilters,
    fields=(FilterField("q", "查找", placeholder="备案编号、使用单位名称或信用代码"),
            FilterField("stage", "环节", "select", STAGE_CHOICES),
            FilterField("due_by", "办结期限不晚于", "date")),
    sorts=QUEUE_SORTS, default_sort="deadline", id_column=col(Filing.id), columns=QUEUE_COLUMNS,
    row_template="filings/_queue_row.html", export_url="/desk/export", template="filings/queue.html",
)
RECHECK = ListSpec(
    url="/desk/recheck", title="待复核备案", filters=QueueFilters,
    fields=(FilterField("q", "查找", placeholder="备案编号、使用单位名称或信用代码"),),
    sorts=QUEUE_SORTS, default_sort="deadline", id_column=col(Filing.id), columns=QUEUE_COLUMNS,
    row_template="filings/_queue_row.html", template="filings/queue.html", export_url="/desk/recheck/export",
)


def _desk_officer(session: Session, actor: Actor) -> None:
    require_role(actor.user, *service.DESK_ROLES)


@router.get("/desk", response_class=HTMLResponse)
def queue(request: Request, session: SessionDep, actor: PageActor) -> Response:
    """The unit's open filings, the nearest deadline first (not yet accepted ones before all)."""
    _desk_officer(session, actor)
    intro = ("本单位待办的备案，按办结期限排序；未受理的排在最前。标“移交”的是使用单位变更位置等后由其他单位移交本单位"
             "受理的备案。")
    return show_list(request, session, actor, QUEUE, lambda f: filing_rows(actor.user, f.to_export(
        actor.user.unit_code)), extra={"intro": intro, "handed_in": handover.handed_in(session, actor.user.unit_code)})


@router.get("/desk/export.{fmt}")
def queue_export(request: Request, session: SessionDep, engine: EngineDep, actor: PageActor,
                 fmt: Literal["csv", "xlsx"]) -> Response:
    """The queue as CSV or Excel, exactly its filtered rows."""
    _desk_officer(session, actor)
    filters: QueueFilters = filters_of(QUEUE, request)
    return exports.respond(session, engine, actor, Kind.filings, fmt, filters.to_export(actor.user.unit_code),
                           order_of(QUEUE, request))


def recheck_rows(actor: Actor, filters: QueueFilters) -> Select[Any]:
    """Filings ready for the re-check this officer may do: verified on site (核对: matches), neither accepted nor
    verified by himself (two-person rule)."""
    query = filing_rows(actor.user, Filters(q=filters.q, filing_unit_code=actor.user.unit_code or "-",
                                            states=STAGES["review"]))
    return (query.where(col(Filing.accepted_by_id) != actor.user.id)
            .where(col(Filing.verification_result) == VerificationResult.matches.value)
            .where(col(Filing.verified_by_id) != actor.user.id))


RECHECK_INTRO = "核对单位已核对一致、等待复查复核的备案。您本人受理或核对的备案不在此列，须由其他民警复核。"


@router.get("/desk/recheck", response_class=HTMLResponse)
def recheck_queue(request: Request, session: SessionDep, actor: PageActor) -> Response:
    """The re-check queue: accepted or corrected filings another officer accepted."""
    _desk_officer(session, actor)
    return show_list(request, session, actor, RECHECK, lambda f: recheck_rows(actor, f),
                     extra={"intro": RECHECK_INTRO})


@router.get("/desk/recheck/export.{fmt}")
def recheck_export(request: Request, session: SessionDep, actor: PageActor, fmt: Literal["csv", "xlsx"]) -> Response:
    """The re-check queue as CSV or Excel: exactly its rows (this officer's, two-person rule applied), audited."""
    _desk_officer(session, actor)
    return export_list(request, session, actor, RECHECK, lambda f: recheck_rows(actor, f), FILING_ROW_EXPORT, fmt,
                       "recheck-queue")


# --- actions on a filing's page ------------------------------------------------------------------------------

def _filing(session: Session, actor: Actor, filing_id: int) -> Filing:
    """A filing of the officer's own unit: 404 outside scope, 403 for other roles and units."""
    filing = get_visible(session, Filing, filing_id, actor.user)
    require_role(actor.user, *service.DESK_ROLES)
    require_unit(actor.user, filing.filing_unit_code)
    return filing


def _act(request: Request, session: Session, settings: Settings, actor: Actor, filing: Filing,
         action: Callable[[], Any], done: str, *, field: str | None = None,
         values: dict[str, Any] | None = None) -> Response:
    """Run one workflow step; a refusal (409, 422) re-shows the filing's page with why, and what was typed."""
    savepoint = session.begin_nested()
    try:
        action()
    except DomainError as exc:
        savepoint.rollback()
        if exc.status_code in (403, 404):
            raise
        errors = FormErrors()
        errors.add(field or exc.field, exc.message.split(" / ")[0])
        session.refresh(filing)
        return show_detail(request, session, settings, actor, filing, errors=errors, values=values,
                           status=exc.status_code)
    savepoint.commit()
    return redirect(f"/filings/{filing.id}", message=done)


@router.post("/filings/{filing_id}/accept", response_class=HTMLResponse)
def accept(request: Request, session: SessionDep, settings: SettingsDep, actor: PageActor,
           filing_id: int) -> Response:
    """受理: the filing number and the 15-working-day deadline."""
    filing = _filing(session, actor, filing_id)
    return _act(request, session, settings, actor, filing,
                lambda: service.accept(session, actor=actor, filing_id=filing_id),
                "已受理，备案编号已生成，办结期限为 15 个工作日")


def correction_items(form: Any, errors: FormErrors, found: dict[str, str] | None = None) -> list[CorrectionItem]:
    """The notice's items: each ticked defect, then each line of free text (at least one in all). A ticked
    defect the registry found missing (`found`: item → message) says what exactly: how many cameras are
    listed against how many declared, which cameras are not on the 布防图."""
    found = found or {}
    items = [CorrectionItem(item=key, message=found.get(key) or DEFECT_NAMES[key]) for key in form.getlist("defects")
             if key in DEFECT_NAMES]
    for line in str(form.get("other", "")).splitlines():
        if line.strip():
            if len(line.strip()) > 500:
                errors.add("other", "每项最多 500 个字符")
                continue
            items.append(CorrectionItem(item=OTHER, message=line.strip()))
    if not items and not errors:
        errors.add("defects", "请至少勾选一项，或在下面填写需补正的内容")
    return items


@router.post("/filings/{filing_id}/correction", response_class=HTMLResponse)
async def correction(request: Request, session: SessionDep, settings: SettingsDep, actor: PageActor,
                     filing_id: int) -> Response:
    """The one correction notice: every defect ticked plus free text, numbered, 10 working days to correct."""
    filing = _filing(session, actor, filing_id)
    form = await request.form()
    values = {"defects_sent": "1", "defects": [str(d) for d in form.getlist("defects")],
              "other": str(form.get("other", ""))}
    errors = FormErrors()
    try:
        items = correction_items(form, errors, {m.item: m.message for m in service.completeness(session, filing)})
    except ValueError:  # control characters in the free text (registry.text)
        errors.add("other", "含有不能保存的控制字符，请删除后重新填写")
    if errors:
        return show_detail(request, session, settings, actor, filing, errors=errors, values=values, status=422)
    return _act(request, session, settings, actor, filing, lambda: service.request_correction(
        session, actor=actor, filing_id=filing_id, items=items, settings=settings),
        f"已出具补正材料通知单（{len(items)} 项），可在“打印”中打印交使用单位", field="defects", values=values)


@router.post("/filings/{filing_id}/corrected", response_class=HTMLResponse)
def corrected(request: Request, session: SessionDep, settings: SettingsDep, actor: PageActor,
              filing_id: int) -> Response:
    """The operator brought the corrected materials to the desk: record the correction."""
    filing = _filing(session, actor, filing_id)
    return _act(request, session, settings, actor, filing,
                lambda: service.submit_correction(session, actor=actor, filing_id=filing_id),
                "已登记补正，等待复核")


@router.post("/filings/{filing_id}/materials", response_class=HTMLResponse)
async def upload(request: Request, session: SessionDep, settings: SettingsDep, actor: PageActor,
                 filing_id: int) -> Response:
    """Materials handed in at the desk (a corrected 布防图, the signed 备案表)."""
    filing = _filing(session, actor, filing_id)
    form = await request.form()
    values = {"kind": str(form.get("kind", ""))}
    errors = FormErrors()
    files = page_uploads.files_of(form)
    if values["kind"] not in MaterialKind.__members__:
        errors.add("kind", "请选择材料类别")
    if not files:
        errors.add("file", "请选择要上传的文件（PDF、PNG 或 JPEG）")
    if errors:
        return show_detail(request, session, settings, actor, filing, errors=errors, values=values, status=422)
    savepoint = session.begin_nested()
    try:
        await page_uploads.store_files(session, actor=actor, settings=settings, filing_id=filing_id,
                                       kind=MaterialKind(values["kind"]), files=files)
    except DomainError as exc:
        savepoint.rollback()
        if exc.status_code in (403, 404):
            raise
        errors.add("file", exc.message.split(" / ")[0])
        session.refresh(filing)
        return show_detail(request, session, settings, actor, filing, errors=errors, values=values,
                           status=exc.status_code)
    savepoint.commit()
    return redirect(f"/filings/{filing_id}#materials", message=f"已上传 {len(files)} 个文件")


@router.post("/filings/{filing_id}/review", response_class=HTMLResponse)
def review(request: Request, session: SessionDep, settings: SettingsDep, actor: PageActor,
           filing_id: int) -> Response:
    """复核 by a second officer: filed, every camera coded, receipt and review form issued."""
    filing = _filing(session, actor, filing_id)
    return _act(request, session, settings, actor, filing,
                lambda: service.review(session, actor=actor, filing_id=filing_id, settings=settings),
                "已备案：摄像机编码已生成，可打印备案回执单和备案审核表")


@router.post("/filings/{filing_id}/reject", response_class=HTMLResponse)
async def reject(request: Request, session: SessionDep, settings: SettingsDep, actor: PageActor,
                 filing_id: int) -> Response:
    """不予备案, with the reason the operator reads."""
    filing = _filing(session, actor, filing_id)
    values = {"reason": str((await request.form()).get("reason", ""))}
    errors = FormErrors()
    data = parse(RejectRequest, values, errors)
    if data is None:
        return show_detail(request, session, settings, actor, filing, errors=errors, values=values, status=422)
    return _act(request, session, settings, actor, filing,
                lambda: service.reject(session, actor=actor, filing_id=filing_id, reason=data.reason),
                "已作出不予备案决定", field="reason", values=values)
