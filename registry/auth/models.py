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


OFFICER_ROLES = frozenset({Role.intake, Role.reviewer, Role.inspector, Role.supervisor, Role.admin})


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


class UserCreate(UserBase, PlainTextInput):
    """A new account as an administrator enters it."""

    exempt_fields: ClassVar[frozenset[str]] = frozenset({"password"})

    password: str = Field(min_length=10, max_length=200)


class UserPublic(UserBase):
    """An account as the API returns it (never the hash)."""

    id: int


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
