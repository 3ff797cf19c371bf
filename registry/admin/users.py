"""Account pages (系统管理 · 账户): list, create, change role and unit, disable, enable, reset the password.

Every action calls registry.auth.accounts, the service of the API (/api/v1/auth/users) and of `camreg
users`: a unit's administrator manages the accounts of their unit, its stations and its operators.
"""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel, Field
from sqlalchemy import Select, or_
from sqlmodel import Session, col, select

from registry.actor import Actor
from registry.auth import accounts
from registry.auth.models import Role, User, UserCreate, UserUpdate
from registry.auth.scope import CITY_UNIT, clause_for, require_role, user_clause
from registry.deps import PageActor, SessionDep, SettingsDep, read_only
from registry.errors import DomainError
from registry.operators.models import Operator
from registry.ui.forms import FormErrors, parse
from registry.ui.list_export import ExportColumn, export_list
from registry.ui.listing import Column, FilterField, ListSpec, Sort, show_list
from registry.ui.templating import ROLE_NAMES, redirect, render
from registry.units.models import PoliceUnit, UnitKind

router = APIRouter(include_in_schema=False)
ROLE_CHOICES = tuple((role.value, ROLE_NAMES[role]) for role in Role)
POLICE_ROLE_CHOICES = tuple(c for c in ROLE_CHOICES if c[0] != Role.operator.value)


class UserFilters(BaseModel):
    """What the account list can be narrowed by."""

    q: str | None = Field(default=None, max_length=64)
    role: Role | None = None
    unit_code: str | None = Field(default=None, pattern=r"^\d{3}(\d{5})?$")
    disabled: bool | None = None


def user_rows(user: User, filters: UserFilters) -> Select[Any]:
    """The accounts this administrator manages, filtered."""
    query: Any = (select(User, col(Operator.name).label("operator_name"))
                  .outerjoin(Operator, col(Operator.id) == col(User.operator_id)).where(user_clause(user)))
    if filters.q:
        query = query.where(or_(col(User.username).contains(filters.q), col(User.full_name).contains(filters.q)))
    if filters.role is not None:
        query = query.where(col(User.role) == filters.role)
    if filters.unit_code:
        query = query.where(col(User.unit_code) == filters.unit_code)
    if filters.disabled:
        query = query.where(col(User.active).is_(False))
    return query


USERS = ListSpec(
    url="/admin/users", title="账户管理", filters=UserFilters,
    fields=(FilterField("q", "查找", placeholder="用户名或姓名"),
            FilterField("role", "角色", "select", ROLE_CHOICES),
            FilterField("unit_code", "单位编码", placeholder="如 101 或 11010101"),
            FilterField("disabled", "仅看已停用", "checkbox")),
    sorts=(Sort("id", "创建顺序", col(User.id)), Sort("username", "用户名", col(User.username), str)),
    default_sort="username", id_column=col(User.id),
    columns=(Column("用户名", "username"), Column("姓名"), Column("角色"), Column("所属单位"), Column("状态"),
             Column("创建顺序", "id")),
    row_template="admin/_user_row.html", export_url="/admin/users/export",
)


def _status(user: User) -> str:
    return "已停用" if not user.active else "待修改初始密码" if user.must_change_password else "正常"


# What the list shows of an account, and nothing else: never the password hash, never a token (the query reads
# the User row for the page's links; only these values of it are written).
USER_EXPORT = (
    ExportColumn("id", "ID", lambda r: r.User.id),
    ExportColumn("username", "用户名", lambda r: r.User.username),
    ExportColumn("full_name", "姓名", lambda r: r.User.full_name),
    ExportColumn("role", "角色", lambda r: ROLE_NAMES[r.User.role]),
    ExportColumn("unit_code", "所属单位编码", lambda r: r.User.unit_code),
    ExportColumn("operator_id", "使用单位ID", lambda r: r.User.operator_id),
    ExportColumn("operator_name", "使用单位", lambda r: r.operator_name),
    ExportColumn("status", "状态", lambda r: _status(r.User)),
)


def _admin(actor: Actor) -> None:
    require_role(actor.user, Role.admin)


