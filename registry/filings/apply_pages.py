"""The operator's pages (使用单位, JOURNEYS §4): own filings and what each asks of them, a draft saved and
resumed, submitted; the correction notice read and answered; a change begun from a filed filing.

Every route is the operator's own: another operator's filing is the 404 page (scope), an officer is
refused with the 403 page. Edits of materials and cameras are in apply_edits.py, placement on the
deployment map in placement_pages.py.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from sqlmodel import Session, col, select

from registry.actor import Actor
from registry.auth.models import Role
from registry.auth.scope import clause_for, get_visible, require_role
from registry.cameras.models import Camera
from registry.deps import PageActor, SessionDep, SettingsDep
from registry.errors import Conflict, DomainError, NotFound
from registry.filings import apply_form, drafts, mapimages, service
from registry.filings.models import (
    EDITABLE_STATES,
    FORM_EDITABLE_STATES,
    CorrectionNotice,
    Filing,
    FilingCreate,
    FilingFormUpdate,
    FilingKind,
    FilingState,
    Material,
    MaterialKind,
)
from registry.filings.paste_rows import PASTE_HEADERS
from registry.operators.models import Datum, Operator, PlaceKind
from registry.settings import Settings
from registry.ui import labels
from registry.ui.forms import FormErrors
from registry.ui.templating import redirect, render

router = APIRouter(include_in_schema=False)
MAX_LISTED = 200  # an operator with more filings reads the rest in the 备案 list
REQUIRED_MATERIALS = (MaterialKind.form, MaterialKind.location_diagram, MaterialKind.deployment_map)


def operator_of(session: Session, actor: Actor) -> Operator:
    """The signed-in operator account's unit (403 for officers: these pages are the operator's)."""
    require_role(actor.user, Role.operator)
    if actor.user.operator_id is None:
        raise NotFound("账户未关联使用单位 / this account has no operator")
    return get_visible(session, Operator, actor.user.operator_id, actor.user)


def own_filing(session: Session, actor: Actor, filing_id: int) -> Filing:
    """A filing of the signed-in operator: 404 for anyone else's, 403 for an officer who may see it."""
    filing = get_visible(session, Filing, filing_id, actor.user)
    require_role(actor.user, Role.operator)
    return filing


def _asked(filing: Filing, notice: CorrectionNotice | None, missing: list[str]) -> str:
    """What the filing asks of the operator now, in one line."""
    if filing.state == FilingState.draft:
        return "草稿：请补齐" + "、".join(drafts.MISSING_NAMES.get(m, m) for m in missing) + "后提交" if missing \
            else "草稿：材料已齐，请提交"
    if filing.state == FilingState.correction_requested and notice is not None:
        return f"请按补正通知修改 {len(notice.items)} 项后重新提交"
    return {FilingState.submitted: "等待公安机关受理", FilingState.filed: "已备案：可下载回执、办理变更",
            FilingState.rejected: "不予备案：" + (filing.rejected_reason or "")}.get(filing.state, "公安机关审核中")


@router.get("/apply", response_class=HTMLResponse)
def my_filings(request: Request, session: SessionDep, actor: PageActor) -> Response:
    """The operator's filings, newest first, each with its state, number, deadline and what it asks."""
    operator = operator_of(session, actor)
    filings = session.exec(select(Filing).where(clause_for(Filing, actor.user))
                           .order_by(col(Filing.id).desc()).limit(MAX_LISTED)).all()
    ids = [f.id for f in filings]
    notices = {n.filing_id: n for n in session.exec(select(CorrectionNotice)
                                                    .where(col(CorrectionNotice.filing_id).in_(ids))).all()}
    rows = []
    for filing in filings:
        notice = notices.get(filing.id or 0)
        missing = drafts.missing_before_submit(session, filing) if filing.state == FilingState.draft else []
        rows.append((filing, notice, _asked(filing, notice, missing)))
    return render(request, "apply/list.html", {"operator": operator, "rows": rows, "title": "我的备案",
                                               "more": len(filings) == MAX_LISTED}, actor=actor, session=session)


def _form_page(request: Request, session: Session, actor: Actor, operator: Operator, values: dict[str, Any],
               errors: FormErrors, filing: Filing | None = None, status: int = 200) -> Response:
    return render(request, "apply/form.html", {
        "operator": operator, "filing": filing, "values": values, "errors": errors, "types": apply_form.TYPES,
        "datums": labels.choices(Datum), "place_kinds": labels.choices(PlaceKind),
        "title": "修改备案信息" if filing else "新建备案",
        "answer": _routing(operator, values, FormErrors()),
    }, actor=actor, session=session, status_code=status)


@router.get("/apply/new", response_class=HTMLResponse)
def new_filing(request: Request, session: SessionDep, actor: PageActor) -> Response:
    """The filing form for a new system (saved as a draft, nothing is sent yet)."""
    operator = operator_of(session, actor)
    return _form_page(request, session, actor, operator, apply_form.values_of(None, operator), FormErrors())


