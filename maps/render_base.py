"""Shared pieces of the offline maps: base map, offline HTML, colours, tooltips, camera aggregation.

Every map has no tiles by default (district or station outlines are the base); `tile_url` adds an
intranet tile server ("http://tiles.example/{z}/{x}/{y}.png"). Leaflet and its plugin are inlined
from maps/static (or linked under `asset_base`), so a page works with no internet at all.
"""

from __future__ import annotations

import html as htmlmod
import itertools
from collections.abc import Mapping, Sequence
from typing import Any

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from maps import assets
from maps.coverage import UTM50N, WGS84, full_circle_mask
from maps.render_layers import BaseStyle, FitView, ReadyFlag

#: Sequential colours (ColorBrewer YlOrRd, 6 classes) for the choropleth.
PALETTE = ("#ffffb2", "#fed976", "#feb24c", "#fd8d3c", "#f03b20", "#bd0026")


def geo_frame(frame: gpd.GeoDataFrame, what: str) -> gpd.GeoDataFrame:
    """`frame` in WGS-84, refusing frames without a CRS or without rows."""
    if not isinstance(frame, gpd.GeoDataFrame):
        raise TypeError(f"{what}: expected a GeoDataFrame, got {type(frame).__name__}")
    if frame.crs is None:
        raise ValueError(f"{what}: no CRS set; expected WGS-84 (EPSG:4326)")
    if frame.empty:
        raise ValueError(f"{what}: no rows")
    return frame.to_crs(WGS84)


def slim(frame: gpd.GeoDataFrame, tolerance: float) -> gpd.GeoDataFrame:
    """Geometry simplified (degrees) and rounded to 1e-5° (~1 m): outlines for display, not for analysis."""
    out = frame.copy()
    geom = shapely.simplify(out.geometry.to_numpy(), tolerance, preserve_topology=True)
    out["geometry"] = shapely.set_precision(geom, 1e-5)
    return out


def base_map(bounds: Sequence[float], *, tile_url: str | None = None, tile_attr: str = "内网底图") -> folium.Map:
    """An empty map fitted to (minx, miny, maxx, maxy), no tiles unless `tile_url` is given.

    The tiles must be Web Mercator on WGS-84/CGCS2000, like our data; GCJ-02 tiles (Chinese web maps)
    would sit 500–600 m off every outline and camera.
    """
    minx, miny, maxx, maxy = bounds
    m = folium.Map(location=[(miny + maxy) / 2, (minx + maxx) / 2], zoom_start=10, tiles=None,
                   control_scale=True, max_zoom=19)
    m.options["max_zoom"] = 19  # with no tile layer Leaflet has no max zoom, which markercluster needs
    m.options["zoom_snap"] = 0.25  # fit a city or district to a big screen, not to the nearest power of 2
    if tile_url:
        if not tile_url.startswith(("http://", "https://", "/")) or "{z}" not in tile_url:
            raise ValueError(f"tile_url: expected an http(s) or /path URL with {{z}}/{{x}}/{{y}}, got {tile_url!r}")
        folium.TileLayer(tiles=tile_url, attr=tile_attr, name="底图", max_zoom=19).add_to(m)
    FitView((miny, minx), (maxy, maxx)).add_to(m)
    BaseStyle().add_to(m)
    return m


def to_html(m: folium.Map, *, asset_base: str | None = None) -> str:
    """Render `m` offline: vendored assets inlined (or linked under `asset_base`), no outside URL.

    The only URLs allowed to remain are the map's own tile layers (the intranet tile server).
    """
    root = m.get_root()
    if not any(isinstance(el, ReadyFlag) for el in m._children.values()):
        ReadyFlag().add_to(m)
    assets.localise(root)
    tiles = [str(el.tiles).split("{")[0] for el in assets.walk(root) if isinstance(el, folium.TileLayer)]
    return assets.finish_html(root.render(), asset_base, allowed_urls=tiles)


def class_breaks(values: np.ndarray, n: int = len(PALETTE)) -> list[float]:
    """Up to `n`-1 increasing class boundaries at quantiles of `values` (duplicates dropped)."""
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return []
    qs = np.quantile(finite, np.linspace(0, 1, n + 1)[1:-1])
    return sorted({float(f"{q:.3g}") for q in qs if q > finite.min()})


def colour_for(value: float, breaks: Sequence[float]) -> str:
    """Palette colour of the class `value` falls in."""
    idx = int(np.searchsorted(np.asarray(breaks), value, side="right")) if breaks else 0
    return PALETTE[round(idx * (len(PALETTE) - 1) / max(len(breaks), 1))]


def legend_html(title: str, breaks: Sequence[float]) -> str:
    """Legend HTML: one coloured row per class."""
    edges = [None, *breaks, None]
    rows = []
    for lo, hi in itertools.pairwise(edges):
        if lo is None and hi is None:
            label = "全部 all"  # every area has the same value: one class, no edges
        else:
            label = f"< {hi:g}" if lo is None else f"≥ {lo:g}" if hi is None else f"{lo:g} – {hi:g}"
        rows.append(f'<i style="background:{colour_for(lo if lo is not None else -np.inf, breaks)}"></i>{label}')
    return f"<b>{htmlmod.escape(title)}</b><br>" + "<br>".join(rows)


