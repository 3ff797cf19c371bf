"""Uploaded materials: content-sniffed, size-capped, stored once under their SHA-256."""

from __future__ import annotations

from registry.blobs import path_for, store, stored_path
from registry.errors import InvalidInput, TooLarge

__all__ = ["check_size", "path_for", "sniff", "store", "stored_path"]

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
