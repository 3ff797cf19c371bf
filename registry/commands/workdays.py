"""`camreg workdays …`: Chinese working-day arithmetic from the command line."""

from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path
from typing import Annotated

import typer

from registry.workdays import MAX_WORKING_DAYS, CalendarFileError, WorkCalendar

workdays_app = typer.Typer(
    help="中国工作日计算 / Chinese working days (statutory holidays and make-up days).", no_args_is_help=True
)

CalendarDir = Annotated[
    Path | None,
    typer.Option(
        "--calendar-dir",
        envvar="CAMREG_CALENDAR_DIR",
        help="Directory of year files (*.json) that override or extend the built-in calendar.",
    ),
]
JsonFlag = Annotated[bool, typer.Option("--json", help="Machine-readable output.")]


@workdays_app.callback()
def _group() -> None:
    """Keep `add` a named sub-command even while it is the only one Typer would see."""


def _fail(message: str) -> typer.Exit:
    typer.echo(f"错误 / error: {message}", err=True)
    return typer.Exit(code=2)


def _parse_date(value: str, name: str) -> date:
    try:
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
            raise ValueError(value)
        return date.fromisoformat(value)
    except ValueError:
        raise _fail(
            f"{name} {value!r} is not a date YYYY-MM-DD / {name} 不是 YYYY-MM-DD 格式的日期"
        ) from None


def _calendar(calendar_dir: Path | None) -> WorkCalendar:
    try:
        return WorkCalendar.from_directory(calendar_dir)
    except CalendarFileError as exc:
        raise _fail(str(exc)) from None


def _provisional_note(years: list[int]) -> str:
    listed = ", ".join(str(y) for y in years)
    return (
        f"暂定：{listed} 年的官方节假日安排尚未加载，只扣除了周末和固定日期的法定节日 / "
        f"provisional: no official calendar for {listed}; only weekends and fixed-date holidays skipped"
    )


@workdays_app.command("add")
def add(
    start: Annotated[str, typer.Argument(metavar="DATE", help="Start date YYYY-MM-DD (not counted).")],
    n: Annotated[int, typer.Argument(metavar="N", help=f"Working days to add, 0..{MAX_WORKING_DAYS}.")],
    json_output: JsonFlag = False,
    calendar_dir: CalendarDir = None,
) -> None:
    """The N-th working day after DATE, e.g. the 15-working-day deadline of a filing accepted on DATE."""
    day = _parse_date(start, "DATE")
    if not 0 <= n <= MAX_WORKING_DAYS:
        raise _fail(f"N must be between 0 and {MAX_WORKING_DAYS}, got {n} / N 超出范围")
    result = _calendar(calendar_dir).add_working_days(day, n)
    if json_output:
        typer.echo(json.dumps(result.to_dict(), ensure_ascii=False))
        return
    typer.echo(
        f"{result.date.isoformat()}（{day.isoformat()} 之后第 {n} 个工作日 / working day {n} after {day}）"
    )
    if result.provisional:
        typer.echo(_provisional_note(result.uncovered_years))


@workdays_app.command("between")
def between(
    start: Annotated[str, typer.Argument(metavar="START", help="Start date YYYY-MM-DD (not counted).")],
    end: Annotated[str, typer.Argument(metavar="END", help="End date YYYY-MM-DD (counted).")],
    json_output: JsonFlag = False,
    calendar_dir: CalendarDir = None,
) -> None:
    """Working days after START up to and including END."""
    first, last = _parse_date(start, "START"), _parse_date(end, "END")
    calendar = _calendar(calendar_dir)
    days = calendar.working_days_between(first, last)
    uncovered = calendar.uncovered_years_between(first, last)
    if json_output:
        typer.echo(
            json.dumps(
                {
                    "working_days": days,
                    "provisional": bool(uncovered),
                    "uncovered_years": uncovered,
                    "calendar_version": calendar.calendar_version,
                }
            )
        )
        return
    typer.echo(f"{days} 个工作日 / working days")
    if uncovered:
        typer.echo(_provisional_note(uncovered))


@workdays_app.command("years")
def years(json_output: JsonFlag = False, calendar_dir: CalendarDir = None) -> None:
    """Which years have a calendar and where it comes from; also checks the files of --calendar-dir."""
    calendar = _calendar(calendar_dir)
    rows = [
        {"year": y.year, "official": y.official, "source": y.source, "file": y.path}
        for y in sorted(calendar.years.values(), key=lambda c: c.year)
    ]
    if json_output:
        typer.echo(
            json.dumps({"calendar_version": calendar.calendar_version, "years": rows}, ensure_ascii=False)
        )
        return
    for row in rows:
        flag = "" if row["official"] else "  [非官方，结果暂定 / unofficial, results provisional]"
        typer.echo(f"{row['year']}  {row['source']}{flag}")
    typer.echo(f"calendar_version {calendar.calendar_version}")
