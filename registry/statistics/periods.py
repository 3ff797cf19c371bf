"""Reporting periods of 数据报送: a month, a quarter or a year, in Beijing dates."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum

from registry.errors import InvalidInput
from registry.inspections.periods import HalfYear
from registry.timeutil import beijing_midnight_utc

QUARTER_NAMES = ("第一季度", "第二季度", "第三季度", "第四季度")
_PATTERN = re.compile(r"(\d{4})(?:-?(?:[Qq]([1-4])|(\d{1,2})))?")


class PeriodKind(StrEnum):
    """How long a reporting period is."""

    month = "month"
    quarter = "quarter"
    year = "year"


@dataclass(frozen=True, order=True)
class Period:
    """One reporting period: 2026 (a year), 2026-Q3 (a quarter) or 2026-07 (a month)."""

    year: int
    kind: PeriodKind
    number: int  # the month (1–12) or quarter (1–4); 0 for a year

    @classmethod
    def parse(cls, text: str) -> Period:
        """'2026', '2026-Q3' or '2026-07' → Period; a 422 naming the field `period` otherwise."""
        found = _PATTERN.fullmatch(text.strip())
        year = int(found.group(1)) if found else 0
        month = int(found.group(3)) if found and found.group(3) else None
        if not found or not 2000 <= year <= 2100 or (month is not None and not 1 <= month <= 12):
            raise InvalidInput(f"统计期间格式应为 2026（年）、2026-Q3（季度）或 2026-07（月）/ period must look like "
                               f"2026, 2026-Q3 or 2026-07: {text[:20]!r}", field="period")
        if found.group(2):
            return cls(year, PeriodKind.quarter, int(found.group(2)))
        if month is not None:
            return cls(year, PeriodKind.month, month)
        return cls(year, PeriodKind.year, 0)

    @classmethod
    def containing(cls, day: date, kind: PeriodKind) -> Period:
        """The period of this kind that a day falls in."""
        if kind == PeriodKind.month:
            return cls(day.year, kind, day.month)
        if kind == PeriodKind.quarter:
            return cls(day.year, kind, (day.month - 1) // 3 + 1)
        return cls(day.year, kind, 0)

    @property
    def start(self) -> date:
        """Its first day."""
        if self.kind == PeriodKind.month:
            return date(self.year, self.number, 1)
        if self.kind == PeriodKind.quarter:
            return date(self.year, 3 * self.number - 2, 1)
        return date(self.year, 1, 1)

    @property
    def end(self) -> date:
        """Its last day."""
        if self.kind == PeriodKind.month:
            following = date(self.year + self.number // 12, self.number % 12 + 1, 1)
        elif self.kind == PeriodKind.quarter:
            following = date(self.year + self.number // 4, (3 * self.number) % 12 + 1, 1)
        else:
            following = date(self.year + 1, 1, 1)
        return following - timedelta(days=1)

    @property
    def start_utc(self) -> datetime:
        """The instant its first day begins in Beijing, in UTC (timestamps are stored in UTC)."""
        return beijing_midnight_utc(self.start)

    @property
    def end_utc(self) -> datetime:
        """The instant after its last day ends in Beijing, in UTC (an exclusive bound)."""
        return beijing_midnight_utc(self.end + timedelta(days=1))

    def halves(self) -> list[HalfYear]:
        """The half-years (inspection periods) the period lies in: one, or both for a year."""
        first, last = HalfYear.of(self.start), HalfYear.of(self.end)
        return [first] if first == last else [first, last]

    def __str__(self) -> str:
        if self.kind == PeriodKind.month:
            return f"{self.year}-{self.number:02d}"
        if self.kind == PeriodKind.quarter:
            return f"{self.year}-Q{self.number}"
        return str(self.year)

    @property
    def label(self) -> str:
        """How a report names it: 2026年第三季度, 2026年7月, 2026年."""
        if self.kind == PeriodKind.month:
            return f"{self.year}年{self.number}月"
        if self.kind == PeriodKind.quarter:
            return f"{self.year}年{QUARTER_NAMES[self.number - 1]}"
        return f"{self.year}年"

