"""Chinese names of the registry's coded values, shown on pages (a test checks every value has one)."""

from __future__ import annotations

from enum import StrEnum
from functools import cache

from registry.cameras.models import CameraStatus, FormFactor
from registry.filings.models import Channel, FilingKind, FilingState, HandoverCause, MaterialKind
from registry.footage.models import FootageKind
from registry.inspections.due import DueStatus
from registry.inspections.models import InspectionKind, InspectionState, ItemResult, RectificationState
from registry.operators.models import Datum, PlaceKind, SystemKind
from registry.penalties.models import PenaltyDecision, PenaltyState, PenaltyViolation

LABELS: dict[type[StrEnum], dict[str, str]] = {
    FilingState: {"draft": "草稿", "submitted": "待受理", "accepted": "已受理", "correction_requested": "待补正",
                  "corrected": "已补正", "filed": "已备案", "rejected": "不予备案", "superseded": "已变更（被替代）"},
    FilingKind: {"new": "首次备案", "change": "变更备案"},
    Channel: {"online": "网上申报", "desk": "窗口受理"},
    HandoverCause: {"operator_moved": "使用单位位置、保卫隶属单位或建设类型变更", "reroute": "辖区图层更新后重新分派"},
    MaterialKind: {"form": "备案表", "location_diagram": "单位位置示意图", "deployment_map": "布防图",
                   "authorization": "委托办理备案登记授权书", "other": "其他材料"},
    CameraStatus: {"active": "在用", "removed": "已注销"},
    FormFactor: {"fixed": "枪机", "dome": "半球", "ptz": "球机（云台）"},
    Datum: {"wgs84": "WGS-84（GPS）", "gcj02": "GCJ-02（高德/腾讯）", "bd09": "BD-09（百度）",
            "cgcs2000": "CGCS2000"},
    SystemKind: {"ordinary": "一般单位自建", "city_government": "市政府建设", "district_government": "区政府建设"},
    PlaceKind: {"road": "交通道路", "public_place": "广场等公共场所", "internal": "单位内部（办公楼等）"},
    FootageKind: {"view": "查阅", "copy": "复制", "take": "调取"},
    PenaltyState: {"preparing": "办理中", "proposed": "待审批", "approved": "已批准", "issued": "已开具决定书"},
    PenaltyViolation: {"not_filed": "未按规定备案", "other": "其他违法行为"},
    PenaltyDecision: {"warning": "警告", "fine": "罚款"},
    InspectionKind: {"periodic": "定期检查", "ad_hoc": "临时检查", "special": "专项检查", "random": "随机抽查"},
    InspectionState: {"open": "填写中", "signed": "已签名", "refused": "拒绝签名（已注明）"},
    ItemResult: {"ok": "符合", "hazard": "存在隐患", "na": "不适用"},
    RectificationState: {"open": "整改中", "closed": "已整改（销号）", "escalated": "逾期未改（转处罚）"},
    DueStatus: {"never_inspected": "从未检查", "due": "本期待检", "overdue": "逾期未检", "done": "本期已检"},
}


def label(value: StrEnum | None) -> str:
    """The Chinese name of a coded value (the code itself if it has none yet)."""
    if value is None:
        return "—"
    return LABELS.get(type(value), {}).get(value.value, value.value)


def choices(enum: type[StrEnum]) -> tuple[tuple[str, str], ...]:
    """(value, Chinese name) pairs for a select."""
    return tuple((member.value, label(member)) for member in enum)


@cache
def district_choices() -> tuple[tuple[str, str], ...]:
    """Beijing's districts as (code, name), from the jurisdiction layers."""
    from registry.routing import jurisdictions

    frame = jurisdictions().districts[["district_code", "name"]]
    return tuple((str(code), str(name)) for code, name in frame.itertuples(index=False))


def district_name(code: str | None) -> str:
    """A district's name from its code."""
    return dict(district_choices()).get(code or "", code or "—")
