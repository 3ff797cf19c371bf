"""Inspection pages: the due list, the inspections, the on-site record (检查笔录) and the operator's own view."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Any, Literal

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, HTMLResponse, Response
from pydantic import BaseModel, Field, field_validator
from sqlalchemy import Select, and_, func
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select
from starlette.datastructures import FormData, UploadFile

from registry.actor import Actor
from registry.auth.models import OFFICER_ROLES, Role, User
from registry.auth.scope import CITY_UNIT, clause_for, get_visible, require_role
from registry.clock import TodayDep
from registry.deps import PageActor, SessionDep, SettingsDep, read_only
from registry.documents import service as document_service
from registry.documents.models import IssuedDocument
from registry.errors import DomainError, InvalidInput, NotFound
from registry.filings.apply_pages import operator_of
from registry.inspections import documents, due, service
from registry.inspections.models import (
    RECORDED,
    Inspection,
    InspectionCreate,
    InspectionItem,
    InspectionKind,
    InspectionRecord,
    InspectionState,
    ItemAnswer,
    ItemResult,
    Rectification,
    ScanAttach,
)
from registry.inspections.periods import HalfYear
from registry.inspections.views import allowed_unit
from registry.operators.models import Operator
from registry.scans.models import Scan
from registry.settings import Settings
from registry.timeutil import as_utc, beijing_today
from registry.ui import labels
from registry.ui.forms import FormErrors, blank_to_none, parse
from registry.ui.list_export import ExportColumn, export_list
from registry.ui.listing import Column, FilterField, Keyset, ListSpec, Sort, parse_filters, show_list
from registry.ui.templating import redirect, render
from registry.units.models import PoliceUnit

router = APIRouter(include_in_schema=False)
RESULTS = (ItemResult.ok, ItemResult.hazard, ItemResult.na)


# --- the due list ------------------------------------------------------------------------------------------

def _unit_choices(session: Session, own: str) -> list[tuple[str, str]]:
    """The units whose due lists this user may open: their own and the units under it."""
    own_unit = session.get(PoliceUnit, own)
    children = session.exec(select(PoliceUnit).where(PoliceUnit.parent_code == own)
                            .order_by(col(PoliceUnit.code))).all()
    return [(own, own_unit.name if own_unit else own), *((u.code, u.name) for u in children)]


def _half_choices(today: date) -> list[tuple[str, str]]:
    """This half-year, the two before it and the next one."""
    now = HalfYear.of(today)
    halves = [now.next(), now, now.previous(), now.previous().previous()]
    return [(str(h), h.label) for h in halves]


class DueFilters(BaseModel):
    """What the due list can be narrowed by: the unit and half-year it is of, a status, a name, an area."""

    unit_code: str | None = Field(default=None, max_length=20)
    half: str | None = None
    status: due.DueStatus | None = None
    q: str | None = Field(default=None, max_length=100)
    district_code: str | None = Field(default=None, pattern=r"^\d{6}$")
    station_id: str | None = Field(default=None, pattern=r"^\d{1,8}$")

    @field_validator("half")
    @classmethod
    def _half(cls, value: str | None) -> str | None:
        try:
            return None if value is None else str(HalfYear.parse(value))
        except InvalidInput as exc:
            raise ValueError(exc.message.split(" / ")[0]) from exc


DUE = ListSpec(
    url="/inspections/due", title="应检清单", filters=DueFilters, fields=(),
    # One order (status, name, id): the page reads it by due.page_rows (show_list's keyset_for), the export
    # by the half-year's sort key (due_export).
    sorts=(Sort("status", "状态", None, str),), default_sort="status", id_column=col(Operator.id),
    columns=(Column("使用单位"), Column("地址"), Column("核对单位"), Column("首次备案"), Column("最近检查"),
             Column("本期检查"), Column("状态"), Column("操作", css="no-print")),
    row_template="inspections/_due_row.html", template="inspections/due.html", export_url="/inspections/due/export")
DUE_EXPORT = (
    ExportColumn("operator_id", "使用单位ID", lambda r: r.operator_id),
    ExportColumn("name", "使用单位", lambda r: r.name),
    ExportColumn("address", "地址", lambda r: r.address),
    ExportColumn("verifying_unit_code", "核对单位", lambda r: r.verifying_unit_code),
    ExportColumn("filing_unit_code", "备案单位", lambda r: r.filing_unit_code),
    ExportColumn("first_filed_on", "首次备案", lambda r: beijing_today(as_utc(r.first_filed))),
    ExportColumn("last_inspected_on", "最近检查", lambda r: r.last_on),
    ExportColumn("inspections_in_half", "本期检查", lambda r: r.inspections_in_half),
    ExportColumn("status", "状态", lambda r: r.status),
)


def _due_list(session: Session, actor: Actor, request: Request, today: date
              ) -> tuple[str, HalfYear, DueFilters | None, due.Classified]:
    """The unit (403 unless the user's own or under it), the half-year and the filters of a due list request."""
    unit = allowed_unit(session, actor, request.query_params.get("unit_code") or None)
    filters = parse_filters(DUE, dict(request.query_params.items()), FormErrors())  # show_list reports errors
    assert filters is None or isinstance(filters, DueFilters)
    half = HalfYear.parse(filters.half) if filters is not None and filters.half else HalfYear.of(today)
    return unit, half, filters, due.classified(half, today)


def _due_where(unit: str, filters: DueFilters) -> Any:
    return and_(due.unit_scope(unit), due.area(district_code=filters.district_code, station_id=filters.station_id))


def _due_rows(classified: due.Classified, unit: str, filters: DueFilters) -> Select[Any]:
    return due.due_rows(classified, where=_due_where(unit, filters), status=filters.status, text=filters.q)


@router.get("/inspections/due", response_class=HTMLResponse)
def due_page(request: Request, session: SessionDep, actor: PageActor, today: TodayDep) -> Response:
    """The unit's operators to inspect in a half-year, most urgent first (overdue, never inspected, due, done),
    50 a page, with the exact counts by status; filterable by status, name and area, and exported as shown."""
    unit, half, filters, classified = _due_list(session, actor, request, today)
    counts = None if filters is None else due.list_counts(
        session, unit_code=unit, half=half, today=today, district_code=filters.district_code,
        station_id=filters.station_id)
    area = {k: v for k, v in (("district_code", filters.district_code), ("station_id", filters.station_id))
            if v} if filters is not None else {}
    values = {"unit_code": unit, "half": str(half), "status": filters.status.value if filters and filters.status
              else request.query_params.get("status", ""), "q": request.query_params.get("q", "")}

    def count(f: DueFilters) -> int | None:  # the counts are exact; a name search is counted as other lists are
        return None if f.q or counts is None else counts[f.status.value if f.status else "total"]

    def keyset(f: DueFilters) -> Keyset:
        return lambda query, cursor, descending, limit: due.page_rows(
            session, classified, query, status=f.status, cursor=cursor, descending=descending, limit=limit)

    return show_list(request, session, actor, DUE, lambda f: _due_rows(classified, unit, f), count_for=count,
                     keyset_for=keyset, extra={
        "title": "检查 · 应检清单", "counts": counts, "half": half, "unit_code": unit, "values": values,
        "area": area, "area_query": "".join(f"&{k}={v}" for k, v in area.items()),
        "units": _unit_choices(session, actor.user.unit_code or CITY_UNIT), "halves": _half_choices(today),
        "statuses": labels.choices(due.DueStatus), "may_inspect": actor.user.role in service.INSPECT_ROLES})


@router.get("/inspections/due/export.{fmt}")
def due_export(request: Request, session: SessionDep, actor: PageActor, today: TodayDep,
               fmt: Literal["csv", "xlsx"]) -> Response:
    """The due list as filtered (every page of it), as CSV or Excel, scoped to the unit and audited."""
    unit, _, _, classified = _due_list(session, actor, request, today)
    # In the list's order, read in keyset batches over the half-year's sort key (status rank and name).
    spec = replace(DUE, sorts=(Sort("status", "状态", classified.sort_key, str),))
    return export_list(request, session, actor, spec,
                       lambda f: due.with_status(classified, _due_rows(classified, unit, f)), DUE_EXPORT, fmt,
                       "inspections-due")


# --- the list of inspections -------------------------------------------------------------------------------

class InspectionFilters(BaseModel):
    """What the inspection list can be narrowed by."""

    q: str | None = Field(default=None, max_length=100)
    state: InspectionState | None = None
    kind: InspectionKind | None = None
    operator_id: int | None = Field(default=None, ge=1)


def _inspection_rows(actor: Actor, filters: InspectionFilters) -> Select[Any]:
    columns: list[Any] = [Inspection, col(Operator.name).label("operator_name")]
    query = (sa_select(*columns).select_from(Inspection)  # an outer join: the count leaves the name out
             .outerjoin(Operator, col(Operator.id) == col(Inspection.operator_id))
             .where(clause_for(Inspection, actor.user)))
    if filters.state is not None:
        query = query.where(col(Inspection.state) == filters.state)
    if filters.kind is not None:
        query = query.where(col(Inspection.kind) == filters.kind)
    if filters.operator_id is not None:
        query = query.where(col(Inspection.operator_id) == filters.operator_id)
    if filters.q:
        text = filters.q.strip()
        query = query.where(col(Operator.name).contains(text) | (col(Operator.uscc) == text.upper())
                            | (col(Inspection.number) == text))
    return query


INSPECTIONS = ListSpec(
    url="/inspections", title="检查记录", filters=InspectionFilters,
    fields=(FilterField("q", "查找", placeholder="使用单位名称、信用代码或笔录编号"),
            FilterField("state", "状态", "select", labels.choices(InspectionState)),
            FilterField("kind", "检查类别", "select", labels.choices(InspectionKind))),
    sorts=(Sort("id", "登记顺序", col(Inspection.id)),
           Sort("inspected_on", "检查日期", col(Inspection.inspected_on), date.fromisoformat)),
    default_sort="-inspected_on", id_column=col(Inspection.id),
    columns=(Column("笔录编号"), Column("使用单位"), Column("检查类别"), Column("检查日期", "inspected_on"),
             Column("检查单位"), Column("检查民警"), Column("状态"), Column("复查")),
    row_template="inspections/_row.html", template="inspections/list.html", hidden=("operator_id",),
    export_url="/inspections/export")
INSPECTION_EXPORT = (
    ExportColumn("number", "笔录编号", lambda r: r.Inspection.number),
    ExportColumn("operator_id", "使用单位ID", lambda r: r.Inspection.operator_id),
    ExportColumn("operator_name", "使用单位", lambda r: r.operator_name),
    ExportColumn("kind", "检查类别", lambda r: r.Inspection.kind),
    ExportColumn("inspected_on", "检查日期", lambda r: r.Inspection.inspected_on),
    ExportColumn("unit_code", "检查单位", lambda r: r.Inspection.unit_code),
    ExportColumn("officer_names", "检查民警", lambda r: "、".join(r.Inspection.officer_names or [])),
    ExportColumn("state", "状态", lambda r: r.Inspection.state),
    ExportColumn("reviewed", "科信复查", lambda r: "已复查" if r.Inspection.reviewed_at else ""),
)


def _officer(actor: Actor) -> None:
    require_role(actor.user, *OFFICER_ROLES)


@router.get("/inspections", response_class=HTMLResponse)
@read_only
def inspection_list(request: Request, session: SessionDep, actor: PageActor) -> Response:
    """The inspections of the operators the user may see, newest first."""
    _officer(actor)
    return show_list(request, session, actor, INSPECTIONS, lambda f: _inspection_rows(actor, f),
                     extra={"may_inspect": actor.user.role in service.INSPECT_ROLES})


@router.get("/inspections/export.{fmt}")
def inspection_export(request: Request, session: SessionDep, actor: PageActor,
                      fmt: Literal["csv", "xlsx"]) -> Response:
    """The filtered inspections as CSV or Excel, every page of them, scoped and audited."""
    _officer(actor)
    return export_list(request, session, actor, INSPECTIONS, lambda f: _inspection_rows(actor, f),
                       INSPECTION_EXPORT, fmt, "inspections")


# --- 新建检查 ------------------------------------------------------------------------------------------------

def unit_officers(session: Session, unit_code: str | None) -> list[User]:
    """The active officers of a unit, who may be listed as an inspection's officers."""
    if unit_code is None:
        return []
    query = (select(User).where(User.unit_code == unit_code, col(User.active).is_(True))
             .where(col(User.role).in_(list(OFFICER_ROLES))).order_by(col(User.full_name), col(User.id)))
    return list(session.exec(query).all())


def _new_form(request: Request, session: Session, actor: Actor, values: dict[str, Any], officer_ids: list[str],
              errors: FormErrors, today: date, status: int = 200) -> Response:
    operator = None
    if str(values.get("operator_id") or "").isdigit():
        operator = session.exec(select(Operator).where(col(Operator.id) == int(values["operator_id"]))
                                .where(clause_for(Operator, actor.user))).first()
    context = {"values": values, "errors": errors, "operator": operator, "title": "新建检查",
               "kinds": labels.choices(InspectionKind), "officers": unit_officers(session, actor.user.unit_code),
               "checked": set(officer_ids), "today": today}
    return render(request, "inspections/new.html", context, actor=actor, session=session, status_code=status)


@router.get("/inspections/new", response_class=HTMLResponse)
def new_inspection(request: Request, session: SessionDep, actor: PageActor, today: TodayDep) -> Response:
    """新建检查: which operator (from the due list, or by its credit code), the kind, the day, the officers."""
    require_role(actor.user, *service.INSPECT_ROLES)
    values: dict[str, Any] = {"kind": "periodic", "inspected_on": today.isoformat()}
    values.update({k: v for k, v in request.query_params.items() if k in ("operator_id", "kind")})
    return _new_form(request, session, actor, values, [str(actor.user_id)], FormErrors(), today)


@router.post("/inspections/new", response_class=HTMLResponse)
async def open_inspection(request: Request, session: SessionDep, actor: PageActor, today: TodayDep) -> Response:
    """Open the inspection; a refusal (one officer, the same officer twice) comes back beside its field."""
    require_role(actor.user, *service.INSPECT_ROLES)
    form = await request.form()
    values = {k: v for k, v in form.items() if isinstance(v, str) and k != "officer_ids"}
    officer_ids = [str(v) for v in form.getlist("officer_ids")]
    data, errors = blank_to_none(values), FormErrors()
    if not data.get("operator_id") and data.get("uscc"):
        found = session.exec(select(Operator.id).where(col(Operator.uscc) == str(data["uscc"]).upper())
                             .where(clause_for(Operator, actor.user))).first()
        if found is None:
            errors.add("uscc", "本单位管辖范围内没有这个统一社会信用代码的使用单位")
        data["operator_id"] = found
    elif not data.get("operator_id"):
        errors.add("uscc", "请填写被检查单位的统一社会信用代码")
    if not all(i.isdigit() and len(i) < 12 for i in officer_ids):
        errors.add("officer_ids", "请从本单位民警中选择")
    data["officer_ids"] = [int(i) for i in officer_ids if i.isdigit() and len(i) < 12]
    created = None if errors else parse(InspectionCreate, data, errors)
    if created is not None:
        try:
            inspection = service.create(session, actor=actor, data=created, today=today)
        except DomainError as exc:
            if exc.status_code == 403 or (exc.status_code == 404 and exc.field is None):
                raise
            errors.add_domain(exc, {"officer_ids", "inspected_on", "kind", "place"})
        else:
            return redirect(f"/inspections/{inspection.id}",
                            message=f"已新建检查 {inspection.number}：请逐项填写安全检查内容表，附核查比对结果和照片，"
                                    "由被检查单位负责人签名后完成笔录。")
    return _new_form(request, session, actor, values, officer_ids, errors, today, status=422)


# --- one inspection ----------------------------------------------------------------------------------------

def _names(session: Session, ids: set[int | None]) -> dict[int, str]:
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    return {u.id: u.full_name for u in session.exec(select(User).where(col(User.id).in_(wanted))).all()
            if u.id is not None}


def operator_scans(session: Session, operator_id: int) -> list[Scan]:
    """The operator's scans, newest first (the ones an inspection may attach)."""
    return list(session.exec(select(Scan).where(Scan.operator_id == operator_id)
                             .order_by(col(Scan.scanned_at).desc(), col(Scan.id).desc()).limit(50)).all())


def inspection_context(session: Session, actor: Actor, inspection: Inspection) -> dict[str, Any]:
    """What an inspection page shows, and which forms this user may use now."""
    assert inspection.id is not None
    lines = service.items_of(session, inspection.id)
    notice = session.exec(select(Rectification).where(Rectification.inspection_id == inspection.id)).first()
    scan = session.get(Scan, inspection.scan_id) if inspection.scan_id else None
    editable = inspection.state == InspectionState.open and actor.user_id in inspection.officer_ids
    officer = actor.user.role != Role.operator
    return {
        "inspection": inspection, "operator": session.get_one(Operator, inspection.operator_id), "lines": lines,
        "notice": notice, "scan": scan, "scan_summary": documents.scan_summary(session, inspection.scan_id),
        "photos": service.photos_of(session, inspection.id) if officer else [],
        "scans": operator_scans(session, inspection.operator_id) if editable else [],
        "names": _names(session, {inspection.reviewed_by_id}), "editable": editable,
        "hazards": [line for line in lines if line.result == ItemResult.hazard],
        "answered": sum(1 for line in lines if line.result is not None),
        "record_document": documents.record_document(session, inspection.id),
        "notice_document": documents.notice_document(session, notice.id) if notice and notice.id else None,
        "results": [(r.value, labels.label(r)) for r in RESULTS], "title": f"检查笔录 {inspection.number}",
    }


def _show(request: Request, session: Session, actor: Actor, inspection: Inspection, *,
          errors: FormErrors | None = None, values: dict[str, Any] | None = None, status: int = 200) -> Response:
    context = {**inspection_context(session, actor, inspection), "errors": errors or FormErrors(),
               "values": values or {}}
    return render(request, "inspections/detail.html", context, actor=actor, session=session, status_code=status)


@router.get("/inspections/{inspection_id}", response_class=HTMLResponse)
def inspection_page(request: Request, session: SessionDep, actor: PageActor, inspection_id: int) -> Response:
    """An inspection: while open, the checklist, scan, photos and signature forms for its officers; then the
    record with 打印 of the 检查笔录 (and the 整改通知书 when hazards were found)."""
    inspection = service.get_inspection(session, actor=actor, inspection_id=inspection_id)
    _officer(actor)
    return _show(request, session, actor, inspection)


def _answers(form: FormData, lines: list[InspectionItem], errors: FormErrors) -> list[ItemAnswer]:
    """The checklist answers the form carries (result_KEY, note_KEY), each checked like the API's."""
    answers: list[ItemAnswer] = []
    for line in lines:
        result = str(form.get(f"result_{line.key}") or "")
        note = str(form.get(f"note_{line.key}") or "").strip()
        if not result:
            continue
        if result not in {r.value for r in RESULTS}:
            errors.add(f"result_{line.key}", "请选择符合、存在隐患或不适用")
            continue
        if result == ItemResult.hazard.value and not note:
            errors.add(f"note_{line.key}", "存在隐患的，须写明具体情况")
            continue
        if len(note) > 1000:
            errors.add(f"note_{line.key}", "最多 1000 个字符")
            continue
        answers.append(ItemAnswer(key=line.key, result=ItemResult(result), note=note))
    return answers


def _form_values(form: FormData) -> dict[str, Any]:
    return {k: v for k, v in form.items() if isinstance(v, str)}


async def _checklist_step(request: Request, session: Session, settings: Settings, actor: Actor, inspection_id: int,
                          today: date, *, close: bool) -> Response:
    """Save the checklist answers; with close, also record the 检查笔录 (all in one savepoint)."""
    inspection = service.get_inspection(session, actor=actor, inspection_id=inspection_id)
    _officer(actor)
    service.get_open(session, actor=actor, inspection_id=inspection_id)  # its officers only, while open
    form = await request.form()
    values, errors = _form_values(form), FormErrors()
    answers = _answers(form, service.items_of(session, inspection_id), errors)
    record = None
    if close:
        data = blank_to_none(values)
        data["signed"] = {"signed": True, "refused": False}.get(str(values.get("signature") or ""))
        if data["signed"] is None:
            errors.add("signature", "请选择被检查单位负责人签名或拒绝签名")
        record = parse(InspectionRecord, {k: v for k, v in data.items() if v is not None}, errors)
    if not errors:
        savepoint = session.begin_nested()
        try:
            if answers:
                service.answer(session, actor=actor, inspection_id=inspection_id, answers=answers)
            if record is not None:
                service.record(session, actor=actor, inspection_id=inspection_id, data=record, today=today,
                               settings=settings)
        except DomainError as exc:
            savepoint.rollback()
            if exc.status_code in (403, 404):
                raise
            errors.add_domain(exc, {"items", "representative_name", "refusal_note", "findings",
                                     "rectification_workdays"})
        else:
            savepoint.commit()
            if record is None:
                return redirect(f"/inspections/{inspection_id}#checklist", message=f"已保存 {len(answers)} 项检查结果")
            message = "检查笔录已完成" + ("，已开具整改通知书" if _has_notice(session, inspection_id) else "")
            return redirect(f"/inspections/{inspection_id}", message=message + "。可打印检查笔录。")
    session.refresh(inspection)
    return _show(request, session, actor, inspection, errors=errors, values=values,
                 status=409 if errors.general and not errors.fields else 422)


def _has_notice(session: Session, inspection_id: int) -> bool:
    found = session.exec(select(Rectification.id).where(Rectification.inspection_id == inspection_id)).first()
    return found is not None


@router.post("/inspections/{inspection_id}/items", response_class=HTMLResponse)
async def save_items(request: Request, session: SessionDep, settings: SettingsDep, actor: PageActor,
                     inspection_id: int, today: TodayDep) -> Response:
    """Save the checklist answers given so far (ok, hazard with its note, not applicable)."""
    return await _checklist_step(request, session, settings, actor, inspection_id, today, close=False)


@router.post("/inspections/{inspection_id}/record", response_class=HTMLResponse)
async def record(request: Request, session: SessionDep, settings: SettingsDep, actor: PageActor,
                 inspection_id: int, today: TodayDep) -> Response:
    """Save the answers and close the 检查笔录: the representative signed, or the refusal is noted."""
    return await _checklist_step(request, session, settings, actor, inspection_id, today, close=True)


@router.post("/inspections/{inspection_id}/scan", response_class=HTMLResponse)
async def attach_scan(request: Request, session: SessionDep, actor: PageActor, inspection_id: int) -> Response:
    """Attach one of the operator's scans; its reconciliation is then shown with the inspection."""
    inspection = service.get_inspection(session, actor=actor, inspection_id=inspection_id)
    _officer(actor)
    values = _form_values(await request.form())
    errors = FormErrors()
    data = parse(ScanAttach, values, errors)
    if data is None:
        errors.fields = {"scan_id": "请选择一次核查比对"}
    else:
        try:
            service.attach_scan(session, actor=actor, inspection_id=inspection_id, scan_id=data.scan_id)
        except NotFound:
            errors.add("scan_id", "没有这次核查比对，或不在本单位的管辖范围内")
        except DomainError as exc:
            if exc.status_code == 403:
                raise
            errors.add_domain(exc, {"scan_id"})
        else:
            return redirect(f"/inspections/{inspection_id}#scan", message="已附核查比对结果")
    return _show(request, session, actor, inspection, errors=errors, values=values,
                 status=409 if errors.general else 422)


@router.post("/inspections/{inspection_id}/photos", response_class=HTMLResponse)
async def add_photo(request: Request, session: SessionDep, settings: SettingsDep, actor: PageActor,
                    inspection_id: int) -> Response:
    """Add a photo taken on site (PNG, JPEG or PDF) with its caption."""
    inspection = service.get_inspection(session, actor=actor, inspection_id=inspection_id)
    _officer(actor)
    service.get_open(session, actor=actor, inspection_id=inspection_id)  # who may add, before reading the file
    form = await request.form()
    upload, caption = form.get("file"), str(form.get("caption") or "").strip()
    errors = FormErrors()
    if not isinstance(upload, UploadFile) or not upload.filename:
        errors.add("file", "请选择照片（PNG、JPEG 或 PDF）")
    elif len(caption) > 200:
        errors.add("caption", "最多 200 个字符")
    else:
        data = await upload.read(settings.max_upload_bytes + 1)
        try:
            service.add_photo(session, actor=actor, inspection_id=inspection_id, filename=upload.filename, data=data,
                              caption=caption, settings=settings)
        except DomainError as exc:
            if exc.status_code in (403, 404):
                raise
            errors.add("file", f"{upload.filename}：{exc.message.split(' / ')[0]}")
        else:
            return redirect(f"/inspections/{inspection_id}#photos", message=f"已添加照片：{upload.filename}")
    return _show(request, session, actor, inspection, errors=errors, values={"caption": caption},
                 status=409 if errors.general else 422)


@router.get("/inspections/{inspection_id}/photos/{photo_id}")
def photo_file(session: SessionDep, settings: SettingsDep, actor: PageActor, inspection_id: int,
               photo_id: int) -> Response:
    """A photo inline (officers; every read audited)."""
    service.get_inspection(session, actor=actor, inspection_id=inspection_id)
    _officer(actor)
    photo, path = service.read_photo(session, actor=actor, photo_id=photo_id, settings=settings)
    if photo.inspection_id != inspection_id:
        raise NotFound(f"照片 {photo_id} 不存在 / photo not found")
    response = FileResponse(path, media_type=photo.mime, filename=photo.filename, content_disposition_type="inline")
    response.headers["Cache-Control"] = "private, no-store"
    return response


def pdf_response(session: Session, actor: Actor, settings: Settings, document: IssuedDocument | None,
                 what: str) -> Response:
    """An issued document's PDF inline (its read audited), or the 404 page if it is not issued yet."""
    from registry.filings.documents import content_disposition

    if document is None:
        raise NotFound(f"{what}尚未出具 / the document is not issued yet")
    data = document_service.read(session, actor=actor, document=document, settings=settings)
    return Response(data, media_type="application/pdf", headers={
        "Content-Disposition": content_disposition(f"{what}-{document.number}.pdf"), "Cache-Control": "no-store"})


@router.get("/inspections/{inspection_id}/record.pdf")
def record_pdf(session: SessionDep, settings: SettingsDep, actor: PageActor, inspection_id: int) -> Response:
    """The 检查笔录 as issued, for the unit and for the inspected operator."""
    service.get_inspection(session, actor=actor, inspection_id=inspection_id)
    return pdf_response(session, actor, settings, documents.record_document(session, inspection_id), "检查笔录")


# --- the operator's side (备案申报 → 检查与整改) ------------------------------------------------------------

@router.get("/apply/inspections", response_class=HTMLResponse)
def own_inspections(request: Request, session: SessionDep, actor: PageActor, today: TodayDep) -> Response:
    """The operator's recorded inspections and its rectification notices (read-only)."""
    operator = operator_of(session, actor)
    inspections = session.exec(select(Inspection).where(Inspection.operator_id == operator.id)
                               .where(col(Inspection.state).in_(RECORDED))
                               .order_by(col(Inspection.inspected_on).desc(), col(Inspection.id).desc())
                               .limit(200)).all()
    notices = session.exec(select(Rectification).where(Rectification.operator_id == operator.id)
                           .order_by(col(Rectification.issued_on).desc(), col(Rectification.id).desc())
                           .limit(200)).all()
    hazards = dict(session.exec(select(InspectionItem.inspection_id, func.count())
                                .where(col(InspectionItem.inspection_id).in_([i.id for i in inspections]))
                                .where(InspectionItem.result == ItemResult.hazard)
                                .group_by(col(InspectionItem.inspection_id))).all())
    context = {"operator": operator, "inspections": inspections, "notices": notices, "hazards": hazards,
               "title": "检查与整改", "today": today}
    return render(request, "inspections/own_list.html", context, actor=actor, session=session)


@router.get("/apply/inspections/{inspection_id}", response_class=HTMLResponse)
def own_inspection(request: Request, session: SessionDep, actor: PageActor, inspection_id: int,
                   today: TodayDep) -> Response:
    """One recorded inspection of the operator, as its 检查笔录 states it (read-only)."""
    inspection = get_visible(session, Inspection, inspection_id, actor.user)
    require_role(actor.user, Role.operator)
    if inspection.state not in RECORDED:
        raise NotFound(f"检查记录 {inspection_id} 不存在 / inspection not found")
    context = {**inspection_context(session, actor, inspection), "errors": FormErrors(), "values": {},
               "today": today}
    return render(request, "inspections/own_detail.html", context, actor=actor, session=session)
