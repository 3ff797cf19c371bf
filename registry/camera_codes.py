"""20-digit camera codes (GB/T 28181, SPEC §4): parse, validate field by field, and build new ones.

Layout (both editions keep the positions)::

    11 01 05 03 | 00 | 132 | 8 | 000001
    prov city district grassroots | industry | type | network | serial

Decisions worth knowing:

* Only Beijing codes are valid (province 11, city 01; the 16 current districts of GB/T 2260).
* Former districts (110103 崇文, 110104 宣武, 110228 密云县, 110229 延庆县) are *accepted with a warning*
  when validating, because a camera keeps its code for life, but :func:`code_prefix` refuses them: the
  registry never issues a new code under a division that no longer exists.
* Reserved or undefined industry, type and network values are errors; a defined type that is not a front-end
  device (a server, a user) is valid but warned about, since the registry files cameras.
* Messages are Chinese first, then English, separated by `` / ``.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any

from registry.code_tables import (
    BEIJING_CITIES,
    BEIJING_DISTRICTS,
    BEIJING_NAME,
    BEIJING_PROVINCE,
    EDITIONS,
    INDUSTRY,
    NETWORK,
    TYPE,
    CodeRange,
    Edition,
    Status,
    lookup,
)

CODE_LENGTH = 20
PREFIX_LENGTH = 14
MAX_SERIAL = 999_999
DEFAULT_EDITION: Edition = "2016"
# 8 = 社会资源接入网 (2016): operators' own systems reach the police through the social-resource network.
DEFAULT_NETWORK = "8"

TableByEdition = dict[Edition, tuple[CodeRange, ...]]
StationNumbers = Mapping[str, Collection[str]]

# (name, start, end) of each field inside the code, end exclusive; the order is the order of the code.
FIELDS: tuple[tuple[str, int, int], ...] = (
    ("province", 0, 2),
    ("city", 2, 4),
    ("district", 4, 6),
    ("grassroots", 6, 8),
    ("industry", 8, 10),
    ("type", 10, 13),
    ("network", 13, 14),
    ("serial", 14, 20),
)

FIELD_LABELS: dict[str, tuple[str, str]] = {
    "code": ("编码", "code"),
    "province": ("省级编码", "province code"),
    "city": ("市级编码", "city code"),
    "district": ("区县编码", "district code"),
    "grassroots": ("基层单位编码", "grassroots unit"),
    "industry": ("行业编码", "industry code"),
    "type": ("类型编码", "type code"),
    "network": ("网络标识", "network identifier"),
    "serial": ("序号", "serial"),
    "edition": ("版本", "edition"),
}


class DeviceType(StrEnum):
    """Device kinds the registry files, each mapped to a GB/T 28181 type code."""

    ipc = "ipc"
    camera = "camera"
    dvr = "dvr"
    nvr = "nvr"
    hvr = "hvr"
    encoder = "encoder"
    decoder = "decoder"
    video_server = "video_server"
    alarm_controller = "alarm_controller"
    mobile = "mobile"
    other = "other"
    checkpoint = "checkpoint"
    multi_lens = "multi_lens"


DEVICE_TYPE_CODES: dict[DeviceType, str] = {
    DeviceType.ipc: "132",
    DeviceType.camera: "131",
    DeviceType.dvr: "111",
    DeviceType.nvr: "118",
    DeviceType.hvr: "130",
    DeviceType.encoder: "113",
    DeviceType.decoder: "114",
    DeviceType.video_server: "112",
    DeviceType.alarm_controller: "117",
    DeviceType.mobile: "138",
    DeviceType.other: "139",
    DeviceType.checkpoint: "121",  # 2022 only
    DeviceType.multi_lens: "122",  # 2022 only
}


class CameraCodeError(ValueError):
    """A camera code, or a part given to build one, is wrong; names the field."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


