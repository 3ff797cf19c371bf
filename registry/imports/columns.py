"""The columns of each import sheet: Chinese header, English field name, how a cell becomes a value."""

from __future__ import annotations

import re
from dataclasses import dataclass
from dataclasses import field as dc_field
from datetime import date, datetime
from enum import StrEnum
from functools import cached_property
from typing import Any

from registry.camera_codes import DeviceType
from registry.cameras.models import FormFactor
from registry.operators.models import Datum, PlaceKind, SystemKind
from registry.text import strip_formula_guard


class Kind(StrEnum):
    """What a sheet holds."""

    operators = "operators"
    filings = "filings"
    cameras = "cameras"


@dataclass(frozen=True)
class Column:
    """One column: ``zh`` is the header row users see, ``field`` the English name in the second row."""

    field: str
    zh: str
    required: bool = False
    type: str = "text"  # text | int | float | date | bool
    labels: dict[str, str] = dc_field(default_factory=dict)  # Chinese label -> stored value
    note: str = ""
    digits: int = 0  # a fixed-width code: a number cell (Excel drops leading zeros) is zero-padded back

    @property
    def title(self) -> str:
        """How messages name the column: Chinese and English."""
        return f"{self.zh} ({self.field})"

    @cached_property
    def folded(self) -> dict[str, str]:
        """Accepted spellings (labels and values, case-folded) mapped to the stored value."""
        return {k.lower(): v for k, v in self.labels.items()} | {v.lower(): v for v in self.labels.values()}

    @property
    def choices(self) -> list[str]:
        """The values a cell may hold, Chinese labels first (offered as a drop-down in templates)."""
        return [*self.labels, *dict.fromkeys(self.labels.values())]


DEVICE_LABELS = {"网络摄像机": "ipc", "模拟摄像机": "camera", "硬盘录像机": "dvr", "网络硬盘录像机": "nvr",
                 "混合录像机": "hvr", "编码器": "encoder", "解码器": "decoder", "视频服务器": "video_server",
                 "报警控制器": "alarm_controller", "移动传输设备": "mobile", "其他外围设备": "other",
                 "卡口": "checkpoint", "多目摄像机": "multi_lens"}
assert set(DEVICE_LABELS.values()) == {t.value for t in DeviceType}
FORM_LABELS = {"枪机": FormFactor.fixed.value, "球机": FormFactor.dome.value, "云台": FormFactor.ptz.value}
KIND_LABELS = {"一般": SystemKind.ordinary.value, "市政府建设": SystemKind.city_government.value,
               "区政府建设": SystemKind.district_government.value}
PLACE_LABELS = {"交通道路": PlaceKind.road.value, "广场等公共场所": PlaceKind.public_place.value,
                "单位内部（办公楼等）": PlaceKind.internal.value, "单位内部": PlaceKind.internal.value}
DATUM_LABELS = {"WGS84": Datum.wgs84.value, "GCJ02": Datum.gcj02.value, "BD09": Datum.bd09.value,
                "CGCS2000": Datum.cgcs2000.value}
BOOL_LABELS = {"是": "true", "否": "false"}

OPERATOR_COLUMNS = (
    Column("name", "单位名称", True),
    Column("uscc", "统一社会信用代码", True, note="18 位 / 18 characters"),
    Column("address", "单位地址", True),
    Column("industry_code", "行业编码", True, note="GB/T 28181 两位行业编码 / 2-digit industry code, e.g. 50",
           digits=2),
    Column("industry_edition", "行业编码版本", labels={"2016": "2016", "2022": "2022"}, note="默认 2016"),
    Column("affiliation_code", "保卫隶属单位代码", note="如 011 治安总队；无则留空 / empty when none", digits=3),
    Column("system_kind", "系统建设类型", labels=KIND_LABELS, note="默认 一般 / ordinary"),
    Column("place_kind", "场所类型", labels=PLACE_LABELS,
           note="政府建设的必填：交通道路、广场等公共场所按规则1、2，单位内部（办公楼等）按一般规则 / "
                "required when government-built"),
    Column("contact_name", "联系人", True),
    Column("contact_phone", "联系电话", True),
    Column("lon", "经度", True, "float"),
    Column("lat", "纬度", True, "float"),
    Column("datum", "坐标系", labels=DATUM_LABELS, note="默认 WGS84"),
)

