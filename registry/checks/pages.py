"""799号令 check pages: the prohibited-place term list (city administrators edit it), the operator's staff and
training records (kept by the operator under /apply/staff, read by the police at /operators/{id}/staff).

The filing's checks card is part of the filing page (registry/filings/pages.py calls `filing_card`).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from sqlmodel import Session

from registry.actor import Actor
from registry.auth.models import OFFICER_ROLES, Role
from registry.auth.scope import CITY_UNIT, get_visible, require_role
from registry.checks import service
from registry.checks.models import ProhibitedTermCreate, StaffDuty, StaffMemberCreate, TrainingCreate
from registry.deps import PageActor, SessionDep
from registry.errors import DomainError
from registry.filings.apply_pages import operator_of
from registry.filings.models import Filing
from registry.operators.models import Operator
from registry.timeutil import beijing_today
from registry.ui.forms import FormErrors, parse
from registry.ui.templating import redirect, render

router = APIRouter(include_in_schema=False)
DUTY_NAMES = {StaffDuty.watch: "值班监看人员", StaffDuty.leader: "负责人", StaffDuty.maintainer: "维护人员",
              StaffDuty.inspector: "检查人员", StaffDuty.other: "其他"}
FIELD_NAMES = {"name": "摄像机名称", "position_text": "安装位置", "scope_name": "设备名称（ONVIF）",
               "scope_location": "设备位置（ONVIF）", "hostname": "主机名"}
PROBLEM_NAMES = {"below_minimum": "不足 30 天", "below_declared": "少于申报的存储期限"}


async def _form(request: Request) -> dict[str, str]:
    return {k: v for k, v in (await request.form()).items() if isinstance(v, str)}


def _refused(exc: DomainError, errors: FormErrors, fields: set[str]) -> None:
    """A refusal of role or scope is the error page; anything else goes beside its field."""
    if exc.status_code in (403, 404):
        raise exc
    errors.add_domain(exc, fields)


# --- the prohibited-place terms (系统管理 → 禁止区域词表) -------------------------------------------------------


def _terms_page(request: Request, session: Session, actor: Actor, values: dict[str, Any] | None = None,
                errors: FormErrors | None = None, status: int = 200) -> Response:
    may_edit = actor.user.role == Role.admin and actor.user.unit_code == CITY_UNIT
    context = {"terms": service.list_terms(session), "may_edit": may_edit, "values": values or {},
               "errors": errors or FormErrors(), "title": "禁止区域词表"}
    return render(request, "checks/terms.html", context, actor=actor, session=session, status_code=status)


@router.get("/admin/prohibited-terms", response_class=HTMLResponse)
def terms(request: Request, session: SessionDep, actor: PageActor) -> Response:
    """The terms camera and device names are screened against; the city department's administrators edit them."""
    require_role(actor.user, Role.admin)
    return _terms_page(request, session, actor)


@router.post("/admin/prohibited-terms", response_class=HTMLResponse)
async def add_term(request: Request, session: SessionDep, actor: PageActor) -> Response:
    """Add a term (or put an inactive one back in force)."""
    require_role(actor.user, Role.admin)
    values, errors = await _form(request), FormErrors()
    data = parse(ProhibitedTermCreate, values, errors)
    if data is not None:
        try:
            row = service.add_term(session, actor=actor, data=data)
        except DomainError as exc:
            _refused(exc, errors, {"term", "note"})
        else:
            return redirect("/admin/prohibited-terms", message=f"已加入“{row.term}”，此后的筛查即按新词表进行")
    return _terms_page(request, session, actor, values, errors, status=409 if errors.general else 422)


@router.post("/admin/prohibited-terms/{term_id}/remove", response_class=HTMLResponse)
def remove_term(request: Request, session: SessionDep, actor: PageActor, term_id: int) -> Response:
    """Take a term out of force (kept in the list as inactive)."""
    require_role(actor.user, Role.admin)
    row = service.remove_term(session, actor=actor, term_id=term_id)
    return redirect("/admin/prohibited-terms", message=f"“{row.term}”已停用")


# --- the filing's 799号令 checks card ----------------------------------------------------------------------------


def filing_card(session: Session, actor: Actor, filing: Filing) -> dict[str, Any] | None:
    """The checks of a filing for the police (the operator's own pages do not show the inspector's flags)."""
    if actor.user.role not in OFFICER_ROLES:
        return None
    checks = service.filing_checks(session, actor=actor, filing_id=filing.id or 0)
    return {**checks, "field_names": FIELD_NAMES, "problem_names": PROBLEM_NAMES, "duty_names": DUTY_NAMES}


