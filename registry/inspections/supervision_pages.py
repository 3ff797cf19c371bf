"""Supervision pages: rectification notices and their follow-up, the 科信 review window (the city's spot checks:
registry/inspections/spotcheck_pages.py)."""

from __future__ import annotations

from collections import Counter
from datetime import date
from typing import Any, Literal

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel, Field
from sqlalchemy import Select, or_
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from registry.actor import Actor
from registry.auth.models import OFFICER_ROLES, Role
from registry.auth.scope import CITY_UNIT, get_visible, require_role
from registry.clock import TodayDep
from registry.deps import PageActor, SessionDep, SettingsDep
from registry.errors import DomainError
from registry.inspections import documents as inspection_documents
from registry.inspections import periods, rectification, service
from registry.inspections.models import (
    RECORDED,
    FollowUpInput,
    Inspection,
    Rectification,
    RectificationState,
    ReviewInput,
)
from registry.inspections.pages import pdf_response
from registry.inspections.periods import HalfYear
from registry.inspections.views import allowed_unit
from registry.operators.models import Operator
from registry.ui.forms import FormErrors, blank_to_none, parse
from registry.ui.list_export import ExportColumn, export_list
from registry.ui.listing import Column, FilterField, ListSpec, Sort, show_list
from registry.ui.templating import redirect, render
from registry.units.models import PoliceUnit

router = APIRouter(include_in_schema=False)
REVIEW_ROLES = (Role.reviewer, Role.supervisor)
NOTICE_STATES = (("open", "整改中"), ("overdue", "已逾期"), ("closed", "已整改（销号）"),
                 ("escalated", "未整改（转处罚）"))


# --- rectification notices ---------------------------------------------------------------------------------

class NoticeFilters(BaseModel):
    """What the rectification list can be narrowed by."""

    q: str | None = Field(default=None, max_length=100)
    status: Literal["open", "overdue", "closed", "escalated"] | None = None


def _notice_rows(unit_code: str, filters: NoticeFilters, today: date) -> Select[Any]:
    columns: list[Any] = [Rectification, col(Operator.name).label("operator_name")]
    query = (sa_select(*columns).select_from(Rectification)
             .join(Operator, col(Operator.id) == col(Rectification.operator_id))
             .where(rectification.unit_clause(unit_code)))
    if filters.status in ("open", "overdue"):
        query = query.where(col(Rectification.state) == RectificationState.open)
        if filters.status == "overdue":
            query = query.where(col(Rectification.due_date) < today)
    elif filters.status is not None:
        query = query.where(col(Rectification.state) == RectificationState(filters.status))
    if filters.q:
        text = filters.q.strip()
        query = query.where(col(Operator.name).contains(text) | (col(Operator.uscc) == text.upper())
                            | (col(Rectification.number) == text))
    return query


NOTICES = ListSpec(
    url="/rectifications", title="整改通知", filters=NoticeFilters,
    fields=(FilterField("q", "查找", placeholder="使用单位名称、信用代码或通知书编号"),
            FilterField("status", "状态", "select", NOTICE_STATES)),
    sorts=(Sort("due_date", "整改期限", col(Rectification.due_date), date.fromisoformat),
           Sort("id", "开具顺序", col(Rectification.id))),
    default_sort="due_date", id_column=col(Rectification.id),
    columns=(Column("通知书编号"), Column("使用单位"), Column("隐患"), Column("开具日期"),
             Column("整改期限", "due_date"), Column("状态"), Column("复查")),
    row_template="inspections/_notice_row.html", template="inspections/notices.html",
    export_url="/rectifications/export")
NOTICE_EXPORT = (
    ExportColumn("number", "通知书编号", lambda r: r.Rectification.number),
    ExportColumn("operator_id", "使用单位ID", lambda r: r.Rectification.operator_id),
    ExportColumn("operator_name", "使用单位", lambda r: r.operator_name),
    ExportColumn("items", "隐患", lambda r: "；".join(str(i.get("label", "")) for i in r.Rectification.items)),
    ExportColumn("issued_on", "开具日期", lambda r: r.Rectification.issued_on),
    ExportColumn("due_date", "整改期限", lambda r: r.Rectification.due_date),
    ExportColumn("due_provisional", "期限暂定", lambda r: "暂定" if r.Rectification.due_provisional else ""),
    ExportColumn("state", "状态", lambda r: r.Rectification.state),
    ExportColumn("closed_on", "复查日期", lambda r: r.Rectification.closed_on),
)