@router.post("/apply/new", response_class=HTMLResponse)
async def create_draft(request: Request, session: SessionDep, settings: SettingsDep, actor: PageActor) -> Response:
    """Save the form as a draft and go on to materials and cameras; errors come back beside each field."""
    operator = operator_of(session, actor)
    values = apply_form.read(await request.form())
    errors = FormErrors()
    apply_form.require_dates(values, FilingKind.new, errors)
    data = apply_form.to_model(FilingCreate, values, errors, operator_id=operator.id)
    if data is not None:
        try:
            filing = drafts.create_draft(session, actor=actor, data=data, settings=settings)
        except DomainError as exc:
            errors.add_domain(exc, apply_form.FIELD_NAMES)
        else:
            return redirect(f"/apply/{filing.id}", message="已保存为草稿。请上传材料、登记摄像机，齐全后提交。")
    return _form_page(request, session, actor, operator, values, errors, status=422)


@router.get("/apply/{filing_id}/form", response_class=HTMLResponse)
def edit_form(request: Request, session: SessionDep, actor: PageActor, filing_id: int) -> Response:
    """The form of a draft, or of a filing being corrected, to change."""
    filing = own_filing(session, actor, filing_id)
    operator = session.get_one(Operator, filing.operator_id)
    if filing.state not in FORM_EDITABLE_STATES:
        raise Conflict(f"备案状态为“{labels.label(filing.state)}”，不能修改备案信息 / the form cannot be changed now")
    return _form_page(request, session, actor, operator, apply_form.values_of(filing, operator), FormErrors(), filing)


@router.post("/apply/{filing_id}/form", response_class=HTMLResponse)
async def save_form(request: Request, session: SessionDep, settings: SettingsDep, actor: PageActor,
                    filing_id: int) -> Response:
    """Save the changed form (draft or correction); errors come back beside each field."""
    filing = own_filing(session, actor, filing_id)
    operator = session.get_one(Operator, filing.operator_id)
    values = apply_form.read(await request.form())
    errors = FormErrors()
    apply_form.require_dates(values, filing.kind, errors)
    data = apply_form.to_model(FilingFormUpdate, values, errors)
    if data is not None:
        try:
            drafts.update_form(session, actor=actor, filing_id=filing_id, data=data, settings=settings)
        except DomainError as exc:
            errors.add_domain(exc, apply_form.FIELD_NAMES)
        else:
            return redirect(f"/apply/{filing_id}", message="备案信息已保存")
    return _form_page(request, session, actor, operator, values, errors, filing, status=422)


def _routing(operator: Operator, values: dict[str, Any], errors: FormErrors) -> Any:
    """Who is responsible for the typed location (the same routing the registry stores), or None."""
    try:
        return apply_form.responsibility_at(operator, values)
    except ValueError:
        errors.add("site_lon", "请填写经度和纬度（小数）")
    except DomainError as exc:
        errors.add("site_lon", exc.message.split(" / ")[0])
    return None


@router.get("/apply/route", response_class=HTMLResponse)
def route_preview(request: Request, session: SessionDep, actor: PageActor) -> Response:
    """The routing answer for the location typed so far (htmx swaps it beside the form)."""
    operator = operator_of(session, actor)
    errors = FormErrors()
    values = {k: v for k, v in request.query_params.items()
              if k in ("site_lon", "site_lat", "site_datum", "place_kind")}
    answer = _routing(operator, values, errors)
    return render(request, "apply/_routing.html", {"answer": answer, "errors": errors, "operator": operator},
                  actor=actor, session=session)


@lru_cache(maxsize=1)
def _district_outlines() -> bytes:
    """The districts as simplified GeoJSON (about 90 kB): the picker's background when there are no tiles."""
    from registry.routing import jurisdictions

    frame = jurisdictions().districts[["district_code", "name", "geometry"]].copy()
    frame["geometry"] = frame.geometry.simplify(0.002)
    return frame.to_json().encode()


@router.get("/apply/districts.geojson")
def district_outlines(session: SessionDep, actor: PageActor) -> Response:
    """District outlines for the location picker (public geography, but only for signed-in operators)."""
    operator_of(session, actor)
    return Response(_district_outlines(), media_type="application/geo+json",
                    headers={"Cache-Control": "private, max-age=86400"})


