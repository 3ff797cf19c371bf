"""``camreg backup`` and ``camreg restore``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, DownloadColumn, Progress, TaskID, TextColumn

from registry.settings import Settings

console = Console()
err = Console(stderr=True)
STAGES = {"database": "数据库 database", "blobs": "材料与文书 blobs", "check": "校验 checking"}


class _Bars:
    """One progress bar per stage."""

    def __init__(self, progress: Progress) -> None:
        self.progress = progress
        self.tasks: dict[str, TaskID] = {}

    def __call__(self, stage: str, done: int, total: int) -> None:
        if stage not in self.tasks:
            self.tasks[stage] = self.progress.add_task(STAGES.get(stage, stage), total=total or None)
        self.progress.update(self.tasks[stage], completed=done, total=total or None)


def backup(out: Annotated[Path, typer.Option("--out", help="the backup file to write")]) -> None:
    """Back up the database and every blob directory (materials, documents) into one file with a manifest."""
    from registry.backup.archive import BackupError
    from registry.backup.service import create_backup

    with Progress(TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed}/{task.total}"),
                  console=console, transient=True) as progress:
        try:
            report = create_backup(Settings(), out=out, progress=_Bars(progress))
        except BackupError as exc:
            err.print(f"[red]备份失败 backup failed: {exc}[/]")
            raise typer.Exit(1) from None
    manifest, size = report.manifest, out.stat().st_size
    console.print(f"[green]备份完成 backup written[/]: {out} ({size / 1e6:.1f} MB; {manifest.backend}; "
                  f"{manifest.counts['filing']} filings, {len(manifest.files)} blob files; audit event "
                  f"{manifest.audit_seq})")
    if report.checkpoint_problem:
        err.print(f"[red]审计链检查点未更新 audit checkpoint not advanced: {report.checkpoint_problem}[/]")
        raise typer.Exit(2)


def restore(file: Annotated[Path, typer.Argument(help="a file written by camreg backup")],
            force: Annotated[bool, typer.Option(help="replace a database that already holds data")] = False) -> None:
    """Restore a backup (stop the service first); a damaged or partial backup is refused and nothing changes."""
    from registry.backup.archive import BackupError
    from registry.backup.service import restore_backup

    with Progress(TextColumn("{task.description}"), BarColumn(), DownloadColumn(), console=console,
                  transient=True) as progress:
        try:
            report = restore_backup(Settings(), backup=file, force=force, progress=_Bars(progress))
        except BackupError as exc:
            err.print(f"[red]恢复被拒绝 restore refused: {exc}[/]")
            raise typer.Exit(1) from None
    m = report.manifest
    console.print(f"[green]恢复完成 restored[/] the backup of {m.created_at}: {m.counts['filing']} filings, "
                  f"{len(m.files)} blob files ({report.blobs_added} added); audit chain verified "
                  f"({report.audit_checked} events) and checkpointed")
