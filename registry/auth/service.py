"""Passwords (Argon2id), bearer tokens (stored as SHA-256) and user management."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import bindparam
from sqlmodel import Session, col, select

from registry.auth.models import ApiToken, Role, User, UserCreate
from registry.errors import Conflict, InvalidInput, Unauthenticated
from registry.timeutil import as_utc, utcnow
from registry.units.models import PoliceUnit

_hasher = PasswordHasher()


@cache
def _dummy_hash() -> str:
    """A hash to verify against when the user does not exist, so a failed login takes the same time."""
    return _hasher.hash("no such user, constant-time padding")


def hash_password(password: str) -> str:
    """An Argon2id hash of the password."""
    return _hasher.hash(password)


def _token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create(session: Session, *, data: UserCreate) -> User:
    """Create an account: police roles need a unit, the operator role needs an operator."""
    if data.role == Role.operator:
        if data.operator_id is None or data.unit_code is not None:
            raise InvalidInput("operator accounts belong to an operator and no police unit", field="operator_id")
    else:
        if data.unit_code is None or data.operator_id is not None:
            raise InvalidInput("police accounts belong to a police unit and no operator", field="unit_code")
        if session.get(PoliceUnit, data.unit_code) is None:
            raise InvalidInput(f"unknown police unit {data.unit_code}", field="unit_code")
    if session.exec(select(User).where(User.username == data.username)).first() is not None:
        raise Conflict(f"username {data.username} is taken", field="username")
    user = User.model_validate(data, update={"password_hash": hash_password(data.password)})
    session.add(user)
    session.flush()
    return user


def authenticate(session: Session, *, username: str, password: str) -> User:
    """The active user with this password, or Unauthenticated (same answer for every failure)."""
    user = session.exec(select(User).where(User.username == username)).first()
    try:
        _hasher.verify(user.password_hash if user else _dummy_hash(), password)
    except (VerificationError, InvalidHashError):
        user = None
    if user is None or not user.active:
        raise Unauthenticated("用户名或密码错误 / wrong username or password")
    return user


def issue_token(session: Session, *, user: User, ttl_hours: int) -> tuple[str, ApiToken]:
    """A new random bearer token for the user; only its digest is kept."""
    assert user.id is not None
    token = secrets.token_urlsafe(32)
    row = ApiToken(token_hash=_token_digest(token), user_id=user.id,
                   expires_at=utcnow() + timedelta(hours=ttl_hours))
    session.add(row)
    session.flush()
    return token, row


# One query for token and user, built once: this runs on every API request.
_USER_FOR_TOKEN = (select(User, ApiToken.expires_at).join(ApiToken, col(ApiToken.user_id) == User.id)
                   .where(col(ApiToken.token_hash) == bindparam("digest")))


def user_for_token(session: Session, *, token: str) -> User:
    """The active user a bearer token belongs to, or Unauthenticated."""
    found = session.exec(_USER_FOR_TOKEN, params={"digest": _token_digest(token)}).first()
    if found is None or as_utc(found[1]) <= utcnow():
        raise Unauthenticated("令牌无效或已过期 / invalid or expired token")
    user = found[0]
    if not user.active:
        raise Unauthenticated("账户已停用 / account disabled")
    return user


def revoke_token(session: Session, *, token: str) -> None:
    """Forget a bearer token (logout)."""
    row = session.get(ApiToken, _token_digest(token))
    if row is not None:
        session.delete(row)
