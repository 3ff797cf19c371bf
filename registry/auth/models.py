"""User and token tables and schemas."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import ClassVar

from sqlalchemy import Column, DateTime
from sqlmodel import Field, SQLModel

from registry.text import PlainTextInput
from registry.timeutil import UTCDateTime, utcnow


class Role(StrEnum):
    """What a user does (SPEC §7)."""

    operator = "operator"
    intake = "intake"
    reviewer = "reviewer"
    inspector = "inspector"
    supervisor = "supervisor"
    admin = "admin"
    leader = "leader"
    """单位主管领导: approves penalty cases (第十八条); may take part in a case but then not approve it."""


OFFICER_ROLES = frozenset({Role.intake, Role.reviewer, Role.inspector, Role.supervisor, Role.admin, Role.leader})


class UserBase(SQLModel):
    """Fields shared by user schemas."""

    username: str = Field(index=True, unique=True, min_length=3, max_length=64)
    full_name: str = Field(max_length=100)
    role: Role
    unit_code: str | None = Field(default=None, foreign_key="police_unit.code", max_length=8)
    operator_id: int | None = Field(default=None, foreign_key="operator.id")
    active: bool = True


class User(UserBase, table=True):
    """An account: belongs to a police unit, or to an operator."""

    __tablename__ = "app_user"

    id: int | None = Field(default=None, primary_key=True)
    password_hash: str
    # Set when an administrator chose the password (creation, reset): the user must pick their own first.
    must_change_password: bool = False
    password_changed_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))


class UserCreate(UserBase, PlainTextInput):
    """A new account as an administrator enters it."""

    exempt_fields: ClassVar[frozenset[str]] = frozenset({"password"})

    password: str = Field(min_length=1, max_length=200, description="checked by the password rules")


class UserUpdate(PlainTextInput):
    """An administrator's change to an account: name, role, police unit (each optional)."""

    full_name: str | None = Field(default=None, min_length=1, max_length=100)
    role: Role | None = None
    unit_code: str | None = Field(default=None, min_length=3, max_length=8)


class UserPublic(UserBase):
    """An account as the API returns it (never the hash)."""

    id: int
    must_change_password: bool = False
    locked_until: UTCDateTime | None = Field(default=None, description="set while failed sign-ins lock the account")


class ApiToken(SQLModel, table=True):
    """A bearer token; only its SHA-256 is stored."""

    __tablename__ = "api_token"

    token_hash: str = Field(primary_key=True, max_length=64)
    user_id: int = Field(foreign_key="app_user.id", index=True)
    created_at: datetime = Field(default_factory=utcnow, sa_column=Column(DateTime(timezone=True)))
    expires_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))


class TokenPublic(SQLModel):
    """What a successful login returns."""

    access_token: str
    token_type: str = "bearer"
    expires_at: UTCDateTime


class SignInThrottle(SQLModel, table=True):
    """Failed sign-ins counted per account name or client address; shared by every worker process."""

    __tablename__ = "sign_in_throttle"

    key: str = Field(primary_key=True, max_length=200)  # "account:<username>" or "address:<ip>"
    failures: int = 0
    last_failure_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    locked_until: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))


class PasswordChange(SQLModel):
    """A user choosing a new password (the current one proves it is them)."""

    current_password: str = Field(max_length=200)
    new_password: str = Field(max_length=200)


class PasswordReset(SQLModel):
    """An administrator's reset: a chosen temporary password, or none to have one generated."""

    password: str | None = Field(default=None, max_length=200)


class PasswordResetPublic(SQLModel):
    """The reset account, and the temporary password to hand over (shown once)."""

    user: UserPublic
    temporary_password: str | None = None
