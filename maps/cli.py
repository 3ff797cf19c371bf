"""CLI commands of the geography core: `camreg route` and `camreg layers-check` (mounted by registry/cli.py)."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import Annotated

import typer

from maps.datums import CRS_NAMES, CrsError, normalise_crs

EXIT_ROUTING = 1  # the request was understood but cannot be answered (outside Beijing, unknown unit)
EXIT_USAGE = 2  # a bad option value, like click's own usage errors


def _fail(json_output: bool, code: str, message: str, exit_code: int) -> typer.Exit:
    if json_output:
        typer.echo(json.dumps({"error": {"code": code, "message": message}}, ensure_ascii=False))
    else:
        typer.echo(f"error: {message}", err=True)
    return typer.Exit(exit_code)


def route_command(
    lon: Annotated[float, typer.Option("--lon", help="Longitude of the operator's location.")],
    lat: Annotated[float, typer.Option("--lat", help="Latitude of the operator's location.")],
    crs: Annotated[str, typer.Option("--crs", help=f"Datum of --lon/--lat: {', '.join(CRS_NAMES)}.")] = "wgs84",
    affiliation: Annotated[str | None, typer.Option(
        "--affiliation", help="3-digit code of the unit the operator is security-affiliated with.")] = None,
    system_kind: Annotated[str, typer.Option(
        "--system-kind", help="ordinary, city_government or district_government.")] = "ordinary",
    place_kind: Annotated[str | None, typer.Option(
        "--place-kind", help="road, public_place or internal (an office building: a government-built system "
        "there is routed by the ordinary rules); omitted = not declared.")] = None,
    geo_dir: Annotated[Path | None, typer.Option(
        "--geo-dir", help="Layer directory or GeoPackage (default: CAMREG_GEO_DIR or the sample city).")] = None,
    json_output: Annotated[bool, typer.Option("--json", help="Print the answer as JSON.")] = False,
) -> None:
    """Who verifies and who files an operator's video system, and by which rule (SPEC §2)."""
    from maps.routing import Jurisdictions, OutsideJurisdiction, RoutingError

    try:
        normalise_crs(crs)
    except CrsError as exc:
        raise _fail(json_output, "bad_crs", str(exc), EXIT_USAGE) from exc
    try:
        answer = Jurisdictions.load(geo_dir).route(lon, lat, affiliation=affiliation, system_kind=system_kind,
                                                   place_kind=place_kind, crs=crs)
    except OutsideJurisdiction as exc:
        raise _fail(json_output, "outside_jurisdiction", str(exc), EXIT_ROUTING) from exc
    except RoutingError as exc:
        raise _fail(json_output, "bad_request", str(exc), EXIT_ROUTING) from exc
    if json_output:
        typer.echo(json.dumps(answer.to_dict(), ensure_ascii=False))
        return
    typer.echo(answer.explanation)
    typer.echo(f"  区 district:        {answer.district_code}")
    typer.echo(f"  派出所 station:     {answer.station} ({answer.station_id})")
    typer.echo(f"  核对 verifying:     {answer.verifying_unit}")
    typer.echo(f"  备案 filing unit:   {answer.filing_unit.code} {answer.filing_unit.name}")
    if answer.flags:
        typer.echo(f"  flags:              {', '.join(answer.flags)}")


def layers_check_command(
    path: Annotated[Path, typer.Argument(help="Layer directory or GeoPackage to check.")],
    crs: Annotated[str | None, typer.Option("--crs", help="CRS of files that declare none, e.g. EPSG:4326.")] = None,
    json_output: Annotated[bool, typer.Option("--json", help="Print the issues as JSON.")] = False,
) -> None:
    """Validate a department's jurisdiction layers: invalid geometries, overlaps, gaps, nesting."""
    from maps.layers import LayerError, check_layers

    try:
        issues = check_layers(path, crs=crs)
    except LayerError as exc:
        raise _fail(json_output, "bad_layer", str(exc), EXIT_ROUTING) from exc
    if json_output:
        typer.echo(json.dumps({"ok": not issues, "issues": [asdict(i) for i in issues]}, ensure_ascii=False))
    else:
        for issue in issues:
            typer.echo(str(issue))
        typer.echo(f"{len(issues)} issue(s) in {path}")
    if issues:
        raise typer.Exit(EXIT_ROUTING)
