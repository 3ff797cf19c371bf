"""``camreg import …`` and ``camreg export …``: sheets in and out, as a named user, with progress bars."""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from sqlmodel import Session, select

from registry.actor import Actor
from registry.auth.models import User
from registry.db import make_engine, session_scope
from registry.errors import DomainError
from registry.imports.columns import Kind
from registry.settings import Settings

console = Console()
err = Console(stderr=True)

import_app = typer.Typer(help="导入 import operators, filings and cameras from .xlsx or .csv", no_args_is_help=True)
export_app = typer.Typer(help="导出 export the lists you may see to .xlsx or .csv", no_args_is_help=True)

UserOption = Annotated[str, typer.Option("--user", envvar="CAMREG_USER", help="account acting (scope and audit)")]
JsonOption = Annotated[bool, typer.Option("--json", help="machine-readable output")]
STAGES = {"validate": "检查 validating", "store": "写入 storing", "export": "导出 exporting"}


def _actor(session: Session, username: str) -> Actor:
    user = session.exec(select(User).where(User.username == username)).first()
    if user is None or not user.active:
        raise DomainError(f"账户 {username} 不存在或已停用 / no active account {username}", field="user")
    return Actor(user=user, client_addr="cli")


def _fail(exc: DomainError, json_output: bool) -> typer.Exit:
    if json_output:
        print(json.dumps({"error": exc.to_dict()["error"]}, ensure_ascii=False))
    else:
        err.print(f"[red]{exc.message}[/]")
    return typer.Exit(1)


@contextmanager
def _progress(enabled: bool) -> Iterator[Callable[[str, int, int], None]]:
    """A rich progress bar per stage (validate, store, export), driven by (stage, done, total) callbacks."""
    if not enabled:
        yield lambda _stage, _done, _total: None
        return
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=err, transient=False) as bar:
        tasks: dict[str, Any] = {}

        def update(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                tasks[stage] = bar.add_task(STAGES.get(stage, stage), total=total)
            bar.update(tasks[stage], completed=done, total=total)

        yield update


def _format_of(path: Path) -> str:
    suffix = path.suffix.lower().lstrip(".")
    if suffix not in ("xlsx", "csv"):
        raise typer.BadParameter(f"{path.name}: use a .xlsx or .csv file name", param_hint="--out")
    return suffix


@import_app.command("template")
def import_template(kind: Annotated[Kind, typer.Argument(help="operators | filings | cameras")],
                    out: Annotated[Path, typer.Option("--out", help="FILE.xlsx or FILE.csv")]) -> None:
    """Write an empty template: Chinese header row, English field-name row (and drop-downs in .xlsx)."""
    from registry.imports.sheets import template

    out.write_bytes(template(kind, _format_of(out)))
    console.print(f"wrote {out}")


def _run_import(kind: Kind, file: Path, user: str, valid_only: bool, errors: Path | None, json_output: bool,
                migration: bool = False) -> None:
    from registry.imports import service

    settings = Settings()
    try:
        with session_scope(make_engine(settings)) as session, _progress(not json_output) as progress:
            report = service.run(session, actor=_actor(session, user), kind=kind, filename=file.name,
                                 data=file.read_bytes(), settings=settings, valid_only=valid_only, progress=progress,
                                 migration=migration)
    except DomainError as exc:
        raise _fail(exc, json_output) from None
    error_path = None
    if report.error_file is not None:
        error_path = errors or file.with_name(report.error_filename or f"{file.stem}-错误{file.suffix}")
        error_path.write_bytes(report.error_file)
    if json_output:
        body = {k: v for k, v in vars(report).items() if k not in ("notes", "error_file", "error_filename")}
        body["notes"] = [vars(n) for n in report.notes]
        body["error_file"] = str(error_path) if error_path else None
        print(json.dumps(body, ensure_ascii=False))
    else:
        state = "[green]已导入 imported[/]" if report.committed else "[red]未导入 nothing imported[/]"
        console.print(f"{state}: {report.rows} rows — created {report.created}, present {report.present}, "
                      f"differing {report.differing}, invalid {report.invalid}, codes issued {report.codes_issued}")
        for note in report.notes[:20]:
            console.print(f"  row {note.row} [{note.status}] {note.message}")
        if error_path:
            console.print(f"error file 错误文件: {error_path} (fix the marked cells and import it again)")
    if not report.committed:
        raise typer.Exit(1)


def _import_command(kind: Kind) -> Callable[..., None]:
    def command(file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help=".xlsx or .csv")],
                user: UserOption,
                valid_only: Annotated[bool, typer.Option("--valid-only", help="store the valid rows; the error "
                                                         "file lists the rest")] = False,
                errors: Annotated[Path | None, typer.Option(help="where to write the error file")] = None,
                json_output: JsonOption = False,
                migration: Annotated[bool, typer.Option("--migration", help="cameras, administrators only: register "
                                                        "existing cameras on filed filings, codes at once (audited); "
                                                        "otherwise a filed filing takes cameras by a change "
                                                        "filing")] = False) -> None:
        _run_import(kind, file, user, valid_only, errors, json_output, migration)

    command.__doc__ = f"Import {kind.value}; all-or-nothing unless --valid-only; re-import creates no duplicates."
    return command