@router.get("/rectifications", response_class=HTMLResponse)
def notice_list(request: Request, session: SessionDep, actor: PageActor, today: TodayDep) -> Response:
    """The 整改通知 of the unit (and its stations): open, overdue, closed or escalated."""
    unit = allowed_unit(session, actor, None)
    return show_list(request, session, actor, NOTICES, lambda f: _notice_rows(unit, f, today), extra={"today": today})


def _follow_ups(session: Session, notice: Rectification) -> list[Inspection]:
    """Recorded inspections of the same operator by the same unit since the notice: those that may follow it up."""
    query = (select(Inspection).where(Inspection.operator_id == notice.operator_id)
             .where(Inspection.unit_code == notice.unit_code, col(Inspection.state).in_(RECORDED))
             .where(col(Inspection.id) != notice.inspection_id, col(Inspection.inspected_on) >= notice.issued_on)
             .order_by(col(Inspection.inspected_on).desc(), col(Inspection.id).desc()).limit(20))
    return list(session.exec(query).all())


def _notice_page(request: Request, session: Session, actor: Actor, notice: Rectification, today: date, *,
                 errors: FormErrors | None = None, values: dict[str, Any] | None = None, status: int = 200) -> Response:
    may_follow = (notice.state == RectificationState.open and actor.user.unit_code == notice.unit_code
                  and actor.user.role in service.INSPECT_ROLES)
    assert notice.id is not None
    context = {
        "notice": notice, "operator": session.get_one(Operator, notice.operator_id),
        "inspection": session.get_one(Inspection, notice.inspection_id),
        "follow_up": session.get(Inspection, notice.follow_up_inspection_id) if notice.follow_up_inspection_id
        else None,
        "candidates": _follow_ups(session, notice) if may_follow else [], "may_follow": may_follow,
        "overdue": notice.state == RectificationState.open and notice.due_date < today,
        "document": inspection_documents.notice_document(session, notice.id), "today": today,
        "errors": errors or FormErrors(), "values": values or {}, "title": f"整改通知 {notice.number}",
    }
    return render(request, "inspections/notice.html", context, actor=actor, session=session, status_code=status)


@router.get("/rectifications/export.{fmt}")
def notice_export(request: Request, session: SessionDep, actor: PageActor, today: TodayDep,
                  fmt: Literal["csv", "xlsx"]) -> Response:
    """The filtered 整改通知 as CSV or Excel, every page of them, audited."""
    unit = allowed_unit(session, actor, None)
    return export_list(request, session, actor, NOTICES, lambda f: _notice_rows(unit, f, today), NOTICE_EXPORT,
                       fmt, "rectifications")


@router.get("/rectifications/{rectification_id}", response_class=HTMLResponse)
def notice_page(request: Request, session: SessionDep, actor: PageActor, rectification_id: int,
                today: TodayDep) -> Response:
    """A notice: its hazards and deadline, and the follow-up that closes or escalates it."""
    notice = get_visible(session, Rectification, rectification_id, actor.user)
    require_role(actor.user, *OFFICER_ROLES)
    return _notice_page(request, session, actor, notice, today)


@router.post("/rectifications/{rectification_id}/follow-up", response_class=HTMLResponse)
async def follow_up(request: Request, session: SessionDep, actor: PageActor, rectification_id: int,
                    today: TodayDep) -> Response:
    """复查: a later recorded inspection closes the notice (rectified) or escalates it."""
    notice = get_visible(session, Rectification, rectification_id, actor.user)
    require_role(actor.user, *service.INSPECT_ROLES)
    values = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
    data, errors = blank_to_none(values), FormErrors()
    data["rectified"] = {"closed": True, "escalated": False}.get(str(values.get("outcome") or ""))
    if data["rectified"] is None:
        errors.add("outcome", "请选择已整改或未整改")
    parsed = parse(FollowUpInput, {k: v for k, v in data.items() if v is not None}, errors)
    if parsed is not None and not errors:
        try:
            rectification.follow_up(session, actor=actor, rectification_id=rectification_id, data=parsed, today=today)
        except DomainError as exc:
            if exc.status_code == 403 or (exc.status_code == 404 and exc.field is None):
                raise
            errors.add_domain(exc, {"inspection_id", "note"})
        else:
            message = "整改通知已销号" if parsed.rectified else "整改通知已转行政处罚，请立案"
            return redirect(f"/rectifications/{rectification_id}", message=message)
    session.refresh(notice)
    return _notice_page(request, session, actor, notice, today, errors=errors, values=values,
                        status=409 if errors.general else 422)


