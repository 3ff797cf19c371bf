"""Account lifecycle: create, list, change role and unit, disable, enable, reset and change passwords, end
sessions, lift sign-in locks.

Every function takes the acting administrator (`actor`), who sees and manages only the accounts
`scope.user_clause` gives them; `actor=None` is the server's own administrator at the command line
(`camreg users …`), who may manage every account. Each change is audited.
"""

from __future__ import annotations

import secrets

from sqlmodel import Session, col, select

from registry.actor import Actor
from registry.audit import service as audit
from registry.auth import service, throttle
from registry.auth.models import Role, User, UserCreate, UserPublic, UserUpdate
from registry.auth.scope import CITY_UNIT, get_visible, require_role, require_unit, user_clause
from registry.errors import Conflict, Forbidden, InvalidInput, NotFound
from registry.settings import Settings
from registry.timeutil import utcnow


def public(session: Session, users: list[User]) -> list[UserPublic]:
    """Users as the API shows them, with any sign-in lock in force."""
    keys = {throttle.account_key(u.username): u for u in users}
    locks = throttle.locked_until(session, keys=list(keys)) if keys else {}
    return [UserPublic.model_validate(u, from_attributes=True, update={
        "locked_until": locks.get(throttle.account_key(u.username))}) for u in users]


def list_users(session: Session, *, actor: Actor, role: Role | None = None, active: bool | None = None,
               unit_code: str | None = None, after: int = 0, limit: int = 100) -> list[User]:
    """The accounts this administrator manages, in id order (keyset pages); anyone else sees their own."""
    query = select(User).where(user_clause(actor.user)).where(col(User.id) > after)
    if role is not None:
        query = query.where(User.role == role)
    if active is not None:
        query = query.where(User.active == active)
    if unit_code is not None:
        query = query.where(User.unit_code == unit_code)
    return list(session.exec(query.order_by(col(User.id)).limit(limit)).all())


def _check_unit(session: Session, actor: Actor | None, unit_code: str | None) -> None:
    """A unit's administrator gives police accounts to their own unit and the units under it only."""
    from registry.units.models import PoliceUnit

    if actor is None or unit_code is None or actor.user.unit_code == CITY_UNIT or unit_code == actor.user.unit_code:
        return
    unit = session.get(PoliceUnit, unit_code)
    if unit is None or unit.parent_code != actor.user.unit_code:
        raise Forbidden("只能为本单位及下属派出所创建或调整账户 / admins manage accounts of their own unit and its "
                        "stations only")


def create(session: Session, *, actor: Actor | None, data: UserCreate, settings: Settings,
           must_change_password: bool = True) -> User:
    """Create an account (the API, the pages and the command line): a unit's admin for their own unit.

    An administrator chose the password, so by default the user must replace it at first sign-in.
    """
    if actor is not None:
        from registry.operators.models import Operator

        if data.role == Role.operator and data.operator_id is not None:
            get_visible(session, Operator, data.operator_id, actor.user)
        require_role(actor.user, Role.admin)
        if data.role != Role.operator:
            _check_unit(session, actor, data.unit_code)
    user = service.create(session, data=data, must_change_password=must_change_password,
                          password_min_length=settings.password_min_length)
    audit.append(session, actor=actor, action="user.create", object_type="user", object_id=user.id,
                 details={"username": user.username, "role": user.role.value})
    return user


def update(session: Session, *, actor: Actor | None, user_id: int, data: UserUpdate) -> User:
    """Change an account's name, role or police unit; a role change ends its sessions.

    An operator account stays an operator's and a police account a police unit's (create another
    account instead); nobody changes their own role or unit.
    """
    from registry.units.models import PoliceUnit

    user = get_user(session, actor=actor, user_id=user_id, lock=True)
    changes = data.model_dump(exclude_unset=True, exclude_none=True)
    role, unit_code = changes.get("role", user.role), changes.get("unit_code", user.unit_code)
    if (role == Role.operator) != (user.role == Role.operator):
        raise InvalidInput("使用单位账户与民警账户不能互相转换，请另建账户 / an operator account cannot become "
                           "a police account or the reverse", field="role")
    if (role, unit_code) != (user.role, user.unit_code):
        _refuse_self(actor, user, "调整")
    if role != Role.operator and unit_code != user.unit_code:
        if unit_code is None or session.get(PoliceUnit, unit_code) is None:
            raise InvalidInput(f"公安机关 {unit_code} 不存在 / unknown police unit {unit_code}", field="unit_code")
        _check_unit(session, actor, unit_code)
    before = {"role": user.role.value, "unit_code": user.unit_code, "full_name": user.full_name}
    user.role, user.unit_code = role, unit_code if role != Role.operator else None
    user.full_name = changes.get("full_name", user.full_name)
    session.add(user)
    ended = service.end_sessions(session, user_id=user_id) if role != before["role"] else 0
    after = {"role": user.role.value, "unit_code": user.unit_code, "full_name": user.full_name}
    audit.append(session, actor=actor, action="user.update", object_type="user", object_id=user_id,
                 details={"username": user.username, "before": before, "after": after, "sessions_ended": ended})
    return user


def get_user(session: Session, *, actor: Actor | None, user_id: int, lock: bool = False,
             manage: bool = True) -> User:
    """An account the actor manages (404 for any other, never saying whether it exists).

    With `manage=False` (reading), a user who is not an administrator may read their own account.
    """
    if actor is None:
        query = select(User).where(User.id == user_id)
        user = session.exec(query.with_for_update() if lock else query).one_or_none()
        if user is None:
            raise NotFound(f"用户 {user_id} 不存在 / user {user_id} not found")
        return user
    user = get_visible(session, User, user_id, actor.user, lock=lock)
    if manage:
        require_role(actor.user, Role.admin)
    return user