for _kind in Kind:
    import_app.command(_kind.value)(_import_command(_kind))


def _run_export(kind: Kind, out: Path, user: str, json_output: bool, **given: Any) -> None:
    from registry.exports import service

    fmt = _format_of(out)
    filters = service.Filters(**given)
    engine = make_engine(Settings())
    try:
        with session_scope(engine) as session:
            actor = _actor(session, user)
            total = service.count(session, kind=kind, user=actor.user, filters=filters)
            if fmt == "csv":
                service.record(session, actor=actor, kind=kind, fmt=fmt, filters=filters, rows=total)
    except DomainError as exc:
        raise _fail(exc, json_output) from None
    with _progress(not json_output and total > service.BATCH) as progress:
        if fmt == "csv":
            tmp = out.with_name(out.name + ".part")
            with tmp.open("wb") as handle:
                for done, chunk in enumerate(service.csv_chunks(engine, kind=kind, user=actor.user, filters=filters)):
                    handle.write(chunk)
                    progress("export", min(done * service.BATCH, total), total)
            os.replace(tmp, out)
            rows = total
        else:
            rows = service.write_xlsx(engine, out, kind=kind, user=actor.user, filters=filters,
                                      progress=lambda done: progress("export", done, total))
            with session_scope(engine) as session:
                service.record(session, actor=actor, kind=kind, fmt=fmt, filters=filters, rows=rows)
        progress("export", total, total)
    if json_output:
        print(json.dumps({"file": str(out), "rows": rows, "filters": filters.given()}, ensure_ascii=False))
    else:
        console.print(f"exported {rows} {kind.value} to {out}")


OutOption = Annotated[Path, typer.Option("--out", help="FILE.csv (streamed) or FILE.xlsx")]
Text = Annotated[str | None, typer.Option()]
Number = Annotated[int | None, typer.Option()]


@export_app.command("operators")
def export_operators(out: OutOption, user: UserOption, district_code: Text = None, filing_unit_code: Text = None,
                     q: Text = None, overdue: Annotated[bool, typer.Option(help="only operators with a filing past "
                                                                                "its deadline today")] = False,
                     json_output: JsonOption = False) -> None:
    """Operators in your responsibility."""
    from registry.exports.service import overdue_date

    _run_export(Kind.operators, out, user, json_output, district_code=district_code, q=q,
                filing_unit_code=filing_unit_code, overdue_on=overdue_date(overdue, None))


@export_app.command("filings")
def export_filings(out: OutOption, user: UserOption, state: Text = None, filing_unit_code: Text = None,
                   district_code: Text = None, operator_id: Number = None,
                   late: Annotated[bool | None, typer.Option("--late/--on-time")] = None,
                   overdue: Annotated[bool, typer.Option(help="only filings past their deadline today")] = False,
                   overdue_on: Annotated[str | None, typer.Option(help="past their deadline on YYYY-MM-DD")] = None,
                   json_output: JsonOption = False) -> None:
    """Filings in your responsibility."""
    from registry.exports.service import overdue_date
    from registry.filings.models import FilingState

    try:
        chosen = FilingState(state) if state else None
        on = date.fromisoformat(overdue_on) if overdue_on else None
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None
    _run_export(Kind.filings, out, user, json_output, state=chosen, filing_unit_code=filing_unit_code,
                district_code=district_code, operator_id=operator_id, late=late, overdue_on=overdue_date(overdue, on))


@export_app.command("cameras")
def export_cameras(out: OutOption, user: UserOption, filing_id: Number = None, operator_id: Number = None,
                   station_id: Text = None, district_code: Text = None, status: Text = None,
                   json_output: JsonOption = False) -> None:
    """Cameras in your responsibility (CSV streams a million rows in constant memory)."""
    from registry.cameras.models import CameraStatus

    try:
        chosen = CameraStatus(status) if status else None
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--status") from None
    _run_export(Kind.cameras, out, user, json_output, filing_id=filing_id, operator_id=operator_id,
                station_id=station_id, district_code=district_code, status=chosen)
