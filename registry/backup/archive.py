"""The backup file: a tar of the database dump and the blob files, with a manifest of hashes written last.

The manifest is the last member, so a backup cut short has none and is refused; it lists every other
member with its size and SHA-256, so a damaged member, a missing one or an extra one is refused too.
The file is written beside its final name and renamed into place only when complete.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import tarfile
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

FORMAT = "camreg-backup"
VERSION = 1
MANIFEST = "manifest.json"
SHA256_NAME = re.compile(r"^[0-9a-f]{64}$")
CHUNK = 1024 * 1024


class BackupError(Exception):
    """A backup that cannot be made, or a backup file that must not be restored (damaged, partial, foreign)."""


@dataclass
class Member:
    """One file in the backup."""

    name: str
    size: int
    sha256: str


@dataclass
class Manifest:
    """What a backup holds and how to check it."""

    created_at: str
    backend: str                  # sqlite | postgresql
    revision: str | None          # Alembic revision of the database
    audit_seq: int                # the audit chain's head in the dumped database
    audit_hash: str
    counts: dict[str, int]
    database: Member
    files: list[Member] = field(default_factory=list)
    format: str = FORMAT
    version: int = VERSION

    def to_json(self) -> bytes:
        """The manifest as stored."""
        return json.dumps(asdict(self), ensure_ascii=False, indent=1).encode()

    @classmethod
    def from_json(cls, data: bytes) -> Manifest:
        """Parse a stored manifest; BackupError if it is not one of ours."""
        try:
            raw: dict[str, Any] = json.loads(data)
            if raw.get("format") != FORMAT:
                raise BackupError("not a camreg backup (its manifest names another format)")
            if raw.get("version") != VERSION:
                raise BackupError(f"backup format version {raw.get('version')} is not supported (this is {VERSION})")
            raw["database"] = Member(**raw["database"])
            raw["files"] = [Member(**m) for m in raw["files"]]
            return cls(**raw)
        except (ValueError, TypeError, KeyError) as exc:
            raise BackupError(f"the manifest is damaged: {exc}") from exc


def blob_directories(data_dir: Path) -> list[Path]:
    """Every directory of the data dir that holds files named by their SHA-256 (materials/, documents/ …)."""
    found = []
    for child in sorted(data_dir.iterdir()) if data_dir.is_dir() else []:
        if child.is_dir() and not child.name.startswith(".") and any(_blob_files(child)):
            found.append(child)
    return found


def _blob_files(directory: Path) -> Iterator[Path]:
    for root, dirs, files in os.walk(directory):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(files):
            if SHA256_NAME.match(name):  # temporary uploads (.upload-*) and anything else are not blobs
                yield Path(root) / name


def blob_files(data_dir: Path) -> Iterator[tuple[Path, str]]:
    """(path, member name) of every blob file to back up."""
    for directory in blob_directories(data_dir):
        for path in _blob_files(directory):
            yield path, "blobs/" + path.relative_to(data_dir).as_posix()


class Writer:
    """Adds members to a backup being written; `finish` appends the manifest and renames the file into place."""

    def __init__(self, out: Path) -> None:
        self.out = out
        out.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=out.parent, prefix=f".{out.name}.", suffix=".partial")
        os.close(fd)
        self.tmp = Path(tmp)
        self.tar = tarfile.open(self.tmp, "w", format=tarfile.PAX_FORMAT)  # noqa: SIM115  (closed by finish/abort)
        self.members: list[Member] = []

    def add_file(self, path: Path, name: str, *, expect_sha256: str | None = None) -> Member:
        """Add a file under `name`, hashing it as it is read (a blob whose bytes no longer match is refused)."""
        with open(path, "rb") as handle:
            size = os.fstat(handle.fileno()).st_size
            hashing = _HashingReader(handle)
            info = tarfile.TarInfo(name)
            info.size, info.mode, info.mtime = size, 0o600, int(os.path.getmtime(path))
            self.tar.addfile(info, hashing)
        member = Member(name, size, hashing.hexdigest())
        if expect_sha256 is not None and member.sha256 != expect_sha256:
            raise BackupError(f"{path} does not match its name (the stored file is damaged); "
                              "repair it from an older backup first")
        self.members.append(member)
        return member

    def finish(self, manifest: Manifest) -> Path:
        """Write the manifest last, flush to disk, and give the backup its final name."""
        data = manifest.to_json()
        info = tarfile.TarInfo(MANIFEST)
        info.size, info.mode = len(data), 0o600
        self.tar.addfile(info, io.BytesIO(data))
        self.tar.close()
        with open(self.tmp, "rb") as handle:
            os.fsync(handle.fileno())
        os.chmod(self.tmp, 0o600)
        os.replace(self.tmp, self.out)
        return self.out

    def abort(self) -> None:
        """Forget a backup that failed half-way."""
        self.tar.close()
        self.tmp.unlink(missing_ok=True)


class _HashingReader:
    """A file wrapper that hashes what tarfile reads through it."""

    def __init__(self, handle: BinaryIO) -> None:
        self.handle = handle
        self.digest = hashlib.sha256()

    def read(self, size: int = -1) -> bytes:
        data = self.handle.read(size)
        self.digest.update(data)
        return data

    def hexdigest(self) -> str:
        return self.digest.hexdigest()


def extract_verified(backup: Path, staging: Path, progress: Callable[[int], None] | None = None) -> Manifest:
    """Unpack a backup into `staging` and check every member against the manifest; BackupError if anything is off.

    Nothing outside `staging` is touched, so a refused backup changes nothing.
    """
    seen: dict[str, Member] = {}
    manifest_bytes = None
    try:
        with tarfile.open(backup, "r:") as tar:
            for info in tar:
                if info.name == MANIFEST:
                    reader = tar.extractfile(info)
                    assert reader is not None
                    manifest_bytes = reader.read()
                    continue
                if not info.isfile() or not _safe(info.name):
                    raise BackupError(f"unexpected member {info.name!r} in the backup")
                target = staging / info.name
                target.parent.mkdir(parents=True, exist_ok=True)
                reader = tar.extractfile(info)
                assert reader is not None
                digest, size = hashlib.sha256(), 0
                with open(target, "wb") as out:
                    while chunk := reader.read(CHUNK):
                        digest.update(chunk)
                        out.write(chunk)
                        size += len(chunk)
                seen[info.name] = Member(info.name, size, digest.hexdigest())
                if progress:
                    progress(size)
    except (tarfile.TarError, EOFError, OSError) as exc:
        raise BackupError(f"the backup file is damaged or cut short: {exc}") from exc
    if manifest_bytes is None:
        raise BackupError("the backup has no manifest: it is incomplete (cut short while written or copied)")
    manifest = Manifest.from_json(manifest_bytes)
    expected = {m.name: m for m in [manifest.database, *manifest.files]}
    missing = sorted(set(expected) - set(seen))
    if missing:
        raise BackupError(f"the backup is incomplete: {len(missing)} files missing, e.g. {missing[0]}")
    extra = sorted(set(seen) - set(expected))
    if extra:
        raise BackupError(f"the backup holds files its manifest does not list, e.g. {extra[0]}")
    for name, member in expected.items():
        if seen[name] != member:
            raise BackupError(f"{name} is damaged (its size or SHA-256 differs from the manifest)")
    for member in manifest.files:
        if member.sha256 != Path(member.name).name:
            raise BackupError(f"{member.name} is not named by its SHA-256")
    return manifest


def _safe(name: str) -> bool:
    parts = Path(name).parts
    return bool(parts) and not Path(name).is_absolute() and ".." not in parts and parts[0] in ("database", "blobs")
