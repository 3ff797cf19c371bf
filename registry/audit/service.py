"""Appending to the audit chain and verifying it."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from registry.actor import Actor
from registry.audit import checkpoint as checkpoints
from registry.audit.checkpoint import Checkpoint, note_appended
from registry.audit.models import AuditEvent, AuditHead
from registry.settings import Settings
from registry.timeutil import as_utc, utcnow

GENESIS = "0" * 64


def event_hash(*, seq: int, at: datetime, actor_id: int | None, actor: str, action: str, object_type: str,
               object_id: str, client_addr: str | None, details: dict[str, Any], prev_hash: str) -> str:
    """SHA-256 over the canonical JSON of an event's fields and the previous hash."""
    payload = {
        "seq": seq, "at": as_utc(at).isoformat(timespec="microseconds"), "actor_id": actor_id, "actor": actor,
        "action": action, "object_type": object_type, "object_id": object_id, "client_addr": client_addr,
        "details": details, "prev_hash": prev_hash,
    }
    text = json.dumps(payload, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def append(session: Session, *, actor: Actor | None, action: str, object_type: str, object_id: object,
           details: dict[str, Any] | None = None, client_addr: str | None = None) -> AuditEvent:
    """Append one event in the caller's transaction; the head row lock orders concurrent appends.

    `client_addr` is for events with no signed-in actor (a failed sign-in); an actor carries its own.
    """
    head = session.exec(select(AuditHead).where(AuditHead.id == 1).with_for_update()).one_or_none()
    if head is None:
        head = AuditHead(id=1)
    # JSON round-trips turn tuples into lists etc.; hash what will be read back.
    clean_details = json.loads(json.dumps(details or {}, ensure_ascii=False, default=str))
    at = utcnow()
    fields: dict[str, Any] = {
        "seq": head.last_seq + 1, "at": at,
        "actor_id": actor.user.id if actor else None,
        "actor": actor.user.username if actor else "system",
        "action": action, "object_type": object_type, "object_id": str(object_id),
        "client_addr": actor.client_addr if actor else client_addr,
        "details": clean_details, "prev_hash": head.last_hash,
    }
    event = AuditEvent(**fields, hash=event_hash(**fields))
    head.last_seq, head.last_hash = event.seq, event.hash
    session.add(event)
    session.add(head)
    session.flush()
    note_appended(session, event.seq, event.hash)
    return event


@dataclass
class ChainProblem:
    """The first place the chain does not hold."""

    seq: int
    kind: str  # edited | inserted | deleted | truncated | checkpoint
    message: str


@dataclass
class VerifyResult:
    """Outcome of walking the whole chain."""

    checked: int
    problem: ChainProblem | None
    checkpoint_seq: int | None = None  # the signed checkpoint the chain was held against, if any

    @property
    def ok(self) -> bool:
        """Whether the chain is intact."""
        return self.problem is None


def verify(session: Session, *, checkpoint: Checkpoint | None = None, batch: int = 5000) -> VerifyResult:
    """Walk the chain in order and report the first edited, inserted or deleted event.

    With a checkpoint (read from outside the database), a chain that stops short of it or differs at
    its event is reported too: that is a tail cut off and the head rewound, or a TRUNCATE.
    """
    result = _walk(session, batch=batch, checkpoint=checkpoint)
    result.checkpoint_seq = checkpoint.seq if checkpoint else None
    return result


def _walk(session: Session, *, batch: int, checkpoint: Checkpoint | None) -> VerifyResult:
    expected_seq, prev_hash, checked, last_seq = 1, GENESIS, 0, 0
    hash_at_checkpoint: str | None = None
    while True:
        events = session.exec(
            select(AuditEvent).where(AuditEvent.seq >= expected_seq).order_by(col(AuditEvent.seq)).limit(batch)
        ).all()
        if not events:
            break
        for ev in events:
            if ev.seq != expected_seq:
                return VerifyResult(checked, ChainProblem(
                    expected_seq, "deleted", f"events {expected_seq}–{ev.seq - 1} are missing (deleted)"))
            if ev.prev_hash != prev_hash:
                return VerifyResult(checked, ChainProblem(
                    ev.seq, "inserted", f"event {ev.seq} does not follow event {ev.seq - 1} (inserted or replaced)"))
            recomputed = event_hash(
                seq=ev.seq, at=ev.at, actor_id=ev.actor_id, actor=ev.actor, action=ev.action,
                object_type=ev.object_type, object_id=ev.object_id, client_addr=ev.client_addr,
                details=ev.details, prev_hash=ev.prev_hash)
            if recomputed != ev.hash:
                return VerifyResult(checked, ChainProblem(ev.seq, "edited", f"event {ev.seq} was edited"))
            prev_hash, expected_seq, last_seq = ev.hash, ev.seq + 1, ev.seq
            if checkpoint is not None and ev.seq == checkpoint.seq:
                hash_at_checkpoint = ev.hash
            checked += 1
    head = session.get(AuditHead, 1)
    if head is not None and (head.last_seq, head.last_hash) != (last_seq, prev_hash):
        if head.last_seq > last_seq:
            return VerifyResult(checked, ChainProblem(
                last_seq + 1, "deleted", f"events {last_seq + 1}–{head.last_seq} are missing (deleted)"))
        return VerifyResult(checked, ChainProblem(
            head.last_seq + 1, "inserted", f"events after {head.last_seq} were added outside the chain"))
    if checkpoint is not None:
        when = f"{checkpoint.at:%Y-%m-%d %H:%M:%S} UTC"
        if last_seq < checkpoint.seq:
            return VerifyResult(checked, ChainProblem(
                last_seq + 1, "truncated", f"the chain ends at event {last_seq} but the checkpoint of {when} saw "
                f"event {checkpoint.seq}: events {last_seq + 1}–{checkpoint.seq} were removed (truncated)"))
        if hash_at_checkpoint != checkpoint.hash:
            return VerifyResult(checked, ChainProblem(
                checkpoint.seq, "truncated", f"event {checkpoint.seq} is not the one the checkpoint of {when} saw: "
                "the chain was cut there and written again"))
    return VerifyResult(checked, None)


def verify_anchored(session: Session, *, settings: Settings) -> VerifyResult:
    """Verify the chain against the signed checkpoint on file (a damaged checkpoint is itself a problem)."""
    try:
        anchor = checkpoints.read(settings)
    except checkpoints.CheckpointError as exc:
        result = verify(session)
        if result.ok:
            result.problem = ChainProblem(0, "checkpoint", str(exc))
        return result
    return verify(session, checkpoint=anchor)
