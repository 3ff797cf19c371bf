"""`camreg scan`: discover and identify devices on a site network; no server, no database.

The lead mounts it with `app.command("scan")(scan_command)`.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn
from rich.table import Table

from discovery.allowlist import AllowList, ScanRefused
from discovery.credentials import Credential, CredentialBook, CredentialFileError, load_credentials
from discovery.deviceauth import DEFAULT_MAX_TRIES
from discovery.identity import IdentifyOptions
from discovery.report import write_report
from discovery.scan import METHODS, ScanConfig, run_scan
from discovery.sweep import DEFAULT_PORTS, NON_HTTP_PORTS, SweepOptions

_LABELS = {
    "discover": "Discovering (WS-Discovery)",
    "sweep": "Sweeping addresses",
    "identify": "Identifying (ONVIF)",
}


def _ports(text: str) -> list[int]:
    try:
        ports = [int(p) for p in text.split(",") if p.strip()]
    except ValueError as exc:
        raise typer.BadParameter(f"--ports {text!r}: comma-separated port numbers expected") from exc
    if not ports or any(not 0 < p < 65536 for p in ports):
        raise typer.BadParameter(f"--ports {text!r}: ports must be between 1 and 65535")
    return ports


def _prompt_credentials(cidrs: list[str], err: Console) -> CredentialBook:
    """Ask once for a pair used on every network; only when a person is at the keyboard."""
    if not sys.stdin.isatty():
        return CredentialBook()
    err.print("No --credentials file: enter the camera credentials (empty user = scan without).")
    user = err.input("ONVIF user: ").strip()  # prompts go to stderr: stdout may carry --json
    if not user:
        return CredentialBook()
    return CredentialBook.single(cidrs, Credential(user, err.input("ONVIF password (hidden): ", password=True)))


def _summary_table(report: dict[str, Any]) -> Table:
    table = Table(title=f"{report['summary']['devices']} device(s) on {', '.join(report['networks'])}")
    table.add_column("address", no_wrap=True)
    for col in ("manufacturer / model", "firmware", "serial", "MAC", "found by"):
        table.add_column(col)
    table.add_column("status", no_wrap=True)
    for d in report["devices"]:
        status = d["status"] if d["status"] == "ok" else f"[red]{d['status']}[/red]"
        table.add_row(
            d["address"],
            f"{d['manufacturer']} {d['model']}".strip(),
            d["firmware"],
            d["serial"],
            ", ".join(d["macs"]),
            ",".join(d["found_by"]),
            status,
        )
    return table


def scan_command(
    cidr: Annotated[
        list[str], typer.Option("--cidr", help="Network to scan (repeatable), e.g. 198.18.0.0/24")
    ],
    out: Annotated[Path | None, typer.Option("--out", help="Write the JSON report here")] = None,
    credentials: Annotated[
        Path | None,
        typer.Option(
            "--credentials", help="TOML file of credentials per network (format: discovery/README.md)"
        ),
    ] = None,
    allow: Annotated[
        list[str] | None,
        typer.Option("--allow", help="Also allow this network (adds to CAMREG_SCAN_ALLOWED_NETWORKS)"),
    ] = None,
    interface: Annotated[
        list[str] | None,
        typer.Option(
            "--interface", help="Send multicast probes on this interface (default: those inside --cidr)"
        ),
    ] = None,
    method: Annotated[
        list[str] | None, typer.Option("--method", help="multicast and/or sweep (default: both)")
    ] = None,
    ports: Annotated[str, typer.Option(help="TCP ports the sweep checks")] = ",".join(
        map(str, DEFAULT_PORTS)
    ),
    identify: Annotated[bool, typer.Option(help="Ask each device who it is (ONVIF)")] = True,
    profiles: Annotated[bool, typer.Option(help="Also read media profiles and stream URIs")] = False,
    recording: Annotated[
        bool, typer.Option(help="Read the days of footage held where a device offers ONVIF Recording Search")
    ] = True,
    timeout: Annotated[float, typer.Option(help="Seconds per ONVIF request")] = 3.0,
    max_auth_tries: Annotated[
        int,
        typer.Option(
            min=1,
            max=20,
            help="Requests carrying a password per device at most (cameras lock accounts after a few failures)",
        ),
    ] = DEFAULT_MAX_TRIES,
    password_text: Annotated[
        bool,
        typer.Option(
            "--password-text",
            help="Also try WS-Security PasswordText, for cameras that refuse digests: passwords cross the "
            "network in clear text",
        ),
    ] = False,
    deadline: Annotated[float, typer.Option(help="Total seconds the sweep may take")] = 120.0,
    workers: Annotated[int, typer.Option(help="Devices identified at once")] = 32,
    prompt: Annotated[bool, typer.Option(help="Prompt for credentials when no file is given")] = True,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON on stdout")] = False,
) -> None:
    """Discover and identify the cameras on a site network (no server, no database needed)."""
    err = Console(stderr=True)
    try:
        allow_list = AllowList.from_env(allow or [])
        allow_list.check(cidr)  # refuse before asking for any password
        book = (
            load_credentials(credentials)
            if credentials
            else (_prompt_credentials(cidr, err) if prompt else CredentialBook())
        )
        cfg = ScanConfig(
            cidrs=cidr,
            allow=allow_list,
            interfaces=interface or [],
            methods=method or list(METHODS),
            credentials=book,
            identify=identify,
            identify_options=IdentifyOptions(
                request_timeout_s=timeout,
                profiles=profiles,
                recording=recording,
                max_auth_tries=max_auth_tries,
                password_text=password_text,
                fallback_ports=[p for p in _ports(ports) if p not in NON_HTTP_PORTS],
            ),
            sweep_options=SweepOptions(ports=_ports(ports), total_deadline_s=deadline),
            workers=workers,
        )
        with Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=err,
            transient=as_json,
        ) as bar:
            tasks: dict[str, TaskID] = {}

            def progress(phase: str, done: int, total: int) -> None:
                if phase not in tasks:
                    tasks[phase] = bar.add_task(_LABELS.get(phase, phase), total=total)
                bar.update(tasks[phase], completed=done, total=total)

            report = run_scan(cfg, progress)
    except (ScanRefused, CredentialFileError, ValueError) as exc:
        err.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from exc
    if out:
        write_report(report, out)
    if as_json:
        sys.stdout.write(json.dumps(report, ensure_ascii=False, indent=2) + "\n")
        return
    console = Console()
    console.print(_summary_table(report))
    counts = ", ".join(f"{k}: {v}" for k, v in report["summary"]["by_status"].items()) or "no devices"
    console.print(f"{counts} — {report['duration_s']:.1f} s" + (f" — written to {out}" if out else ""))
    for note in report["notes"]:
        console.print(f"[yellow]note:[/yellow] {note}")


def main() -> None:
    """`python -m discovery.cli …`: the scan command without the camreg root (used inside lab namespaces)."""
    typer.run(scan_command)


if __name__ == "__main__":
    main()