# --- staff and training records -----------------------------------------------------------------------------


def _staff_context(session: Session, operator: Operator) -> dict[str, Any]:
    staff = service.staff_of(session, operator_id=operator.id or 0)
    active = [s for s in staff if s.active]
    return {"operator": operator, "staff": staff, "untrained": [s for s in active if not s.trained],
            "active_count": len(active), "duty_names": DUTY_NAMES, "duties": labels_of_duties(),
            "today": beijing_today()}


def labels_of_duties() -> list[tuple[str, str]]:
    """The duty choices of the staff form, in Chinese."""
    return [(d.value, DUTY_NAMES[d]) for d in StaffDuty]


def _own_staff_page(request: Request, session: Session, actor: Actor, *, values: dict[str, Any] | None = None,
                    errors: FormErrors | None = None, form: str = "", status: int = 200) -> Response:
    operator = operator_of(session, actor)
    context = {**_staff_context(session, operator), "editable": True, "values": values or {},
               "errors": errors or FormErrors(), "form": form, "title": "人员培训"}
    return render(request, "checks/staff.html", context, actor=actor, session=session, status_code=status)


@router.get("/apply/staff", response_class=HTMLResponse)
def own_staff(request: Request, session: SessionDep, actor: PageActor) -> Response:
    """The operator's staff in contact with the system, their trainings, and who has had none (flagged)."""
    return _own_staff_page(request, session, actor)


@router.post("/apply/staff", response_class=HTMLResponse)
async def own_staff_add(request: Request, session: SessionDep, actor: PageActor) -> Response:
    """Add a person to the staff list."""
    operator = operator_of(session, actor)
    values, errors = await _form(request), FormErrors()
    data = parse(StaffMemberCreate, values, errors)
    if data is not None:
        try:
            person = service.add_staff(session, actor=actor, operator_id=operator.id or 0, data=data)
        except DomainError as exc:
            _refused(exc, errors, {"name", "duty", "phone"})
        else:
            return redirect(f"/apply/staff#staff-{person.id}", message=f"已添加{person.name}，请登记其培训情况")
    return _own_staff_page(request, session, actor, values=values, errors=errors, form="add",
                           status=409 if errors.general else 422)


@router.post("/apply/staff/{staff_id}/trainings", response_class=HTMLResponse)
async def own_training(request: Request, session: SessionDep, actor: PageActor, staff_id: int) -> Response:
    """Record one training of one person: when, what, given by whom."""
    operator = operator_of(session, actor)
    values, errors = await _form(request), FormErrors()
    data = parse(TrainingCreate, values, errors)
    if data is not None:
        try:
            person = service.record_training(session, actor=actor, operator_id=operator.id or 0, staff_id=staff_id,
                                             data=data)
        except DomainError as exc:
            _refused(exc, errors, {"trained_on", "content", "trainer"})
        else:
            return redirect(f"/apply/staff#staff-{staff_id}", message=f"已登记{person.name}的培训")
    prefixed = FormErrors({f"t{staff_id}-{k}": v for k, v in errors.fields.items()}, errors.general)
    return _own_staff_page(request, session, actor, values={f"t{staff_id}-{k}": v for k, v in values.items()},
                           errors=prefixed, form=f"training-{staff_id}", status=409 if errors.general else 422)


@router.post("/apply/staff/{staff_id}/leave", response_class=HTMLResponse)
def own_leave(request: Request, session: SessionDep, actor: PageActor, staff_id: int) -> Response:
    """Mark a person as gone (kept in the list with their trainings)."""
    operator = operator_of(session, actor)
    person = service.leave_staff(session, actor=actor, operator_id=operator.id or 0, staff_id=staff_id)
    return redirect("/apply/staff", message=f"{person.name}已标记为离岗")


@router.get("/operators/{operator_id}/staff", response_class=HTMLResponse)
def operator_staff(request: Request, session: SessionDep, actor: PageActor, operator_id: int) -> Response:
    """An operator's staff and training records, read-only for the police of its units."""
    operator = get_visible(session, Operator, operator_id, actor.user)
    require_role(actor.user, *OFFICER_ROLES)
    context = {**_staff_context(session, operator), "editable": False, "values": {}, "errors": FormErrors(),
               "form": "", "title": f"{operator.name} 人员培训"}
    return render(request, "checks/staff.html", context, actor=actor, session=session)
