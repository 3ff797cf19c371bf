"""`camreg backup` and `camreg restore`: the database and every blob directory, checked by a manifest of hashes.

A backup dumps the database first, then copies the blobs: blobs are content-addressed and never
rewritten, so every blob the dumped database refers to is already on disk when it is copied (blobs
stored after the dump come along and are harmless). Each backup also signs an audit checkpoint.

A restore unpacks and checks the whole file in a staging directory before touching anything; refuses
a target that holds data unless forced; puts the blobs in place (adding files, never removing any),
then replaces the database in one transaction; verifies the restored audit chain against the head
the manifest recorded; and anchors a new checkpoint at that head.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sqlmodel import Session

from registry.audit import checkpoint
from registry.audit.models import AuditHead
from registry.audit.service import verify
from registry.backup import archive, databases
from registry.backup.archive import BackupError, Manifest
from registry.db import make_engine
from registry.settings import Settings
from registry.timeutil import utcnow

Progress = Callable[[str, int, int], None]  # (stage, done, total)


def _noop(_stage: str, _done: int, _total: int) -> None:
    return None


@dataclass
class BackupReport:
    """What a backup holds, and whether the audit checkpoint could be advanced with it."""

    manifest: Manifest
    checkpoint_problem: str | None


def create_backup(settings: Settings, *, out: Path, progress: Progress = _noop) -> BackupReport:
    """Write a complete backup to `out` (renamed into place only when complete), then advance the checkpoint."""
    postgres = databases.is_postgres(settings)
    writer = archive.Writer(out)
    try:
        with tempfile.TemporaryDirectory(dir=out.parent, prefix=".camreg-dump-") as work:
            dump = Path(work) / ("camreg.pgdump" if postgres else "camreg.sqlite3")
            progress("database", 0, 1)
            facts = databases.dump_postgres(settings, dump) if postgres else databases.dump_sqlite(settings, dump)
            database = writer.add_file(dump, f"database/{dump.name}")
            progress("database", 1, 1)
        blobs = list(archive.blob_files(settings.data_dir))
        for done, (path, name) in enumerate(blobs, start=1):
            writer.add_file(path, name, expect_sha256=path.name)
            progress("blobs", done, len(blobs))
        manifest = Manifest(
            created_at=utcnow().isoformat(timespec="seconds"), backend="postgresql" if postgres else "sqlite",
            revision=facts.revision, audit_seq=facts.audit_seq, audit_hash=facts.audit_hash, counts=facts.counts,
            database=database, files=[m for m in writer.members if m.name.startswith("blobs/")])
        writer.finish(manifest)
    except BaseException:
        writer.abort()
        raise
    # Anchor the chain at least as far as the backup saw it (advance checks the chain still holds the last
    # checkpoint, so a cut chain is reported rather than blessed).
    engine = make_engine(settings)
    try:
        checkpoint.advance(settings, engine)
        problem = None
    except (checkpoint.ChainBehind, checkpoint.CheckpointError) as exc:
        problem = str(exc)
    finally:
        engine.dispose()
    return BackupReport(manifest, problem)


@dataclass
class RestoreReport:
    """What a restore put back."""

    manifest: Manifest
    blobs_added: int
    audit_checked: int


def restore_backup(settings: Settings, *, backup: Path, force: bool = False,
                   progress: Progress = _noop) -> RestoreReport:
    """Restore a backup into the configured database and data directory (see the module docstring)."""
    if not backup.is_file():
        raise BackupError(f"no backup file at {backup}")
    postgres = databases.is_postgres(settings)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=settings.data_dir, prefix=".restore-"))
    try:
        total = backup.stat().st_size
        read = [0]

        def unpacked(size: int) -> None:
            read[0] += size
            progress("check", read[0], total)

        manifest = archive.extract_verified(backup, staging, progress=unpacked)
        if manifest.backend != ("postgresql" if postgres else "sqlite"):
            raise BackupError(f"this is a {manifest.backend} backup; the registry here runs on "
                              f"{'PostgreSQL' if postgres else 'SQLite'}")
        dump = staging / manifest.database.name
        if not postgres:
            facts, integrity = databases.sqlite_facts(dump)
            if integrity != "ok":
                raise BackupError(f"the database in the backup fails SQLite's integrity check: {integrity}")
            if (facts.audit_seq, facts.audit_hash) != (manifest.audit_seq, manifest.audit_hash):
                raise BackupError("the database in the backup does not match its manifest's audit head")
        has_content = databases.postgres_has_content(settings) if postgres else databases.sqlite_has_content(settings)
        if has_content and not force:
            raise BackupError("the target database already holds registry data; restoring would replace it. "
                              "Stop the service, make a backup of it, and run again with --force")
        added = _place_blobs(staging, settings.data_dir, manifest, progress)
        progress("database", 0, 1)
        if postgres:
            databases.restore_postgres(settings, dump)
        else:
            databases.restore_sqlite(settings, dump)
        progress("database", 1, 1)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    engine = make_engine(settings)
    try:
        with Session(engine) as session:
            result = verify(session)
            head = session.get(AuditHead, 1)
    finally:
        engine.dispose()
    restored_head = (head.last_seq, head.last_hash) if head else (0, "0" * 64)
    if not result.ok or restored_head != (manifest.audit_seq, manifest.audit_hash):
        problem = (result.problem.message if result.problem
                   else f"head {restored_head[0]}, expected {manifest.audit_seq}")
        raise BackupError(f"the restored audit chain does not verify: {problem}")
    # The restored chain is the registry's now: anchor it (an older backup moves the checkpoint back).
    if manifest.audit_seq:
        checkpoint.write(settings, seq=manifest.audit_seq, head_hash=manifest.audit_hash, replace=True)
    else:
        settings.audit_checkpoint_path.unlink(missing_ok=True)
    return RestoreReport(manifest, added, result.checked)


def _place_blobs(staging: Path, data_dir: Path, manifest: Manifest, progress: Progress) -> int:
    """Move the verified blobs into the data directory; existing ones (same name, same bytes) stay."""
    added = 0
    for done, member in enumerate(manifest.files, start=1):
        relative = Path(member.name).relative_to("blobs")
        target = data_dir / relative
        if not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            os.replace(staging / member.name, target)  # same filesystem: atomic, never a half file
            added += 1
        progress("blobs", done, len(manifest.files))
    return added