@router.get("/rectifications/{rectification_id}/notice.pdf")
def notice_pdf(session: SessionDep, settings: SettingsDep, actor: PageActor, rectification_id: int) -> Response:
    """The 整改通知书 as issued, for the unit and for the operator."""
    notice = get_visible(session, Rectification, rectification_id, actor.user)
    assert notice.id is not None
    return pdf_response(session, actor, settings, inspection_documents.notice_document(session, notice.id),
                        "整改通知书")


# --- the 科信 review window ------------------------------------------------------------------------------------

def windows_text(spec: tuple[tuple[tuple[int, int], tuple[int, int]], ...]) -> str:
    """Supervision windows as the pages say them: 6月16日至6月30日、……"""
    return "、".join(f"{a[0]}月{a[1]}日至{b[0]}月{b[1]}日" for a, b in spec)


def _reviewable(session: Session, unit_code: str, half: HalfYear) -> list[Any]:
    """The recorded inspections of a half-year by the unit and the units under it (the city: by everyone)."""
    columns: list[Any] = [Inspection, col(Operator.name).label("operator_name")]
    query = (sa_select(*columns).select_from(Inspection)
             .join(Operator, col(Operator.id) == col(Inspection.operator_id))
             .where(col(Inspection.state).in_(RECORDED))
             .where(col(Inspection.inspected_on) >= half.start, col(Inspection.inspected_on) <= half.end))
    if unit_code != CITY_UNIT:
        stations = select(PoliceUnit.code).where(PoliceUnit.parent_code == unit_code)
        query = query.where(or_(col(Inspection.unit_code) == unit_code, col(Inspection.unit_code).in_(stations)))
    return list(session.execute(query.order_by(col(Inspection.unit_code), col(Inspection.inspected_on),
                                               col(Inspection.id)).limit(2000)).all())


def _review_page(request: Request, session: Session, actor: Actor, today: date, *, errors: FormErrors | None = None,
                 values: dict[str, Any] | None = None, status: int = 200) -> Response:
    window = periods.review_window(today)
    half = window.half if window else HalfYear.of(today)
    if window is None and request.query_params.get("half"):
        half = HalfYear.parse(request.query_params["half"])
    unit = allowed_unit(session, actor, None)
    rows = _reviewable(session, unit, half)
    by_unit = Counter(r.Inspection.unit_code for r in rows)
    reviewed_by_unit = Counter(r.Inspection.unit_code for r in rows if r.Inspection.reviewed_at)
    context = {
        "title": "科信复查", "window": window, "half": half, "rows": rows,
        "windows_text": windows_text(periods.REVIEW_WINDOWS), "today": today,
        "progress": [(u, by_unit[u], reviewed_by_unit[u]) for u in sorted(by_unit)],
        "may_review": window is not None and actor.user.role in REVIEW_ROLES,
        "errors": errors or FormErrors(), "values": values or {},
    }
    return render(request, "inspections/review.html", context, actor=actor, session=session, status_code=status)


@router.get("/inspections/review", response_class=HTMLResponse)
def review_page(request: Request, session: SessionDep, actor: PageActor, today: TodayDep) -> Response:
    """The unit's inspections of the half-year, each to mark reviewed with a comment while the window is open."""
    return _review_page(request, session, actor, today)


@router.post("/inspections/{inspection_id}/review", response_class=HTMLResponse)
async def review(request: Request, session: SessionDep, actor: PageActor, inspection_id: int,
                 today: TodayDep) -> Response:
    """Mark one inspection reviewed (复查) with a comment; outside the window the refusal gives its dates."""
    inspection = service.get_inspection(session, actor=actor, inspection_id=inspection_id)
    require_role(actor.user, *REVIEW_ROLES)
    values = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
    errors = FormErrors()
    data = parse(ReviewInput, values, errors)
    if data is not None:
        try:
            service.review(session, actor=actor, inspection_id=inspection_id, comment=data.comment, today=today)
        except DomainError as exc:
            if exc.status_code in (403, 404):
                raise
            errors.add(None, f"{inspection.number}：{exc.message.split(' / ')[0]}")
        else:
            return redirect(f"/inspections/review#i{inspection_id}", message=f"已复查 {inspection.number}")
    else:
        errors = FormErrors(general=f"{inspection.number}：请填写复查意见")
    return _review_page(request, session, actor, today, errors=errors,
                        values={**values, "inspection_id": inspection_id}, status=409 if data is not None else 422)
