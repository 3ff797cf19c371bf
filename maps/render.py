"""Offline folium maps: the city, a district, an operator's site. Plain data in, one HTML page out.

`build_*` return the folium.Map (to add to it or to write with assets beside it); `render_*` return
the finished, self-contained HTML. Inputs are WGS-84 (EPSG:4326) longitudes/latitudes and polygons.
"""

from __future__ import annotations

import html as htmlmod
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import folium
import geopandas as gpd
import pandas as pd
from folium.plugins import FastMarkerCluster

from maps import assets
from maps.coverage import CAMERA_COLUMNS, camera_sectors, require_columns
from maps.render_base import (
    auto_cell_m,
    base_map,
    camera_payload,
    choropleth,
    class_breaks,
    fmt_stats,
    geo_frame,
    legend_html,
    slim,
    to_html,
)
from maps.render_layers import CameraLayer, InfoBox, Labels

STATS_COLUMNS = ("cameras", "area_km2", "density")
METRIC_LABELS = {"density": "摄像机密度 (台/km²)", "cameras": "摄像机数量 (台)", "covered_pct": "覆盖率 (%)"}


def _with_stats(areas: gpd.GeoDataFrame, stats: pd.DataFrame, key: str) -> gpd.GeoDataFrame:
    """`areas` joined with `stats` on `key`, plus the formatted tooltip columns."""
    require_columns(stats, [key, *STATS_COLUMNS], "stats")
    merged = areas.merge(stats.drop(columns=["name"], errors="ignore"), on=key, how="left")
    missing = merged[merged["cameras"].isna()][key].tolist()
    if missing:
        raise ValueError(f"stats: no row for {key} {missing}")
    formatted = pd.DataFrame([fmt_stats(r) for r in merged.to_dict("records")], index=merged.index)
    return gpd.GeoDataFrame(pd.concat([merged, formatted], axis=1), crs=areas.crs)


def build_city(
    districts: gpd.GeoDataFrame,
    stats: pd.DataFrame,
    *,
    key: str = "district_code",
    metric: str = "density",
    tile_url: str | None = None,
    title: str = "全市公共安全视频图像信息系统",
) -> folium.Map:
    """City view: districts coloured by `metric` (density or cameras), numbers on hover and as labels.

    `districts`: polygons with columns `key` and `name`. `stats`: one row per district with `key`,
    `cameras`, `area_km2`, `density`, optionally `covered_km2` and `overdue` (what
    maps.coverage.coverage_stats returns). Nothing per camera is drawn: the page does not grow with
    the number of cameras.
    """
    districts = geo_frame(districts, "districts")
    require_columns(districts, [key, "name"], "districts")
    if metric not in stats.columns:
        raise ValueError(f"metric: {metric!r} is not a column of stats; choose density or cameras")
    merged = _with_stats(districts, stats, key)
    m = base_map(merged.total_bounds, tile_url=tile_url)
    breaks = class_breaks(merged[metric].to_numpy(dtype=float))
    choropleth(m, slim(merged, 0.0003), metric, breaks, "camreg-district")
    pts = merged.geometry.representative_point()
    digits = 0 if metric == "cameras" else 1
    Labels([(p.y, p.x, f"<b>{htmlmod.escape(str(n))}</b><br>{float(v):,.{digits}f}")
            for p, n, v in zip(pts, merged["name"], merged[metric], strict=True)],
           extents=merged.geometry.bounds.to_numpy().tolist()).add_to(m)
    total = int(merged["cameras"].sum())
    InfoBox(f"<b>{htmlmod.escape(title)}</b><br>摄像机 {total:,} 台 · {len(merged)} 个区", "topright").add_to(m)
    InfoBox(legend_html(METRIC_LABELS.get(metric, metric), breaks), "bottomright").add_to(m)
    return m


def render_city(districts: gpd.GeoDataFrame, stats: pd.DataFrame, *, asset_base: str | None = None,
                **options: Any) -> str:
    """City view as self-contained HTML (see build_city; `asset_base` links assets instead)."""
    return to_html(build_city(districts, stats, **options), asset_base=asset_base)


