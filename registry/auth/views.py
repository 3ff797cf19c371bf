"""Sign in and out, one's own account and password, and (for administrators) the accounts they manage."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.security import OAuth2PasswordRequestForm
from pydantic import BaseModel, Field

from registry.auth import accounts, service
from registry.auth.models import (
    PasswordChange,
    PasswordReset,
    PasswordResetPublic,
    Role,
    TokenPublic,
    UserCreate,
    UserPublic,
    UserUpdate,
)
from registry.deps import (
    ActorBeforePasswordChange,
    CurrentActor,
    SessionDep,
    SettingsDep,
    client_addr,
    oauth2_scheme,
)
from registry.pagination import AfterQuery, LimitQuery, Page, page_of
from registry.responses import errors

router = APIRouter(prefix="/auth", tags=["auth"], responses=errors(401, 422))
_ADMIN_ERRORS = errors(403, 404)


@router.post("/token", response_model=TokenPublic, responses=errors(429))
def login(request: Request, session: SessionDep, settings: SettingsDep,
          form: Annotated[OAuth2PasswordRequestForm, Depends()]) -> TokenPublic:
    """Exchange a username and password for a bearer token (throttled per account and per address)."""
    user = service.sign_in(session, username=form.username, password=form.password,
                           client_addr=client_addr(request), settings=settings)
    token, row = service.issue_token(session, user=user, ttl_hours=settings.token_ttl_hours)
    return TokenPublic(access_token=token, expires_at=row.expires_at)


@router.post("/logout", status_code=204)
def logout(session: SessionDep, actor: ActorBeforePasswordChange,
           token: Annotated[str, Depends(oauth2_scheme)]) -> None:
    """Revoke the token used for this request."""
    del actor
    service.revoke_token(session, token=token)


@router.get("/me", response_model=UserPublic)
def me(actor: ActorBeforePasswordChange) -> UserPublic:
    """The current user (must_change_password says whether the password must be changed first)."""
    return UserPublic.model_validate(actor.user, from_attributes=True)


@router.post("/password", response_model=TokenPublic, responses=errors(429))
def change_password(session: SessionDep, settings: SettingsDep, actor: ActorBeforePasswordChange,
                    data: PasswordChange) -> TokenPublic:
    """Change one's own password: every session and token ends, and a new token is returned."""
    user = accounts.change_password(session, actor=actor, current_password=data.current_password,
                                    new_password=data.new_password, settings=settings)
    token, row = service.issue_token(session, user=user, ttl_hours=settings.token_ttl_hours)
    return TokenPublic(access_token=token, expires_at=row.expires_at)


@router.post("/users", response_model=UserPublic, status_code=201, responses=errors(403, 404, 409))
def create_user(session: SessionDep, settings: SettingsDep, actor: CurrentActor, data: UserCreate) -> UserPublic:
    """Create an account (the user must change the password at first sign-in): a unit's admin for their unit."""
    user = accounts.create(session, actor=actor, data=data, settings=settings)
    return UserPublic.model_validate(user, from_attributes=True)


@router.get("/users", response_model=Page[UserPublic], responses=errors(403))
def list_users(session: SessionDep, actor: CurrentActor, after: AfterQuery = 0, limit: LimitQuery = 100,
               role: Role | None = None, active: bool | None = None,
               unit_code: Annotated[str | None, Query(max_length=8)] = None) -> Any:
    """The accounts this administrator manages (their unit and the units under it; the city's: all)."""
    users = accounts.list_users(session, actor=actor, role=role, active=active, unit_code=unit_code, after=after,
                                limit=limit)
    return page_of(accounts.public(session, users), limit, UserPublic)


@router.get("/users/{user_id}", response_model=UserPublic, responses=_ADMIN_ERRORS)
def get_user(session: SessionDep, actor: CurrentActor, user_id: int) -> UserPublic:
    """One managed account (or one's own), with any sign-in lock in force."""
    return accounts.public(session, [accounts.get_user(session, actor=actor, user_id=user_id, manage=False)])[0]


@router.patch("/users/{user_id}", response_model=UserPublic, responses=errors(403, 404, 409))
def update_user(session: SessionDep, actor: CurrentActor, user_id: int, data: UserUpdate) -> UserPublic:
    """Change an account's name, role or police unit (a role change ends its sessions)."""
    return accounts.public(session, [accounts.update(session, actor=actor, user_id=user_id, data=data)])[0]


@router.post("/users/{user_id}/disable", response_model=UserPublic, responses=errors(403, 404, 409))
def disable_user(session: SessionDep, actor: CurrentActor, user_id: int) -> UserPublic:
    """Disable an account; its sessions and tokens end at once."""
    return accounts.public(session, [accounts.disable(session, actor=actor, user_id=user_id)])[0]


@router.post("/users/{user_id}/enable", response_model=UserPublic, responses=_ADMIN_ERRORS)
def enable_user(session: SessionDep, actor: CurrentActor, user_id: int) -> UserPublic:
    """Enable a disabled account."""
    return accounts.public(session, [accounts.enable(session, actor=actor, user_id=user_id)])[0]


@router.post("/users/{user_id}/password-reset", response_model=PasswordResetPublic, responses=_ADMIN_ERRORS)
def reset_password(session: SessionDep, settings: SettingsDep, actor: CurrentActor, user_id: int,
                   data: PasswordReset | None = None) -> PasswordResetPublic:
    """Set a temporary password (generated unless given; shown once) to be changed at the next sign-in."""
    user, generated = accounts.reset_password(session, actor=actor, user_id=user_id,
                                              password=data.password if data else None, settings=settings)
    return PasswordResetPublic(user=accounts.public(session, [user])[0], temporary_password=generated)


class SessionsEnded(BaseModel):
    """How many sessions and tokens were ended."""

    sessions_ended: int


@router.post("/users/{user_id}/revoke-tokens", response_model=SessionsEnded, responses=_ADMIN_ERRORS)
def revoke_tokens(session: SessionDep, actor: CurrentActor, user_id: int) -> SessionsEnded:
    """End every session and bearer token of an account."""
    return SessionsEnded(sessions_ended=accounts.revoke_tokens(session, actor=actor, user_id=user_id))


@router.post("/users/{user_id}/unlock", response_model=UserPublic, responses=_ADMIN_ERRORS)
def unlock_user(session: SessionDep, actor: CurrentActor, user_id: int) -> UserPublic:
    """Lift a sign-in lock on an account and forget its failed sign-ins."""
    accounts.unlock(session, actor=actor, user_id=user_id)
    return accounts.public(session, [accounts.get_user(session, actor=actor, user_id=user_id)])[0]


class AddressUnlock(BaseModel):
    """A client address to unlock."""

    address: str = Field(min_length=1, max_length=64)


class Unlocked(BaseModel):
    """Whether there was a lock or failures to forget."""

    had_failures: bool


@router.post("/unlock-address", response_model=Unlocked, responses=errors(403))
def unlock_address(session: SessionDep, actor: CurrentActor, data: AddressUnlock) -> Unlocked:
    """Lift a sign-in lock on a client address (the city department's administrators)."""
    return Unlocked(had_failures=accounts.unlock_address(session, actor=actor, address=data.address))
