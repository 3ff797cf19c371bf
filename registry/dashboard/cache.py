"""The dashboard's figures, kept a short while when they are expensive to count.

The city's level groups every operator, filing, camera and inspection of the city: at 1,000,000
cameras that is most of a second of PostgreSQL's time, however the indexes are laid (bench/pages.py),
for a page a supervisor opens many times a day. A result that took longer than SLOW_S to count is kept
(per database, for the same unit's view, area, half-year and day) and served again until the audit
chain moves — every change of the workflow appends to it, in the same transaction — or MAX_AGE_S
passes, whichever comes first; the page says when its figures were counted. Figures that count
quickly (a station's, a district's on a small registry, every test's) are never kept.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from weakref import WeakKeyDictionary

from sqlmodel import Session, select

from registry.audit.models import AuditHead
from registry.timeutil import utcnow

SLOW_S = 0.1  # figures that took longer than this to count are kept (a district: ~0.18 s at 1M cameras)
MAX_AGE_S = 60.0  # and never served older than this, even if the audit chain did not move


@dataclass(frozen=True)
class Counted:
    """Figures and when they were counted (UTC); `kept` when they come from an earlier count."""

    value: Any
    counted_at: datetime
    kept: bool


@dataclass(frozen=True)
class _Entry:
    value: Any
    counted_at: datetime
    audit_seq: int
    monotonic: float


# Per database (its connection pool: gone with the engine), then by the caller's key.
_kept: WeakKeyDictionary[Any, dict[tuple[Any, ...], _Entry]] = WeakKeyDictionary()
_lock = threading.Lock()


def _audit_seq(session: Session) -> int:
    return int(session.exec(select(AuditHead.last_seq).where(AuditHead.id == 1)).first() or 0)


def counted(session: Session, key: tuple[Any, ...], count: Callable[[], Any], *, slow_s: float | None = None
            ) -> Counted:
    """`count()`, or its kept result for `key` if the audit chain has not moved since and it is fresh enough;
    a result is kept if counting took `slow_s` (default SLOW_S) or longer."""
    pool = session.get_bind().pool  # type: ignore[union-attr]
    seq = _audit_seq(session)
    with _lock:
        entry = _kept.get(pool, {}).get(key)
    if entry is not None and entry.audit_seq == seq and time.monotonic() - entry.monotonic < MAX_AGE_S:
        return Counted(entry.value, entry.counted_at, kept=True)
    started, counted_at = time.monotonic(), utcnow()
    value = count()
    if time.monotonic() - started >= (SLOW_S if slow_s is None else slow_s):
        with _lock:
            kept = _kept.setdefault(pool, {})
            # Only the latest of each key, and only a few keys (units × areas × half-years of one day).
            if len(kept) > 500:
                kept.clear()
            kept[key] = _Entry(value, counted_at, seq, time.monotonic())
    return Counted(value, counted_at, kept=False)


def forget() -> None:
    """Drop every kept result (benchmarks, to time the count itself)."""
    with _lock:
        _kept.clear()
