"""Penalty-case pages: the unit's list, 立案, the case page with each step's form, the operator's own view."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, HTMLResponse, Response
from pydantic import BaseModel, Field
from sqlalchemy import Select
from sqlmodel import Session, col, select
from starlette.datastructures import UploadFile

from registry.actor import Actor
from registry.auth.models import OFFICER_ROLES, Role, User
from registry.auth.scope import clause_for, get_visible, require_role
from registry.deps import PageActor, SessionDep, SettingsDep, read_only
from registry.errors import DomainError
from registry.filings.apply_pages import operator_of
from registry.operators.models import Operator
from registry.penalties import documents, service
from registry.penalties.models import (
    NOT_FILED_BASIS,
    PenaltyCase,
    PenaltyCaseCreate,
    PenaltyDecision,
    PenaltyOpinion,
    PenaltyProposal,
    PenaltyState,
    PenaltyStatement,
    PenaltyViolation,
)
from registry.settings import Settings
from registry.ui import labels
from registry.ui.forms import FormErrors, blank_to_none, parse
from registry.ui.list_export import ExportColumn, export_list
from registry.ui.listing import Column, FilterField, ListSpec, Sort, show_list
from registry.ui.templating import redirect, render

router = APIRouter(include_in_schema=False)
STEP_NAMES = {"open": "立案", "join": "加入办案", "evidence": "添加证据", "propose": "提出处罚意见",
              "statement": "使用单位陈述申辩", "approve": "领导批准", "return": "领导退回", "issue": "开具决定书"}


class CaseFilters(BaseModel):
    """What the case list can be narrowed by."""

    q: str | None = Field(default=None, max_length=100)
    state: PenaltyState | None = None
    violation: PenaltyViolation | None = None


def _rows(actor: Actor, filters: CaseFilters) -> Select[Any]:
    from sqlalchemy import select as sa_select

    columns: list[Any] = [PenaltyCase, col(Operator.name).label("operator_name")]
    # An outer join (every case has its operator): the list's count, which needs no name, leaves it out.
    query = (sa_select(*columns).select_from(PenaltyCase)
             .outerjoin(Operator, col(Operator.id) == col(PenaltyCase.operator_id))
             .where(service.visible_clause(actor.user)))
    if filters.state is not None:
        query = query.where(col(PenaltyCase.state) == filters.state)
    if filters.violation is not None:
        query = query.where(col(PenaltyCase.violation) == filters.violation)
    if filters.q:
        text = filters.q.strip()
        query = query.where(col(Operator.name).contains(text) | (col(Operator.uscc) == text.upper())
                            | (col(PenaltyCase.decision_number) == text))
    return query


CASES = ListSpec(
    url="/penalties", title="行政处罚", filters=CaseFilters,
    fields=(FilterField("q", "查找", placeholder="使用单位名称、信用代码或决定书编号"),
            FilterField("state", "状态", "select", labels.choices(PenaltyState)),
            FilterField("violation", "违法行为", "select", labels.choices(PenaltyViolation))),
    sorts=(Sort("id", "立案顺序", col(PenaltyCase.id)),), default_sort="-id", id_column=col(PenaltyCase.id),
    columns=(Column("案件", "id"), Column("使用单位"), Column("违法行为"), Column("状态"), Column("处罚意见"),
             Column("立案日期"), Column("决定书编号")),
    row_template="penalties/_row.html", template="penalties/list.html", export_url="/penalties/export")
# 导出: the columns of the list, with the operator's id and credit code for the meeting's spreadsheet.
CASE_EXPORT = (
    ExportColumn("id", "案件号", lambda r: r.PenaltyCase.id),
    ExportColumn("operator_id", "使用单位ID", lambda r: r.PenaltyCase.operator_id),
    ExportColumn("operator_name", "使用单位", lambda r: r.operator_name),
    ExportColumn("violation", "违法行为", lambda r: r.PenaltyCase.violation),
    ExportColumn("state", "状态", lambda r: r.PenaltyCase.state),
    ExportColumn("decision", "处罚意见", lambda r: r.PenaltyCase.decision),
    ExportColumn("fine_yuan", "罚款（元）", lambda r: r.PenaltyCase.fine_yuan),
    ExportColumn("opened_at", "立案时间", lambda r: r.PenaltyCase.opened_at),
    ExportColumn("decision_number", "决定书编号", lambda r: r.PenaltyCase.decision_number),
)


def _officer(actor: Actor) -> None:
    require_role(actor.user, *OFFICER_ROLES)


@router.get("/penalties", response_class=HTMLResponse)
@read_only
def case_list(request: Request, session: SessionDep, actor: PageActor) -> Response:
    """The cases of the operators in the unit's area, by state; each links to its page."""
    _officer(actor)
    return show_list(request, session, actor, CASES, lambda f: _rows(actor, f),
                     extra={"may_open": actor.user.role in service.PREPARER_ROLES})


