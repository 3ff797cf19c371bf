"""Camera sectors and coverage statistics, on hand-made geometry whose answers are known."""

from __future__ import annotations

import math
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from pyproj import Transformer

from maps.coverage import camera_sectors, coverage_stats, covered_areas_m2, sectors_utm

TO_UTM = Transformer.from_crs("EPSG:4326", "EPSG:32650", always_xy=True)
TO_WGS = Transformer.from_crs("EPSG:32650", "EPSG:4326", always_xy=True)
LON, LAT = 116.40, 39.90


def _utm(series: gpd.GeoSeries) -> gpd.GeoSeries:
    return series.to_crs("EPSG:32650")


def _bearing_of_centroid(sector: shapely.Polygon, lon: float, lat: float) -> float:
    """True bearing (degrees clockwise from north) from the camera to the sector's centroid."""
    c = shapely.centroid(sector)
    dlat = (c.y - lat) * 111_320
    dlon = (c.x - lon) * 111_320 * math.cos(math.radians(lat))
    return math.degrees(math.atan2(dlon, dlat)) % 360


@pytest.mark.parametrize("azimuth", [0, 45, 90, 180, 270, 359])
def test_sector_points_along_its_azimuth(azimuth: float) -> None:
    s = camera_sectors([LON], [LAT], [azimuth], [40], [200])
    got = _bearing_of_centroid(s.iloc[0], LON, LAT)
    assert abs((got - azimuth + 180) % 360 - 180) < 0.3


def test_azimuth_zero_is_north_and_ninety_is_east() -> None:
    north, east = camera_sectors([LON, LON], [LAT, LAT], [0, 90], [30, 30], [100, 100])
    assert north.bounds[1] >= LAT - 1e-9 and north.bounds[3] > LAT + 0.0008  # all of it north of the camera
    assert east.bounds[0] >= LON - 1e-9 and east.bounds[2] > LON + 0.001
    assert abs(shapely.centroid(north).x - LON) < 1e-5


@pytest.mark.parametrize("fov", [10, 60, 90, 179, 300])
def test_sector_area_is_r2_theta_over_2_and_width_is_fov(fov: float) -> None:
    r = 150.0
    s = camera_sectors([LON], [LAT], [30], [fov], [r])
    assert _utm(s).area.iloc[0] == pytest.approx(r * r * math.radians(fov) / 2, rel=2e-3)
    # The two straight edges leave the apex at azimuth ± fov/2.
    x0, y0 = TO_UTM.transform(LON, LAT)
    ring = np.asarray(_utm(s).iloc[0].exterior.coords)
    assert np.allclose(ring[0], [x0, y0], atol=1e-6)
    d1, d2 = ring[1] - ring[0], ring[-2] - ring[0]
    angle = math.degrees(math.acos(np.dot(d1, d2) / (np.linalg.norm(d1) * np.linalg.norm(d2))))
    assert angle == pytest.approx(fov if fov <= 180 else 360 - fov, abs=1e-6)
    assert np.linalg.norm(d1) == pytest.approx(r) and np.linalg.norm(d2) == pytest.approx(r)


@pytest.mark.parametrize("kind", ["ptz", "dome", "PTZ", "球机", "半球"])
def test_ptz_and_dome_cover_a_full_circle_whatever_their_fov(kind: str) -> None:
    s = camera_sectors([LON], [LAT], [np.nan], [np.nan], [80], [kind])
    assert _utm(s).area.iloc[0] == pytest.approx(math.pi * 80 * 80, rel=2e-3)
    x0, y0 = TO_UTM.transform(LON, LAT)
    assert _utm(s).iloc[0].contains(shapely.Point(x0, y0))
    bullet = camera_sectors([LON], [LAT], [0], [360], [80], ["bullet"])  # fov 360 is a circle too
    assert _utm(bullet).area.iloc[0] == pytest.approx(math.pi * 80 * 80, rel=2e-3)


def test_sectors_are_valid_polygons_in_wgs84() -> None:
    rng = np.random.default_rng(3)
    n = 500
    s = camera_sectors(rng.uniform(116, 117, n), rng.uniform(39.5, 40.5, n), rng.uniform(0, 360, n),
                       rng.uniform(1, 360, n), rng.uniform(5, 500, n), rng.choice(["bullet", "ptz"], n))
    assert s.crs.to_epsg() == 4326 and len(s) == n and s.is_valid.all()


