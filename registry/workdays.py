"""Chinese working days (SPEC §5): the official calendar, administrator-loaded year files, provisional years.

A day is a working day when it is a make-up working day (调休上班), or a Monday-Friday that is not a holiday.
Where the calendar of a year comes from, in order of precedence:

1. a year file loaded by an administrator (format below) — it replaces everything else for its year;
2. the ``chinese_calendar`` package (official State Council notices; version 1.11.0 covers 2004-2026);
3. nothing: the year is *provisional*. Its working days are Monday-Friday minus the fixed-date statutory
   holidays (1 Jan; 1-2 May; 1-3 Oct, per the 2024 revision of 全国年节及纪念日放假办法). Lunar holidays and
   make-up days are unknown, so such a deadline may be a few days early; it is marked provisional.

A year file with ``"official": false`` (e.g. an estimate made before the notice is out) is used for its days,
but results that touch that year stay provisional. Store :attr:`WorkCalendar.calendar_version` beside each
deadline: when it changes, recompute the provisional ones.

Year file format (JSON, UTF-8, one file per year, any name ending in ``.json``)::

    {
      "format": "camreg-workday-calendar/1",
      "year": 2027,
      "official": true,
      "source": "国务院办公厅关于2027年部分节假日安排的通知（国办发明电〔2026〕N号）",
      "notes": "optional free text",
      "holidays": [{"name": "春节", "from": "2027-02-05", "to": "2027-02-11"},
                   {"name": "清明节", "date": "2027-04-05"}],
      "workdays": [{"name": "春节调休", "date": "2027-02-14"}]
    }

``holidays`` lists every day off that is not an ordinary weekend day (ranges may include weekends);
``workdays`` lists the weekend days that are working days. Every date must lie in ``year``.
"""

from __future__ import annotations

import hashlib
import json
import re
from bisect import bisect_right
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import cache
from pathlib import Path
from typing import Any

import chinese_calendar
from chinese_calendar import constants as _cc

FORMAT_ID = "camreg-workday-calendar/1"
MAX_WORKING_DAYS = 3660
MAX_HOLIDAY_SPAN_DAYS = 15  # the longest official break so far is 9 days; a longer range is a typo
FIXED_DATE_HOLIDAYS: tuple[tuple[int, int], ...] = ((1, 1), (5, 1), (5, 2), (10, 1), (10, 2), (10, 3))
PACKAGE_SOURCE = f"chinese_calendar {chinese_calendar.__version__}"

_TOP_KEYS = {"format", "year", "official", "source", "notes", "holidays", "workdays"}
_ITEM_KEYS = {"name", "date", "from", "to", "note"}
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


@dataclass(frozen=True)
class YearCalendar:
    """Holidays and make-up working days of one year, and where they come from."""

    year: int
    holidays: frozenset[date]
    workdays: frozenset[date]
    official: bool
    source: str
    notes: str = ""
    digest: str = ""
    path: str | None = None

    def is_working_day(self, day: date) -> bool:
        """Whether ``day`` (in this year) is a working day."""
        if day in self.workdays:
            return True
        return day.weekday() < 5 and day not in self.holidays


@dataclass(frozen=True)
class WorkdayResult:
    """A computed deadline; provisional when it crossed a year without an official calendar."""

    date: date
    provisional: bool
    uncovered_years: list[int] = field(default_factory=list)
    calendar_version: str = ""

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "date": self.date.isoformat(),
            "provisional": self.provisional,
            "uncovered_years": list(self.uncovered_years),
            "calendar_version": self.calendar_version,
        }


class CalendarFileError(ValueError):
    """A calendar file is wrong; names the file, the field (JSON path) and, when known, the line."""

    def __init__(self, path: str, message: str, *, field: str | None = None, line: int | None = None) -> None:
        where = path + (f" line {line}" if line else "") + (f", {field}" if field else "")
        super().__init__(f"{where}: {message}")
        self.path = path
        self.field = field
        self.line = line
        self.message = message


def _line_of(text: str, value: object) -> int | None:
    """First line holding ``value`` as a JSON literal: good enough to point an administrator at the spot."""
    needle = json.dumps(value, ensure_ascii=False)
    for number, line in enumerate(text.splitlines(), start=1):
        if needle in line:
            return number
    return None


