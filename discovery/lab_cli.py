"""`camreg lab up|down|status`: a simulated camera fleet for tests and demos (Typer app `lab_app`)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from discovery.lab import LabError, build_fleet, default_state_dir, down, up
from discovery.lab.lab import Lab, running_labs
from discovery.lab.netns import netns_unavailable_reason
from discovery.lab.quirks import QUIRK_MODES
from discovery.lab.vendors import DEFAULT_VENDORS, STYLES

lab_app = typer.Typer(
    help="Simulated ONVIF camera fleet (network namespaces, or loopback without root).", no_args_is_help=True
)
_err = Console(stderr=True)

NameOpt = Annotated[str, typer.Option("--name", help="Lab name (namespaces are camreg-lab-NAME-*).")]
StateOpt = Annotated[Path | None, typer.Option("--state-dir", help="State files [default: /run/camreg-lab].")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Machine-readable output.")]


def _vendor_list(text: str) -> list[str]:
    vendors = [v.strip() for v in text.split(",") if v.strip()]
    unknown = [v for v in vendors if v not in STYLES]
    if unknown or not vendors:
        raise typer.BadParameter(f"unknown style(s) {', '.join(unknown) or '(none given)'}; known: {', '.join(STYLES)}")
    return vendors


def _opt(help_text: str, **kw: Any) -> Any:
    return typer.Option(help=help_text, **kw)


@lab_app.command("up")
def up_cmd(
    cameras: Annotated[int, _opt("Number of simulated cameras.", min=1)] = 20,
    vendors: Annotated[str, _opt(f"Comma-separated styles: {','.join(STYLES)}.")] = ",".join(DEFAULT_VENDORS),
    subnets: Annotated[int, _opt("2 adds a routed 198.18.2.0/24 multicast does not reach.", min=1, max=2)] = 1,
    routed: Annotated[int | None, _opt("Cameras on the routed subnet [default: a quarter].")] = None,
    hostile: Annotated[int, _opt("Hostile devices (bombs, huge or endless replies, ...).", min=0)] = 0,
    hostile_mode: Annotated[
        list[str] | None, _opt("Instead of --hostile: one device per CHANNEL:MODE, e.g. http:endless_reply.")
    ] = None,
    quirky: Annotated[int, _opt("Cameras with a real-device quirk (wrong XAddr port, garbled MAC, ...).", min=0)] = 0,
    quirk: Annotated[
        list[str] | None, _opt(f"Instead of --quirky: one camera per MODE ({', '.join(QUIRK_MODES)}).")
    ] = None,
    lockout_after: Annotated[int, _opt("Failed logins that lock a camera's account (0: never).", min=0)] = 5,
    skewed: Annotated[int | None, _opt("Cameras with a wrong clock [default: a fifth].")] = None,
    wrong_credentials: Annotated[int | None, _opt("Cameras without a site password [default: a tenth].")] = None,
    discovery_off: Annotated[int | None, _opt("Cameras with WS-Discovery off [default: 1 in 20].")] = None,
    drop_rate: Annotated[float, _opt("Share of probes and replies each camera loses.", min=0.0, max=0.99)] = 0.0,
    max_delay_ms: Annotated[int, _opt("Longest random delay before a ProbeMatch.", min=0)] = 500,
    seed: Annotated[int, _opt("Seed: same seed, same fleet.")] = 0,
    recording: Annotated[int, _opt("Devices offering ONVIF Recording Search (12, 45, 30, 90, 7.5 days held in turn).",
                                   min=0)] = 0,
    loopback: Annotated[bool, typer.Option("--loopback", help="Loopback mode: 127.77.x.y, ports per device.")] = False,
    name: NameOpt = "demo",
    state_dir: StateOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Start a simulated fleet and print its devices and how to scan them."""
    reason = netns_unavailable_reason()
    if not loopback and reason is not None:
        _err.print(f"[yellow]{reason}: using loopback mode[/yellow]")
        loopback = True
    try:
        spec = build_fleet(
            cameras,
            vendors=_vendor_list(vendors),
            subnets=subnets,
            routed=routed,
            seed=seed,
            hostile=hostile_mode or hostile,
            quirks=quirk or quirky,
            lockout_after=lockout_after,
            skewed=skewed,
            wrong_credentials=wrong_credentials,
            discovery_off=discovery_off,
            drop_rate=drop_rate,
            loopback=loopback,
            name=name,
            max_delay_ms=max_delay_ms,
            recording=recording,
        )
        lab = up(spec, state_dir=state_dir)
    except (ValueError, LabError) as exc:
        _err.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from None
    if as_json:
        sys.stdout.write(json.dumps(lab.truth(), ensure_ascii=False, indent=1) + "\n")
        return
    _print_lab(lab)


