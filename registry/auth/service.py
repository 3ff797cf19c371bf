"""Passwords (Argon2id), signing in (throttled, audited), bearer tokens (stored as SHA-256), account creation."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import bindparam, delete
from sqlmodel import Session, col, select

from registry.actor import Actor
from registry.audit import service as audit
from registry.auth import passwords, throttle
from registry.auth.models import ApiToken, Role, User, UserCreate
from registry.errors import Conflict, InvalidInput, Unauthenticated
from registry.settings import Settings
from registry.timeutil import as_utc, utcnow
from registry.units.models import PoliceUnit

DEFAULT_MIN_LENGTH = Settings.model_fields["password_min_length"].default

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


def check_password(user: User | UserCreate, password: str, *, min_length: int = DEFAULT_MIN_LENGTH,
                   field: str = "password") -> None:
    """Apply the password rules for this account (its own names count as easy guesses)."""
    passwords.check(password, min_length=min_length, user_inputs=(user.username, user.full_name), field=field)


def create(session: Session, *, data: UserCreate, must_change_password: bool = False,
           password_min_length: int = DEFAULT_MIN_LENGTH) -> User:
    """Create an account: police roles need a unit, the operator role needs an operator.

    `must_change_password`: an administrator chose the password, so the user must replace it when
    they first sign in.
    """
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
    check_password(data, data.password, min_length=password_min_length)
    user = User.model_validate(data, update={"password_hash": hash_password(data.password),
                                             "must_change_password": must_change_password,
                                             "password_changed_at": utcnow()})
    session.add(user)
    session.flush()
    return user


def authenticate(session: Session, *, username: str, password: str) -> User:
    """The active user with this password, or Unauthenticated (same answer for every failure; not throttled)."""
    user = session.exec(select(User).where(User.username == username)).first()
    try:
        _hasher.verify(user.password_hash if user else _dummy_hash(), password)
    except (VerificationError, InvalidHashError):
        user = None
    if user is None or not user.active:
        raise Unauthenticated("用户名或密码错误 / wrong username or password")
    return user


def sign_in(session: Session, *, username: str, password: str, client_addr: str | None,
            settings: Settings) -> User:
    """Check a password under the account and address throttles; audit the sign-in or the failure.

    A failure is committed before it is reported (the request itself fails), so the count and the
    audit event survive; the caller's transaction is therefore committed on failure. Raises
    Unauthenticated, TooManyAttempts (wait) or AccountLocked (until a time, or an administrator).
    """
    keys = {throttle.ACCOUNT: throttle.account_key(username), throttle.ADDRESS: throttle.address_key(client_addr)}
    throttle.serialise(session, keys[throttle.ACCOUNT])
    throttle.check(session, keys=keys, settings=settings)  # refused attempts are neither checked nor audited
    try:
        user = authenticate(session, username=username, password=password)
    except Unauthenticated as exc:
        outcomes = throttle.record_failure(session, keys=keys, settings=settings)
        known = session.exec(select(User.id).where(User.username == username)).first()
        details = {"username": username[:64], "failures": {o.kind: o.failures for o in outcomes}}
        audit.append(session, actor=None, client_addr=client_addr, action="auth.sign_in_failed",
                     object_type="user", object_id=known if known is not None else "-", details=details)
        locks = [o for o in outcomes if o.locked_until is not None]
        for lock in locks:
            audit.append(session, actor=None, client_addr=client_addr, action="auth.locked", object_type="user",
                         object_id=known if known is not None else "-",
                         details={"scope": lock.kind, "username": username[:64], "failures": lock.failures,
                                  "locked_until": lock.locked_until})
        session.commit()
        if locks:
            assert locks[0].locked_until is not None
            raise throttle.lock_error(locks[0].kind, locks[0].locked_until) from None
        wait = max(o.next_delay for o in outcomes)
        if wait:
            raise Unauthenticated(f"{exc.message}；再次尝试前请等待 {wait} 秒 / wait {wait} s before trying again",
                                  details={"retry_after": wait}) from None
        raise
    throttle.clear(session, key=keys[throttle.ACCOUNT])
    audit.append(session, actor=Actor(user, client_addr), action="auth.sign_in", object_type="user",
                 object_id=user.id, details={})
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


def end_sessions(session: Session, *, user_id: int) -> int:
    """Forget every bearer token and page session of a user; how many there were."""
    result = session.connection().execute(delete(ApiToken).where(col(ApiToken.user_id) == user_id))
    return int(getattr(result, "rowcount", 0) or 0)


def verify_password(user: User, password: str) -> bool:
    """Whether this is the user's password."""
    try:
        return bool(_hasher.verify(user.password_hash, password))
    except (VerificationError, InvalidHashError):
        return False
