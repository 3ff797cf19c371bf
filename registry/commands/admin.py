"""Administration commands: migrations, units, accounts, calendars, the audit chain."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from sqlmodel import Session

from registry.db import make_engine, session_scope
from registry.settings import Settings

console = Console()
err = Console(stderr=True)

db_app = typer.Typer(help="数据库 database schema", no_args_is_help=True)
units_app = typer.Typer(help="公安机关 police units", no_args_is_help=True)
audit_app = typer.Typer(help="审计日志 audit log", no_args_is_help=True)
calendar_app = typer.Typer(help="工作日历 working-day calendars", no_args_is_help=True)


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Apply all migrations to the configured database."""
    from registry.migrate import current, upgrade

    engine = make_engine(Settings())
    upgrade(engine)
    console.print(f"database at revision {current(engine)}")


@units_app.command("load")
def units_load(directory: Annotated[Path, typer.Argument(help="folder with police_units.csv [stations.csv]")]) -> None:
    """Load or update the police units from the administrator's CSV files."""
    from registry.errors import DomainError
    from registry.units import service

    try:
        with session_scope(make_engine(Settings())) as session:
            count = service.load(session, directory=directory)
    except DomainError as exc:
        err.print(f"[red]{exc.message}[/]")
        raise typer.Exit(1) from None
    console.print(f"loaded {count} units")


@audit_app.command("verify")
def audit_verify(json_output: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Walk the hash chain and hold it against the signed checkpoint; report the first problem (exit 1 if any)."""
    import json

    from registry.audit.service import verify_anchored

    settings = Settings()
    with Session(make_engine(settings)) as session:
        result = verify_anchored(session, settings=settings)
    if json_output:
        print(json.dumps({"ok": result.ok, "checked": result.checked, "checkpoint_seq": result.checkpoint_seq,
                          "first_problem": vars(result.problem) if result.problem else None}, ensure_ascii=False))
    elif result.ok:
        anchor = (f"; reaches the checkpoint at event {result.checkpoint_seq}" if result.checkpoint_seq
                  else "; no checkpoint yet (camreg audit checkpoint)")
        console.print(f"[green]audit chain intact[/]: {result.checked} events{anchor}")
    else:
        assert result.problem is not None
        console.print(f"[red]audit chain broken at event {result.problem.seq} ({result.problem.kind})[/]: "
                      f"{result.problem.message}; {result.checked} events before it are intact")
    if not result.ok:
        raise typer.Exit(1)


@audit_app.command("checkpoint")
def audit_checkpoint() -> None:
    """Sign the chain's current head into the checkpoint file (run from cron; exit 1 if the chain was cut)."""
    from registry.audit import checkpoint

    settings = Settings()
    try:
        written = checkpoint.advance(settings, make_engine(settings))
    except (checkpoint.ChainBehind, checkpoint.CheckpointError) as exc:
        err.print(f"[red]审计链异常 audit chain problem: {exc}[/]")
        raise typer.Exit(1) from None
    if written is None:
        console.print("audit log is empty: nothing to checkpoint")
    else:
        console.print(f"checkpoint: event {written.seq} at {written.at:%Y-%m-%d %H:%M:%S} UTC "
                      f"→ {settings.audit_checkpoint_path}")


@calendar_app.command("load")
def calendar_load(file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True)]) -> None:
    """Load a year's official calendar and recompute every provisional deadline."""
    from registry.calendars import load_year
    from registry.workdays import CalendarFileError

    try:
        with session_scope(make_engine(Settings())) as session:
            report = load_year(session, text=file.read_text(encoding="utf-8"), path=str(file))
    except CalendarFileError as exc:
        err.print(f"[red]{exc}[/]")
        raise typer.Exit(1) from None
    console.print(f"loaded {report.year} ({'official' if report.official else 'unofficial'}); recomputed "
                  f"{report.filings_recomputed} filing deadlines and {report.notices_recomputed} notice deadlines; "
                  f"{report.still_provisional} still provisional")


def reroute(json_output: Annotated[bool, typer.Option("--json")] = False) -> None:
    """After a jurisdiction-layer change (CAMREG_GEO_DIR), route every operator and camera again."""
    import json

    from registry.reroute import reroute_all

    with session_scope(make_engine(Settings())) as session:
        report = reroute_all(session, actor=None)
    if json_output:
        print(json.dumps(report.to_dict(), ensure_ascii=False))
        return
    console.print(f"operators: {report.operators_moved} of {report.operators_checked} moved; cameras: "
                  f"{report.cameras_moved} of {report.cameras_checked} moved")
    for move, count in report.moves.most_common():
        console.print(f"  {move}: {count}")
    if report.unroutable:
        console.print(f"[yellow]{len(report.unroutable)} operators no longer route (kept as they were): "
                      f"{report.unroutable[:20]}[/]")