def _print_lab(lab: Lab) -> None:
    con = Console()
    table = Table(title=f"lab {lab.name} ({lab.mode}, {len(lab.devices)} devices)")
    for col in (
        "id",
        "http",
        "udp",
        "vendor",
        "model",
        "serial",
        "skew s",
        "creds",
        "discovery",
        "hostile",
        "quirks",
        "expected",
    ):
        table.add_column(col, no_wrap=col in ("id", "http", "udp"))
    for d in lab.devices:
        discovery = "multicast" if d.multicast_reachable else ("unicast" if d.unicast_probe_answers else "off")
        hostile = ", ".join(f"{k}:{v}" for k, v in (("http", d.hostile_http), ("wsd", d.hostile_wsd)) if v)
        table.add_row(
            d.id,
            f"{d.ip}:{d.http_port}",
            str(d.wsd_port),
            d.vendor,
            d.model,
            d.serial,
            f"{d.clock_skew_s:g}",
            "site" if d.credentials_known else "other",
            discovery,
            hostile,
            ", ".join(d.quirks),
            d.expected,
        )
    con.print(table)
    creds = " ".join(f"{u}:{p}" for u, p in lab.spec.site_credentials)
    host, port = lab.multicast_target
    con.print(f"site credentials: {creds}")
    con.print(f"subnets: {' '.join(lab.cidrs)}; multicast probes to {host}:{port}")
    scan = f"camreg scan {' '.join(f'--cidr {c}' for c in lab.cidrs)} --out scan.json"
    if lab.laptop_netns:
        con.print(f"scan from the laptop namespace:  ip netns exec {lab.laptop_netns} {scan}")
    else:
        con.print(
            "loopback mode: each device has its own HTTP port (above) and UDP port (--json: wsd_port);"
            f" multicast is emulated by {host}:{port}"
        )
    custom = lab.state_dir != default_state_dir()
    con.print(f"remove:  camreg lab down --name {lab.name}" + (f" --state-dir {lab.state_dir}" if custom else ""))


@lab_app.command("down")
def down_cmd(
    name: NameOpt = "demo",
    state_dir: StateOpt = None,
    force: Annotated[bool, _opt("Also remove camreg-lab-NAME-* namespaces no state file lists (orphans).")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Remove a lab: exactly the processes, namespaces and files its `up` made."""
    removed = down(name, state_dir=state_dir, force=force)
    if as_json:
        sys.stdout.write(json.dumps({"name": name, "removed": removed}) + "\n")
    elif removed:
        for item in removed:
            typer.echo(f"removed {item}")
    else:
        typer.echo(f"no lab {name!r} is up; nothing to remove")


@lab_app.command("status")
def status_cmd(state_dir: StateOpt = None, as_json: JsonOpt = False) -> None:
    """List running labs."""
    labs = [Lab.load(n, state_dir) for n in running_labs(state_dir)]
    rows = [
        {
            "name": lab.name,
            "mode": lab.mode,
            "complete": lab.state.get("complete", False),
            "devices": len(lab.state.get("spec", {}).get("devices", [])),
        }
        for lab in labs
    ]
    if as_json:
        sys.stdout.write(json.dumps(rows) + "\n")
        return
    if not rows:
        typer.echo("no lab is up")
    for row in rows:
        note = "" if row["complete"] else " (incomplete: run `camreg lab down`)"
        typer.echo(f"{row['name']}: {row['mode']}, {row['devices']} devices{note}")