def unit_choices(session: Session, actor: Actor) -> list[tuple[str, str]]:
    """The police units this administrator may give accounts to (the city's: all; a unit's: it and its stations)."""
    # Columns, not ORM objects: the city's 350 units as objects were two thirds of an account page's time.
    query = (select(col(PoliceUnit.code), col(PoliceUnit.name))
             .order_by(col(PoliceUnit.kind) == UnitKind.station, col(PoliceUnit.code)))
    if actor.user.unit_code != CITY_UNIT:
        query = query.where(or_(col(PoliceUnit.code) == actor.user.unit_code,
                                col(PoliceUnit.parent_code) == actor.user.unit_code))
    return [(code, f"{code} {name}") for code, name in session.execute(query).all()]


@router.get("/admin/users", response_class=HTMLResponse)
@read_only
def user_list(request: Request, session: SessionDep, actor: PageActor) -> Response:
    """The accounts this administrator manages."""
    _admin(actor)
    return show_list(request, session, actor, USERS, lambda f: user_rows(actor.user, f),
                     extra={"actions": [{"url": "/admin/users/new", "label": "新增账户"}]})


@router.get("/admin/users/export.{fmt}")
def user_export(request: Request, session: SessionDep, actor: PageActor, fmt: Literal["csv", "xlsx"]) -> Response:
    """The accounts this administrator manages, as filtered and sorted, as CSV or Excel (audited)."""
    _admin(actor)
    return export_list(request, session, actor, USERS, lambda f: user_rows(actor.user, f), USER_EXPORT, fmt,
                       "users")


def _form_page(request: Request, session: Session, actor: Actor, values: dict[str, Any], errors: FormErrors,
               status: int = 200) -> Response:
    return render(request, "admin/user_new.html", {
        "title": "新增账户", "values": values, "errors": errors, "roles": ROLE_CHOICES,
        "units": unit_choices(session, actor)}, actor=actor, session=session, status_code=status)


@router.get("/admin/users/new", response_class=HTMLResponse)
def new_user_form(request: Request, session: SessionDep, actor: PageActor) -> Response:
    """The form for a new account."""
    _admin(actor)
    unit = actor.user.unit_code if actor.user.unit_code != CITY_UNIT else ""
    return _form_page(request, session, actor, {"role": Role.intake.value, "unit_code": unit}, FormErrors())


def _operator_by_uscc(session: Session, actor: Actor, uscc: str, errors: FormErrors) -> int | None:
    operator = session.exec(select(Operator).where(col(Operator.uscc) == uscc.strip().upper())
                            .where(clause_for(Operator, actor.user))).first()
    if operator is None:
        errors.add("operator_uscc", "本单位负责的使用单位中没有这个统一社会信用代码")
        return None
    return operator.id


@router.post("/admin/users/new", response_class=HTMLResponse)
async def create_user(request: Request, session: SessionDep, settings: SettingsDep, actor: PageActor) -> Response:
    """Create the account; a password left blank is generated and shown once."""
    _admin(actor)
    form = {k: str(v) for k, v in (await request.form()).items() if k != "csrf_token"}
    errors = FormErrors()
    data: dict[str, Any] = {k: form.get(k, "") for k in ("username", "full_name", "role", "password")}
    if form.get("role") == Role.operator.value:
        data["operator_id"] = _operator_by_uscc(session, actor, form.get("operator_uscc", ""), errors)
    else:
        data["unit_code"] = form.get("unit_code") or None
    generate = not data["password"]
    parsed = parse(UserCreate, {**data, "password": data["password"] or "-"}, errors)
    if parsed is None or errors:
        return _form_page(request, session, actor, form, errors, status=422)
    if generate:
        parsed.password = accounts.temporary_password(parsed, settings.password_min_length)
    try:
        user = accounts.create(session, actor=actor, data=parsed, settings=settings)
    except DomainError as exc:
        errors.add_domain(exc, known={"username", "full_name", "role", "unit_code", "password", "operator_id"})
        if exc.field == "operator_id":
            errors.add("operator_uscc", exc.message)
        return _form_page(request, session, actor, form, errors, status=exc.status_code)
    return _detail(request, session, actor, user, password=parsed.password, message="账户已创建")