def _sites_layer(m: folium.Map, sites: pd.DataFrame) -> None:
    """Operator sites needing attention (overdue filings, inspections due), clustered client-side."""
    require_columns(sites, ["lon", "lat", "name"], "sites")
    notes = sites["note"].astype(str) if "note" in sites.columns else pd.Series("", index=sites.index)
    data = [[round(float(la), 6), round(float(lo), 6), htmlmod.escape(f"{n} {t}".strip())]
            for lo, la, n, t in zip(sites["lon"], sites["lat"], sites["name"], notes, strict=True)]
    callback = """function (row) {
        return L.marker([row[0], row[1]], {icon: L.divIcon({className: "camreg-site", html: "<div></div>",
            iconSize: [16, 16]})}).bindTooltip(row[2]);
    }"""  # folium prefixes "var callback = "
    FastMarkerCluster(data, callback=callback, name="待办单位", options={"maxClusterRadius": 50}).add_to(m)


def build_district(
    district: gpd.GeoDataFrame,
    stations: gpd.GeoDataFrame,
    cameras: pd.DataFrame,
    *,
    stats: pd.DataFrame | None = None,
    sites: pd.DataFrame | None = None,
    station_key: str = "station_id",
    tile_url: str | None = None,
    cell_m: float | None = None,
    detail_zoom: int = 15,
    max_detail: int = 3000,
    title: str | None = None,
) -> folium.Map:
    """District view: district outline, station areas, cameras aggregated per grid cell.

    `district`: the district polygon(s), with `name`. `stations`: station areas (polygons) or points
    with `station_key` and `name`. `cameras`: `lon`, `lat`, optional `code`, `name`, `azimuth`, `fov`,
    `range` (metres), `kind`. `stats`: per-station `station_key`, `cameras`, `area_km2`, `density`
    [, `covered_km2`, `overdue`] colours the stations. `sites`: `lon`, `lat`, `name` [, `note`] of
    operators needing attention. Cameras are counted server-side into `cell_m` cells (auto: ~150
    cells); from `detail_zoom` the cameras in view are drawn (at most `max_detail`), two zoom levels
    further their fields of view.
    """
    district = geo_frame(district, "district")
    stations = geo_frame(stations, "stations")
    require_columns(district, ["name"], "district")
    require_columns(stations, [station_key, "name"], "stations")
    require_columns(cameras, ["lon", "lat"], "cameras")
    m = base_map(district.total_bounds, tile_url=tile_url)
    folium.GeoJson(slim(district[["name", "geometry"]], 0.0002).__geo_interface__, name="辖区",
                   style_function=lambda f: {"color": "#333", "weight": 3, "fill": False,
                                             "className": "camreg-outline"},
                   interactive=False).add_to(m)
    points = stations.geom_type.isin(["Point", "MultiPoint"])
    areas = stations[~points]
    if len(areas):
        if stats is not None:
            merged = _with_stats(areas, stats, station_key)
            breaks = class_breaks(merged["density"].to_numpy(dtype=float))
            choropleth(m, slim(merged, 0.0001), "density", breaks, "camreg-station", opacity=0.35)
            InfoBox(legend_html(METRIC_LABELS["density"], breaks), "bottomright").add_to(m)
        else:
            folium.GeoJson(slim(areas[["name", "geometry"]], 0.0001).__geo_interface__, name="派出所",
                           style_function=lambda f: {"color": "#1c7ed6", "weight": 1.5, "fillOpacity": 0.05,
                                                     "className": "camreg-station"},
                           tooltip=folium.GeoJsonTooltip(fields=["name"], labels=False),
                           zoom_on_click=True).add_to(m)
    if points.any():
        folium.GeoJson(stations[points][["name", "geometry"]].__geo_interface__, name="派出所驻地",
                       marker=folium.CircleMarker(radius=6, color="#fff", fill_color="#1c7ed6", fill_opacity=1),
                       tooltip=folium.GeoJsonTooltip(fields=["name"], labels=False)).add_to(m)
    area_km2 = float(district.to_crs("EPSG:32650").area.sum() / 1e6)
    CameraLayer(camera_payload(cameras, cell_m or auto_cell_m(area_km2), detail_zoom, max_detail)).add_to(m)
    if sites is not None and len(sites):
        _sites_layer(m, sites)
    name = title or "、".join(map(str, district["name"]))
    InfoBox(f"<b>{htmlmod.escape(name)}</b><br>摄像机 {len(cameras):,} 台 · 派出所 {len(stations)} 个"
            f"<br><small>放大到 {detail_zoom} 级显示单个摄像机，{detail_zoom + 2} 级显示视场</small>",
            "topright").add_to(m)
    return m


def render_district(district: gpd.GeoDataFrame, stations: gpd.GeoDataFrame, cameras: pd.DataFrame, *,
                    asset_base: str | None = None, **options: Any) -> str:
    """District view as self-contained HTML (see build_district)."""
    return to_html(build_district(district, stations, cameras, **options), asset_base=asset_base)