class _Reader:
    """Validates one parsed calendar file, raising on the first defect with its field path and line."""

    def __init__(self, path: str, text: str) -> None:
        self.path = path
        self.text = text

    def fail(self, field: str | None, message: str, value: object = None) -> CalendarFileError:
        line = (
            _line_of(self.text, value)
            if isinstance(value, str | int) and not isinstance(value, bool)
            else None
        )
        return CalendarFileError(self.path, message, field=field, line=line)

    def day(self, value: object, field: str, year: int) -> date:
        if not isinstance(value, str):
            raise self.fail(
                field, f"expected a date string YYYY-MM-DD, got {value!r} / 日期应为 YYYY-MM-DD 字符串"
            )
        if not _ISO_DATE.fullmatch(value):
            raise self.fail(field, f"{value!r} must be written YYYY-MM-DD / 日期须写作 YYYY-MM-DD", value)
        try:
            parsed = date.fromisoformat(value)
        except ValueError:
            raise self.fail(field, f"{value!r} is not a valid date / 不是有效日期", value) from None
        if parsed.year != year:
            raise self.fail(field, f"{value} is not in {year} / 日期不在 {year} 年", value)
        return parsed

    def items(self, data: dict[str, Any], key: str) -> list[dict[str, Any]]:
        value = data.get(key)
        if not isinstance(value, list):
            raise self.fail(key, f"required list is missing or not a list / 缺少列表 {key}")
        for i, item in enumerate(value):
            if not isinstance(item, dict):
                raise self.fail(f"{key}[{i}]", "each entry must be an object / 每项须为对象")
            unknown = sorted(set(item) - _ITEM_KEYS)
            if unknown:
                raise self.fail(
                    f"{key}[{i}].{unknown[0]}",
                    f"unknown field (allowed: {', '.join(sorted(_ITEM_KEYS))}) / 未知字段",
                    unknown[0],
                )
            if not isinstance(item.get("name"), str) or not item["name"].strip():
                raise self.fail(f"{key}[{i}].name", "a non-empty name is required / 须填写名称")
        return value

    def holiday_days(self, entries: list[dict[str, Any]], year: int) -> dict[date, str]:
        days: dict[date, str] = {}
        for i, item in enumerate(entries):
            where = f"holidays[{i}]"
            if "date" in item:
                if "from" in item or "to" in item:
                    raise self.fail(
                        where, "give either date or from/to, not both / date 与 from/to 只能二选一"
                    )
                first = last = self.day(item["date"], f"{where}.date", year)
            elif "from" in item and "to" in item:
                first = self.day(item["from"], f"{where}.from", year)
                last = self.day(item["to"], f"{where}.to", year)
                if last < first:
                    raise self.fail(
                        f"{where}.to", f"{last} is before from {first} / 结束日期早于开始日期", item["to"]
                    )
                if (last - first).days + 1 > MAX_HOLIDAY_SPAN_DAYS:
                    raise self.fail(
                        f"{where}.to",
                        f"a break of {(last - first).days + 1} days is longer than "
                        f"{MAX_HOLIDAY_SPAN_DAYS}; check the dates / 假期过长，请检查日期",
                        item["to"],
                    )
            else:
                raise self.fail(where, "needs date, or from and to / 须有 date 或 from 与 to")
            day = first
            while day <= last:
                if day in days:
                    raise self.fail(where, f"{day} is already listed under {days[day]!r} / 日期重复",
                                    item.get("date", item.get("from")))
                days[day] = f"{where} {item['name']}"
                day += timedelta(days=1)
        return days

    def workday_days(
        self, entries: list[dict[str, Any]], year: int, holidays: dict[date, str]
    ) -> frozenset[date]:
        days: set[date] = set()
        for i, item in enumerate(entries):
            where = f"workdays[{i}]"
            if set(item) & {"from", "to"} or "date" not in item:
                raise self.fail(where, "a make-up working day has one date field / 调休上班日只填 date")
            day = self.day(item["date"], f"{where}.date", year)
            if day.weekday() < 5:
                raise self.fail(
                    f"{where}.date",
                    f"{day} is a {day.strftime('%A')}; make-up working days fall on "
                    "Saturday or Sunday / 调休上班日应为周末",
                    item["date"],
                )
            if day in holidays:
                raise self.fail(
                    f"{where}.date", f"{day} is also a holiday ({holidays[day]}) / 与假日冲突", item["date"]
                )
            if day in days:
                raise self.fail(f"{where}.date", f"{day} is listed twice / 日期重复", item["date"])
            days.add(day)
        return frozenset(days)

    def read(self) -> YearCalendar:
        try:
            data = json.loads(self.text)
        except json.JSONDecodeError as exc:
            raise CalendarFileError(
                self.path, f"not valid JSON: {exc.msg} (column {exc.colno}) / JSON 格式错误", line=exc.lineno
            ) from None
        if not isinstance(data, dict):
            raise self.fail(None, "the file must hold one JSON object / 文件须为一个 JSON 对象")
        unknown = sorted(set(data) - _TOP_KEYS)
        if unknown:
            raise self.fail(
                unknown[0], f"unknown field (allowed: {', '.join(sorted(_TOP_KEYS))}) / 未知字段", unknown[0]
            )
        if data.get("format") != FORMAT_ID:
            raise self.fail(
                "format",
                f"must be {FORMAT_ID!r}, got {data.get('format')!r} / 格式标识错误",
                data.get("format"),
            )
        year = data.get("year")
        if not isinstance(year, int) or isinstance(year, bool) or not 1949 <= year <= 2200:
            raise self.fail("year", f"must be a year between 1949 and 2200, got {year!r} / 年份无效", year)
        if not isinstance(data.get("official"), bool):
            raise self.fail("official", "must be true or false / 须为 true 或 false")
        source = data.get("source")
        if not isinstance(source, str) or not source.strip():
            raise self.fail("source", "say where the dates come from (e.g. the notice number) / 须注明来源")
        notes = data.get("notes", "")
        if not isinstance(notes, str):
            raise self.fail("notes", "must be text / 须为文本")
        holidays = self.holiday_days(self.items(data, "holidays"), year)
        workdays = self.workday_days(self.items(data, "workdays"), year, holidays)
        return YearCalendar(
            year=year,
            holidays=frozenset(holidays),
            workdays=workdays,
            official=data["official"],
            source=source.strip(),
            notes=notes,
            path=self.path,
            digest=hashlib.sha256(self.text.encode("utf-8")).hexdigest(),
        )


