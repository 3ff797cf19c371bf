"""``camreg reconcile``: compare a scan report with what a filing declared."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table
from sqlmodel import Session, select

from discovery import filed as filed_file
from discovery.reconcile import Reconciliation, reconcile
from discovery.reconcile_render import render_csv, render_html
from discovery.report import ScanReport
from registry.db import make_engine
from registry.errors import DomainError
from registry.filings.models import Filing
from registry.scans import service
from registry.settings import Settings

console = Console()
err = Console(stderr=True)


def _reconcile_registry(filing_number: str, report: ScanReport) -> Reconciliation:
    """Against the filing as the registry's database holds it (CAMREG_DATABASE_URL)."""
    with Session(make_engine(Settings())) as session:
        filing = session.exec(select(Filing).where(Filing.number == filing_number)).first()
        if filing is None:
            raise DomainError(f"备案编号 {filing_number} 不存在 / no filing numbered {filing_number}",
                              field="filing_number")
        return service.reconcile_filing(session, filing=filing, report=report)


def _reconcile_offline(path: Path, filing_number: str, report: ScanReport) -> Reconciliation:
    """Against the filed cameras downloaded to the laptop (discovery/filed.py): the same rules, no database."""
    try:
        site = filed_file.load(path).site(filing_number)
    except filed_file.FiledFileError as exc:
        raise DomainError(str(exc), field="filed") from exc
    return reconcile(site.cameras, report.devices, declared_retention_days=site.retention_days)


def reconcile_command(
    filing_number: Annotated[str, typer.Argument(help="13-digit filing number")],
    report_file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="JSON written by camreg scan")],
    json_output: Annotated[bool, typer.Option("--json", help="machine-readable output")] = False,
    html: Annotated[Path | None, typer.Option(help="also write a printable HTML report here")] = None,
    csv: Annotated[Path | None, typer.Option(help="also write a CSV here")] = None,
    filed: Annotated[Path | None, typer.Option(
        exists=True, dir_okay=False,
        help="offline: the operator's filed cameras downloaded from its page (no server or database needed)")] = None,
) -> None:
    """Classify every filed camera and scanned device: matched, changed, missing, unfiled, ambiguous."""
    try:
        report = service.parse_upload(report_file.read_bytes(), report_file.name)
        if filed is not None:
            result = _reconcile_offline(filed, filing_number, report)
        else:
            result = _reconcile_registry(filing_number, report)
    except DomainError as exc:
        if json_output:
            print(json.dumps({"error": exc.to_dict()["error"]}, ensure_ascii=False))
        else:
            err.print(f"[red]{exc.message}[/]")
        raise typer.Exit(1) from None
    if html:
        html.write_text(render_html(result, subtitle=f"备案编号 {filing_number}"), encoding="utf-8")
    if csv:
        csv.write_text(render_csv(result), encoding="utf-8-sig")
    if json_output:
        print(json.dumps({"filing_number": filing_number, **result.to_dict()}, ensure_ascii=False))
        return
    table = Table(title=f"核查比对 {filing_number}")
    for column in ("outcome", "code", "address", "details"):
        table.add_column(column)
    for entry in result.entries:
        details = ", ".join(f"{d.attribute}: {d.filed} → {d.seen}" for d in entry.differences) or entry.note
        table.add_row(entry.outcome.value, entry.filed.code if entry.filed else "",
                      entry.device.address if entry.device else "", details)
    console.print(table)
    console.print("  ".join(f"{outcome} {n}" for outcome, n in result.counts().items()))
