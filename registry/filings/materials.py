"""Uploaded materials: content-sniffed, size-capped, stored once under their SHA-256."""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

from registry.errors import InvalidInput, TooLarge

_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"%PDF-", "application/pdf"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
)


def sniff(data: bytes) -> str:
    """The MIME type from the file's own first bytes; only PDF, PNG and JPEG are accepted."""
    for magic, mime in _SIGNATURES:
        if data.startswith(magic):
            return mime
    raise InvalidInput("文件类型不支持，仅接受 PDF、PNG、JPEG / only PDF, PNG and JPEG files are accepted "
                       "(type is read from the content, not the name)", field="file")


def check_size(size: int, limit: int) -> None:
    """Refuse empty files and files over the configured limit."""
    if size == 0:
        raise InvalidInput("文件为空 / the file is empty", field="file")
    if size > limit:
        raise TooLarge(f"文件超过 {limit // (1024 * 1024)} MB / the file exceeds the {limit} byte limit",
                       field="file")


def path_for(root: Path, sha256: str) -> Path:
    """Where the bytes with this digest live (two levels of fan-out keep directories small)."""
    return root / sha256[:2] / sha256[2:4] / sha256


def store(root: Path, data: bytes) -> str:
    """Write the bytes atomically under their SHA-256 and return the digest; storing twice is a no-op."""
    digest = hashlib.sha256(data).hexdigest()
    target = path_for(root, digest)
    if target.exists():
        return digest
    target.parent.mkdir(parents=True, exist_ok=True)
    # Write beside the target and rename, so a crash never leaves a truncated file under a real digest.
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
