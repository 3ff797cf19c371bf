"""Footage-access register pages: the police unit's list of its area, the operator's own register and its form."""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel, Field
from sqlalchemy import Select
from sqlmodel import Session, col, select

from registry.actor import Actor
from registry.auth.models import OFFICER_ROLES, Role
from registry.auth.scope import clause_for, require_role
from registry.deps import PageActor, SessionDep
from registry.errors import DomainError
from registry.filings.apply_pages import operator_of
from registry.footage import export, service
from registry.footage.models import FootageAccess, FootageAccessCreate, FootageKind
from registry.footage.service import KIND_NAMES, FootageFilters, scoped_query
from registry.imports.views import MEDIA_TYPES
from registry.operators.models import Operator
from registry.ui.forms import FormErrors, blank_to_none, parse
from registry.ui.listing import Column, FilterField, ListSpec, Sort, filters_of, order_of, show_list
from registry.ui.templating import redirect, render
from registry.units.models import PoliceUnit, UnitKind

router = APIRouter(include_in_schema=False)
KIND_CHOICES = tuple((k.value, KIND_NAMES[k]) for k in FootageKind)


class RegisterFilters(BaseModel):
    """What the register lists can be searched by."""

    q: str | None = Field(default=None, max_length=100)
    kind: FootageKind | None = None
    taker_unit_code: str | None = Field(default=None, max_length=8)
    operator_id: int | None = Field(default=None, ge=1)
    accessed_from: date | None = None
    accessed_to: date | None = None

    def to_service(self) -> FootageFilters:
        """The service's filters: the page, the API and the export search alike."""
        return FootageFilters(**self.model_dump())


def _rows(actor: Actor, filters: RegisterFilters) -> Select[Any]:
    return scoped_query(actor.user, filters.to_service(), [FootageAccess, col(Operator.name).label("operator_name")])


SORTS = (Sort("id", "登记顺序", col(FootageAccess.id)),
         Sort("accessed_on", "调取日期", col(FootageAccess.accessed_on), date.fromisoformat))
COLUMNS = (Column("调取日期", "accessed_on"), Column("使用单位"), Column("方式"), Column("事由"),
           Column("摄像机及时段"), Column("调取单位及人员"), Column("批准"))
FIELDS = (FilterField("q", "查找", placeholder="事由、摄像机、调取人、批准文书编号或使用单位"),
          FilterField("kind", "方式", "select", KIND_CHOICES),
          FilterField("accessed_from", "调取日期自", "date"), FilterField("accessed_to", "至", "date"))
POLICE = ListSpec(url="/footage", title="视频调取登记", filters=RegisterFilters,
                  fields=(*FIELDS, FilterField("taker_unit_code", "调取单位编码", placeholder="如 101")),
                  sorts=SORTS, default_sort="-accessed_on", id_column=col(FootageAccess.id), columns=COLUMNS,
                  row_template="footage/_row.html", export_url="/footage/export")
OWN = ListSpec(url="/apply/footage", title="调取登记簿", filters=RegisterFilters, fields=FIELDS, sorts=SORTS,
               default_sort="-accessed_on", id_column=col(FootageAccess.id), columns=COLUMNS,
               row_template="footage/_row.html", export_url="/apply/footage/export",
               template="footage/register.html")


def _officer(actor: Actor) -> None:
    require_role(actor.user, *OFFICER_ROLES)


def _export(session: Session, actor: Actor, spec: ListSpec, request: Request, fmt: str) -> Response:
    filters: RegisterFilters = filters_of(spec, request)
    data = (export.to_csv if fmt == "csv" else export.to_xlsx)(session, actor=actor, filters=filters.to_service(),
                                                               order=order_of(spec, request))
    return Response(data, media_type=MEDIA_TYPES[fmt],
                    headers={"Content-Disposition": f'attachment; filename="{export.filename(fmt)}"'})


@router.get("/footage", response_class=HTMLResponse)
def police_list(request: Request, session: SessionDep, actor: PageActor) -> Response:
    """Every access registered for the operators of the unit's area, searchable; 导出 writes the same rows."""
    _officer(actor)
    return show_list(request, session, actor, POLICE, lambda f: _rows(actor, f),
                     extra={"actions": [{"url": "/footage/new", "label": "登记调取"}]}
                     if actor.user.role in service.OFFICER_RECORDERS else None)


@router.get("/footage/export.{fmt}")
def police_export(request: Request, session: SessionDep, actor: PageActor, fmt: Literal["csv", "xlsx"]) -> Response:
    """The searched list as CSV or Excel (audited)."""
    _officer(actor)
    return _export(session, actor, POLICE, request, fmt)


@router.get("/apply/footage", response_class=HTMLResponse)
def own_register(request: Request, session: SessionDep, actor: PageActor) -> Response:
    """The operator's own register (第二十一条: it keeps the papers of every access)."""
    operator = operator_of(session, actor)
    return show_list(request, session, actor, OWN, lambda f: _rows(actor, f), extra={"operator": operator})