def parse_calendar_text(text: str, *, path: str = "<calendar>") -> YearCalendar:
    """Parse and check one year file's text; raises CalendarFileError naming the field and line."""
    return _Reader(path, text).read()


def load_calendar_file(path: Path | str) -> YearCalendar:
    """Read one year file."""
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise CalendarFileError(str(file), "not UTF-8 text / 文件须为 UTF-8 编码") from None
    except OSError as exc:
        raise CalendarFileError(str(file), f"cannot read: {exc.strerror} / 无法读取") from None
    return parse_calendar_text(text, path=str(file))


def load_calendar_dir(directory: Path | str) -> list[YearCalendar]:
    """Read every ``*.json`` year file of a directory; two files for one year is an error."""
    folder = Path(directory)
    if not folder.is_dir():
        raise CalendarFileError(str(folder), "not a directory / 不是目录")
    years: dict[int, YearCalendar] = {}
    for file in sorted(folder.glob("*.json")):
        calendar = load_calendar_file(file)
        if calendar.year in years:
            raise CalendarFileError(
                str(file),
                f"year {calendar.year} is already loaded from "
                f"{years[calendar.year].path} / 同一年份有两个文件",
                field="year",
            )
        years[calendar.year] = calendar
    return [years[y] for y in sorted(years)]


@cache
def package_years() -> tuple[YearCalendar, ...]:
    """The official years shipped in the chinese_calendar package, one YearCalendar each (built once)."""
    first, last = min(_cc.holidays).year, max(_cc.holidays).year
    return tuple(
        YearCalendar(
            year=year,
            holidays=frozenset(d for d in _cc.holidays if d.year == year),
            workdays=frozenset(d for d in _cc.workdays if d.year == year),
            official=True,
            source=PACKAGE_SOURCE,
            digest=PACKAGE_SOURCE,
        )
        for year in range(first, last + 1)
    )


