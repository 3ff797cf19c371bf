"""Police-unit names by code, read once per process and shared by every page that shows units.

Nearly every page shows unit names (the signed-in officer's unit in the layout; a filing unit, verifying
unit or station on each row of a list): reading them per request was two database round trips of a
10 ms page. A city has a few hundred units and they change rarely, so the names are kept per database
and dropped when this process commits a change to a unit; a code not among them (a unit added by another
process) reads them again once per page, and another process's rename shows within MAX_AGE_S.
"""

from __future__ import annotations

import threading
import time
from typing import Any
from weakref import WeakKeyDictionary

from sqlalchemy import event, select
from sqlmodel import Session, col

from registry.units.models import PoliceUnit

MAX_AGE_S = 60.0

_names: WeakKeyDictionary[Any, tuple[float, dict[str, str]]] = WeakKeyDictionary()  # by connection pool
_lock = threading.Lock()


def _pool(session: Session) -> Any:
    return session.get_bind().pool  # type: ignore[union-attr]


def all_names(session: Session, *, fresh: bool = False) -> dict[str, str]:
    """Every unit's name by code (kept; `fresh` reads them again)."""
    pool = _pool(session)
    with _lock:
        kept = _names.get(pool)
    if kept is not None and not fresh and time.monotonic() - kept[0] < MAX_AGE_S:
        return kept[1]
    names = {code: name for code, name in session.execute(select(col(PoliceUnit.code), col(PoliceUnit.name))).all()}
    with _lock:
        _names[pool] = (time.monotonic(), names)
    return names


def forget() -> None:
    """Drop the kept names (every database's)."""
    with _lock:
        _names.clear()


@event.listens_for(Session, "after_flush")
def _note_unit_writes(session: Session, _context: Any) -> None:
    if any(isinstance(o, PoliceUnit) for o in (*session.new, *session.dirty, *session.deleted)):
        session.info["units_written"] = True


@event.listens_for(Session, "after_commit")
def _drop_after_unit_writes(session: Session) -> None:
    if session.info.pop("units_written", False):
        forget()


@event.listens_for(Session, "after_rollback")
def _clear_note(session: Session) -> None:
    session.info.pop("units_written", None)


class UnitNames:
    """A page's unit names: `unit(code)` in templates gives the name, or the code if there is no such unit."""

    def __init__(self, session: Session | None) -> None:
        self._session = session
        self._names: dict[str, str] | None = None
        self._reread = False

    def __call__(self, code: str | None) -> str:
        """The unit's name, or its code if unknown."""
        if not code:
            return "—"
        if self._session is None:
            return code
        if self._names is None:
            self._names = all_names(self._session)
        if code not in self._names and not self._reread:  # added since they were read (by another process)
            self._names, self._reread = all_names(self._session, fresh=True), True
        return self._names.get(code, code)
