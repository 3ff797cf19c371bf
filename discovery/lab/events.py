"""Lab files: the event log (JSON lines: requests, write attempts, auth failures, XXE fetches), atomic JSON."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import IO, Any

REQUEST = "request"  # every SOAP request: op, auth outcome
WRITE_ATTEMPT = "write_attempt"  # any operation that is not a Get*: refused and recorded
AUTH_FAILED = "auth_failed"
LOCKED = "locked"  # a camera locked its account after too many failed logins
XXE_FETCH = "xxe_fetch"  # somebody resolved an external entity the lab planted


class EventLog:
    """Append-only JSON-lines writer, flushed per event so a crash loses nothing."""

    def __init__(self, path: Path | None) -> None:
        self._fh: IO[str] | None = path.open("a", encoding="utf-8") if path else None

    def add(self, kind: str, device: str, **fields: Any) -> None:
        """Record one event."""
        if self._fh is None:
            return
        rec = {"t": round(time.time(), 3), "kind": kind, "device": device, **fields}
        self._fh.write(json.dumps(rec, ensure_ascii=False) + "\n")
        self._fh.flush()

    def close(self) -> None:
        """Close the file."""
        if self._fh is not None:
            self._fh.close()
            self._fh = None


def write_json_atomic(path: Path, data: Any) -> None:
    """Write JSON so a reader never sees half a file."""
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")
    os.replace(tmp, path)


def read_events(paths: list[Path], kind: str | None = None, device: str | None = None) -> list[dict[str, Any]]:
    """Events from the given logs, oldest first, optionally of one kind and device."""
    out = []
    for path in paths:
        if not path.exists():
            continue
        for line in path.read_text(encoding="utf-8").splitlines():
            if not line.strip():
                continue
            try:
                rec = json.loads(line)
            except json.JSONDecodeError:  # a line cut by a killed fleet process
                continue
            if (kind is None or rec["kind"] == kind) and (device is None or rec["device"] == device):
                out.append(rec)
    return sorted(out, key=lambda r: r["t"])