def _new_form(request: Request, session: Session, actor: Actor, values: dict[str, Any], errors: FormErrors,
              status: int = 200) -> Response:
    operator = None
    if str(values.get("operator_id") or "").isdigit():
        operator = session.exec(select(Operator).where(col(Operator.id) == int(values["operator_id"]))
                                .where(clause_for(Operator, actor.user))).first()
    context = {"values": values, "errors": errors, "operator": operator, "title": "立案",
               "violations": labels.choices(PenaltyViolation), "not_filed_basis": NOT_FILED_BASIS}
    return render(request, "penalties/new.html", context, actor=actor, session=session, status_code=status)


@router.get("/penalties/export.{fmt}")
def case_export(request: Request, session: SessionDep, actor: PageActor, fmt: Literal["csv", "xlsx"]) -> Response:
    """The filtered cases as CSV or Excel, every page of them, scoped and audited."""
    _officer(actor)
    return export_list(request, session, actor, CASES, lambda f: _rows(actor, f), CASE_EXPORT, fmt,
                       "penalty-cases")


@router.get("/penalties/new", response_class=HTMLResponse)
def new_case(request: Request, session: SessionDep, actor: PageActor) -> Response:
    """立案: against which operator (from its page, or by its credit code), for what, with which facts."""
    require_role(actor.user, *service.PREPARER_ROLES)
    values = {"violation": "not_filed", **{k: v for k, v in request.query_params.items() if k == "operator_id"}}
    return _new_form(request, session, actor, values, FormErrors())


@router.post("/penalties/new", response_class=HTMLResponse)
async def open_case(request: Request, session: SessionDep, actor: PageActor) -> Response:
    """Open the case; the typed form comes back with each error beside its field."""
    require_role(actor.user, *service.PREPARER_ROLES)
    values = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
    data, errors = blank_to_none(values), FormErrors()
    if not data.get("operator_id") and data.get("uscc"):
        found = session.exec(select(Operator.id).where(col(Operator.uscc) == str(data["uscc"]).upper())
                             .where(clause_for(Operator, actor.user))).first()
        if found is None:
            errors.add("uscc", "本单位管辖范围内没有这个统一社会信用代码的使用单位")
        data["operator_id"] = found
    elif not data.get("operator_id"):
        errors.add("uscc", "请填写使用单位的统一社会信用代码")
    case_data = None if errors else parse(PenaltyCaseCreate, data, errors)
    if case_data is not None:
        try:
            case = service.open_case(session, actor=actor, data=case_data)
        except DomainError as exc:
            if exc.status_code in (403, 404) and exc.field is None:
                raise
            errors.add_domain(exc, {"legal_basis", "facts", "violation"})
        else:
            return redirect(f"/penalties/{case.id}", message="已立案。请另一名办案民警加入本案，并添加证据材料。")
    return _new_form(request, session, actor, values, errors, status=422)


def _names(session: Session, ids: set[int | None]) -> dict[int, str]:
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    return {u.id: u.full_name for u in session.exec(select(User).where(col(User.id).in_(wanted))).all()
            if u.id is not None}


def case_context(session: Session, actor: Actor, case: PenaltyCase) -> dict[str, Any]:
    """What the case page shows, and which step's form this user may use now."""
    assert case.id is not None
    officers = service.officers_of(session, case.id)
    steps = service.steps_of(session, case.id)
    evidence = service.evidence_of(session, case.id)
    names = _names(session, {o.user_id for o in officers} | {s.user_id for s in steps}
                   | {case.approved_by_id, case.proposed_by_id})
    user, handler_ids = actor.user, {o.user_id for o in officers}
    own_unit = user.unit_code == case.unit_code
    handler = user.id in handler_ids
    return {
        "case": case, "operator": session.get_one(Operator, case.operator_id), "officers": officers,
        "steps": steps, "evidence": evidence, "names": names, "step_names": STEP_NAMES,
        "decisions": labels.choices(PenaltyDecision), "title": f"行政处罚案件 {case.id}",
        "decision_text": documents.decision_text(case) if case.decision else None,
        "may": {
            "join": own_unit and not handler and user.role in service.PREPARER_ROLES
            and case.state == PenaltyState.preparing,
            "prepare": handler and case.state == PenaltyState.preparing,
            "approve": own_unit and user.role == Role.leader and not handler and case.state == PenaltyState.proposed,
            "issue": case.state == PenaltyState.approved and (handler or user.id == case.approved_by_id),
        },
        "min_officers": service.MIN_OFFICERS,
    }