FILING_COLUMNS = (
    Column("operator_uscc", "使用单位统一社会信用代码", True),
    Column("number", "备案编号", note="已受理的备案才有；填写则按编号匹配 / only to match an accepted filing"),
    Column("system_name", "系统名称", True),
    Column("system_location", "系统位置", True),
    Column("system_in_use_date", "投入使用日期", True, "date", note="2025-04-01"),
    Column("acceptance_date", "竣工验收合格日期", type="date",
           note="首次备案必填（第七条）/ required for a first filing"),
    Column("retention_days", "存储天数", True, "int"),
    Column("camera_count_declared", "摄像机数量", True, "int"),
    Column("camera_types_declared", "摄像机类型", True, note="如 枪机×40，球机×6"),
    Column("network_digit", "网络标识", type="int", note="GB/T 28181 第14位，默认 8"),
    Column("place_kind", "场所类型", labels=PLACE_LABELS, note="申报的场所类型，可留空 / as declared, optional"),
    Column("changes_filing_number", "变更的原备案编号", note="变更备案时填写 / for a change filing"),
    Column("change_date", "变更日期", type="date", note="变更备案必填（第十条）/ required for a change filing"),
)

CAMERA_COLUMNS = (
    Column("filing_number", "备案编号", note="备案编号或备案ID二选一 / filing number or filing id"),
    Column("filing_id", "备案ID", type="int"),
    Column("name", "摄像机名称", True),
    Column("position_text", "安装位置", True),
    Column("lon", "经度", True, "float"),
    Column("lat", "纬度", True, "float"),
    Column("datum", "坐标系", labels=DATUM_LABELS, note="默认 WGS84"),
    Column("device_type", "设备类型", labels=DEVICE_LABELS, note="默认 网络摄像机 / ipc"),
    Column("form_factor", "形态", labels=FORM_LABELS, note="默认 枪机 / fixed"),
    Column("azimuth", "方位角", type="float", note="度，正北顺时针 / degrees from north"),
    Column("hfov", "水平视场角", type="float"),
    Column("range_m", "监控距离(米)", type="float"),
    Column("mount_height_m", "安装高度(米)", type="float"),
    Column("manufacturer", "厂商"),
    Column("model", "型号"),
    Column("serial", "序列号"),
    Column("mac", "MAC地址"),
    Column("ip", "IP地址"),
    Column("onvif_uuid", "ONVIF端点UUID"),
    Column("indoor", "室内", type="bool", labels=BOOL_LABELS),
    Column("public_area", "公共区域", type="bool", labels=BOOL_LABELS),
)

COLUMNS: dict[Kind, tuple[Column, ...]] = {
    Kind.operators: OPERATOR_COLUMNS, Kind.filings: FILING_COLUMNS, Kind.cameras: CAMERA_COLUMNS}
SHEET_TITLES = {Kind.operators: "使用单位", Kind.filings: "备案", Kind.cameras: "摄像机"}
ERROR_HEADER = ("错误", "errors")

_DATE_CN = re.compile(r"^\s*(\d{4})\s*[年/.\-]\s*(\d{1,2})\s*[月/.\-]\s*(\d{1,2})\s*日?\s*$")


class CellError(ValueError):
    """A cell that cannot be read as its column's type."""


def cell_text(value: Any) -> str | None:
    """A cell as text: None for blanks, integral floats without '.0' (Excel stores 010 as 10.0)."""
    if value is None:
        return None
    if isinstance(value, str):  # every CSV cell: the fast path
        text = value.strip()
        # Our CSV exports guard formula-like text with an apostrophe; it is not part of the value.
        return (strip_formula_guard(text) if text.startswith("'") else text) or None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    text = str(value).strip()
    return text or None


def parse_cell(column: Column, value: Any) -> Any:
    """The value a model field receives for this cell; raises CellError naming what is wrong."""
    if isinstance(value, datetime | date) and column.type == "date":
        return value.date() if isinstance(value, datetime) else value
    if column.digits and isinstance(value, int | float) and not isinstance(value, bool) and float(value).is_integer():
        return f"{int(value):0{column.digits}d}"
    text = cell_text(value)
    if text is None:
        return None
    if column.type == "text" and not column.labels:
        return text
    if column.labels:
        key = text.lower().replace(" ", "")
        if key not in column.folded:
            allowed = "、".join(column.choices)
            raise CellError(f"“{text}”不是可选值 / is not one of: {allowed}")
        text = column.folded[key]
    if column.type == "date":
        match = _DATE_CN.match(text)
        if not match:
            raise CellError(f"“{text}”不是日期 / is not a date (YYYY-MM-DD)")
        try:
            return date(int(match[1]), int(match[2]), int(match[3]))
        except ValueError as exc:
            raise CellError(f"“{text}”不是有效日期 / is not a valid date") from exc
    if column.type in ("int", "float"):
        try:
            number = float(text.replace(",", ""))
        except ValueError:
            raise CellError(f"“{text}”不是数字 / is not a number") from None
        if column.type == "int":
            if not number.is_integer():
                raise CellError(f"“{text}”不是整数 / is not a whole number")
            return int(number)
        return number
    if column.type == "bool":
        return text == "true"
    return text

