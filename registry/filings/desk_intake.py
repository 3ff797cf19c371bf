"""Desk intake (王, JOURNEYS §1 steps 2–3): an operator's manager comes to the window with paper forms and a USB
stick. The officer finds the operator by name or 统一社会信用代码, or registers it (its location routed at once,
rule and reason shown), types in the filing form for it, and lands on the filing's page, where he uploads the
materials, pastes the camera list from the hotel's Excel and accepts.

The same services as the API: operators.service.create, filings.service.submit (an officer's submission is
the desk channel, 窗口受理) and add_cameras. Only desk officers (intake, reviewer) of the operator's filing unit;
another unit's operator is the 404 page, another role the 403 page.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from sqlmodel import Session, col, or_, select
from starlette.datastructures import UploadFile

from registry.actor import Actor
from registry.auth.scope import get_visible, operator_clause, require_role
from registry.code_tables import INDUSTRY_2016, Status
from registry.deps import PageActor, SessionDep, SettingsDep
from registry.errors import Conflict, DomainError
from registry.filings import apply_form, drafts, pages, paste_rows, service  # pages first: brings desk_pages
from registry.filings.apply_edits import add_from_row_form
from registry.filings.apply_import import import_into, keep_error_file
from registry.filings.desk_pages import _filing
from registry.filings.models import Filing, FilingCreate, FilingFormUpdate, FilingKind, FilingState
from registry.imports.columns import Kind
from registry.imports.pages import error_link
from registry.operators import service as operators_service
from registry.operators.models import Datum, Operator, OperatorCreate, PlaceKind, SystemKind
from registry.routing import responsibility_for, to_wgs84
from registry.settings import Settings
from registry.ui import labels
from registry.ui.forms import FormErrors, parse
from registry.ui.templating import redirect, render
from registry.units.names import UnitNames

Saved = TypeVar("Saved")
router = APIRouter(include_in_schema=False)
MAX_FOUND = 20
OPERATOR_FIELDS = ("name", "uscc", "address", "industry_code", "system_kind", "place_kind", "affiliation_code",
                   "contact_name", "contact_phone", "lon", "lat", "datum")
# Industry codes (GB/T 28181-2016) a business or resident takes: the defined single codes and the open ranges.
INDUSTRIES = tuple((f"{r.low:02d}", f"{r.low:02d} {r.name_zh.removesuffix('接入')}") for r in INDUSTRY_2016
                   if r.status == Status.defined and r.low >= 40)


def _desk(actor: Actor) -> None:
    require_role(actor.user, *service.DESK_ROLES)


def _find(session: Session, actor: Actor, q: str) -> list[Operator]:
    """Operators the officer may see whose name contains, or credit code starts with, what was typed."""
    text = q.strip().upper()
    if not text:
        return []
    query = (select(Operator).where(operator_clause(actor.user))
             .where(or_(col(Operator.name).contains(q.strip()), col(Operator.uscc).startswith(text)))
             .order_by(col(Operator.name)).limit(MAX_FOUND))
    return list(session.exec(query).all())


def _finder(request: Request, session: Session, actor: Actor, q: str, values: dict[str, Any], errors: FormErrors,
            status: int = 200) -> Response:
    found = _find(session, actor, q)
    if not values and q:  # what was searched for starts the new operator's form
        values = {"uscc": q.strip().upper()} if q.strip().isalnum() and len(q.strip()) == 18 else {"name": q.strip()}
    return render(request, "filings/desk_new.html", {
        "title": "窗口受理：新建备案", "q": q, "found": found, "searched": bool(q.strip()), "values": values,
        "errors": errors, "industries": INDUSTRIES, "system_kinds": labels.choices(SystemKind),
        "place_kinds": labels.choices(PlaceKind), "datums": labels.choices(Datum), "unit_code": actor.user.unit_code,
        "max_found": MAX_FOUND,
    }, actor=actor, session=session, status_code=status)


@router.get("/desk/new", response_class=HTMLResponse)
def find_operator(request: Request, session: SessionDep, actor: PageActor, q: str = "") -> Response:
    """Step 1 at the window: find the operator by name or credit code, or register it."""
    _desk(actor)
    return _finder(request, session, actor, q[:100], {}, FormErrors())


@router.get("/desk/route", response_class=HTMLResponse)
def operator_route(request: Request, session: SessionDep, actor: PageActor, lon: str = "", lat: str = "",
                   datum: str = "wgs84", affiliation_code: str = "", system_kind: str = "ordinary",
                   place_kind: str = "") -> Response:
    """Who would handle an operator at the typed location, builder and place (rule and reason), beside the form."""
    _desk(actor)
    answer, problem = None, None
    try:
        kind = SystemKind(system_kind or "ordinary")
        place = PlaceKind(place_kind).value if place_kind else None
    except ValueError:
        kind, place, problem = SystemKind.ordinary, None, "请选择建设主体和场所类型"
    if problem is None and kind != SystemKind.ordinary and place is None:
        problem = "政府建设的系统请选择场所类型（交通道路、广场等公共场所按规则1、2，单位内部按一般规则）"
    try:
        wgs_lon, wgs_lat = to_wgs84(float(lon), float(lat), Datum(datum or "wgs84").value)
        if problem is None:
            answer = responsibility_for(lon=float(wgs_lon), lat=float(wgs_lat),
                                        affiliation_code=affiliation_code or None, system_kind=kind.value,
                                        place_kind=place)
    except ValueError:
        problem = "请填写经度和纬度（小数）"
    except DomainError as exc:
        problem = exc.message.split(" / ")[0]
    return render(request, "filings/_desk_routing.html", {"answer": answer, "routing_error": problem,
                                                          "unit_code": actor.user.unit_code},
                  actor=actor, session=session)


@router.post("/desk/operators", response_class=HTMLResponse)
async def create_operator(request: Request, session: SessionDep, actor: PageActor) -> Response:
    """Register the operator that came to the window; it must be this unit's to file here."""
    _desk(actor)
    form = await request.form()
    values = {k: str(form.get(k, "")).strip() for k in OPERATOR_FIELDS}
    values["uscc"] = values["uscc"].upper()
    errors = FormErrors()
    data = parse(OperatorCreate, {**values, "affiliation_code": values["affiliation_code"] or None,
                                  "place_kind": values["place_kind"] or None}, errors)
    if data is not None:
        savepoint = session.begin_nested()
        try:
            operator = operators_service.create(session, actor=actor, data=data)
        except DomainError as exc:
            savepoint.rollback()
            errors.add_domain(exc, set(OPERATOR_FIELDS))
        else:
            if operator.filing_unit_code != actor.user.unit_code:
                # Routed elsewhere: not registered from this window (the manager is sent to the right unit).
                savepoint.rollback()
                errors.add("lon", f"该位置的备案由{UnitNames(session)(operator.filing_unit_code)}受理"
                                  f"（第 {operator.routing_rule} 条规则：{operator.routing_explanation}），"
                                  "请告知使用单位到该单位办理")
            else:
                savepoint.commit()
                return redirect(f"/desk/new/{operator.id}",
                                message=f"已登记使用单位“{operator.name}”，请录入备案信息")
    return _finder(request, session, actor, "", values, errors, status=422)


