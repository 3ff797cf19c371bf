"""Datum conversion between WGS-84, GCJ-02 and BD-09 (CGCS2000 is treated as WGS-84)."""

from __future__ import annotations

from typing import Literal, overload

import numpy as np
from numpy.typing import ArrayLike, NDArray

Crs = Literal["wgs84", "gcj02", "bd09", "cgcs2000"]
CRS_NAMES: tuple[str, ...] = ("wgs84", "gcj02", "bd09", "cgcs2000")

# The GCJ-02 obfuscation is defined on the Krasovsky 1940 ellipsoid.
_A = 6378245.0
_EE = 0.00669342162296594323
# BD-09 adds a further rotation/scale around the origin, parameterised by x_pi.
_X_PI = np.pi * 3000.0 / 180.0
# Inverse iterations stop when the step is below this (degrees; ~1 mm).
_INVERSE_EPS_DEG = 1e-8
_INVERSE_MAX_ITER = 30

FloatArray = NDArray[np.float64]


class CrsError(ValueError):
    """An unknown coordinate reference system name."""


def out_of_china(lon: ArrayLike, lat: ArrayLike) -> NDArray[np.bool_]:
    """True where the point lies outside the rectangle in which GCJ-02 applies an offset."""
    x = np.asarray(lon, dtype=float)
    y = np.asarray(lat, dtype=float)
    return np.asarray((x < 72.004) | (x > 137.8347) | (y < 0.8293) | (y > 55.8271))


def _delta(lon: FloatArray, lat: FloatArray) -> tuple[FloatArray, FloatArray]:
    """The published GCJ-02 offset (degrees) to add to a WGS-84 point, zero out of China."""
    x = lon - 105.0
    y = lat - 35.0
    pi = np.pi
    common = (20.0 * np.sin(6.0 * x * pi) + 20.0 * np.sin(2.0 * x * pi)) * 2.0 / 3.0
    dlat = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * np.sqrt(np.abs(x)) + common
    dlat += (20.0 * np.sin(y * pi) + 40.0 * np.sin(y / 3.0 * pi)) * 2.0 / 3.0
    dlat += (160.0 * np.sin(y / 12.0 * pi) + 320.0 * np.sin(y * pi / 30.0)) * 2.0 / 3.0
    dlon = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * np.sqrt(np.abs(x)) + common
    dlon += (20.0 * np.sin(x * pi) + 40.0 * np.sin(x / 3.0 * pi)) * 2.0 / 3.0
    dlon += (150.0 * np.sin(x / 12.0 * pi) + 300.0 * np.sin(x / 30.0 * pi)) * 2.0 / 3.0
    radlat = lat / 180.0 * pi
    magic = 1.0 - _EE * np.sin(radlat) ** 2
    sqrtmagic = np.sqrt(magic)
    dlat = (dlat * 180.0) / ((_A * (1.0 - _EE)) / (magic * sqrtmagic) * pi)
    dlon = (dlon * 180.0) / (_A / sqrtmagic * np.cos(radlat) * pi)
    outside = out_of_china(lon, lat)
    return np.where(outside, 0.0, dlon), np.where(outside, 0.0, dlat)


def _arrays(lon: ArrayLike, lat: ArrayLike) -> tuple[FloatArray, FloatArray]:
    x = np.asarray(lon, dtype=float)
    y = np.asarray(lat, dtype=float)
    if x.shape != y.shape:
        raise ValueError(f"lon and lat must have the same shape, got {x.shape} and {y.shape}")
    return x, y


def _out(x: FloatArray, y: FloatArray, scalar: bool) -> tuple[float, float] | tuple[FloatArray, FloatArray]:
    if scalar:
        return float(x), float(y)
    return x, y


@overload
def wgs84_to_gcj02(lon: float, lat: float) -> tuple[float, float]: ...
@overload
def wgs84_to_gcj02(lon: ArrayLike, lat: ArrayLike) -> tuple[FloatArray, FloatArray]: ...
def wgs84_to_gcj02(lon: ArrayLike, lat: ArrayLike) -> tuple[float, float] | tuple[FloatArray, FloatArray]:
    """Forward GCJ-02 transform (the published algorithm); points out of China are unchanged."""
    x, y = _arrays(lon, lat)
    dx, dy = _delta(x, y)
    return _out(x + dx, y + dy, x.ndim == 0)


@overload
def gcj02_to_wgs84(lon: float, lat: float) -> tuple[float, float]: ...
@overload
def gcj02_to_wgs84(lon: ArrayLike, lat: ArrayLike) -> tuple[FloatArray, FloatArray]: ...
def gcj02_to_wgs84(lon: ArrayLike, lat: ArrayLike) -> tuple[float, float] | tuple[FloatArray, FloatArray]:
    """Inverse GCJ-02 by fixed-point iteration: the forward image of the result matches to ~1 mm."""
    gx, gy = _arrays(lon, lat)
    wx, wy = gx.copy(), gy.copy()
    # The offset varies slowly (its derivative is ~1e-5), so x <- x - (f(x) - g) converges fast.
    for _ in range(_INVERSE_MAX_ITER):
        dx, dy = _delta(wx, wy)
        ex = wx + dx - gx
        ey = wy + dy - gy
        wx = wx - ex
        wy = wy - ey
        if float(np.max(np.abs(ex), initial=0.0)) < _INVERSE_EPS_DEG and float(
            np.max(np.abs(ey), initial=0.0)
        ) < _INVERSE_EPS_DEG:
            break
    return _out(wx, wy, gx.ndim == 0)


