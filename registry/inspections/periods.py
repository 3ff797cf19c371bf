"""Half-years and the supervision windows of the notice (section 一): pure date arithmetic."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

from registry.errors import Conflict, InvalidInput

# 每年的6月1日至6月15日、10月8日至10月25日，科信部门对本单位的检查工作情况进行监督复查；
# 6月16日至6月30日、10月26日至11月10日，市局科技信息化部对局属相关单位开展的检查工作进行抽查。
REVIEW_WINDOWS = (((6, 1), (6, 15)), ((10, 8), (10, 25)))
SPOT_CHECK_WINDOWS = (((6, 16), (6, 30)), ((10, 26), (11, 10)))
SEASONS = ("june", "october")
# An operator filed in the first three months of a half-year is due in that half-year; one filed later
# is first due in the next (nobody can be expected to inspect a system filed on 28 June by 30 June).
FIRST_DUE_MONTHS = 3


@dataclass(frozen=True, order=True)
class HalfYear:
    """One half of a year: H1 is January–June, H2 July–December."""

    year: int
    half: int  # 1 or 2

    @classmethod
    def of(cls, day: date) -> HalfYear:
        """The half-year a day falls in."""
        return cls(day.year, 1 if day.month <= 6 else 2)

    @classmethod
    def parse(cls, text: str) -> HalfYear:
        """'2026H1' / '2026-H2' / '2026-1' → HalfYear; a 422 naming the field otherwise."""
        found = re.fullmatch(r"(\d{4})-?[Hh]?([12])", text.strip())
        if not found or not 2000 <= int(found.group(1)) <= 2100:
            raise InvalidInput(f"半年度格式应为 2026H1 或 2026H2 / half-year must look like 2026H1: {text!r}",
                               field="half")
        return cls(int(found.group(1)), int(found.group(2)))

    @property
    def start(self) -> date:
        """Its first day."""
        return date(self.year, 1 if self.half == 1 else 7, 1)

    @property
    def end(self) -> date:
        """Its last day."""
        return date(self.year, 6, 30) if self.half == 1 else date(self.year, 12, 31)

    @property
    def first_due_cutoff(self) -> date:
        """Operators filed on or before this day are due in this half-year."""
        return date(self.year, self.start.month + FIRST_DUE_MONTHS, 1) - timedelta(days=1)

    def next(self) -> HalfYear:
        """The half-year after this one (across the year boundary)."""
        return HalfYear(self.year, 2) if self.half == 1 else HalfYear(self.year + 1, 1)

    def previous(self) -> HalfYear:
        """The half-year before this one (across the year boundary)."""
        return HalfYear(self.year, 1) if self.half == 2 else HalfYear(self.year - 1, 2)

    def __str__(self) -> str:
        return f"{self.year}H{self.half}"

    @property
    def label(self) -> str:
        """How people say it: 2026年上半年."""
        return f"{self.year}年{'上' if self.half == 1 else '下'}半年"


def first_due_half(filed_on: date) -> HalfYear:
    """The first half-year in which an operator filed on this day must be inspected."""
    half = HalfYear.of(filed_on)
    return half if filed_on <= half.first_due_cutoff else half.next()


@dataclass(frozen=True)
class Window:
    """A supervision window of one year: its season, first and last day."""

    season: str
    start: date
    end: date

    @property
    def half(self) -> HalfYear:
        """The half-year whose inspections the window looks at (June → H1, October → H2)."""
        return HalfYear(self.start.year, 1 if self.season == "june" else 2)


def _windows(spec: tuple[tuple[tuple[int, int], tuple[int, int]], ...], year: int) -> list[Window]:
    return [Window(season, date(year, *a), date(year, *b)) for season, (a, b) in zip(SEASONS, spec, strict=True)]


def review_window(today: date) -> Window | None:
    """The 科信 review window open today, if any."""
    return next((w for w in _windows(REVIEW_WINDOWS, today.year) if w.start <= today <= w.end), None)


def spot_check_window(today: date) -> Window | None:
    """The city spot-check window open today, if any."""
    return next((w for w in _windows(SPOT_CHECK_WINDOWS, today.year) if w.start <= today <= w.end), None)


def _zh(day: date) -> str:
    return f"{day.month}月{day.day}日"


def _describe(windows: list[Window]) -> str:
    return "、".join(f"{_zh(w.start)}至{_zh(w.end)}" for w in windows)


def _en(windows: list[Window]) -> str:
    return " and ".join(f"{w.start:%b} {w.start.day}–{w.end:%b} {w.end.day}" for w in windows)


def require_review_window(today: date) -> Window:
    """The open review window, or a 409 that gives the windows' dates."""
    window = review_window(today)
    if window is None:
        windows = _windows(REVIEW_WINDOWS, today.year)
        raise Conflict(f"科信部门监督复查只能在每年{_describe(windows)}进行，今天（{today:%Y-%m-%d}）不在复查期内 / "
                       f"inspections are reviewed only {_en(windows)}; today is {today.isoformat()}",
                       details={"windows": [[w.start.isoformat(), w.end.isoformat()] for w in windows]})
    return window


def require_spot_check_window(today: date) -> Window:
    """The open spot-check window, or a 409 that gives the windows' dates."""
    window = spot_check_window(today)
    if window is None:
        windows = _windows(SPOT_CHECK_WINDOWS, today.year)
        raise Conflict(f"市局抽查只能在每年{_describe(windows)}进行，今天（{today:%Y-%m-%d}）不在抽查期内 / "
                       f"spot checks are drawn and recorded only {_en(windows)}; today is {today.isoformat()}",
                       details={"windows": [[w.start.isoformat(), w.end.isoformat()] for w in windows]})
    return window


def windows_open(today: date) -> list[tuple[str, Window]]:
    """Which supervision windows are open today ('review' / 'spot_check'), for to-do lists."""
    found: list[tuple[str, Window]] = []
    if (r := review_window(today)) is not None:
        found.append(("review", r))
    if (s := spot_check_window(today)) is not None:
        found.append(("spot_check", s))
    return found
