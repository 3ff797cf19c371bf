"""``camreg map render``: coverage maps from the registry's database, written as offline HTML."""

from __future__ import annotations

import os
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from sqlmodel import Session

from registry.db import make_engine
from registry.errors import DomainError
from registry.settings import Settings

err = Console(stderr=True)
map_app = typer.Typer(help="覆盖地图 coverage maps that open offline", no_args_is_help=True)


class View(StrEnum):
    """Which map to draw."""

    city = "city"
    district = "district"
    operator = "operator"


@map_app.command("render")
def render(
    view: Annotated[View, typer.Argument(help="city, district CODE or operator ID")],
    target: Annotated[str | None, typer.Argument(help="district code or operator id")] = None,
    out: Annotated[Path, typer.Option("--out", help="HTML file to write")] = Path("map.html"),
    data_dir: Annotated[Path | None, typer.Option("--data-dir", help="default: CAMREG_DATA_DIR")] = None,
    metric: Annotated[str, typer.Option(help="city view colouring: density or cameras")] = "density",
) -> None:
    """Draw a map of the whole registry (as the city department sees it) into one self-contained file."""
    # folium and geopandas take a second to import: only this command pays for them.
    from maps.render import write_map
    from registry.coverage import service

    if data_dir is not None:
        os.environ["CAMREG_DATA_DIR"] = str(data_dir.resolve())
    settings = Settings()
    if view != View.city and not target:
        err.print(f"[red]{view.value} needs a {'district code' if view == View.district else 'operator id'}[/]")
        raise typer.Exit(2)
    try:
        with Session(make_engine(settings)) as session:
            if view == View.city:
                html = service.city_html(session, user=None, metric=metric, tile_url=settings.tile_url)
            elif view == View.district:
                html = service.district_html(session, user=None, district_code=str(target),
                                             tile_url=settings.tile_url)
            else:
                if not str(target).isdigit():
                    err.print(f"[red]operator id must be a number, not {target!r}[/]")
                    raise typer.Exit(2)
                html = service.operator_html(session, user=None, operator_id=int(str(target)),
                                             tile_url=settings.tile_url)
    except (DomainError, ValueError) as exc:
        err.print(f"[red]{getattr(exc, 'message', exc)}[/]")
        raise typer.Exit(1) from None
    path = write_map(html, out)
    typer.echo(f"wrote {path} ({path.stat().st_size / 1e6:.2f} MB)")