@overload
def gcj02_to_bd09(lon: float, lat: float) -> tuple[float, float]: ...
@overload
def gcj02_to_bd09(lon: ArrayLike, lat: ArrayLike) -> tuple[FloatArray, FloatArray]: ...
def gcj02_to_bd09(lon: ArrayLike, lat: ArrayLike) -> tuple[float, float] | tuple[FloatArray, FloatArray]:
    """Forward BD-09 transform of a GCJ-02 point (Baidu's published formula)."""
    x, y = _arrays(lon, lat)
    z = np.sqrt(x * x + y * y) + 0.00002 * np.sin(y * _X_PI)
    theta = np.arctan2(y, x) + 0.000003 * np.cos(x * _X_PI)
    return _out(z * np.cos(theta) + 0.0065, z * np.sin(theta) + 0.006, x.ndim == 0)


@overload
def bd09_to_gcj02(lon: float, lat: float) -> tuple[float, float]: ...
@overload
def bd09_to_gcj02(lon: ArrayLike, lat: ArrayLike) -> tuple[FloatArray, FloatArray]: ...
def bd09_to_gcj02(lon: ArrayLike, lat: ArrayLike) -> tuple[float, float] | tuple[FloatArray, FloatArray]:
    """Inverse BD-09: the published approximate inverse, refined by iteration on the forward formula."""
    bx, by = _arrays(lon, lat)
    x = bx - 0.0065
    y = by - 0.006
    z = np.sqrt(x * x + y * y) - 0.00002 * np.sin(y * _X_PI)
    theta = np.arctan2(y, x) - 0.000003 * np.cos(x * _X_PI)
    gx, gy = z * np.cos(theta), z * np.sin(theta)
    # The closed form is off by up to ~1e-6 degrees; a few fixed-point steps remove that.
    for _ in range(_INVERSE_MAX_ITER):
        fx, fy = gcj02_to_bd09(gx, gy)
        ex, ey = np.asarray(fx) - bx, np.asarray(fy) - by
        gx, gy = gx - ex, gy - ey
        if float(np.max(np.abs(ex), initial=0.0)) < 1e-10 and float(np.max(np.abs(ey), initial=0.0)) < 1e-10:
            break
    return _out(gx, gy, bx.ndim == 0)


def normalise_crs(crs: str) -> str:
    """The canonical name of a datum (`wgs84`, `gcj02`, `bd09`); CGCS2000 maps to `wgs84`."""
    name = crs.strip().lower().replace("-", "").replace("_", "")
    aliases = {"wgs84": "wgs84", "epsg4326": "wgs84", "cgcs2000": "wgs84", "epsg4490": "wgs84",
               "gcj02": "gcj02", "gcj": "gcj02", "bd09": "bd09", "bd09ll": "bd09", "baidu": "bd09"}
    if name not in aliases:
        raise CrsError(f"crs: unknown coordinate system {crs!r}; expected one of wgs84, gcj02, bd09, cgcs2000")
    return aliases[name]


@overload
def to_wgs84(lon: float, lat: float, crs: str) -> tuple[float, float]: ...
@overload
def to_wgs84(lon: ArrayLike, lat: ArrayLike, crs: str) -> tuple[FloatArray, FloatArray]: ...
def to_wgs84(lon: ArrayLike, lat: ArrayLike, crs: str) -> tuple[float, float] | tuple[FloatArray, FloatArray]:
    """Convert a point (or arrays) given in `crs` to WGS-84, the datum the registry stores."""
    kind = normalise_crs(crs)
    if kind == "gcj02":
        return gcj02_to_wgs84(lon, lat)
    if kind == "bd09":
        return gcj02_to_wgs84(*bd09_to_gcj02(lon, lat))
    x, y = _arrays(lon, lat)
    return _out(x, y, x.ndim == 0)


@overload
def from_wgs84(lon: float, lat: float, crs: str) -> tuple[float, float]: ...
@overload
def from_wgs84(lon: ArrayLike, lat: ArrayLike, crs: str) -> tuple[FloatArray, FloatArray]: ...
def from_wgs84(lon: ArrayLike, lat: ArrayLike, crs: str) -> tuple[float, float] | tuple[FloatArray, FloatArray]:
    """Convert a WGS-84 point (or arrays) to `crs` (for display on Chinese web maps)."""
    kind = normalise_crs(crs)
    if kind == "gcj02":
        return wgs84_to_gcj02(lon, lat)
    if kind == "bd09":
        return gcj02_to_bd09(*wgs84_to_gcj02(lon, lat))
    x, y = _arrays(lon, lat)
    return _out(x, y, x.ndim == 0)
