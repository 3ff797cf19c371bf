"""Files of the service that only the service may read: the SQLite database and its WAL/SHM, stored blobs.

Everything in the data directory holds personal and security data (operators, camera positions,
deployment maps), so directories are created 0700 and files 0600 whatever the process umask is.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

DIR_MODE = 0o700
FILE_MODE = 0o600


def private_dir(path: Path, *, tighten: bool = False) -> Path:
    """Create `path` and its missing parents as 0700; with `tighten`, an existing `path` is made 0700 too.

    A 0700 directory also hides whatever older, looser entries it holds (no one else can traverse it).
    """
    missing: list[Path] = []
    probe = path
    while not probe.exists() and probe != probe.parent:
        missing.append(probe)
        probe = probe.parent
    for directory in reversed(missing):
        try:
            directory.mkdir(mode=DIR_MODE)
        except FileExistsError:  # another worker made it a moment ago
            continue
        os.chmod(directory, DIR_MODE)  # mkdir's mode is reduced by the umask, but may be wider than asked
    if tighten and not missing and path.stat().st_mode & 0o777 != DIR_MODE:
        os.chmod(path, DIR_MODE)
    return path


def private_file(path: Path) -> None:
    """Create the file empty as 0600 if it is missing, or take group and other access away if it exists."""
    with contextlib.suppress(FileExistsError):
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE))
    if path.stat().st_mode & 0o777 != FILE_MODE:
        os.chmod(path, FILE_MODE)


def private_sqlite(database: Path) -> None:
    """The database file 0600 before SQLite opens it: SQLite gives its -wal and -shm the same mode."""
    private_file(database)
    for suffix in ("-wal", "-shm", "-journal"):
        sidecar = database.with_name(database.name + suffix)
        if sidecar.exists():
            private_file(sidecar)
