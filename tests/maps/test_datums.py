"""Datum conversions: published reference points and round trips over Beijing."""

from __future__ import annotations

import math

import numpy as np
import pytest

from maps.datums import (
    CrsError,
    bd09_to_gcj02,
    from_wgs84,
    gcj02_to_bd09,
    gcj02_to_wgs84,
    to_wgs84,
    wgs84_to_gcj02,
)

# (wgs lon, wgs lat, gcj lon, gcj lat) from googollee/eviltransform's test suite (go/transform_test.go,
# python/test.py): Shanghai, Shenzhen, Beijing.
EVILTRANSFORM = [
    (121.5272106, 31.1774276, 121.531541859215, 31.17530398364597),
    (113.912316, 22.543847, 113.9171764808363, 22.540796131694766),
    (116.377817, 39.911954, 116.38404722455657, 39.91334545536069),
]


def metres(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """Equirectangular distance, plenty for sub-metre checks."""
    k = math.cos(math.radians((lat1 + lat2) / 2))
    return 6_371_000.0 * math.radians(math.hypot((lon1 - lon2) * k, lat1 - lat2))


@pytest.mark.parametrize(("wlon", "wlat", "glon", "glat"), EVILTRANSFORM)
def test_forward_matches_eviltransform(wlon: float, wlat: float, glon: float, glat: float) -> None:
    lon, lat = wgs84_to_gcj02(wlon, wlat)
    assert lon == pytest.approx(glon, abs=1e-9) and lat == pytest.approx(glat, abs=1e-9)


@pytest.mark.parametrize(("wlon", "wlat", "glon", "glat"), EVILTRANSFORM)
def test_inverse_recovers_wgs84_under_a_metre(wlon: float, wlat: float, glon: float, glat: float) -> None:
    lon, lat = gcj02_to_wgs84(glon, glat)
    assert metres(lon, lat, wlon, wlat) < 0.01


def test_wandergis_coordtransform_reference() -> None:
    # wandergis/coordtransform test/app.js, input (116.404, 39.915).
    assert wgs84_to_gcj02(116.404, 39.915) == pytest.approx((116.41024449916938, 39.91640428150164), abs=1e-9)
    assert gcj02_to_bd09(116.404, 39.915) == pytest.approx((116.41036949371029, 39.92133699351021), abs=1e-9)
    # Their inverses are the one-step approximations; ours iterate, so agree to well under a metre.
    assert metres(*bd09_to_gcj02(116.404, 39.915), 116.39762729119315, 39.90865673957631) < 0.1
    assert metres(*gcj02_to_wgs84(116.404, 39.915), 116.39775550083061, 39.91359571849836) < 1.0


def test_inverse_worst_case_over_beijing_grid_is_under_a_metre() -> None:
    lon, lat = np.meshgrid(np.arange(115.3, 117.6, 0.01), np.arange(39.4, 41.1, 0.01))
    glon, glat = wgs84_to_gcj02(lon.ravel(), lat.ravel())
    wlon, wlat = gcj02_to_wgs84(glon, glat)
    k = np.cos(np.radians(lat.ravel()))
    err = 6_371_000.0 * np.radians(np.hypot((wlon - lon.ravel()) * k, wlat - lat.ravel()))
    assert err.max() < 1.0
    # The offset itself is the documented 100s of metres, so the test is not trivially passing.
    off = 6_371_000.0 * np.radians(np.hypot((glon - lon.ravel()) * k, glat - lat.ravel()))
    assert off.min() > 100


def test_bd09_round_trip_and_crs_names() -> None:
    lon, lat = 116.3912, 39.9065
    assert metres(*to_wgs84(*from_wgs84(lon, lat, "bd09"), "bd09"), lon, lat) < 0.01
    assert metres(*to_wgs84(*from_wgs84(lon, lat, "gcj02"), "GCJ-02"), lon, lat) < 0.01
    assert to_wgs84(lon, lat, "cgcs2000") == (lon, lat)
    assert to_wgs84(lon, lat, "WGS84") == (lon, lat)


def test_outside_china_is_unchanged() -> None:
    assert wgs84_to_gcj02(2.3522, 48.8566) == (2.3522, 48.8566)
    assert gcj02_to_wgs84(-74.0, 40.7) == (-74.0, 40.7)


def test_unknown_crs_is_a_clear_error() -> None:
    with pytest.raises(CrsError, match="crs: unknown coordinate system 'utm'"):
        to_wgs84(116.0, 40.0, "utm")


def test_arrays_keep_shape() -> None:
    lon, lat = wgs84_to_gcj02(np.array([116.0, 117.0]), np.array([40.0, 40.5]))
    assert lon.shape == (2,) and lat.shape == (2,)
    with pytest.raises(ValueError, match="same shape"):
        wgs84_to_gcj02(np.zeros(2), np.zeros(3))
