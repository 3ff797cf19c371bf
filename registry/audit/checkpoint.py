"""The audit chain's head anchored outside the database: a checkpoint file signed with an HMAC key.

The chain itself shows an edited, inserted or deleted event, but someone with database rights who
cuts off the tail and rewinds the head row (or TRUNCATEs the log on PostgreSQL) leaves a shorter
chain that verifies. A checkpoint (seq, hash, time) written outside the database, signed with a key
the database never sees, remembers how far the chain reached: `verify` then catches the cut.
Checkpoints are written by every backup, by `camreg audit checkpoint` (run it from cron), and after
the commit of every `audit_checkpoint_every`-th event.
"""

from __future__ import annotations

import fcntl
import hashlib
import hmac
import json
import logging
import os
import secrets
import tempfile
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session as OrmSession

from registry.settings import Settings
from registry.timeutil import as_utc, utcnow

log = logging.getLogger("camreg.audit")
_PENDING = "camreg_audit_appended"  # session.info: (first seq, last seq, last hash) appended in this transaction


@dataclass(frozen=True)
class Checkpoint:
    """How far the chain reached at a moment: the last event's number and hash."""

    seq: int
    hash: str
    at: datetime


class CheckpointError(Exception):
    """The checkpoint file cannot be trusted (edited, unreadable, or signed with another key)."""


def _read_key(settings: Settings) -> bytes | None:
    path = settings.audit_key_path
    try:
        key = path.read_bytes().strip()
    except FileNotFoundError:
        return None
    if len(key) < 32:
        raise CheckpointError(f"audit key {path} is too short (needs at least 32 bytes)")
    return key


def ensure_key(settings: Settings) -> bytes:
    """The HMAC key, created (random, mode 0600) on first use."""
    key = _read_key(settings)
    if key is not None:
        return key
    path = settings.audit_key_path
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process made it first
        key = _read_key(settings)
        assert key is not None
        return key
    with os.fdopen(fd, "wb") as handle:
        handle.write(secrets.token_hex(32).encode())
        handle.flush()
        os.fsync(handle.fileno())
    key = _read_key(settings)
    assert key is not None
    return key


def _mac(key: bytes, seq: int, head_hash: str, at: str) -> str:
    return hmac.new(key, f"camreg-audit-checkpoint|{seq}|{head_hash}|{at}".encode(), hashlib.sha256).hexdigest()


def read(settings: Settings) -> Checkpoint | None:
    """The checkpoint on file, None if none was written yet; CheckpointError if it does not verify."""
    path = settings.audit_checkpoint_path
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        raise CheckpointError(f"checkpoint {path} is unreadable: {exc}") from exc
    key = _read_key(settings)
    if key is None:
        raise CheckpointError(f"checkpoint {path} exists but its key {settings.audit_key_path} is missing")
    try:
        seq, head_hash, at, mac = int(raw["seq"]), str(raw["hash"]), str(raw["at"]), str(raw["mac"])
        when = datetime.fromisoformat(at)
    except (KeyError, TypeError, ValueError) as exc:
        raise CheckpointError(f"checkpoint {path} is malformed: {exc}") from exc
    if not hmac.compare_digest(mac, _mac(key, seq, head_hash, at)):
        raise CheckpointError(f"checkpoint {path} does not match its signature (edited, or another key)")
    return Checkpoint(seq, head_hash, as_utc(when))


@contextmanager
def _file_lock(settings: Settings) -> Iterator[None]:
    """Serialise checkpoint writers (workers, cron, backups) on one lock file."""
    lock_path = settings.audit_checkpoint_path.with_suffix(".lock")
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    with open(lock_path, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def write(settings: Settings, *, seq: int, head_hash: str, replace: bool = False) -> Checkpoint:
    """Sign and store a checkpoint atomically; never moves backwards unless `replace` (a restore does)."""
    key = ensure_key(settings)
    with _file_lock(settings):
        if not replace:
            current = read(settings)  # a damaged checkpoint stays until a restore replaces it: verify reports it
            if current is not None and current.seq >= seq:
                return current
        at = utcnow().isoformat(timespec="microseconds")
        body = {"seq": seq, "hash": head_hash, "at": at, "mac": _mac(key, seq, head_hash, at)}
        path = settings.audit_checkpoint_path
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".checkpoint-")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump(body, handle)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    return Checkpoint(seq, head_hash, datetime.fromisoformat(at))


class ChainBehind(Exception):
    """The database's chain no longer reaches or matches the checkpoint: it was cut or rewritten."""


def advance(settings: Settings, engine: Engine) -> Checkpoint | None:
    """Checkpoint the database's current head, after checking it still contains the last checkpoint."""
    with engine.connect() as conn:
        head = conn.execute(text("SELECT last_seq, last_hash FROM audit_head WHERE id = 1")).first()
        if head is None or head[0] == 0:
            return None
        current = read(settings)
        if current is not None:
            at_checkpoint = conn.execute(text("SELECT hash FROM audit_event WHERE seq = :s"),
                                         {"s": current.seq}).scalar()
            if at_checkpoint != current.hash:
                raise ChainBehind(f"the chain no longer contains event {current.seq} as checkpointed at "
                                  f"{current.at:%Y-%m-%d %H:%M:%S} UTC: it was cut or rewritten; "
                                  "run camreg audit verify")
    return write(settings, seq=int(head[0]), head_hash=str(head[1]))


# Engines whose sessions write checkpoints as they commit, keyed by their pool (shared by derived engines).
_configured: weakref.WeakKeyDictionary[Any, Settings] = weakref.WeakKeyDictionary()


def configure(engine: Engine, settings: Settings) -> None:
    """Have sessions on this engine checkpoint after committing every N-th audit event."""
    _configured[engine.pool] = settings


def note_appended(session: OrmSession, seq: int, head_hash: str) -> None:
    """Remember the transaction's audit head so a checkpoint can follow its commit."""
    first = session.info.get(_PENDING, (seq, 0, ""))[0]
    session.info[_PENDING] = (first, seq, head_hash)


@event.listens_for(OrmSession, "after_commit")
def _after_commit(session: OrmSession) -> None:
    # SQLAlchemy calls this for a savepoint's release too; the outer transaction still holds the write lock
    # there (SQLite: the checkpoint's read would wait out the busy timeout), so wait for the real commit.
    if session.in_nested_transaction():
        return
    pending = session.info.pop(_PENDING, None)
    if pending is None:
        return
    first, last, _ = pending
    bind = session.get_bind()
    settings = _configured.get(getattr(bind, "pool", None))
    if settings is None:
        return
    every = settings.audit_checkpoint_every
    if (first - 1) // every == last // every:
        return  # this transaction did not reach the next multiple of N
    try:
        advance(settings, bind if isinstance(bind, Engine) else bind.engine)
    except Exception:  # the commit succeeded; a failed checkpoint must not fail the request
        log.exception("audit checkpoint not written")


@event.listens_for(OrmSession, "after_rollback")
def _after_rollback(session: OrmSession) -> None:
    session.info.pop(_PENDING, None)