def workspace(session: Session, settings: Settings, filing: Filing) -> dict[str, Any]:
    """Everything the filing's page shows: materials, cameras, the notice, what is missing, the maps."""
    materials = session.exec(select(Material).where(Material.filing_id == filing.id)
                             .order_by(col(Material.kind), col(Material.id))).all()
    cameras = session.exec(select(Camera).where(Camera.filing_id == filing.id).order_by(col(Camera.id))).all()
    notice = session.exec(select(CorrectionNotice).where(CorrectionNotice.filing_id == filing.id)).first()
    maps = [(m, mapimages.frames(settings.materials_dir, m.sha256, m.mime)) for m in materials
            if m.kind == MaterialKind.deployment_map]
    gaps = drafts.gaps_before_submit(session, filing) if filing.state == FilingState.draft \
        else service.completeness(session, filing)
    missing = [m.item for m in gaps]
    return {
        "filing": filing, "operator": session.get_one(Operator, filing.operator_id), "materials": materials,
        "cameras": cameras, "notice": notice, "missing": missing, "missing_names": drafts.MISSING_NAMES,
        "missing_notes": drafts.missing_notes(gaps),
        "maps": maps, "placed": sum(1 for c in cameras if c.map_material_id is not None),
        "have": {m.kind.value for m in materials}, "required": REQUIRED_MATERIALS,
        "can_edit": filing.state in EDITABLE_STATES, "can_edit_form": filing.state in FORM_EDITABLE_STATES,
        "material_kinds": [k for k in labels.choices(MaterialKind)
                           if k[0] != MaterialKind.authorization or filing.agent_name],
        "paste_headers": PASTE_HEADERS, "original": filing.changes_filing_id and session.get(
            Filing, filing.changes_filing_id),
        "title": filing.system_name,
    }


def show(request: Request, session: Session, settings: Settings, actor: Actor, filing: Filing,
         errors: FormErrors | None = None, values: dict[str, Any] | None = None, status: int = 200,
         extra: dict[str, Any] | None = None) -> Response:
    """The filing's page, with errors of a form sent from it beside their fields."""
    errors = errors or FormErrors()
    context = {**workspace(session, settings, filing), "errors": errors, "values": values or {},
               "row_form_open": any(name.startswith("cam_") for name in errors.fields), **(extra or {})}
    return render(request, "apply/filing.html", context, actor=actor, session=session, status_code=status)


@router.get("/apply/{filing_id}", response_class=HTMLResponse)
def filing_page(request: Request, session: SessionDep, settings: SettingsDep, actor: PageActor,
                filing_id: int) -> Response:
    """One of the operator's filings: where it is, what is asked, and (while open) its materials and cameras."""
    return show(request, session, settings, actor, own_filing(session, actor, filing_id))


def _act(request: Request, session: Session, settings: Settings, actor: Actor, filing_id: int, action: Any,
         done: str) -> Response:
    """Run a workflow action; a refusal comes back on the filing's page, saying why."""
    filing = own_filing(session, actor, filing_id)
    savepoint = session.begin_nested()
    try:
        result = action()
    except DomainError as exc:
        savepoint.rollback()
        errors = FormErrors()
        errors.add(None, exc.message.split(" / ")[0])
        session.refresh(filing)
        return show(request, session, settings, actor, filing, errors, status=exc.status_code)
    savepoint.commit()
    target = result.id if isinstance(result, Filing) else filing_id
    return redirect(f"/apply/{target}", message=done)


@router.post("/apply/{filing_id}/submit", response_class=HTMLResponse)
def submit(request: Request, session: SessionDep, settings: SettingsDep, actor: PageActor, filing_id: int) -> Response:
    """Send the complete draft to the filing unit."""
    return _act(request, session, settings, actor, filing_id, lambda: drafts.submit_draft(
        session, actor=actor, filing_id=filing_id, settings=settings), "已提交，等待公安机关受理")


@router.post("/apply/{filing_id}/corrected", response_class=HTMLResponse)
def corrected(request: Request, session: SessionDep, settings: SettingsDep, actor: PageActor,
              filing_id: int) -> Response:
    """Say the correction is done: the filing goes back to the officers."""
    return _act(request, session, settings, actor, filing_id, lambda: service.submit_correction(
        session, actor=actor, filing_id=filing_id), "补正材料已提交，等待公安机关复核")


@router.post("/apply/{filing_id}/change", response_class=HTMLResponse)
def start_change(request: Request, session: SessionDep, settings: SettingsDep, actor: PageActor,
                 filing_id: int) -> Response:
    """Begin a change of a filed filing as a draft (an open one is resumed instead)."""
    filing = own_filing(session, actor, filing_id)
    pending = drafts.open_change(session, original_id=filing_id) if filing.state == FilingState.filed else None
    if pending is not None:
        return redirect(f"/apply/{pending.id}", message="该备案已有未办结的变更备案，请继续办理", kind="warn")
    return _act(request, session, settings, actor, filing_id, lambda: drafts.start_change(
        session, actor=actor, filing_id=filing_id, settings=settings),
        "已建立变更备案草稿：原有摄像机及其编码、材料已带入，请修改后提交")


@router.post("/apply/{filing_id}/discard", response_class=HTMLResponse)
def discard(request: Request, session: SessionDep, settings: SettingsDep, actor: PageActor, filing_id: int) -> Response:
    """Throw the draft away."""
    response = _act(request, session, settings, actor, filing_id, lambda: drafts.discard_draft(
        session, actor=actor, filing_id=filing_id), "草稿已删除")
    return redirect("/apply", message="草稿已删除") if response.status_code == 303 else response