def _operator(session: Session, actor: Actor, operator_id: int) -> Operator:
    """An operator this desk officer may file for: 403 for other roles, 404 outside his scope."""
    _desk(actor)
    return get_visible(session, Operator, operator_id, actor.user)


def _form_page(request: Request, session: Session, actor: Actor, operator: Operator, values: dict[str, Any],
               errors: FormErrors, status: int = 200, filing: Filing | None = None) -> Response:
    """The operator's filing form, for a new filing typed in at the window or (`filing`) one being corrected."""
    context: dict[str, Any] = {
        "operator": operator, "filing": filing, "values": values, "errors": errors, "types": apply_form.TYPES,
        "datums": labels.choices(Datum), "place_kinds": labels.choices(PlaceKind),
        "answer": _routing(operator, values), "route_url": f"/desk/new/{operator.id}/route",
        "outlines_url": "/geo/districts.geojson"}
    if filing is None:
        context.update(title="窗口受理：录入备案", form_action=f"/desk/new/{operator.id}", back_url="/desk/new",
                       desk_intake=True)
    else:
        context.update(title="窗口受理：修改备案信息", form_action=f"/filings/{filing.id}/form",
                       filing_url=f"/filings/{filing.id}", desk_edit=True)
    return render(request, "apply/form.html", context, actor=actor, session=session, status_code=status)


def _routing(operator: Operator, values: dict[str, Any]) -> Any:
    try:
        return apply_form.responsibility_at(operator, values)
    except (ValueError, DomainError):
        return None


@router.get("/desk/new/{operator_id}", response_class=HTMLResponse)
def new_filing(request: Request, session: SessionDep, actor: PageActor, operator_id: int) -> Response:
    """Step 2: the filing form typed in for the operator from its paper forms."""
    operator = _operator(session, actor, operator_id)
    return _form_page(request, session, actor, operator, apply_form.values_of(None, operator), FormErrors())


