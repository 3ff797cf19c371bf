"""The scan report: build, checksum, write, load-and-verify; its JSON Schema is generated from the model.

The checksum is SHA-256 over the canonical JSON (sorted keys, no spaces, UTF-8) of the report without
its `checksum` field. `discovery/schema/scan-report.schema.json` is `report_schema()` written out; a test
keeps the two equal.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import socket
from collections import Counter
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from discovery.models import Device

FORMAT = "camreg-scan-report"
SCHEMA_VERSION = 1
SCHEMA_PATH = Path(__file__).parent / "schema" / "scan-report.schema.json"
#: Fields every device object must carry (the schema marks them required; loading checks them).
REQUIRED_DEVICE_FIELDS = (
    "address",
    "endpoint_uuid",
    "manufacturer",
    "model",
    "firmware",
    "serial",
    "hardware_id",
    "macs",
    "xaddrs",
    "scopes",
    "found_by",
    "status",
    "error",
)


class InterfaceInfo(BaseModel):
    """A local interface the scan used."""

    model_config = ConfigDict(extra="forbid")
    name: str
    address: str


class Summary(BaseModel):
    """Counts for the summary table."""

    model_config = ConfigDict(extra="forbid")
    devices: int
    by_status: dict[str, int]
    by_method: dict[str, int]


class ScanReport(BaseModel):
    """A scan report as written to FILE.json."""

    model_config = ConfigDict(extra="forbid", title="camreg scan report")
    format: Literal["camreg-scan-report"]
    schema_version: Literal[1]
    tool: str
    started_at: dt.datetime
    finished_at: dt.datetime
    duration_s: float = Field(ge=0)
    host: str
    interfaces: list[InterfaceInfo]
    networks: list[str]
    methods: list[Literal["multicast", "unicast", "sweep"]]
    options: dict[str, Any]
    notes: list[str]
    summary: Summary
    devices: list[Device]
    checksum: str = Field(pattern=r"^sha256:[0-9a-f]{64}$")


class ReportError(ValueError):
    """A report file that cannot be trusted; the message says which part is wrong."""


class ReportTooLarge(ReportError):
    """A report with more devices than a scan of a site can find."""


#: Limits of a report read from a file or an upload: a real report nests 5 levels and has no long numbers.
MAX_DEPTH = 32
MAX_NUMBER_CHARS = 32
MAX_DEVICES = 10_000


def _number(text: str, convert: Any) -> Any:
    if len(text) > MAX_NUMBER_CHARS:
        raise ReportError(f"a number of {len(text)} characters (at most {MAX_NUMBER_CHARS}): {text[:20]}…")
    return convert(text)


def _refuse_constant(name: str) -> Any:
    raise ReportError(f"{name} is not a number a report can hold")


def _too_deep(data: Any, limit: int) -> bool:
    """Whether containers nest deeper than `limit` (walked without recursion)."""
    stack = [(data, 1)]
    while stack:
        node, depth = stack.pop()
        children = node.values() if isinstance(node, dict) else node if isinstance(node, list) else None
        if children is None:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children if isinstance(child, dict | list))
    return False


def report_from_bytes(data: bytes, source: str = "report", *, max_devices: int = MAX_DEVICES) -> ScanReport:
    """Parse report bytes with bounded nesting, number size and device count, then validate them."""
    try:
        raw = json.loads(data, parse_int=lambda t: _number(t, int), parse_float=lambda t: _number(t, float),
                         parse_constant=_refuse_constant)
    except ReportError as exc:
        raise ReportError(f"{source}: {exc}") from exc
    except RecursionError as exc:
        raise ReportError(f"{source}: nested deeper than {MAX_DEPTH} levels") from exc
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ReportError(f"{source}: not valid JSON ({exc})") from exc
    devices = raw.get("devices") if isinstance(raw, dict) else None
    if isinstance(devices, list) and len(devices) > max_devices:
        raise ReportTooLarge(f"{source}: {len(devices)} devices, more than the {max_devices} a report may hold")
    if _too_deep(raw, MAX_DEPTH):
        raise ReportError(f"{source}: nested deeper than {MAX_DEPTH} levels")
    return parse_report(raw, source)


def report_schema() -> dict[str, Any]:
    """The JSON Schema of a scan report."""
    schema = ScanReport.model_json_schema()
    schema["$defs"]["Device"]["required"] = list(REQUIRED_DEVICE_FIELDS)
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = "https://camreg.invalid/schema/scan-report.schema.json"
    return schema


def canonical_json(data: Any) -> bytes:
    """Sorted keys, no whitespace, UTF-8: the bytes the checksum is taken over."""
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def checksum(report: dict[str, Any]) -> str:
    """`sha256:<hex>` of the report without its checksum field."""
    body = {k: v for k, v in report.items() if k != "checksum"}
    return "sha256:" + hashlib.sha256(canonical_json(body)).hexdigest()


def _iso(t: dt.datetime) -> str:
    return t.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


def build_report(
    *,
    devices: list[Device],
    started: dt.datetime,
    seconds: float,
    networks: list[str],
    interfaces: list[dict[str, str]],
    methods: list[str],
    options: dict[str, Any],
    notes: list[str],
) -> dict[str, Any]:
    """Assemble a JSON-ready report and seal it with its checksum."""
    try:
        tool = f"camreg {version('camera-registry')}"
    except PackageNotFoundError:
        tool = "camreg"
    dev_dicts = [json.loads(json.dumps(d.to_dict())) for d in devices]  # enums → plain strings
    report: dict[str, Any] = {
        "format": FORMAT,
        "schema_version": SCHEMA_VERSION,
        "tool": tool,
        "started_at": _iso(started),
        "finished_at": _iso(started + dt.timedelta(seconds=seconds)),
        "duration_s": round(seconds, 3),
        "host": socket.gethostname(),
        "interfaces": interfaces,
        "networks": networks,
        "methods": methods,
        "options": options,
        "notes": notes,
        "summary": {
            "devices": len(devices),
            "by_status": dict(sorted(Counter(d["status"] for d in dev_dicts).items())),
            "by_method": dict(sorted(Counter(m for d in dev_dicts for m in d["found_by"]).items())),
        },
        "devices": dev_dicts,
    }
    report["checksum"] = checksum(report)
    return report


def write_report(report: dict[str, Any], path: str | Path) -> None:
    """Write the report as indented UTF-8 JSON (the checksum does not depend on the layout)."""
    Path(path).write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def parse_report(data: dict[str, Any], source: str = "report") -> ScanReport:
    """Validate a report dict against the schema and its checksum."""
    if not isinstance(data, dict):
        raise ReportError(f"{source}: not a JSON object")
    if data.get("format") != FORMAT:
        raise ReportError(f"{source}: field 'format' is {data.get('format')!r}, expected {FORMAT!r}")
    for i, dev in enumerate(data.get("devices") or []):
        missing = [f for f in REQUIRED_DEVICE_FIELDS if isinstance(dev, dict) and f not in dev]
        if missing:
            raise ReportError(f"{source}: field 'devices.{i}': missing {', '.join(missing)}")
    try:
        model = ScanReport.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise ReportError(
            f"{source}: field '{where}': {first['msg']} ({len(exc.errors())} problem(s))"
        ) from exc
    expected = checksum(data)
    if data["checksum"] != expected:
        raise ReportError(
            f"{source}: checksum mismatch — the file was changed after the scan "
            f"(recorded {data['checksum'][:19]}…, content gives {expected[:19]}…)"
        )
    return model


def load_report(path: str | Path) -> ScanReport:
    """Read FILE.json and verify schema and checksum; raise ReportError with a clear message."""
    p = Path(path)
    try:
        data = p.read_bytes()
    except OSError as exc:
        raise ReportError(f"{p}: cannot read ({exc.strerror})") from exc
    return report_from_bytes(data, str(p))


def write_schema(path: Path = SCHEMA_PATH) -> None:
    """Regenerate the committed JSON Schema file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(report_schema(), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


if __name__ == "__main__":
    write_schema()