def fmt_stats(row: Mapping[str, Any]) -> dict[str, str]:
    """Display strings for a stats row (what tooltips show)."""
    out = {"cameras_s": f"{int(row['cameras']):,}", "density_s": f"{float(row['density']):,.1f}",
           "area_s": f"{float(row['area_km2']):,.1f}"}
    if "covered_km2" in row and pd.notna(row["covered_km2"]):
        pct = 100 * float(row["covered_km2"]) / float(row["area_km2"]) if row["area_km2"] else 0.0
        out["covered_s"] = f"{float(row['covered_km2']):,.2f} km² ({pct:.1f}%)"
    if "overdue" in row and pd.notna(row["overdue"]):
        out["overdue_s"] = f"{int(row['overdue']):,}"
    return out


TIP_FIELDS = [("name", "名称"), ("cameras_s", "摄像机"), ("density_s", "台/km²"), ("area_s", "面积 km²"),
               ("covered_s", "覆盖面积"), ("overdue_s", "办理超期")]


def choropleth(m: folium.Map, areas: gpd.GeoDataFrame, metric: str, breaks: Sequence[float], css: str,
               opacity: float = 0.75) -> None:
    """Add `areas` (with formatted stats columns) coloured by `metric`, with hover tooltips."""
    fields = [(f, a) for f, a in TIP_FIELDS if f in areas.columns]
    props = areas[[f for f, _ in fields] + ["geometry"]].copy()
    props["name"] = props["name"].astype(str).map(htmlmod.escape)  # folium's tooltip sets innerHTML
    props["fill"] = [colour_for(v, breaks) for v in areas[metric].astype(float)]
    folium.GeoJson(
        props.__geo_interface__,
        name=css,
        style_function=lambda f: {"fillColor": f["properties"]["fill"], "color": "#444", "weight": 1.2,
                                  "fillOpacity": opacity, "className": css},
        highlight_function=lambda f: {"weight": 3, "color": "#000"},
        tooltip=folium.GeoJsonTooltip(fields=[f for f, _ in fields], aliases=[a for _, a in fields]),
        zoom_on_click=True,
    ).add_to(m)


def grid_cells(lons: np.ndarray, lats: np.ndarray, cell_m: float) -> pd.DataFrame:
    """Count points per square cell of `cell_m` metres (UTM 50N); lat/lon of each cell's mean point."""
    from pyproj import Transformer

    x, y = Transformer.from_crs(WGS84, UTM50N, always_xy=True).transform(lons, lats)
    ij = np.stack([np.floor(np.asarray(x) / cell_m), np.floor(np.asarray(y) / cell_m)]).astype(np.int64)
    _, inverse, counts = np.unique(ij, axis=1, return_inverse=True, return_counts=True)
    inverse = inverse.reshape(-1)
    return pd.DataFrame({
        "lat": np.bincount(inverse, weights=lats) / counts,
        "lon": np.bincount(inverse, weights=lons) / counts,
        "n": counts,
    })


def camera_payload(cameras: pd.DataFrame, cell_m: float, detail_zoom: int, max_detail: int) -> dict[str, Any]:
    """The compact columnar data CameraLayer draws from (positions quantised to 1e-5°, ~1 m)."""
    lon = cameras["lon"].to_numpy(dtype=float)
    lat = cameras["lat"].to_numpy(dtype=float)
    if not (np.isfinite(lon).all() and np.isfinite(lat).all()):
        raise ValueError("cameras: lon/lat must all be numbers (found NaN or infinity)")
    cells = grid_cells(lon, lat, cell_m) if len(lon) else pd.DataFrame({"lat": [], "lon": [], "n": []})
    origin = [float(np.floor(lat.min() * 100) / 100), float(np.floor(lon.min() * 100) / 100)] if len(lon) else [0, 0]
    scale = 100_000
    payload: dict[str, Any] = {
        "origin": origin, "scale": scale, "detailZoom": detail_zoom, "sectorZoom": detail_zoom + 2,
        "maxDetail": max_detail,
        "lat": np.rint((lat - origin[0]) * scale).astype(np.int64).tolist(),
        "lon": np.rint((lon - origin[1]) * scale).astype(np.int64).tolist(),
        "cells": [[round(a, 5), round(b, 5), int(c)] for a, b, c in cells.itertuples(index=False)],
        "breaks": [int(q) for q in np.quantile(cells["n"], [0.5, 0.9])] if len(cells) else [10, 100],
    }
    if {"azimuth", "fov", "range"} <= set(cameras.columns):
        kinds = cameras["kind"].tolist() if "kind" in cameras.columns else None
        fov = cameras["fov"].to_numpy(dtype=float)
        payload["full"] = full_circle_mask(kinds, fov).astype(int).tolist()
        payload["az"] = np.rint(np.nan_to_num(cameras["azimuth"].to_numpy(dtype=float))).astype(int).tolist()
        payload["fov"] = np.rint(np.nan_to_num(fov, nan=360)).astype(int).tolist()
        payload["rng"] = np.rint(cameras["range"].to_numpy(dtype=float)).astype(int).tolist()
    for col in ("code", "name"):
        if col in cameras.columns:  # escaped: the page shows them as HTML tooltips
            payload[col] = cameras[col].fillna("").astype(str).map(htmlmod.escape).tolist()
    return payload


def auto_cell_m(area_km2: float, target_cells: int = 150) -> float:
    """A round cell size giving about `target_cells` cells over the area (between 100 m and 5 km)."""
    raw = float(np.sqrt(max(area_km2, 0.01) * 1e6 / target_cells))
    return float(min(5000, max(100, round(raw, -2))))
