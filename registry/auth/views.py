"""Login, logout, who-am-I and (for administrators) account creation."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.security import OAuth2PasswordRequestForm

from registry.audit import service as audit
from registry.auth import service
from registry.auth.models import Role, TokenPublic, UserCreate, UserPublic
from registry.auth.scope import CITY_UNIT, get_visible, require_role
from registry.deps import CurrentActor, SessionDep, SettingsDep, oauth2_scheme
from registry.errors import Forbidden
from registry.operators.models import Operator
from registry.responses import errors

router = APIRouter(prefix="/auth", tags=["auth"], responses=errors(401, 422))


@router.post("/token", response_model=TokenPublic)
def login(session: SessionDep, settings: SettingsDep,
          form: Annotated[OAuth2PasswordRequestForm, Depends()]) -> TokenPublic:
    """Exchange a username and password for a bearer token."""
    user = service.authenticate(session, username=form.username, password=form.password)
    token, row = service.issue_token(session, user=user, ttl_hours=settings.token_ttl_hours)
    return TokenPublic(access_token=token, expires_at=row.expires_at)


@router.post("/logout", status_code=204)
def logout(session: SessionDep, actor: CurrentActor, token: Annotated[str, Depends(oauth2_scheme)]) -> None:
    """Revoke the token used for this request."""
    del actor
    service.revoke_token(session, token=token)


@router.get("/me", response_model=UserPublic)
def me(actor: CurrentActor) -> UserPublic:
    """The current user."""
    return UserPublic.model_validate(actor.user, from_attributes=True)


@router.post("/users", response_model=UserPublic, status_code=201, responses=errors(403, 404, 409))
def create_user(session: SessionDep, actor: CurrentActor, data: UserCreate) -> UserPublic:
    """Create an account: a unit's admin for their own unit, the city admin for any."""
    if data.role == Role.operator and data.operator_id is not None:
        get_visible(session, Operator, data.operator_id, actor.user)
    require_role(actor.user, Role.admin)
    if data.role != Role.operator and actor.user.unit_code != CITY_UNIT and data.unit_code != actor.user.unit_code:
        raise Forbidden("只能为本单位创建账户 / admins create accounts for their own unit only")
    user = service.create(session, data=data)
    audit.append(session, actor=actor, action="user.create", object_type="user", object_id=user.id,
                 details={"username": user.username, "role": user.role.value})
    return UserPublic.model_validate(user, from_attributes=True)
