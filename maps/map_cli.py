"""`camreg map sample …`: render the offline maps from the sample city and seeded synthetic cameras.

No registry, no database: for demos, benchmarks and checking a browser offline. The registry's own
`camreg map render` passes real data to maps.render instead.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
import typer

from maps.coverage import coverage_stats
from maps.layers import default_geo_dir, read_layer
from maps.render import build_city, build_district, build_operator, write_map

KINDS = np.array(["bullet", "dome", "ptz"])
KIND_WEIGHTS = (0.7, 0.2, 0.1)

app = typer.Typer(help="Offline coverage maps of the sample city with synthetic cameras (no database).")


@app.callback()
def _group() -> None:
    """Offline coverage maps of the sample city (keeps `sample` a subcommand)."""


class View(StrEnum):
    """Which map to draw."""

    city = "city"
    district = "district"
    operator = "operator"


def points_in(areas: gpd.GeoDataFrame, counts: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """`counts[i]` uniform random points inside area i (rejection sampling in its bounding box)."""
    lons, lats = [], []
    for geom, want in zip(areas.geometry, counts, strict=True):
        minx, miny, maxx, maxy = geom.bounds
        chunks: list[np.ndarray] = []
        have = 0
        while have < want:
            batch = max(1000, int((want - have) * 1.6))
            x, y = rng.uniform(minx, maxx, batch), rng.uniform(miny, maxy, batch)
            keep = shapely.contains_xy(geom, x, y)
            chunks.append(np.column_stack([x[keep], y[keep]]))
            have += int(keep.sum())
        pts = np.concatenate(chunks)[:want]
        lons.append(pts[:, 0])
        lats.append(pts[:, 1])
    return np.concatenate(lons), np.concatenate(lats)


def synthetic_cameras(areas: gpd.GeoDataFrame, n: int, *, key: str = "district_code", seed: int = 0) -> pd.DataFrame:
    """`n` seeded synthetic cameras inside `areas`, more per km² in small (central) areas.

    Areas get cameras in proportion to the square root of their size, so the dense centre and the
    sparse outskirts differ as in a real city. Columns: lon, lat, `key`, code (20 digits, GB/T 28181
    layout with type 132), name, azimuth, fov, range (m), kind (bullet/dome/ptz).
    """
    if n < 0:
        raise ValueError(f"cameras: must be >= 0, got {n}")
    rng = np.random.default_rng(seed)
    weight = np.sqrt(areas.to_crs("EPSG:32650").area.to_numpy())
    counts = np.floor(n * weight / weight.sum()).astype(np.int64)
    counts[: n - counts.sum()] += 1
    lon, lat = points_in(areas, counts, rng)
    owner = np.repeat(areas[key].astype(str).to_numpy(), counts)
    kind = rng.choice(KINDS, size=n, p=KIND_WEIGHTS)
    serial = np.arange(n) % 1_000_000
    centre = pd.Series(owner).str.slice(0, 6).str.ljust(6, "0") + "00"
    return pd.DataFrame({
        "lon": lon, "lat": lat, key: owner,
        "code": centre + "50" + "132" + "0" + pd.Series(serial).astype(str).str.zfill(6),
        "name": "摄像机" + pd.Series(np.arange(1, n + 1)).astype(str),
        "azimuth": rng.uniform(0, 360, n).round(),
        "fov": np.where(kind == "bullet", rng.uniform(30, 110, n).round(), 360.0),
        "range": np.select([kind == "bullet", kind == "dome"], [rng.uniform(30, 150, n), rng.uniform(10, 30, n)],
                           rng.uniform(50, 200, n)).round(),
        "kind": kind,
    })


def sample_map(view: View, *, cameras: int = 20_000, seed: int = 0, district: str = "110108",
               geo_dir: Path | None = None, tile_url: str | None = None, coverage: bool = True) -> folium.Map:
    """The chosen view of the sample city with `cameras` synthetic cameras (city-wide or per district)."""
    geo = geo_dir or default_geo_dir()
    districts = read_layer(geo, "district")
    if view is View.city:
        cams = synthetic_cameras(districts, cameras, seed=seed)
        stats = coverage_stats(districts, cams, key="district_code", with_coverage=coverage)
        return build_city(districts, stats, tile_url=tile_url)
    chosen = districts[districts["district_code"] == district]
    if chosen.empty:
        raise ValueError(f"district: {district!r} is not in {geo} (has {', '.join(districts['district_code'])})")
    stations = read_layer(geo, "station")
    stations = stations[stations["district_code"] == district]
    if view is View.district:
        cams = synthetic_cameras(stations, cameras, key="station_id", seed=seed)
        stats = coverage_stats(stations, cams, key="station_id", with_coverage=coverage)
        sites = cams.sample(n=min(60, len(cams)), random_state=seed)[["lon", "lat", "name"]].assign(note="办理超期")
        return build_district(chosen, stations, cams, stats=stats, sites=sites, tile_url=tile_url)
    site_area = stations.iloc[[0]]
    rng = np.random.default_rng(seed)
    centre = site_area.geometry.iloc[0].representative_point()
    cams = synthetic_cameras(site_area, cameras, key="station_id", seed=seed)
    # An operator's cameras sit around its site: pull them to within ~150 m of it.
    cams["lon"] = centre.x + rng.uniform(-0.0015, 0.0015, len(cams))
    cams["lat"] = centre.y + rng.uniform(-0.0012, 0.0012, len(cams))
    site = {"lon": centre.x, "lat": centre.y, "name": "样例单位（合成数据）", "address": str(site_area["name"].iloc[0])}
    return build_operator(site, cams, context=site_area, tile_url=tile_url)


def render_sample(view: View | str, out: Path, *, cameras: int = 20_000, seed: int = 0, district: str = "110108",
                  geo_dir: Path | None = None, tile_url: str | None = None, inline_assets: bool = True) -> Path:
    """Write the chosen sample view to `out` (self-contained, or with assets in `<name>_files/`)."""
    m = sample_map(View(view), cameras=cameras, seed=seed, district=district, geo_dir=geo_dir, tile_url=tile_url)
    return write_map(m, out, inline_assets=inline_assets)


@app.command("sample")
def sample_cmd(
    view: View = typer.Argument(..., help="city, district or operator"),
    out: Path = typer.Option(..., "--out", help="HTML file to write"),
    cameras: int = typer.Option(20_000, help="synthetic cameras: city-wide, in the district, or the operator's"),
    seed: int = typer.Option(0, help="random seed: the same seed gives the same cameras"),
    district: str = typer.Option("110108", help="district code for the district and operator views"),
    geo_dir: Path | None = typer.Option(None, help="jurisdiction layers directory (default: the sample city)"),
    tile_url: str | None = typer.Option(None, envvar="CAMREG_TILE_URL", help="intranet tile server {z}/{x}/{y} URL"),
    linked: bool = typer.Option(False, help="write Leaflet beside the page instead of inlining it"),
) -> None:
    """Render a sample map that opens offline from disk."""
    try:
        path = render_sample(view, out, cameras=cameras, seed=seed, district=district, geo_dir=geo_dir,
                             tile_url=tile_url, inline_assets=not linked)
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from exc
    typer.echo(f"wrote {path} ({path.stat().st_size / 1e6:.2f} MB)")


if __name__ == "__main__":
    app()