@router.get("/apply/footage/export.{fmt}")
def own_export(request: Request, session: SessionDep, actor: PageActor, fmt: Literal["csv", "xlsx"]) -> Response:
    """The operator's register as CSV or Excel."""
    operator_of(session, actor)
    return _export(session, actor, OWN, request, fmt)


def _units(session: Session) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """(approving units: county level or higher, taking units: any) as select choices."""
    units = session.exec(select(PoliceUnit).order_by(col(PoliceUnit.code))).all()
    approving = [(u.code, u.name) for u in units if u.kind != UnitKind.station]
    return approving, approving


def _form(request: Request, session: Session, actor: Actor, operator: Operator | None, values: dict[str, Any],
          errors: FormErrors, status: int = 200) -> Response:
    approving, taking = _units(session)
    officer = actor.user.role != Role.operator
    context = {"operator": operator, "values": values, "errors": errors, "kinds": KIND_CHOICES,
               "approving_units": approving, "taking_units": taking, "title": "登记调取",
               "action": "/footage/new" if officer else "/apply/footage/new",
               "back": "/footage" if officer else "/apply/footage", "ask_operator": officer and operator is None}
    return render(request, "footage/form.html", context, actor=actor, session=session, status_code=status)


def _operator_for_officer(session: Session, actor: Actor, values: dict[str, Any]) -> Operator | None:
    """The operator an officer registers an access for: by id (from its page) or by credit code."""
    query = select(Operator).where(clause_for(Operator, actor.user))
    if str(values.get("operator_id") or "").isdigit():
        return session.exec(query.where(col(Operator.id) == int(values["operator_id"]))).first()
    if values.get("uscc"):
        return session.exec(query.where(col(Operator.uscc) == str(values["uscc"]).strip().upper())).first()
    return None


async def _save(request: Request, session: Session, actor: Actor, operator: Operator | None) -> Response:
    values = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
    errors = FormErrors()
    if operator is None:
        operator = _operator_for_officer(session, actor, values)
        if operator is None:
            errors.add("uscc", "本单位管辖范围内没有这个统一社会信用代码的使用单位")
    data = blank_to_none(values)
    if not data.get("taker_unit_name") and data.get("taker_unit_code"):
        unit = session.get(PoliceUnit, str(data["taker_unit_code"]))
        data["taker_unit_name"] = unit.name if unit else None
    data["operator_id"] = operator.id if operator else 0
    entry = parse(FootageAccessCreate, data, errors)
    if entry is not None and not errors:
        try:
            access = service.record(session, actor=actor, data=entry)
        except DomainError as exc:
            if exc.status_code == 403:
                raise
            errors.add_domain(exc, set(FootageAccessCreate.model_fields))
        else:
            return redirect(f"/footage/{access.id}", message="已登记调取")
    shown = operator if actor.user.role == Role.operator else None
    return _form(request, session, actor, shown, values, errors, status=422)


@router.get("/apply/footage/new", response_class=HTMLResponse)
def new_entry(request: Request, session: SessionDep, actor: PageActor) -> Response:
    """The form for one access: what was taken, by whom, with whose approval."""
    operator = operator_of(session, actor)
    return _form(request, session, actor, operator, {"kind": "copy"}, FormErrors())


@router.post("/apply/footage/new", response_class=HTMLResponse)
async def save_entry(request: Request, session: SessionDep, actor: PageActor) -> Response:
    """Register the access; the form comes back with what was typed and each error beside its field."""
    return await _save(request, session, actor, operator_of(session, actor))


@router.get("/footage/new", response_class=HTMLResponse)
def officer_new_entry(request: Request, session: SessionDep, actor: PageActor) -> Response:
    """The officer who took footage registers it too, for an operator of the unit's area."""
    require_role(actor.user, *service.OFFICER_RECORDERS)
    return _form(request, session, actor, None, {"kind": "copy", **dict(request.query_params)}, FormErrors())


@router.post("/footage/new", response_class=HTMLResponse)
async def officer_save_entry(request: Request, session: SessionDep, actor: PageActor) -> Response:
    """Register the access for the operator named by its credit code."""
    require_role(actor.user, *service.OFFICER_RECORDERS)
    return await _save(request, session, actor, None)


# Last: /footage/new and /footage/export.* are not entries.
@router.get("/footage/{access_id}", response_class=HTMLResponse)
def access_detail(request: Request, session: SessionDep, actor: PageActor, access_id: int) -> Response:
    """One entry of the register, for the operator who keeps it and the police of its area."""
    access = service.get(session, actor=actor, access_id=access_id)
    context = {"access": access, "operator": session.get_one(Operator, access.operator_id),
               "approver_unit": session.get(PoliceUnit, access.approver_unit_code),
               "kind_name": KIND_NAMES[access.kind], "title": f"调取登记 {access.id}",
               "back": "/apply/footage" if actor.user.role == Role.operator else "/footage"}
    return render(request, "footage/detail.html", context, actor=actor, session=session)