def _detail(request: Request, session: Session, actor: Actor, user: User, *, password: str | None = None,
            message: str | None = None, values: dict[str, Any] | None = None,
            errors: FormErrors | None = None, status: int = 200) -> Response:
    public = accounts.public(session, [user])[0]
    operator = session.get(Operator, user.operator_id) if user.operator_id else None
    return render(request, "admin/user_detail.html", {
        "title": f"账户 {user.username}", "account": public, "operator": operator, "password": password,
        "message": message, "values": values or {"full_name": user.full_name, "role": user.role.value,
                                                 "unit_code": user.unit_code or ""},
        "errors": errors or FormErrors(), "roles": POLICE_ROLE_CHOICES, "units": unit_choices(session, actor),
        "is_self": user.id == actor.user.id}, actor=actor, session=session, status_code=status)


@router.get("/admin/users/{user_id}", response_class=HTMLResponse)
@read_only
def user_detail(request: Request, session: SessionDep, actor: PageActor, user_id: int) -> Response:
    """One account: its state, the change form and the actions."""
    _admin(actor)  # the role first: a 403 for any other role says nothing about the account
    return _detail(request, session, actor, accounts.get_user(session, actor=actor, user_id=user_id))


@router.post("/admin/users/{user_id}", response_class=HTMLResponse)
async def update_user(request: Request, session: SessionDep, actor: PageActor, user_id: int) -> Response:
    """Change the name, role or unit."""
    _admin(actor)
    user = accounts.get_user(session, actor=actor, user_id=user_id)
    form = {k: str(v) for k, v in (await request.form()).items() if k != "csrf_token"}
    errors = FormErrors()
    fields = ("full_name",) if user.role == Role.operator else ("full_name", "role", "unit_code")
    data = parse(UserUpdate, {k: form.get(k, "") for k in fields}, errors)
    status = 422
    if data is not None:
        try:
            accounts.update(session, actor=actor, user_id=user_id, data=data)
        except DomainError as exc:
            errors.add_domain(exc, known=set(fields))
            status = exc.status_code
    if data is None or errors:
        session.rollback()
        user = accounts.get_user(session, actor=actor, user_id=user_id)
        return _detail(request, session, actor, user, values=form, errors=errors, status=status)
    return redirect(f"/admin/users/{user_id}", message="已保存")


def _action(session: Session, actor: Actor, user_id: int, name: str) -> Response:
    _admin(actor)
    try:
        if name == "disable":
            accounts.disable(session, actor=actor, user_id=user_id)
        elif name == "enable":
            accounts.enable(session, actor=actor, user_id=user_id)
        else:
            accounts.unlock(session, actor=actor, user_id=user_id)
    except DomainError as exc:
        if exc.status_code in (403, 404):
            raise
        return redirect(f"/admin/users/{user_id}", message=exc.message.split(" / ")[0], kind="error")
    done = {"disable": "账户已停用，其登录会话已全部结束", "enable": "账户已启用", "unlock": "已解除登录锁定"}
    return redirect(f"/admin/users/{user_id}", message=done[name])


@router.post("/admin/users/{user_id}/disable")
def disable_user(session: SessionDep, actor: PageActor, user_id: int) -> Response:
    """Disable the account (its sessions end at once)."""
    return _action(session, actor, user_id, "disable")


@router.post("/admin/users/{user_id}/enable")
def enable_user(session: SessionDep, actor: PageActor, user_id: int) -> Response:
    """Enable the account."""
    return _action(session, actor, user_id, "enable")


@router.post("/admin/users/{user_id}/unlock")
def unlock_user(session: SessionDep, actor: PageActor, user_id: int) -> Response:
    """Lift a sign-in lock."""
    return _action(session, actor, user_id, "unlock")


@router.post("/admin/users/{user_id}/password-reset", response_class=HTMLResponse)
def reset_password(request: Request, session: SessionDep, settings: SettingsDep, actor: PageActor,
                   user_id: int) -> Response:
    """A generated temporary password, shown once on the page that answers (never stored in clear)."""
    _admin(actor)
    user, generated = accounts.reset_password(session, actor=actor, user_id=user_id, password=None,
                                              settings=settings)
    return _detail(request, session, actor, user, password=generated, message="密码已重置")