def _show(request: Request, session: Session, actor: Actor, case: PenaltyCase, errors: FormErrors | None = None,
          values: dict[str, Any] | None = None, status: int = 200) -> Response:
    context = {**case_context(session, actor, case), "errors": errors or FormErrors(), "values": values or {}}
    return render(request, "penalties/detail.html", context, actor=actor, session=session, status_code=status)


@router.get("/penalties/{case_id}", response_class=HTMLResponse)
@read_only
def case_page(request: Request, session: SessionDep, actor: PageActor, case_id: int) -> Response:
    """A case: facts, officers, evidence, steps, and the form of the next step for whoever may take it."""
    case = service.get(session, actor=actor, case_id=case_id)
    _officer(actor)
    return _show(request, session, actor, case)


async def _step(request: Request, session: Session, actor: Actor, case_id: int, action: Any,
                model: type[BaseModel] | None, message: str, fields: set[str]) -> Response:
    """Run one step from its form: refusals of role or scope are the 403/404 pages; a wrong state or field
    comes back on the case page beside its field."""
    case = service.get(session, actor=actor, case_id=case_id)
    _officer(actor)
    values = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
    errors = FormErrors()
    data = parse(model, blank_to_none(values), errors) if model is not None else None
    if not errors:
        try:
            action(data)
        except DomainError as exc:
            if exc.status_code in (403, 404):
                raise
            errors.add_domain(exc, fields)
        else:
            return redirect(f"/penalties/{case_id}", message=message)
    session.refresh(case)
    return _show(request, session, actor, case, errors, values, status=409 if errors.general else 422)


@router.post("/penalties/{case_id}/join", response_class=HTMLResponse)
async def join(request: Request, session: SessionDep, actor: PageActor, case_id: int) -> Response:
    """Join the case as one of its officers."""
    return await _step(request, session, actor, case_id, lambda _: service.join(session, actor=actor, case_id=case_id),
                       None, "已加入办案", set())


@router.post("/penalties/{case_id}/evidence", response_class=HTMLResponse)
async def add_evidence(request: Request, session: SessionDep, settings: SettingsDep, actor: PageActor,
                       case_id: int) -> Response:
    """Attach one piece of evidence with its description."""
    case = service.get(session, actor=actor, case_id=case_id)
    service.require_handler(session, actor, case)  # who may add evidence, before reading what was sent
    form = await request.form()
    upload = form.get("file")
    description = str(form.get("description") or "")
    errors = FormErrors()
    if not isinstance(upload, UploadFile) or not upload.filename:
        errors.add("file", "请选择证据文件（PDF、PNG 或 JPEG）")
    else:
        data = await upload.read(settings.max_upload_bytes + 1)
        try:
            service.add_evidence(session, actor=actor, case_id=case_id, description=description,
                                 filename=upload.filename, data=data, settings=settings)
        except DomainError as exc:
            if exc.status_code in (403, 404):
                raise
            errors.add(exc.field if exc.field in ("file", "description") else None, exc.message.split(" / ")[0])
        else:
            return redirect(f"/penalties/{case_id}#evidence", message=f"已添加证据：{description}")
    return _show(request, session, actor, case, errors, {"description": description},
                 status=409 if errors.general else 422)


@router.post("/penalties/{case_id}/propose", response_class=HTMLResponse)
async def propose(request: Request, session: SessionDep, actor: PageActor, case_id: int) -> Response:
    """提出处罚意见 (the operator is told and may state its case)."""
    return await _step(request, session, actor, case_id,
                       lambda d: service.propose(session, actor=actor, case_id=case_id, data=d), PenaltyProposal,
                       "已提出处罚意见，报主管领导审批", {"decision", "fine_yuan", "reason"})


@router.post("/penalties/{case_id}/approve", response_class=HTMLResponse)
async def approve(request: Request, session: SessionDep, actor: PageActor, case_id: int) -> Response:
    """The leader approves."""
    return await _step(request, session, actor, case_id,
                       lambda d: service.approve(session, actor=actor, case_id=case_id, opinion=d.opinion),
                       PenaltyOpinion, "已批准", {"opinion"})