@pytest.mark.parametrize(
    ("field", "args"),
    [
        ("range", dict(ranges=[-5])),
        ("fov", dict(fovs=[0])),
        ("azimuth", dict(azimuths=[np.nan])),
        ("lat", dict(lats=[95])),
        ("lon", dict(lons=["x"])),
    ],
)
def test_bad_camera_values_name_the_field(field: str, args: dict[str, list[Any]]) -> None:
    base: dict[str, list[Any]] = dict(lons=[LON], lats=[LAT], azimuths=[10], fovs=[60], ranges=[50])
    base.update(args)
    with pytest.raises(ValueError, match=field):
        camera_sectors(base["lons"], base["lats"], base["azimuths"], base["fovs"], base["ranges"])


def _square(x0: float, y0: float, size: float) -> shapely.Polygon:
    return shapely.box(x0, y0, x0 + size, y0 + size)


def _areas() -> gpd.GeoDataFrame:
    """Two adjacent 1 km squares in UTM 50N, handed over in WGS-84 like real layers."""
    x0, y0 = TO_UTM.transform(LON, LAT)
    utm = gpd.GeoDataFrame({"code": ["A", "B"], "name": ["甲", "乙"]},
                           geometry=[_square(x0, y0, 1000), _square(x0 + 1000, y0, 1000)], crs="EPSG:32650")
    return utm.to_crs("EPSG:4326")


def _at(dx: float, dy: float) -> tuple[float, float]:
    x0, y0 = TO_UTM.transform(LON, LAT)
    lon, lat = TO_WGS.transform(x0 + dx, y0 + dy)
    return float(lon), float(lat)


def test_coverage_stats_on_two_squares() -> None:
    cams = pd.DataFrame(
        [
            # A full circle inside A, two overlapping sectors inside A (union counted once),
            (*_at(300, 300), np.nan, np.nan, 100, "ptz"),
            (*_at(700, 700), 0, 90, 100, "bullet"),
            (*_at(700, 700), 0, 90, 100, "bullet"),
            # and a dome 1 cm inside B, on the A|B border: half of its circle in each square.
            (*_at(1000.01, 500), np.nan, np.nan, 50, "dome"),
        ],
        columns=["lon", "lat", "azimuth", "fov", "range", "kind"],
    )
    overdue = pd.DataFrame({"code": ["A", "B", "B"]})
    st = coverage_stats(_areas(), cams, overdue, key="code").set_index("code")
    circle, quarter, half_small = math.pi * 100**2, math.pi * 100**2 / 4, math.pi * 50**2 / 2
    assert st.loc["A", "area_km2"] == pytest.approx(1.0, rel=1e-3)
    assert st.loc["A", "covered_km2"] == pytest.approx((circle + quarter + half_small) / 1e6, rel=3e-3)
    assert st.loc["B", "covered_km2"] == pytest.approx(half_small / 1e6, rel=3e-3)
    assert st.loc["A", "cameras"] == 3 and st.loc["B", "cameras"] == 1
    assert st.loc["A", "density"] == pytest.approx(3.0, rel=1e-3)
    assert st.loc["B", "overdue"] == 2 and st.loc["A", "overdue"] == 1
    assert st.loc["A", "name"] == "甲"


def test_coverage_stats_counts_by_the_routed_key_when_given() -> None:
    cams = pd.DataFrame([(*_at(300, 300), 0, 60, 50, "bullet", "B")],
                        columns=["lon", "lat", "azimuth", "fov", "range", "kind", "code"])
    st = coverage_stats(_areas(), cams, key="code").set_index("code")
    assert st.loc["B", "cameras"] == 1 and st.loc["A", "cameras"] == 0
    assert st.loc["A", "covered_km2"] > 0  # the sector lies in A whoever files the camera


def test_tiled_union_equals_one_big_union() -> None:
    rng = np.random.default_rng(7)
    n = 3000
    x0, y0 = TO_UTM.transform(LON, LAT)
    lon, lat = TO_WGS.transform(x0 + rng.uniform(0, 3000, n), y0 + rng.uniform(0, 3000, n))
    polys, _, _ = sectors_utm(lon, lat, rng.uniform(0, 360, n), rng.uniform(20, 120, n), rng.uniform(20, 200, n))
    area = np.array([_square(x0 + 500, y0 + 500, 2000)])
    exact = shapely.intersection(shapely.union_all(polys), area[0]).area
    assert covered_areas_m2(polys, area, tile_m=700)[0] == pytest.approx(exact, rel=1e-9)


def test_coverage_stats_errors_name_the_missing_column() -> None:
    with pytest.raises(ValueError, match="range"):
        coverage_stats(_areas(), pd.DataFrame({"lon": [LON], "lat": [LAT], "azimuth": [0], "fov": [30]}), key="code")
    with pytest.raises(ValueError, match="district_code"):
        coverage_stats(_areas(), pd.DataFrame(columns=["lon", "lat", "azimuth", "fov", "range"]), key="district_code")