@dataclass(frozen=True)
class CameraCode:
    """The eight fields of a syntactically well-formed 20-digit code (digits only, right length)."""

    province: str
    city: str
    district: str
    grassroots: str
    industry: str
    type: str
    network: str
    serial: str

    @property
    def district_code(self) -> str:
        """The 6-digit GB/T 2260 code of the district."""
        return self.province + self.city + self.district

    @property
    def prefix(self) -> str:
        """The first 14 digits: everything but the serial."""
        return str(self)[:PREFIX_LENGTH]

    def __str__(self) -> str:
        return "".join(getattr(self, name) for name, _, _ in FIELDS)


@dataclass(frozen=True)
class FieldIssue:
    """One defect (or warning) in one field, with a bilingual message."""

    field: str
    message: str


@dataclass(frozen=True)
class FieldValue:
    """A field's digits and, when known, what they mean."""

    code: str
    name: str | None = None


@dataclass
class ValidationResult:
    """The outcome of :func:`validate_code`: valid when there is no error (warnings do not invalidate)."""

    code: str
    edition: Edition
    fields: dict[str, FieldValue] = field(default_factory=dict)
    errors: list[FieldIssue] = field(default_factory=list)
    warnings: list[FieldIssue] = field(default_factory=list)

    def error(self, field: str, zh: str, en: str) -> None:
        """Record a defect of ``field``."""
        self.errors.append(FieldIssue(field, _msg(zh, en)))

    def warn(self, field: str, zh: str, en: str) -> None:
        """Record something worth knowing about ``field`` that does not make the code invalid."""
        self.warnings.append(FieldIssue(field, _msg(zh, en)))

    @property
    def valid(self) -> bool:
        """True when no field has an error."""
        return not self.errors

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready form, the shape `camreg codes validate --json` prints."""
        return {
            "code": self.code,
            "edition": self.edition,
            "valid": self.valid,
            "fields": {name: asdict(value) for name, value in self.fields.items()},
            "errors": [asdict(issue) for issue in self.errors],
            "warnings": [asdict(issue) for issue in self.warnings],
        }


def _msg(zh: str, en: str) -> str:
    return f"{zh} / {en}"


def _check_edition(edition: str) -> Edition:
    for known in EDITIONS:
        if edition == known:
            return known
    raise CameraCodeError(
        "edition",
        _msg(
            f"未知版本 {edition!r}（应为 2016 或 2022）",
            f"unknown edition {edition!r} (expected 2016 or 2022)",
        ),
    )


def parse_code(code: str) -> CameraCode:
    """Split a 20-digit code into its fields; raises CameraCodeError on wrong length or non-digits."""
    text = code.strip()
    if len(text) != CODE_LENGTH:
        raise CameraCodeError("code", _length_message(text))
    for name, start, end in FIELDS:
        if not _is_ascii_digits(text[start:end]):
            raise CameraCodeError(name, _non_digit_message(name, text[start:end]))
    return CameraCode(*(text[start:end] for _, start, end in FIELDS))


def _is_ascii_digits(text: str) -> bool:
    # str.isdigit() accepts full-width and superscript digits, which are not valid in a code.
    return bool(text) and all("0" <= ch <= "9" for ch in text)


def _length_message(text: str) -> str:
    return _msg(f"编码应为20位数字，实际为{len(text)}位", f"a camera code has 20 digits, got {len(text)}")


def _non_digit_message(name: str, part: str) -> str:
    zh, en = FIELD_LABELS[name]
    return _msg(f"{zh}“{part}”含非数字字符", f"{en} {part!r} contains characters other than digits 0-9")


def _other_edition_hint(table: TableByEdition, edition: Edition, value: int) -> tuple[str, str]:
    """Name the other edition's meaning of a value this edition lacks: 2016/2022 mix-ups are common."""
    for other in EDITIONS:
        row = lookup(table[other], value) if other != edition else None
        if row is not None and row.status is Status.defined:
            return f"（{other} 版：{row.name_zh}）", f" ({other} edition: {row.name_en})"
    return "", ""


