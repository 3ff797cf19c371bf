"""``camreg fill``: fill an empty registry with a synthetic city (default: 1,000,000 cameras, 100,000 filings)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import Progress, TaskID

from registry.bootstrap import prepare
from registry.fill.load import FillError, fill
from registry.settings import Settings

console = Console(stderr=True)
fill_app = typer.Typer(help="批量生成 / Fill an empty registry with a synthetic city for load tests and demos.",
                       invoke_without_command=True)


@fill_app.callback()
def fill_command(
    cameras: Annotated[int, typer.Option("--cameras", min=1, max=10_000_000, help="cameras to create")] = 1_000_000,
    filings: Annotated[int, typer.Option("--filings", min=1, max=1_000_000, help="filings to create")] = 100_000,
    operators: Annotated[int | None, typer.Option("--operators", min=1, help="operators (default filings/2)")] = None,
    seed: Annotated[int, typer.Option("--seed", help="random seed: the same seed gives the same city")] = 2013,
    database_url: Annotated[str | None, typer.Option("--database-url", help="default: CAMREG_DATABASE_URL")] = None,
    data_dir: Annotated[Path | None, typer.Option("--data-dir", help="default: CAMREG_DATA_DIR")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print the report as JSON")] = False,
) -> None:
    """Migrate, then bulk-write operators, filings (numbers gap-free) and cameras (codes issued) in one go."""
    overrides: dict[str, object] = {}
    if database_url:
        overrides["database_url"] = database_url
    if data_dir:
        overrides["data_dir"] = data_dir
    settings = Settings(**overrides)  # type: ignore[arg-type]
    engine = prepare(settings)
    tasks: dict[str, TaskID] = {}
    try:
        with Progress(console=console, disable=as_json) as bar:
            def progress(stage: str, done: int, total: int) -> None:
                if stage not in tasks:
                    tasks[stage] = bar.add_task(stage, total=total or None)
                bar.update(tasks[stage], completed=done or (total if stage != "camera" else 0))

            report = fill(engine, settings, cameras=cameras, filings=filings, operators=operators, seed=seed,
                          progress=progress)
    except FillError as exc:
        console.print(f"[red]fill: {exc}[/]")
        raise typer.Exit(1) from exc
    finally:
        engine.dispose()
    if as_json:
        typer.echo(json.dumps(report.__dict__))
        return
    rate = report.cameras / report.seconds if report.seconds else 0.0
    typer.echo(f"{report.backend}: {report.operators} operators, {report.filings} filings "
               f"({report.notices} correction notices), {report.cameras} cameras ({report.codes} coded) "
               f"in {report.seconds:.1f} s ({rate:,.0f} cameras/s)")
