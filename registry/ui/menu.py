"""The left menu, by task: each role sees the entries for its work, in the order of that work.

A domain adds its pages here (one line each); a role that may not use a page does not see its entry,
and the page itself still refuses that role (registry.auth.scope.require_role).
"""

from __future__ import annotations

from dataclasses import dataclass

from registry.auth.models import Role, User
from registry.auth.scope import CITY_UNIT

OFFICERS = (Role.intake, Role.reviewer, Role.inspector, Role.supervisor, Role.admin, Role.leader)
DESK = (Role.intake, Role.reviewer)
INSPECTION_LISTS = (Role.inspector, Role.intake, Role.reviewer, Role.supervisor, Role.admin)


@dataclass(frozen=True)
class Entry:
    """One menu line: label, target, who sees it, and the section it sits under."""

    section: str
    label: str
    url: str
    roles: tuple[Role, ...]
    city_only: bool = False  # the city department's work (市局抽查): other units' users do not see it


ENTRIES: list[Entry] = [
    Entry("工作台", "首页", "/", (*OFFICERS, Role.operator)),
    Entry("备案申报", "我的备案", "/apply", (Role.operator,)),
    Entry("备案申报", "新建备案", "/apply/new", (Role.operator,)),
    Entry("受理审核", "待办备案", "/desk", DESK),
    Entry("受理审核", "窗口受理", "/desk/new", DESK),
    Entry("受理审核", "待复核", "/desk/recheck", DESK),
    Entry("备案申报", "调取登记簿", "/apply/footage", (Role.operator,)),
    Entry("备案申报", "行政处罚", "/apply/penalties", (Role.operator,)),
    Entry("备案申报", "检查与整改", "/apply/inspections", (Role.operator,)),
    Entry("备案申报", "人员培训", "/apply/staff", (Role.operator,)),
    Entry("备案办理", "待核对", "/verifications", (Role.inspector, Role.intake, Role.reviewer)),
    Entry("查询", "备案", "/filings", (*OFFICERS, Role.operator)),
    Entry("查询", "使用单位", "/operators", OFFICERS),
    Entry("查询", "摄像机", "/cameras", OFFICERS),
    Entry("监督管理", "检查", "/inspections/due", INSPECTION_LISTS),
    Entry("监督管理", "检查记录", "/inspections", OFFICERS),
    Entry("监督管理", "整改通知", "/rectifications", INSPECTION_LISTS),
    Entry("监督管理", "科信复查", "/inspections/review", (Role.reviewer, Role.supervisor)),
    Entry("监督管理", "市局抽查", "/spot-checks", (Role.supervisor, Role.admin), city_only=True),
    Entry("监督管理", "行政处罚", "/penalties", OFFICERS),
    Entry("监督管理", "视频调取登记", "/footage", OFFICERS),
    Entry("统计", "统计概览", "/dashboard", OFFICERS),
    Entry("统计", "统计报表", "/statistics", OFFICERS),
    Entry("地图", "全市覆盖地图", "/maps/city", OFFICERS),
    Entry("系统管理", "账户", "/admin/users", (Role.admin,)),
    Entry("系统管理", "公安机关与派出所", "/admin/units", (Role.admin,)),
    Entry("系统管理", "工作日历", "/admin/calendar", (Role.admin,)),
    Entry("系统管理", "辖区图层检查", "/admin/layers", (Role.admin,)),
    Entry("系统管理", "禁止区域词表", "/admin/prohibited-terms", (Role.admin,)),
]


@dataclass(frozen=True)
class Section:
    """A heading and its entries, with the entry of the current page marked."""

    title: str
    entries: list[tuple[Entry, bool]]


def for_user(user: User, path: str) -> list[Section]:
    """The menu this user sees; the entry whose URL is the longest prefix of `path` is current."""
    visible = [e for e in ENTRIES if user.role in e.roles and (not e.city_only or user.unit_code == CITY_UNIT)]
    current = max((e for e in visible if path == e.url or (e.url != "/" and path.startswith(e.url + "/"))),
                  key=lambda e: len(e.url), default=None)
    sections: dict[str, list[tuple[Entry, bool]]] = {}
    for entry in visible:
        sections.setdefault(entry.section, []).append((entry, entry is current))
    return [Section(title, entries) for title, entries in sections.items()]
