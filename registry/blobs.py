"""Content-addressed files in the data directory: stored once under their SHA-256, written atomically."""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
from pathlib import Path

from registry.errors import Unavailable
from registry.private import private_dir

log = logging.getLogger(__name__)


def path_for(root: Path, sha256: str) -> Path:
    """Where the bytes with this digest live (two levels of fan-out keep directories small)."""
    return root / sha256[:2] / sha256[2:4] / sha256


def stored_path(root: Path, sha256: str, what: str) -> Path:
    """The path of stored bytes the database names, or a 503 saying the file is missing (a data directory
    lost or restored without its files): a clear error for the administrator, never a 500."""
    path = path_for(root, sha256)
    if not path.is_file():
        log.error("stored file missing: %s %s", what, path)
        raise Unavailable(f"{what}的文件在存储中缺失（SHA-256 {sha256[:12]}…），请管理员从备份恢复数据目录 / the "
                          f"stored file of this {what} is missing; restore the data directory from a backup",
                          details={"sha256": sha256})
    return path


def store(root: Path, data: bytes) -> str:
    """Write the bytes atomically under their SHA-256 (mode 0600) and return the digest; storing twice is a no-op."""
    digest = hashlib.sha256(data).hexdigest()
    target = path_for(root, digest)
    if target.exists():
        return digest
    # The blob root and its fan-out directories are 0700 (an older, looser root is tightened).
    private_dir(root, tighten=True)
    private_dir(target.parent)
    # Write beside the target and rename, so a crash never leaves a truncated file under a real digest.
    # mkstemp creates the file 0600: materials and documents are confidential (第十一条).
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".upload-")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return digest


def read_checked(root: Path, sha256: str) -> bytes | None:
    """The stored bytes if they still hash to their name; None if missing or altered."""
    try:
        data = path_for(root, sha256).read_bytes()
    except FileNotFoundError:
        return None
    return data if hashlib.sha256(data).hexdigest() == sha256 else None
