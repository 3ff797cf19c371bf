"""Small hand-made map inputs for the render and browser tests (a 3×2 grid of 'districts')."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from maps.coverage import coverage_stats


def grid_districts() -> gpd.GeoDataFrame:
    """Six 0.1°×0.1° squares near Beijing; the last is a two-part MultiPolygon."""
    rows = []
    for i in range(6):
        x, y = 116.2 + 0.1 * (i % 3), 39.8 + 0.1 * (i // 3)
        geom: shapely.Geometry = shapely.box(x, y, x + 0.1, y + 0.1)
        if i == 5:
            geom = shapely.MultiPolygon([shapely.box(x, y, x + 0.05, y + 0.1),
                                         shapely.box(x + 0.06, y, x + 0.1, y + 0.1)])
        rows.append({"district_code": f"1101{i:02d}", "name": f"测试区{i}", "geometry": geom})
    return gpd.GeoDataFrame(rows, crs="EPSG:4326")


def cameras_in(area: shapely.Geometry, n: int, seed: int = 1) -> pd.DataFrame:
    """`n` random cameras inside `area`'s bounding box, with every optional column."""
    rng = np.random.default_rng(seed)
    minx, miny, maxx, maxy = area.bounds
    return pd.DataFrame({
        "lon": rng.uniform(minx, maxx, n).round(5), "lat": rng.uniform(miny, maxy, n).round(5),
        "azimuth": rng.uniform(0, 360, n).round(), "fov": rng.uniform(30, 100, n).round(),
        "range": rng.uniform(20, 100, n).round(), "kind": rng.choice(["bullet", "ptz"], n),
        "code": [f"11010200005013200{i:03d}" for i in range(n)], "name": [f"摄像机{i}" for i in range(n)],
    })


def city_inputs(n: int = 400) -> tuple[gpd.GeoDataFrame, pd.DataFrame]:
    """Districts and their coverage stats for `n` cameras spread over them."""
    districts = grid_districts()
    cams = cameras_in(shapely.box(*districts.total_bounds), n)
    overdue = pd.DataFrame({"district_code": ["110100", "110100", "110103"]})
    return districts, coverage_stats(districts, cams, overdue, key="district_code")


def district_inputs(n: int = 300) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame, pd.DataFrame]:
    """One district (square 0), its four stations (quarters), and `n` cameras in it."""
    district = grid_districts().iloc[[0]]
    x, y = 116.2, 39.8
    stations = gpd.GeoDataFrame(
        [{"station_id": f"110100{i + 1:02d}", "name": f"第{i + 1}派出所",
          "geometry": shapely.box(x + 0.05 * (i % 2), y + 0.05 * (i // 2), x + 0.05 * (i % 2 + 1),
                                  y + 0.05 * (i // 2 + 1))} for i in range(4)],
        crs="EPSG:4326",
    )
    return district, stations, cameras_in(district.geometry.iloc[0], n)