@router.post("/penalties/{case_id}/return", response_class=HTMLResponse)
async def send_back(request: Request, session: SessionDep, actor: PageActor, case_id: int) -> Response:
    """The leader sends the case back with an opinion."""
    return await _step(request, session, actor, case_id,
                       lambda d: service.send_back(session, actor=actor, case_id=case_id, opinion=d.opinion),
                       PenaltyOpinion, "已退回办案民警", {"opinion"})


@router.post("/penalties/{case_id}/issue", response_class=HTMLResponse)
async def issue(request: Request, session: SessionDep, settings: SettingsDep, actor: PageActor,
                case_id: int) -> Response:
    """开具决定书."""
    return await _step(request, session, actor, case_id,
                       lambda _: service.issue(session, actor=actor, case_id=case_id, settings=settings), None,
                       "已开具《公安行政处罚决定书》，使用单位可在其页面查看", set())


@router.get("/penalties/{case_id}/evidence/{evidence_id}")
def evidence_file(session: SessionDep, settings: SettingsDep, actor: PageActor, case_id: int,
                  evidence_id: int) -> Response:
    """A piece of evidence inline (officers only; every read audited)."""
    evidence, path = service.read_evidence(session, actor=actor, case_id=case_id, evidence_id=evidence_id,
                                           settings=settings)
    response = FileResponse(path, media_type=evidence.mime, filename=evidence.filename,
                            content_disposition_type="inline")
    response.headers["Cache-Control"] = "private, no-store"
    return response


def _decision(session: Session, actor: Actor, case: PenaltyCase, settings: Settings) -> Response:
    from registry.filings.documents import content_disposition

    data, filename = documents.read_decision(session, actor=actor, case=case, settings=settings)
    return Response(data, media_type="application/pdf", headers={
        "Content-Disposition": content_disposition(filename), "Cache-Control": "no-store"})


@router.get("/penalties/{case_id}/decision.pdf")
def decision_pdf(session: SessionDep, settings: SettingsDep, actor: PageActor, case_id: int) -> Response:
    """The 公安行政处罚决定书 as issued, for the unit and for the operator."""
    return _decision(session, actor, service.get(session, actor=actor, case_id=case_id), settings)


# --- the operator's side (备案申报 → 行政处罚) -------------------------------------------------------------


@router.get("/apply/penalties", response_class=HTMLResponse)
def own_cases(request: Request, session: SessionDep, actor: PageActor) -> Response:
    """The operator's cases once it was told of them: proposals to answer, decisions issued."""
    operator = operator_of(session, actor)
    cases = service.list_visible(session, actor=actor, limit=200)
    return render(request, "penalties/own_list.html", {"operator": operator, "cases": list(reversed(cases)),
                                                        "title": "行政处罚"}, actor=actor, session=session)


def _own(session: Session, actor: Actor, case_id: int) -> PenaltyCase:
    case = get_visible(session, PenaltyCase, case_id, actor.user)
    require_role(actor.user, Role.operator)
    return case


def _own_page(request: Request, session: Session, actor: Actor, case: PenaltyCase, errors: FormErrors | None = None,
              values: dict[str, Any] | None = None, status: int = 200) -> Response:
    context = {"case": case, "operator": session.get_one(Operator, case.operator_id), "title": "行政处罚告知",
               "decision_text": documents.decision_text(case) if case.decision else None,
               "errors": errors or FormErrors(), "values": values or {}}
    return render(request, "penalties/own_case.html", context, actor=actor, session=session, status_code=status)


@router.get("/apply/penalties/{case_id}", response_class=HTMLResponse)
def own_case(request: Request, session: SessionDep, actor: PageActor, case_id: int) -> Response:
    """The proposal with the operator's rights, its 陈述申辩 form, and the decision once issued."""
    return _own_page(request, session, actor, _own(session, actor, case_id))


@router.post("/apply/penalties/{case_id}/statement", response_class=HTMLResponse)
async def own_statement(request: Request, session: SessionDep, actor: PageActor, case_id: int) -> Response:
    """陈述申辩: once, before the leader decides."""
    case = _own(session, actor, case_id)
    values = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
    errors = FormErrors()
    data = parse(PenaltyStatement, blank_to_none(values), errors)
    if data is not None:
        try:
            service.state_case(session, actor=actor, case_id=case_id, text=data.text)
        except DomainError as exc:
            if exc.status_code in (403, 404):
                raise
            errors.add_domain(exc, {"text"})
        else:
            return redirect(f"/apply/penalties/{case_id}", message="陈述申辩已提交，公安机关将予以复核")
    return _own_page(request, session, actor, case, errors, values, status=409 if errors.general else 422)