def find(session: Session, *, username: str) -> User:
    """An account by its username (the command line names accounts)."""
    user = session.exec(select(User).where(User.username == username)).first()
    if user is None:
        raise NotFound(f"用户 {username} 不存在 / no user named {username}", field="username")
    return user


def _refuse_self(actor: Actor | None, user: User, what: str) -> None:
    if actor is not None and actor.user.id == user.id:
        raise Conflict(f"不能{what}自己的账户 / you cannot do this to your own account", field="user_id")


def disable(session: Session, *, actor: Actor | None, user_id: int) -> User:
    """Disable an account and end all its sessions and tokens at once."""
    user = get_user(session, actor=actor, user_id=user_id, lock=True)
    _refuse_self(actor, user, "停用")
    user.active = False
    session.add(user)
    ended = service.end_sessions(session, user_id=user_id)
    audit.append(session, actor=actor, action="user.disable", object_type="user", object_id=user_id,
                 details={"username": user.username, "sessions_ended": ended})
    return user


def enable(session: Session, *, actor: Actor | None, user_id: int) -> User:
    """Enable a disabled account (its old sessions stay ended)."""
    user = get_user(session, actor=actor, user_id=user_id, lock=True)
    user.active = True
    session.add(user)
    audit.append(session, actor=actor, action="user.enable", object_type="user", object_id=user_id,
                 details={"username": user.username})
    return user


def temporary_password(user: User | UserCreate, min_length: int) -> str:
    """A random password that passes the rules for this account (handed over once, changed at first sign-in)."""
    while True:  # a random 16-character password passes the rules; the loop only guards the rare dictionary hit
        candidate = secrets.token_urlsafe(max(12, min_length))
        try:
            service.check_password(user, candidate, min_length=min_length)
        except InvalidInput:
            continue
        return candidate


def reset_password(session: Session, *, actor: Actor | None, user_id: int, password: str | None,
                   settings: Settings) -> tuple[User, str | None]:
    """Set a temporary password (given, or generated and returned once) that must be changed at next sign-in.

    Ends the account's sessions and lifts any sign-in lock on it.
    """
    user = get_user(session, actor=actor, user_id=user_id, lock=True)
    generated = None
    if password is None:
        password = generated = temporary_password(user, settings.password_min_length)
    else:
        service.check_password(user, password, min_length=settings.password_min_length)
    user.password_hash = service.hash_password(password)
    user.must_change_password = True
    user.password_changed_at = utcnow()
    session.add(user)
    ended = service.end_sessions(session, user_id=user_id)
    throttle.clear(session, key=throttle.account_key(user.username))
    audit.append(session, actor=actor, action="user.password_reset", object_type="user", object_id=user_id,
                 details={"username": user.username, "sessions_ended": ended, "generated": generated is not None})
    return user, generated


def change_password(session: Session, *, actor: Actor, current_password: str, new_password: str,
                    settings: Settings) -> User:
    """The user replaces their own password; every session and token of theirs ends (the caller issues a new one).

    A wrong current password counts as a failed sign-in for the account (a stolen session must not
    become a way to guess the password).
    """
    user = get_user(session, actor=None, user_id=actor.user_id, lock=True)
    keys = {throttle.ACCOUNT: throttle.account_key(user.username)}
    throttle.check(session, keys=keys, settings=settings)
    if not service.verify_password(user, current_password):
        throttle.record_failure(session, keys=keys, settings=settings)
        audit.append(session, actor=actor, action="user.password_change_failed", object_type="user",
                     object_id=user.id, details={"username": user.username})
        session.commit()  # the failure counts although the request fails
        raise InvalidInput("当前密码错误 / the current password is wrong", field="current_password")
    if new_password == current_password:
        raise InvalidInput("新密码不能与当前密码相同 / the new password must differ from the current one",
                           field="new_password")
    service.check_password(user, new_password, min_length=settings.password_min_length, field="new_password")
    user.password_hash = service.hash_password(new_password)
    user.must_change_password = False
    user.password_changed_at = utcnow()
    session.add(user)
    ended = service.end_sessions(session, user_id=actor.user_id)
    audit.append(session, actor=actor, action="user.password_change", object_type="user", object_id=user.id,
                 details={"username": user.username, "sessions_ended": ended})
    return user


def revoke_tokens(session: Session, *, actor: Actor | None, user_id: int) -> int:
    """End every session and bearer token of an account; how many there were."""
    user = get_user(session, actor=actor, user_id=user_id)
    ended = service.end_sessions(session, user_id=user_id)
    audit.append(session, actor=actor, action="user.tokens_revoke", object_type="user", object_id=user_id,
                 details={"username": user.username, "sessions_ended": ended})
    return ended


def unlock(session: Session, *, actor: Actor | None, user_id: int) -> bool:
    """Lift a sign-in lock on an account and forget its failures; whether there was anything to lift."""
    user = get_user(session, actor=actor, user_id=user_id)
    lifted = throttle.clear(session, key=throttle.account_key(user.username))
    audit.append(session, actor=actor, action="user.unlock", object_type="user", object_id=user_id,
                 details={"username": user.username, "had_failures": lifted})
    return lifted


def unlock_address(session: Session, *, actor: Actor | None, address: str) -> bool:
    """Lift a sign-in lock on a client address (the city department's administrators, or the command line)."""
    if actor is not None:
        require_role(actor.user, Role.admin)
        require_unit(actor.user, CITY_UNIT)
    lifted = throttle.clear(session, key=throttle.address_key(address))
    audit.append(session, actor=actor, action="auth.unlock_address", object_type="address", object_id=address[:64],
                 details={"had_failures": lifted})
    return lifted