def build_operator(
    site: Mapping[str, Any],
    cameras: pd.DataFrame,
    *,
    context: gpd.GeoDataFrame | None = None,
    tile_url: str | None = None,
) -> folium.Map:
    """Operator view: the site, each camera and its field of view (built in UTM 50N metres).

    `site`: `lon`, `lat`, `name` [, `address`]. `cameras`: `lon`, `lat`, `azimuth`, `fov`, `range`
    [, `kind`, `code`, `name`]. `context`: outlines to draw underneath (e.g. the station area).
    """
    missing = [k for k in ("lon", "lat", "name") if k not in site]
    if missing:
        raise ValueError(f"site: missing {', '.join(missing)}")
    require_columns(cameras, CAMERA_COLUMNS, "cameras")
    kinds = cameras["kind"].tolist() if "kind" in cameras.columns else None
    sectors = camera_sectors(cameras["lon"], cameras["lat"], cameras["azimuth"], cameras["fov"],
                             cameras["range"], kinds)
    labels = [htmlmod.escape(" ".join(str(r[c]) for c in ("code", "name") if c in cameras.columns and pd.notna(r[c])))
              for _, r in cameras.iterrows()]
    frame = gpd.GeoDataFrame({"label": labels}, geometry=sectors.values, crs=sectors.crs)
    lon, lat = float(site["lon"]), float(site["lat"])
    bounds = frame.total_bounds if len(frame) else [lon - 0.002, lat - 0.002, lon + 0.002, lat + 0.002]
    m = base_map([min(bounds[0], lon), min(bounds[1], lat), max(bounds[2], lon), max(bounds[3], lat)],
                 tile_url=tile_url)
    if context is not None and len(context):
        ctx = geo_frame(context, "context")
        folium.GeoJson(slim(ctx[["geometry"]], 0.00005).__geo_interface__, name="辖区",
                       style_function=lambda f: {"color": "#555", "weight": 2, "fill": False,
                                                 "className": "camreg-outline"}, interactive=False).add_to(m)
    if len(frame):
        folium.GeoJson(frame.__geo_interface__, name="视场",
                       style_function=lambda f: {"color": "#d9480f", "weight": 1, "fillOpacity": 0.2,
                                                 "className": "camreg-sector"},
                       tooltip=folium.GeoJsonTooltip(fields=["label"], labels=False)).add_to(m)
        pts = gpd.GeoDataFrame({"label": frame["label"]},
                               geometry=gpd.points_from_xy(cameras["lon"], cameras["lat"]), crs="EPSG:4326")
        folium.GeoJson(pts.__geo_interface__, name="摄像机",
                       marker=folium.CircleMarker(radius=4, color="#fff", weight=1, fill_color="#1864ab",
                                                  fill_opacity=1, class_name="camreg-camera"),
                       tooltip=folium.GeoJsonTooltip(fields=["label"], labels=False)).add_to(m)
    Labels([(lat, lon, f"<b>■ {htmlmod.escape(str(site['name']))}</b>")]).add_to(m)
    info = f"<b>{htmlmod.escape(str(site['name']))}</b><br>摄像机 {len(cameras)} 台"
    if site.get("address"):
        info += f"<br>{htmlmod.escape(str(site['address']))}"
    InfoBox(info, "topright").add_to(m)
    return m


def render_operator(site: Mapping[str, Any], cameras: pd.DataFrame, *, asset_base: str | None = None,
                    **options: Any) -> str:
    """Operator view as self-contained HTML (see build_operator)."""
    return to_html(build_operator(site, cameras, **options), asset_base=asset_base)


def write_map(html_or_map: str | folium.Map, out_path: str | Path, *, inline_assets: bool = True) -> Path:
    """Write a map page that opens from disk with no internet.

    A rendered string is written as it is (it is already self-contained). A folium.Map is rendered
    with its assets inlined, or with `inline_assets=False` linked to copies in `<name>_files/` beside it.
    """
    out = Path(out_path)
    out.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(html_or_map, str):
        if assets.PLACEHOLDER in html_or_map:
            raise ValueError("html: not finished (asset placeholders left); render it with to_html first")
        page = html_or_map
    elif inline_assets:
        page = to_html(html_or_map)
    else:
        files = f"{out.stem}_files/"
        page = to_html(html_or_map, asset_base=files)
        assets.copy_assets([rel for rel in assets.LOCAL_ASSETS.values() if files + rel in page], out.parent / files)
    out.write_text(page, encoding="utf-8")
    return out
