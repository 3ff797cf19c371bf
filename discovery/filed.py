"""An operator's filed cameras, downloaded to the inspector's laptop: what `camreg reconcile --filed` reads offline.

The registry writes it (operator page → 下载备案摄像机); the laptop needs no server and no database to
compare a scan with it. One file per operator holds each of its filed systems (sites) with their
cameras as reconciliation takes them (`FiledCamera`), sealed like a scan report: `checksum` is SHA-256
over the canonical JSON of the rest, so a hand-edited file is refused rather than compared.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from discovery.models import FiledCamera
from discovery.report import checksum

FORMAT = "camreg-filed-cameras"
VERSION = 1
MAX_BYTES = 64 * 1024 * 1024


class FiledFileError(ValueError):
    """The file is not a filed-cameras file, was changed, or does not hold the filing asked for."""


@dataclass(frozen=True)
class FiledSite:
    """One filed system of the operator: its filing number, name, address and cameras."""

    number: str
    system_name: str
    system_location: str
    cameras: list[FiledCamera]
    retention_days: int | None = None  # declared in the filing: the scan's footage is checked against it


@dataclass(frozen=True)
class FiledFile:
    """The whole download: the operator, when it was written, its sites."""

    operator_name: str
    operator_uscc: str
    written_at: str
    sites: list[FiledSite]

    def site(self, number: str) -> FiledSite:
        """The site filed under `number`, or an error naming the numbers the file holds."""
        for site in self.sites:
            if site.number == number:
                return site
        known = "、".join(s.number for s in self.sites) or "（无）"
        raise FiledFileError(f"文件中没有备案编号 {number}，只有 {known} / the file holds no filing {number}")


def seal(operator: dict[str, str], written_at: str, sites: list[FiledSite]) -> dict[str, Any]:
    """The JSON-ready file with its checksum."""
    data: dict[str, Any] = {
        "format": FORMAT, "version": VERSION, "written_at": written_at, "operator": operator,
        "sites": [{"number": s.number, "system_name": s.system_name, "system_location": s.system_location,
                   "retention_days": s.retention_days, "cameras": [dataclasses.asdict(c) for c in s.cameras]}
                  for s in sites],
    }
    data["checksum"] = checksum(data)
    return data


def parse(data: Any, source: str = "file") -> FiledFile:
    """Check format, version and checksum; read the sites."""
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise FiledFileError(f"{source}: 不是备案摄像机文件 / not a {FORMAT} file")
    if data.get("version") != VERSION:
        raise FiledFileError(f"{source}: 版本 {data.get('version')!r} 不支持 / unsupported version")
    if data.get("checksum") != checksum(data):
        raise FiledFileError(f"{source}: 校验和不符，文件下载后被修改过 / checksum mismatch: the file was changed")
    fields = {f.name for f in dataclasses.fields(FiledCamera)}
    try:
        sites = [FiledSite(number=str(s["number"]), system_name=str(s["system_name"]),
                           system_location=str(s["system_location"]),
                           retention_days=_days(s.get("retention_days")),
                           cameras=[FiledCamera(**{k: str(v) for k, v in c.items() if k in fields})
                                    for c in s["cameras"]]) for s in data["sites"]]
        operator = data["operator"]
        return FiledFile(operator_name=str(operator["name"]), operator_uscc=str(operator["uscc"]),
                         written_at=str(data["written_at"]), sites=sites)
    except (KeyError, TypeError) as exc:
        raise FiledFileError(f"{source}: 内容不完整 / malformed: {exc}") from exc


def _days(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def load(path: str | Path) -> FiledFile:
    """Read and check a downloaded file."""
    path = Path(path)
    if path.stat().st_size > MAX_BYTES:
        raise FiledFileError(f"{path.name}: 文件过大 / too large")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise FiledFileError(f"{path.name}: 不是 JSON / not JSON: {exc}") from exc
    return parse(data, path.name)
