"""Sign-in throttling by account name and by client address, kept in the database for every worker.

After a few free failures each further attempt must wait twice as long as the last (1 s, 2 s, 4 s …
up to a cap) after the previous failure, and at a threshold the key is locked for a while; the lock
ends by itself and an administrator can lift it. Waiting is enforced by refusing early attempts with
the time to retry, never by sleeping, so no worker is held. Keys are the name typed, whether or not
such an account exists, so the answers never tell whether it does. A successful sign-in clears its
account's count (not the address's: one good account must not reset an attacker's address).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import case, delete, func, or_
from sqlalchemy import select as sa_select
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, select

from registry.auth.models import SignInThrottle
from registry.errors import AccountLocked, TooManyAttempts
from registry.settings import Settings
from registry.timeutil import BEIJING, as_utc, utcnow

ACCOUNT, ADDRESS = "account", "address"
# After this long without a failure a key's count starts again. An address may be a whole office behind
# one NAT, whose occasional typos must not add up to a delay for everyone: it forgets sooner.
FORGET_AFTER = {ACCOUNT: timedelta(hours=24), ADDRESS: timedelta(hours=1)}


@dataclass(frozen=True)
class Policy:
    """When delays start and when a key locks."""

    kind: str
    free: int
    lock_at: int
    lock_for: timedelta
    max_delay: int
    forget_after: timedelta

    def delay(self, failures: int) -> int:
        """Seconds an attempt must wait after the last failure, given the failures so far."""
        if failures < self.free:
            return 0
        return min(self.max_delay, 2 ** min(failures - self.free, 30))


def policies(settings: Settings) -> dict[str, Policy]:
    """The account and address policies from the settings."""
    lock_for = timedelta(minutes=settings.signin_lock_minutes)
    return {
        ACCOUNT: Policy(ACCOUNT, settings.signin_free_failures, settings.signin_lock_failures, lock_for,
                        settings.signin_max_delay_seconds, FORGET_AFTER[ACCOUNT]),
        ADDRESS: Policy(ADDRESS, settings.signin_address_free_failures, settings.signin_address_lock_failures,
                        lock_for, settings.signin_max_delay_seconds, FORGET_AFTER[ADDRESS]),
    }


def account_key(username: str) -> str:
    """The throttle key of a typed account name (case-folded: `Admin` and `admin` share a count)."""
    return f"{ACCOUNT}:{username.strip().casefold()[:180]}"


def address_key(address: str | None) -> str:
    """The throttle key of a client address."""
    return f"{ADDRESS}:{(address or 'unknown')[:180]}"


def _when(moment: datetime) -> str:
    local = as_utc(moment).astimezone(BEIJING)
    return f"{local.year}年{local.month}月{local.day}日 {local:%H:%M:%S}"


def serialise(session: Session, key: str) -> None:
    """Order concurrent attempts on one account (PostgreSQL; SQLite's write lock already orders them)."""
    if session.get_bind().dialect.name == "postgresql":
        session.connection().execute(sa_select(func.pg_advisory_xact_lock(func.hashtext("camreg-sign-in:" + key))))


def _live(row: SignInThrottle, now: datetime, policy: Policy) -> int:
    """The failures that still count."""
    return 0 if now - as_utc(row.last_failure_at) > policy.forget_after else row.failures


def check(session: Session, *, keys: dict[str, str], settings: Settings) -> None:
    """Refuse the attempt if any key is locked or still waiting out its delay (429 with Retry-After)."""
    now = utcnow()
    rows = session.exec(select(SignInThrottle).where(col(SignInThrottle.key).in_(list(keys.values())))).all()
    by_key = {row.key: row for row in rows}
    rules = policies(settings)
    for kind, key in keys.items():
        row = by_key.get(key)
        if row is None:
            continue
        if row.locked_until is not None and as_utc(row.locked_until) > now:
            raise lock_error(kind, as_utc(row.locked_until), now)
        wait_until = as_utc(row.last_failure_at) + timedelta(seconds=rules[kind].delay(_live(row, now, rules[kind])))
        if wait_until > now:
            seconds = max(1, math.ceil((wait_until - now).total_seconds()))
            raise TooManyAttempts(
                f"登录失败次数较多，请 {seconds} 秒后再试 / too many failed sign-ins; try again in {seconds} s",
                details={"retry_after": seconds, "scope": kind}, headers={"Retry-After": str(seconds)})


def lock_error(kind: str, until: datetime, now: datetime | None = None) -> AccountLocked:
    """The error that tells the person their account (or address) is locked, and until when."""
    seconds = max(1, math.ceil((until - (now or utcnow())).total_seconds()))
    who = "该账户" if kind == ACCOUNT else "本机地址"
    whom = "this account" if kind == ACCOUNT else "this address"
    return AccountLocked(
        f"{who}因多次登录失败已临时锁定，至 {_when(until)}（北京时间）自动解锁，也可请管理员解锁 / {whom} is locked "
        f"after repeated failed sign-ins until {as_utc(until).isoformat(timespec='seconds')}; an administrator can "
        "unlock it sooner",
        details={"locked_until": as_utc(until).isoformat(), "retry_after": seconds, "scope": kind},
        headers={"Retry-After": str(seconds)})


@dataclass(frozen=True)
class Failure:
    """What one more failure did to a key."""

    kind: str
    failures: int
    locked_until: datetime | None
    next_delay: int


def record_failure(session: Session, *, keys: dict[str, str], settings: Settings) -> list[Failure]:
    """Count a failure against each key (atomic upsert), locking a key that reaches its threshold."""
    now = utcnow()
    rules = policies(settings)
    outcomes = []
    for kind, key in keys.items():
        policy = rules[kind]
        failures = _increment(session, key, now, policy.forget_after)
        if failures == 1:  # a new key: forget the stale ones (keeps the table as small as recent failures)
            session.connection().execute(delete(SignInThrottle).where(
                col(SignInThrottle.last_failure_at) < now - max(FORGET_AFTER.values()),
                or_(col(SignInThrottle.locked_until).is_(None), col(SignInThrottle.locked_until) < now)))
        locked_until = None
        if failures % policy.lock_at == 0:
            locked_until = now + policy.lock_for
            row = session.get(SignInThrottle, key, populate_existing=True)
            assert row is not None
            row.locked_until = locked_until
            session.add(row)
        outcomes.append(Failure(kind, failures, locked_until, policy.delay(failures)))
    session.flush()
    return outcomes


def _increment(session: Session, key: str, now: datetime, forget_after: timedelta) -> int:
    table = SignInThrottle.__table__  # type: ignore[attr-defined]
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert(table) if dialect == "postgresql" else sqlite.insert(table)
    stale = table.c.last_failure_at < now - forget_after
    statement = insert.values(key=key, failures=1, last_failure_at=now).on_conflict_do_update(
        index_elements=[table.c.key],
        set_={"failures": case((stale, 1), else_=table.c.failures + 1), "last_failure_at": now},
    ).returning(table.c.failures)
    return int(session.connection().execute(statement).scalar_one())


def clear(session: Session, *, key: str) -> bool:
    """Forget a key's failures and lift its lock (a successful sign-in, or an administrator)."""
    result = session.connection().execute(delete(SignInThrottle).where(col(SignInThrottle.key) == key))
    return bool(getattr(result, "rowcount", 0))


def locked_until(session: Session, *, keys: list[str]) -> dict[str, datetime]:
    """The keys among these that are locked now, and until when."""
    now = utcnow()
    rows = session.exec(select(SignInThrottle).where(col(SignInThrottle.key).in_(keys))).all()
    return {row.key: as_utc(row.locked_until) for row in rows
            if row.locked_until is not None and as_utc(row.locked_until) > now}
