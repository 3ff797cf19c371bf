"""Working days: official calendar, make-up days, year boundaries, provisional years, year files."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from registry.workdays import (
    FORMAT_ID,
    CalendarFileError,
    WorkCalendar,
    load_calendar_dir,
    load_calendar_file,
    parse_calendar_text,
    provisional_is_working_day,
)

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def cal() -> WorkCalendar:
    return WorkCalendar()


def year_file(year: int = 2027, *, official: bool = True, **overrides: Any) -> dict[str, Any]:
    """A year file as a dict; the dates are a test fixture, not a published calendar."""
    data: dict[str, Any] = {
        "format": FORMAT_ID,
        "year": year,
        "official": official,
        "source": "test fixture",
        "holidays": [{"name": "元旦", "from": f"{year}-01-01", "to": f"{year}-01-03"},
                     {"name": "春节", "from": f"{year}-02-05", "to": f"{year}-02-11"}],
        "workdays": [{"name": "春节调休", "date": f"{year}-02-14"}],
    }
    data.update(overrides)
    return data


def write(tmp_path: Path, data: dict[str, Any] | str, name: str = "2027.json") -> Path:
    path = tmp_path / name
    path.write_text(data if isinstance(data, str) else json.dumps(data, ensure_ascii=False, indent=2), "utf-8")
    return path


def test_package_covers_2004_to_2026(cal: WorkCalendar) -> None:
    assert cal.covered_years() == list(range(2004, 2027))
    assert not cal.covers(2003) and not cal.covers(2027)


def test_spec_example_deadline_lands_on_make_up_saturday(cal: WorkCalendar) -> None:
    result = cal.add_working_days(date(2013, 9, 16), 15)
    assert result.date == date(2013, 10, 12)
    assert result.date.weekday() == 5 and cal.is_working_day(result.date)
    assert not result.provisional and result.uncovered_years == []


@pytest.mark.parametrize(
    ("make_up", "off"),
    [
        # National Day, from the State Council notices of each year.
        ([date(2019, 9, 29), date(2019, 10, 12)], [date(2019, 10, d) for d in range(1, 8)]),
        ([date(2023, 10, 7), date(2023, 10, 8)], [date(2023, 9, 29), *[date(2023, 10, d) for d in range(1, 7)]]),
        ([date(2024, 9, 29), date(2024, 10, 12)], [date(2024, 10, d) for d in range(1, 8)]),
        # Spring Festival.
        ([date(2014, 1, 26), date(2014, 2, 8)], [date(2014, 1, 31), *[date(2014, 2, d) for d in range(1, 7)]]),
        ([date(2024, 2, 4), date(2024, 2, 18)], [date(2024, 2, d) for d in range(10, 18)]),
        ([date(2026, 2, 14), date(2026, 2, 28)], [date(2026, 2, d) for d in range(15, 24)]),
    ],
)
def test_make_up_days_work_and_holidays_rest(cal: WorkCalendar, make_up: list[date], off: list[date]) -> None:
    assert all(d.weekday() >= 5 and cal.is_working_day(d) for d in make_up)
    assert not any(cal.is_working_day(d) for d in off)


def test_deadline_across_spring_festival_uses_make_up_sunday(cal: WorkCalendar) -> None:
    # 2024-02-09 (除夕, a Friday) was a working day; the break ran 10-17 Feb; Sunday 18 Feb was worked.
    assert cal.add_working_days(date(2024, 2, 8), 1).date == date(2024, 2, 9)
    assert cal.add_working_days(date(2024, 2, 8), 2).date == date(2024, 2, 18)


def test_year_boundary_skips_new_year(cal: WorkCalendar) -> None:
    assert cal.add_working_days(date(2013, 12, 31), 1).date == date(2014, 1, 2)
    assert cal.working_days_between(date(2013, 12, 31), date(2014, 1, 2)) == 1


def test_deadline_into_uncovered_year_is_provisional_not_a_crash(cal: WorkCalendar) -> None:
    result = cal.add_working_days(date(2026, 12, 20), 15)
    # 9 working days left in December, 1 Jan is a fixed-date holiday, then 4-8 and 11 Jan.
    assert result.date == date(2027, 1, 11)
    assert result.provisional and result.uncovered_years == [2027]
    assert result.calendar_version == cal.calendar_version


def test_deadline_inside_covered_year_near_the_end_is_final(cal: WorkCalendar) -> None:
    result = cal.add_working_days(date(2026, 12, 1), 15)
    assert result.date.year == 2026 and not result.provisional


def test_years_before_the_package_are_provisional_too(cal: WorkCalendar) -> None:
    result = cal.add_working_days(date(2003, 12, 30), 1)
    assert result.provisional and result.uncovered_years == [2003]


def test_provisional_rule_is_weekdays_minus_fixed_date_holidays() -> None:
    assert not provisional_is_working_day(date(2027, 1, 1))
    assert provisional_is_working_day(date(2027, 5, 3))  # an ordinary Monday stays a working day
    assert [provisional_is_working_day(date(2029, 10, d)) for d in (1, 2, 3, 4)] == [False, False, False, True]
    assert not provisional_is_working_day(date(2027, 1, 9))  # Saturday


def test_loaded_official_file_makes_provisional_result_final(tmp_path: Path, cal: WorkCalendar) -> None:
    loaded = WorkCalendar.from_directory(write(tmp_path, year_file()).parent)
    assert loaded.covers(2027) and loaded.calendar_version != cal.calendar_version
    result = loaded.add_working_days(date(2026, 12, 20), 15)
    # The file's New Year break (1-3 Jan) changes nothing here: 1 Jan was already off, 2-3 Jan are a weekend.
    assert (result.date, result.provisional, result.uncovered_years) == (date(2027, 1, 11), False, [])
    # Across the file's Spring Festival: 5-11 Feb off, Sunday 14 Feb worked.
    assert loaded.add_working_days(date(2027, 2, 4), 1).date == date(2027, 2, 12)
    assert loaded.add_working_days(date(2027, 2, 12), 1).date == date(2027, 2, 14)
    assert cal.add_working_days(date(2027, 2, 4), 1).date == date(2027, 2, 5)


def test_unofficial_file_is_used_but_stays_provisional(tmp_path: Path) -> None:
    loaded = WorkCalendar.from_directory(write(tmp_path, year_file(official=False)).parent)
    result = loaded.add_working_days(date(2027, 2, 4), 1)
    assert result.date == date(2027, 2, 12)
    assert result.provisional and result.uncovered_years == [2027]
    assert not loaded.covers(2027)


def test_loaded_file_overrides_package_year(tmp_path: Path, cal: WorkCalendar) -> None:
    text = year_file(2013, holidays=[{"name": "国庆节", "from": "2013-10-01", "to": "2013-10-07"}], workdays=[])
    loaded = WorkCalendar.from_directory(write(tmp_path, text, "2013.json").parent)
    assert not loaded.is_working_day(date(2013, 10, 12))
    assert cal.is_working_day(date(2013, 10, 12))
    assert loaded.add_working_days(date(2013, 9, 16), 15).date != date(2013, 10, 12)


def test_between_is_the_inverse_of_add(cal: WorkCalendar) -> None:
    for start in (date(2013, 9, 16), date(2019, 9, 27), date(2024, 2, 1), date(2026, 12, 25)):
        for n in (0, 1, 10, 15, 40):
            end = cal.add_working_days(start, n).date
            assert cal.working_days_between(start, end) == n
            assert cal.working_days_between(end, start) == -n


def test_zero_days_is_the_start_and_negative_is_refused(cal: WorkCalendar) -> None:
    assert cal.add_working_days(date(2013, 10, 1), 0).date == date(2013, 10, 1)
    with pytest.raises(ValueError, match="between 0 and"):
        cal.add_working_days(date(2013, 10, 1), -1)


def test_uncovered_years_between(cal: WorkCalendar) -> None:
    assert cal.uncovered_years_between(date(2026, 6, 1), date(2028, 1, 1)) == [2027, 2028]
    assert cal.uncovered_years_between(date(2013, 1, 1), date(2014, 1, 1)) == []


def test_sample_file_loads_and_is_marked_unofficial() -> None:
    calendars = load_calendar_dir(REPO / "sample_data" / "calendars")
    assert [c.year for c in calendars] == [2027]
    sample = calendars[0]
    assert not sample.official and "非官方" in sample.source
    assert date(2027, 2, 8) in sample.holidays and date(2027, 10, 3) in sample.holidays


def test_file_digest_changes_with_content(tmp_path: Path) -> None:
    one = load_calendar_file(write(tmp_path, year_file(), "a.json"))
    two = load_calendar_file(write(tmp_path, year_file(notes="edited"), "b.json"))
    assert one.digest != two.digest


def _error(data: dict[str, Any] | str) -> CalendarFileError:
    text = data if isinstance(data, str) else json.dumps(data, ensure_ascii=False, indent=2)
    with pytest.raises(CalendarFileError) as info:
        parse_calendar_text(text, path="2027.json")
    return info.value


def test_bad_json_names_the_line() -> None:
    err = _error('{\n  "format": "camreg-workday-calendar/1",\n  "year": 2027,,\n}')
    assert err.line == 3 and "not valid JSON" in str(err) and "2027.json line 3" in str(err)


def test_invalid_date_names_field_and_line() -> None:
    data = year_file(holidays=[{"name": "春节", "from": "2027-02-05", "to": "2027-02-30"}])
    err = _error(data)
    assert err.field == "holidays[0].to" and "not a valid date" in err.message
    assert err.line is not None and "2027-02-30" in json.dumps(data, indent=2).splitlines()[err.line - 1]


@pytest.mark.parametrize(
    ("overrides", "field", "fragment"),
    [
        ({"format": "v2"}, "format", "must be"),
        ({"year": "2027"}, "year", "must be a year"),
        ({"official": "yes"}, "official", "true or false"),
        ({"source": " "}, "source", "where the dates come from"),
        ({"holidays": "none"}, "holidays", "not a list"),
        ({"colour": "red"}, "colour", "unknown field"),
        ({"holidays": [{"name": "x", "date": "2026-12-31"}]}, "holidays[0].date", "not in 2027"),
        ({"holidays": [{"name": "x", "date": "2027/01/01"}]}, "holidays[0].date", "YYYY-MM-DD"),
        ({"holidays": [{"name": "x", "from": "2027-02-11", "to": "2027-02-05"}]}, "holidays[0].to", "before"),
        ({"holidays": [{"name": "x", "from": "2027-02-01", "to": "2027-12-11"}]}, "holidays[0].to", "longer"),
        ({"holidays": [{"name": "x", "from": "2027-02-01"}]}, "holidays[0]", "needs date"),
        ({"holidays": [{"name": "", "date": "2027-01-01"}]}, "holidays[0].name", "name is required"),
        ({"holidays": [{"name": "a", "date": "2027-01-01"}, {"name": "b", "from": "2026-12-31", "to": "2027-01-02"}]},
         "holidays[1].from", "not in 2027"),
        ({"holidays": [{"name": "a", "date": "2027-01-01"}, {"name": "b", "from": "2027-01-01", "to": "2027-01-02"}]},
         "holidays[1]", "already listed"),
        ({"workdays": [{"name": "调休", "date": "2027-02-10"}]}, "workdays[0].date", "Saturday or Sunday"),
        ({"workdays": [{"name": "调休", "date": "2027-02-06"}]}, "workdays[0].date", "also a holiday"),
        ({"workdays": [{"name": "调休", "dates": "2027-02-13"}]}, "workdays[0].dates", "unknown field"),
    ],
)
def test_bad_fields_are_rejected_by_name(overrides: dict[str, Any], field: str, fragment: str) -> None:
    err = _error(year_file(**overrides))
    assert err.field == field, str(err)
    assert fragment in err.message


def test_two_files_for_one_year_are_rejected(tmp_path: Path) -> None:
    write(tmp_path, year_file(), "a.json")
    write(tmp_path, year_file(), "b.json")
    with pytest.raises(CalendarFileError, match=r"already loaded from .*a\.json"):
        load_calendar_dir(tmp_path)


def test_missing_directory_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(CalendarFileError, match="not a directory"):
        WorkCalendar.from_directory(tmp_path / "nope")


def test_every_day_of_a_covered_year_has_an_answer(cal: WorkCalendar) -> None:
    day, working = date(2025, 1, 1), 0
    while day.year == 2025:
        working += cal.is_working_day(day)
        day += timedelta(days=1)
    assert 245 <= working <= 252  # a Chinese year has about 250 working days


def test_between_counts_what_a_walk_day_by_day_counts() -> None:
    """working_days_between counts by arithmetic (the desk shows it on every row): it must agree with walking the
    days one by one, across package years, a loaded file (holidays over weekdays and weekends, a make-up
    Sunday) and provisional years, in both directions."""
    calendar = WorkCalendar([parse_calendar_text(json.dumps(year_file(2027)), path="2027.json")])

    def walked(start: date, end: date) -> int:
        if end < start:
            return -walked(end, start)
        return sum(calendar.is_working_day(start + timedelta(days=i)) for i in range(1, (end - start).days + 1))

    starts = [date(2003, 12, 20), date(2025, 9, 28), date(2026, 12, 28), date(2027, 2, 4), date(2027, 2, 13)]
    for start in starts:
        for span in (-400, -9, -1, 0, 1, 2, 6, 7, 8, 15, 40, 200, 800):
            end = start + timedelta(days=span)
            assert calendar.working_days_between(start, end) == walked(start, end), (start, end)