@router.get("/desk/new/{operator_id}/route", response_class=HTMLResponse)
def route_preview(request: Request, session: SessionDep, actor: PageActor, operator_id: int) -> Response:
    """Who handles the typed location, swapped in beside the form."""
    operator = _operator(session, actor, operator_id)
    values = {k: v for k, v in request.query_params.items()
              if k in ("site_lon", "site_lat", "site_datum", "place_kind")}
    errors = FormErrors()
    answer = _routing(operator, values)
    if answer is None:
        errors.add("site_lon", "请填写经度和纬度（小数）")
    return render(request, "apply/_routing.html", {"answer": answer, "errors": errors, "operator": operator},
                  actor=actor, session=session)


def _saved(session: Session, errors: FormErrors, write: Callable[[], Saved]) -> Saved | None:
    """The form's write in a savepoint: a refusal goes beside its field and leaves nothing behind (a 403 or
    404 stays the error page it is)."""
    savepoint = session.begin_nested()
    try:
        result = write()
    except DomainError as exc:
        savepoint.rollback()
        if exc.status_code in (403, 404):
            raise
        errors.add_domain(exc, apply_form.FIELD_NAMES)
        return None
    savepoint.commit()
    return result


@router.post("/desk/new/{operator_id}", response_class=HTMLResponse)
async def submit_at_desk(request: Request, session: SessionDep, settings: SettingsDep, actor: PageActor,
                         operator_id: int) -> Response:
    """Record the filing as submitted at the window (受理方式：窗口受理); materials and cameras follow on its page."""
    operator = _operator(session, actor, operator_id)
    values = apply_form.read(await request.form())
    errors = FormErrors()
    apply_form.require_dates(values, FilingKind.new, errors)
    data = apply_form.to_model(FilingCreate, values, errors, operator_id=operator.id)
    if data is not None:
        filing = _saved(session, errors, lambda: service.submit(session, actor=actor, data=data, settings=settings))
        if filing is not None:
            return redirect(f"/filings/{filing.id}", message="备案信息已录入。请上传材料、录入摄像机清单，核对后受理。")
    return _form_page(request, session, actor, operator, values, errors, status=422)


def _typed_here(session: Session, actor: Actor, filing_id: int) -> tuple[Filing, Operator]:
    """A filing this officer typed in at the desk, not yet accepted: 404 outside scope, 403 for another officer,
    409 for a filing the operator submitted online or one already accepted."""
    filing = _filing(session, actor, filing_id)
    drafts.require_form_editable(actor, filing)
    if filing.state != FilingState.submitted:  # a draft or correction is the operator's to edit, on its pages
        raise Conflict("备案已受理，修改须按补正通知办理 / the filing was accepted: changes go through the correction "
                       "notice", details={"state": filing.state.value})
    return filing, session.get_one(Operator, filing.operator_id)


@router.get("/filings/{filing_id}/form", response_class=HTMLResponse)
def edit_typed_form(request: Request, session: SessionDep, actor: PageActor, filing_id: int) -> Response:
    """The form this officer typed in at the window, to correct before acceptance."""
    filing, operator = _typed_here(session, actor, filing_id)
    return _form_page(request, session, actor, operator, apply_form.values_of(filing, operator), FormErrors(),
                      filing=filing)


@router.post("/filings/{filing_id}/form", response_class=HTMLResponse)
async def save_typed_form(request: Request, session: SessionDep, settings: SettingsDep, actor: PageActor,
                          filing_id: int) -> Response:
    """Save the corrected form (audited field by field, with what it was); errors come back beside each field."""
    filing, operator = _typed_here(session, actor, filing_id)
    values = apply_form.read(await request.form())
    errors = FormErrors()
    apply_form.require_dates(values, filing.kind, errors)
    data = apply_form.to_model(FilingFormUpdate, values, errors)
    if data is not None:
        changed = _saved(session, errors, lambda: drafts.update_form(session, actor=actor, filing_id=filing_id,
                                                                     data=data, settings=settings))
        if changed is not None:
            return redirect(f"/filings/{filing_id}", message="备案信息已修改")
    return _form_page(request, session, actor, operator, values, errors, status=422, filing=filing)


def _refused(request: Request, session: Session, settings: Settings, actor: Actor, filing: Any, field: str,
             message: str, values: dict[str, Any], status: int = 422, extra: dict[str, Any] | None = None) -> Response:
    errors = FormErrors()
    errors.add(field, message.split(" / ")[0])
    session.refresh(filing)
    return pages.show_detail(request, session, settings, actor, filing, errors=errors, values=values, status=status,
                             extra=extra)