def _check_table_field(result: ValidationResult, name: str, part: str, table: TableByEdition) -> None:
    zh, en = FIELD_LABELS[name]
    edition = result.edition
    row = lookup(table[edition], int(part))
    hint_zh, hint_en = _other_edition_hint(table, edition, int(part))
    result.fields[name] = FieldValue(part, row.name_zh if row else None)
    if row is None:
        result.error(name, f"{zh} {part} 在 {edition} 版中未定义{hint_zh}",
                     f"{en} {part} is not defined in the {edition} edition{hint_en}")
    elif row.status is Status.reserved:
        reserved_zh = row.name_zh if "预留" in row.name_zh else f"{row.name_zh}（预留）"
        result.error(name, f"{zh} {part} 在 {edition} 版中为{reserved_zh}{hint_zh}",
                     f"{en} {part} is reserved ({row.name_en}) in the {edition} edition{hint_en}")


def _check_place(result: ValidationResult, code: CameraCode, stations: StationNumbers | None) -> None:
    beijing = code.province == BEIJING_PROVINCE
    result.fields["province"] = FieldValue(code.province, BEIJING_NAME if beijing else None)
    if not beijing:
        result.error("province", f"省级编码 {code.province} 不是北京（11）；本系统只登记北京的摄像机",
                     f"province code {code.province} is not Beijing (11); the registry holds Beijing cameras")
        return
    result.fields["city"] = FieldValue(code.city, BEIJING_CITIES.get(code.city))
    if code.city not in BEIJING_CITIES:
        result.error("city", f"市级编码 {code.city} 在北京不存在（应为 01）",
                     f"city code {code.city} does not exist in Beijing (expected 01)")
        return
    district = BEIJING_DISTRICTS.get(code.district_code)
    result.fields["district"] = FieldValue(code.district, district.name if district else None)
    if code.district == "00":
        result.error("district", "区县编码为 00（市级），摄像机须编入具体区县",
                     "district 00 denotes the city level; a camera belongs to a district")
        return
    if district is None:
        result.error("district", f"区县编码 {code.district_code} 不在 GB/T 2260 北京区县表中",
                     f"district code {code.district_code} is not a Beijing district in GB/T 2260")
        return
    if not district.current:
        result.warn("district",
                    f"{district.code} {district.name} 为已撤销的旧代码，现为 {district.successor}；"
                    "旧编码终身有效，不再签发",
                    f"{district.code} is a former division, now {district.successor}; existing codes stay "
                    f"valid, new ones are not issued ({district.note})")
    no_station = code.grassroots == "00"
    result.fields["grassroots"] = FieldValue(code.grassroots, "无基层单位" if no_station else None)
    known = stations.get(code.district_code, ()) if stations is not None else None
    if not no_station and known is not None and code.grassroots not in known:
        result.error("grassroots", f"基层单位编码 {code.grassroots} 不是{district.name}的派出所编号",
                     f"grassroots unit {code.grassroots} is not a station number in {code.district_code}")


def validate_code(code: str, edition: str = DEFAULT_EDITION, *, station_numbers: StationNumbers | None = None
                  ) -> ValidationResult:
    """Check a camera code field by field; one specific message per defect, never raises on bad codes.

    ``station_numbers`` maps a 6-digit district code to the 2-digit station numbers it has; when given, the
    grassroots unit is checked against it (``00`` = no station is always accepted).
    """
    text = code.strip()
    result = ValidationResult(code=text, edition=_check_edition(edition))
    if len(text) != CODE_LENGTH:
        result.errors.append(FieldIssue("code", _length_message(text)))
        if not _is_ascii_digits(text):
            result.error("code", "编码只能由数字 0-9 组成", "a camera code consists of digits 0-9 only")
        return result
    bad = [(name, text[s:e]) for name, s, e in FIELDS if not _is_ascii_digits(text[s:e])]
    for name, part in bad:
        result.errors.append(FieldIssue(name, _non_digit_message(name, part)))
    if bad:
        return result
    parsed = parse_code(text)
    _check_place(result, parsed, station_numbers)
    _check_table_field(result, "industry", parsed.industry, INDUSTRY)
    _check_table_field(result, "type", parsed.type, TYPE)
    if not any(issue.field == "type" for issue in result.errors) and not 111 <= int(parsed.type) <= 199:
        result.warn("type", f"类型编码 {parsed.type}（{result.fields['type'].name}）不是前端设备，不是摄像机",
                    f"type code {parsed.type} is not a front-end device, so this is not a camera")
    _check_table_field(result, "network", parsed.network, NETWORK)
    result.fields["serial"] = FieldValue(parsed.serial)
    if parsed.serial == "000000":
        result.error("serial", "序号 000000 无效，序号从 000001 开始",
                     "serial 000000 is invalid; serials start at 000001")
    return result


