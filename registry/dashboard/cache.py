"""The dashboard's figures, kept a short while when they are expensive to count.

The city's level groups every operator, filing, camera and inspection of the city: at 1,000,000
cameras that is a quarter of a second of PostgreSQL's time, however the indexes are laid (bench/pages.py),
for a page a supervisor opens many times a day. A result that took longer than SLOW_S to count is kept
(per database, for the same unit's view, area, half-year and day) and served again until the audit
chain moves — every change of the workflow appends to it, in the same transaction — so kept figures are
as exact as a fresh count. Figures that count quickly (a station's, a district's on a small registry,
every test's) are never kept.

Kept figures older than MAX_AGE_S are recounted even though the chain did not move (a guard against rows
written outside the workflow). With `refresh_ahead` the request that finds them so is served them still,
and they are recounted on a thread of their own, so no supervisor waits for the minute's recount; with
`after_changes` too, the same after the chain moved (the dashboard: a city's desks change something every
few seconds on a working day, and a glance page that counted for a third of a second after each change
would make most of its readers wait). Figures older than STALE_LIMIT_S (the recount failed, or nobody
looked for a while) are counted while one waits. The page says when its figures were counted, and that
newer ones are being counted.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from weakref import WeakKeyDictionary

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from registry.audit.models import AuditHead
from registry.timeutil import utcnow

log = logging.getLogger(__name__)

SLOW_S = 0.1  # figures that took longer than this to count are kept (a district: ~0.18 s at 1M cameras)
MAX_AGE_S = 60.0  # recounted when older than this, even if the audit chain did not move
STALE_LIMIT_S = 600.0  # refresh-ahead serves figures up to this old while they are recounted behind the page


@dataclass(frozen=True)
class Counted:
    """Figures and when they were counted (UTC); `kept` when they come from an earlier count."""

    value: Any
    counted_at: datetime
    kept: bool
    recounting: bool = False  # served while a thread counts them again (refresh-ahead)


@dataclass(frozen=True)
class _Entry:
    value: Any
    counted_at: datetime
    audit_seq: int
    monotonic: float


# Per database (its connection pool: gone with the engine), then by the caller's key.
_kept: WeakKeyDictionary[Any, dict[tuple[Any, ...], _Entry]] = WeakKeyDictionary()
_recounting: set[tuple[int, tuple[Any, ...]]] = set()  # (id of the pool, key): one recount of a key at a time
_threads: list[threading.Thread] = []
_lock = threading.Lock()


def _audit_seq(session: Session) -> int:
    return int(session.exec(select(AuditHead.last_seq).where(AuditHead.id == 1)).first() or 0)


def _keep(pool: Any, key: tuple[Any, ...], value: Any, counted_at: datetime, seq: int) -> None:
    with _lock:
        kept = _kept.setdefault(pool, {})
        # Only the latest of each key, and only a few keys (units × areas × half-years of one day).
        if len(kept) > 500:
            kept.clear()
        kept[key] = _Entry(value, counted_at, seq, time.monotonic())


def counted(session: Session, key: tuple[Any, ...], count: Callable[[Session], Any], *,
            slow_s: float | None = None, refresh_ahead: bool = False, after_changes: bool = False) -> Counted:
    """`count(session)`, or its kept result for `key` if the audit chain has not moved since and it is fresh
    enough; a result is kept if counting took `slow_s` (default SLOW_S) or longer.

    With `refresh_ahead`, a result kept over MAX_AGE_S (but under STALE_LIMIT_S) with the chain unmoved is
    served as it is while a thread counts it again (`count` then gets a session of its own); with
    `after_changes` also one kept before the chain moved."""
    bind = session.get_bind()
    pool = bind.pool  # type: ignore[union-attr]
    seq = _audit_seq(session)
    with _lock:
        entry = _kept.get(pool, {}).get(key)
    if entry is not None:
        age = time.monotonic() - entry.monotonic
        unchanged = entry.audit_seq == seq
        if unchanged and age < MAX_AGE_S:
            return Counted(entry.value, entry.counted_at, kept=True)
        if (refresh_ahead and (unchanged or after_changes) and age < STALE_LIMIT_S
                and isinstance(bind, Engine)):
            _recount_behind(bind, pool, key, count, seq)
            return Counted(entry.value, entry.counted_at, kept=True, recounting=True)
    started, counted_at = time.monotonic(), utcnow()
    value = count(session)
    if time.monotonic() - started >= (SLOW_S if slow_s is None else slow_s):
        _keep(pool, key, value, counted_at, seq)
    return Counted(value, counted_at, kept=False)


def _recount_behind(engine: Engine, pool: Any, key: tuple[Any, ...], count: Callable[[Session], Any],
                    seq: int) -> None:
    """Count `key` again on a thread of its own (unless one already is) and keep what it finds."""
    token = (id(pool), key)
    with _lock:
        if token in _recounting:
            return
        _recounting.add(token)

    def run() -> None:
        try:
            counted_at = utcnow()
            with Session(engine) as own:
                value = count(own)
            _keep(pool, key, value, counted_at, seq)
        except Exception:  # the kept figures stay; past STALE_LIMIT_S a request counts them itself
            log.exception("recounting %s failed", key[0])
        finally:
            with _lock:
                _recounting.discard(token)

    thread = threading.Thread(target=run, name=f"recount-{key[0]}", daemon=True)
    with _lock:
        _threads[:] = [t for t in _threads if t.is_alive()] + [thread]
    thread.start()


def settle(timeout: float = 30.0) -> None:
    """Wait for the recounts running behind pages (tests, benchmarks)."""
    with _lock:
        running = list(_threads)
    for thread in running:
        thread.join(timeout)


def forget() -> None:
    """Drop every kept result (benchmarks, to time the count itself)."""
    settle()
    with _lock:
        _kept.clear()