@router.post("/filings/{filing_id}/cameras/paste", response_class=HTMLResponse)
async def paste_at_desk(request: Request, session: SessionDep, settings: SettingsDep, actor: PageActor,
                        filing_id: int) -> Response:
    """The camera list pasted from the operator's Excel at the window; a bad row keeps the whole block back."""
    filing = _filing(session, actor, filing_id)
    text = str((await request.form()).get("cameras_text", ""))
    values = {"cameras_text": text}
    site = (filing.site_lon, filing.site_lat) if filing.site_lon is not None and filing.site_lat is not None \
        else None
    pasted = paste_rows.parse(text, site=site)
    if pasted.problems:
        more = f"……共 {len(pasted.problems)} 行有误" if len(pasted.problems) > 10 else ""
        return _refused(request, session, settings, actor, filing, "cameras_text",
                        "；".join(pasted.problems[:10]) + more, values)
    savepoint = session.begin_nested()
    try:
        service.add_cameras(session, actor=actor, filing_id=filing_id, items=pasted.cameras)
    except DomainError as exc:
        savepoint.rollback()
        if exc.status_code in (403, 404):
            raise
        return _refused(request, session, settings, actor, filing, "cameras_text", exc.message, values,
                        exc.status_code)
    savepoint.commit()
    return redirect(f"/filings/{filing_id}#cameras", message=f"已添加 {len(pasted.cameras)} 台摄像机")


@router.post("/filings/{filing_id}/cameras", response_class=HTMLResponse)
async def add_at_desk(request: Request, session: SessionDep, settings: SettingsDep, actor: PageActor,
                      filing_id: int) -> Response:
    """One camera typed in from the operator's list, with the operator's own row form and service."""
    filing = _filing(session, actor, filing_id)
    added = await add_from_row_form(request, session, actor, filing)
    if added.camera is None:
        session.refresh(filing)
        return pages.show_detail(request, session, settings, actor, filing, errors=added.errors,
                                 values=added.values, status=added.status, extra={"row_form_open": True})
    return redirect(f"/filings/{filing_id}#cameras", message=f"已添加摄像机“{added.camera.name}”")


@router.post("/filings/{filing_id}/cameras/import", response_class=HTMLResponse)
async def import_at_desk(request: Request, session: SessionDep, settings: SettingsDep, actor: PageActor,
                         filing_id: int) -> Response:
    """The camera template the operator filled in, brought on the stick: every row or none, bad rows marked in
    the sheet handed back (rows naming no filing are this one's, rows without a position at the system's)."""
    filing = _filing(session, actor, filing_id)
    upload = (await request.form()).get("sheet")
    if not isinstance(upload, UploadFile) or not upload.filename:
        return _refused(request, session, settings, actor, filing, "sheet",
                        "请选择填好的摄像机清单（.xlsx 或 .csv）", {})
    try:
        report = await import_into(session, actor=actor, settings=settings, filing=filing, upload=upload)
    except DomainError as exc:
        if exc.status_code in (403, 404):
            raise
        return _refused(request, session, settings, actor, filing, "sheet",
                        f"{upload.filename}：{exc.message.split(' / ')[0]}", {})
    if report.committed:
        return redirect(f"/filings/{filing_id}#cameras",
                        message=f"已从 {upload.filename} 导入 {report.created} 台摄像机")
    name, notes = keep_error_file(settings, report)
    return _refused(request, session, settings, actor, filing, "sheet",
                    f"{upload.filename} 有 {report.invalid} 行有误，未导入任何摄像机。"
                    "请下载错误文件，按“错误”列改正后重新上传。",
                    {}, extra={"import_errors": {"link": error_link(request, Kind.cameras, name), "notes": notes,
                                                 "more": report.invalid > len(notes)}})


@router.post("/filings/{filing_id}/cameras/{camera_id}/delete", response_class=HTMLResponse)
def remove_at_desk(request: Request, session: SessionDep, settings: SettingsDep, actor: PageActor, filing_id: int,
                   camera_id: int) -> Response:
    """Take a wrongly entered camera off the list before the filing is decided (a coded one never)."""
    filing = _filing(session, actor, filing_id)
    try:
        drafts.remove_camera(session, actor=actor, filing_id=filing_id, camera_id=camera_id)
    except DomainError as exc:
        if exc.status_code in (403, 404):
            raise
        return _refused(request, session, settings, actor, filing, "cameras_text", exc.message, {}, exc.status_code)
    return redirect(f"/filings/{filing_id}#cameras", message="已从清单中删除该摄像机")