def _fail(field: str, zh: str, en: str) -> CameraCodeError:
    return CameraCodeError(field, _msg(zh, en))


def type_code_for(device_type: DeviceType | str, edition: str = DEFAULT_EDITION) -> str:
    """The GB/T 28181 type code of a registry device type (``ipc`` → ``132``), checked against the edition."""
    checked_edition = _check_edition(edition)
    try:
        kind = DeviceType(device_type)
    except ValueError:
        known = ", ".join(t.value for t in DeviceType)
        raise _fail("device_type", f"未知设备类型 {device_type!r}（可选：{known}）",
                    f"unknown device type {device_type!r} (one of: {known})") from None
    code = DEVICE_TYPE_CODES[kind]
    row = lookup(TYPE[checked_edition], int(code))
    if row is None or row.status is not Status.defined:
        raise _fail("device_type", f"设备类型 {kind.value}（类型编码 {code}）在 {checked_edition} 版中不存在",
                    f"device type {kind.value} (type code {code}) is not in the {checked_edition} edition")
    return code


def code_prefix(*, district: str, industry: str, type_code: str, grassroots: str = "00",
                network: str = DEFAULT_NETWORK, edition: str = DEFAULT_EDITION) -> str:
    """The 14-digit prefix under which serials are allocated; refuses anything a new code must not carry.

    ``district`` is the 6-digit GB/T 2260 code (e.g. ``110105``); former districts are refused here.
    """
    checked_edition = _check_edition(edition)
    current = BEIJING_DISTRICTS.get(district)
    if current is None or not current.current:
        successor = current.successor if current else None
        hint_zh, hint_en = (f"；现为 {successor}", f"; use {successor}") if successor else ("", "")
        raise _fail("district", f"区县编码 {district} 不是现行北京区县{hint_zh}",
                    f"{district} is not a current Beijing district{hint_en}")
    parts = (("grassroots", grassroots, 2), ("industry", industry, 2), ("type", type_code, 3),
             ("network", network, 1))
    for name, value, width in parts:
        if len(value) != width or not _is_ascii_digits(value):
            zh, en = FIELD_LABELS[name]
            raise _fail(name, f"{zh}应为{width}位数字：{value!r}", f"{en} has {width} digits: {value!r}")
    candidate = f"{district}{grassroots}{industry}{type_code}{network}000001"
    result = validate_code(candidate, checked_edition)
    # All but the placeholder serial must be clean, warnings included: no new code on a non-camera type.
    issues = [i for i in (*result.errors, *result.warnings) if i.field != "serial"]
    if issues:
        raise CameraCodeError(issues[0].field, issues[0].message)
    return candidate[:PREFIX_LENGTH]


def format_code(prefix: str, serial: int) -> str:
    """Append a serial (1..999999) to a 14-digit prefix made by :func:`code_prefix`."""
    if len(prefix) != PREFIX_LENGTH or not _is_ascii_digits(prefix):
        raise _fail("code", f"前缀应为14位数字：{prefix!r}", f"a prefix has 14 digits: {prefix!r}")
    if not 1 <= serial <= MAX_SERIAL:
        raise _fail("serial", f"序号 {serial} 超出范围 1-999999（该前缀下编号已用尽）",
                    f"serial {serial} is outside 1-999999 (the prefix is full)")
    return f"{prefix}{serial:06d}"