def _weekdays_through(day: date) -> int:
    """How many Monday-Fridays there are from a fixed Monday (0001-01-01) through ``day``."""
    weeks, rest = divmod(day.toordinal(), 7)  # ordinal 1 is a Monday
    return weeks * 5 + min(rest, 5)


def provisional_is_working_day(day: date) -> bool:
    """The rule for a year without any calendar: Monday-Friday minus the fixed-date statutory holidays."""
    return day.weekday() < 5 and (day.month, day.day) not in FIXED_DATE_HOLIDAYS


class WorkCalendar:
    """The package's official years plus loaded year files (which win for their year)."""

    def __init__(self, loaded: Iterable[YearCalendar] = (), *, use_package: bool = True) -> None:
        self.years: dict[int, YearCalendar] = {y.year: y for y in package_years()} if use_package else {}
        for calendar in loaded:
            self.years[calendar.year] = calendar
        self._exception_cache: dict[int, tuple[list[date], list[date]]] = {}
        listing = sorted((y.year, y.official, y.digest) for y in self.years.values())
        digest = hashlib.sha256(json.dumps(listing).encode()).hexdigest()
        self.calendar_version = f"cal-{digest[:16]}"

    @classmethod
    def from_directory(cls, directory: Path | str | None) -> WorkCalendar:
        """The package plus the year files of ``directory`` (None: the package alone)."""
        return cls(load_calendar_dir(directory) if directory is not None else ())

    def covers(self, year: int) -> bool:
        """Whether ``year`` has an official calendar (so results in it are final)."""
        calendar = self.years.get(year)
        return calendar is not None and calendar.official

    def covered_years(self) -> list[int]:
        """Years with an official calendar."""
        return sorted(y for y in self.years if self.covers(y))

    def is_working_day(self, day: date) -> bool:
        """Whether ``day`` is a working day (provisionally so in a year without an official calendar)."""
        calendar = self.years.get(day.year)
        return calendar.is_working_day(day) if calendar else provisional_is_working_day(day)

    def add_working_days(self, start: date, n: int) -> WorkdayResult:
        """The n-th working day after ``start`` (``start`` itself never counts; n = 0 gives ``start``)."""
        if not 0 <= n <= MAX_WORKING_DAYS:
            raise ValueError(f"n must be between 0 and {MAX_WORKING_DAYS}, got {n} / 工作日数超出范围")
        day, counted, uncovered = start, 0, set()
        while counted < n:
            day += timedelta(days=1)
            if not self.covers(day.year):
                uncovered.add(day.year)
            if self.is_working_day(day):
                counted += 1
        return WorkdayResult(day, bool(uncovered), sorted(uncovered), self.calendar_version)

    def working_days_between(self, start: date, end: date) -> int:
        """Working days in (start, end]; negative when end is before start. Inverse of add_working_days.

        Counted by arithmetic, not day by day (the desk queue shows it for every row, some waiting for
        months): the Monday-Fridays of the span, less the weekday holidays, plus the weekend make-up days.
        """
        if end < start:
            return -self.working_days_between(end, start)
        total = _weekdays_through(end) - _weekdays_through(start)
        for year in range(start.year, end.year + 1):
            off, extra = self._exceptions(year)
            total -= bisect_right(off, end) - bisect_right(off, start)
            total += bisect_right(extra, end) - bisect_right(extra, start)
        return total

    def _exceptions(self, year: int) -> tuple[list[date], list[date]]:
        """The year's Monday-Fridays that are not working days and weekend days that are, each sorted."""
        found = self._exception_cache.get(year)
        if found is None:
            calendar = self.years.get(year)
            if calendar is None:
                off = sorted(d for d in (date(year, m, n) for m, n in FIXED_DATE_HOLIDAYS) if d.weekday() < 5)
                found = (off, [])
            else:
                found = (sorted(d for d in calendar.holidays if d.weekday() < 5 and d not in calendar.workdays),
                         sorted(d for d in calendar.workdays if d.weekday() >= 5))
            self._exception_cache[year] = found
        return found

    def uncovered_years_between(self, start: date, end: date) -> list[int]:
        """Years in [start, end] without an official calendar: results spanning them are provisional."""
        low, high = sorted((start.year, end.year))
        return [y for y in range(low, high + 1) if not self.covers(y)]
