"""Jurisdiction layers: read GeoJSON/GeoPackage/Shapefile, normalise to WGS-84, validate without repairing."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pyogrio
import shapely
from pyproj import CRS, Transformer

from maps.datums import normalise_crs, to_wgs84
from maps.units import sample_data_dir

LEVELS = ("district", "special_branch", "station")
# File stem of each level inside a layer directory, and layer name inside a GeoPackage.
LEVEL_FILES = {"district": "districts", "special_branch": "special_branches", "station": "stations"}
ID_COLUMN = {"district": "district_code", "special_branch": "branch_code", "station": "station_id"}
REQUIRED_COLUMNS = {
    "district": ("district_code", "name"),
    "special_branch": ("branch_code", "name", "district_code"),
    "station": ("station_id", "name", "district_code", "number", "branch_code"),
}
# Codes that drivers may read as integers (Shapefile/GPKG) and their zero-padded width.
CODE_WIDTH = {"district_code": 6, "branch_code": 3, "station_id": 8, "number": 2}
SUFFIXES = (".geojson", ".json", ".gpkg", ".shp")
METRIC_CRS = "EPSG:32650"  # UTM zone 50N covers all of Beijing (114°E–120°E)
FATAL_KINDS = ("missing_geometry", "not_polygon", "invalid_geometry", "duplicate_id", "bad_code")
_TO_METRIC = Transformer.from_crs("EPSG:4326", METRIC_CRS, always_xy=True)
_LOCATION = re.compile(r"\[(-?[\d.eE+-]+) (-?[\d.eE+-]+)\]")


class LayerError(ValueError):
    """A layer cannot be used: unreadable, wrong columns, no CRS, or invalid geometries."""

    def __init__(self, message: str, issues: list[LayerIssue] | None = None) -> None:
        self.issues = issues or []
        detail = "".join(f"\n  - {issue}" for issue in self.issues[:20])
        more = f"\n  ... and {len(self.issues) - 20} more" if len(self.issues) > 20 else ""
        super().__init__(message + detail + more)


@dataclass(frozen=True)
class LayerIssue:
    """One problem found in a layer: what, how big (m²), where (WGS-84) and which areas."""

    kind: str
    level: str
    ids: tuple[str, ...]
    area_m2: float | None
    lon: float | None
    lat: float | None
    detail: str = ""

    def __str__(self) -> str:
        where = f" at {self.lon:.6f},{self.lat:.6f}" if self.lon is not None and self.lat is not None else ""
        size = f" {self.area_m2:.0f} m²" if self.area_m2 is not None else ""
        return f"{self.level} {self.kind}{size}{where} ({', '.join(self.ids) or '-'}): {self.detail}".rstrip(": ")


def default_geo_dir() -> Path:
    """`CAMREG_GEO_DIR` if set, else the sample city's `sample_data/geo/`."""
    env = os.environ.get("CAMREG_GEO_DIR")
    return Path(env) if env else sample_data_dir() / "geo"


def find_layer_file(directory: Path, level: str) -> Path:
    """The file holding `level` in a layer directory (districts.geojson, stations.gpkg, ...)."""
    stem = LEVEL_FILES[level]
    for suffix in SUFFIXES:
        candidate = directory / f"{stem}{suffix}"
        if candidate.exists():
            return candidate
    raise LayerError(f"{directory}: no {stem}{{{','.join(SUFFIXES)}}} file for the {level} layer")


def has_level(path: str | Path, level: str) -> bool:
    """Whether a layer directory or GeoPackage holds `level` (special-branch areas are optional)."""
    source = Path(path)
    if source.is_dir():
        return any((source / f"{LEVEL_FILES[level]}{suffix}").exists() for suffix in SUFFIXES)
    if source.suffix.lower() == ".gpkg":
        return LEVEL_FILES[level] in {str(name) for name, _kind in pyogrio.list_layers(source)}
    return False


def metric_area(geom: shapely.Geometry) -> float:
    """Area in m² of a WGS-84 geometry (projected to UTM 50N)."""
    return float(shapely.area(to_metric(geom)))


def to_metric(geom: Any) -> Any:
    """Project WGS-84 geometries (one or an array) to UTM 50N metres."""
    return shapely.transform(geom, lambda c: np.column_stack(_TO_METRIC.transform(c[:, 0], c[:, 1])))


def _normalise_codes(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    for col, width in CODE_WIDTH.items():
        if col in gdf.columns:
            def pad(v: Any, w: int = width) -> str | None:
                if v is None or (isinstance(v, float) and np.isnan(v)):
                    return None
                text = str(int(v)) if isinstance(v, int | float | np.integer) else str(v).strip()
                return text.zfill(w)
            gdf[col] = gdf[col].map(pad).astype(object)
    return gdf


def _rename_columns(gdf: gpd.GeoDataFrame, level: str, columns: Mapping[str, str] | None) -> gpd.GeoDataFrame:
    """Apply the caller's column mapping, and undo the Shapefile format's 10-character truncation."""
    renames = dict(columns or {})
    for wanted in REQUIRED_COLUMNS[level]:
        if wanted not in gdf.columns and wanted not in renames.values() and wanted[:10] in gdf.columns:
            renames[wanted[:10]] = wanted
    return gdf.rename(columns=renames) if renames else gdf


def read_layer(path: str | Path, level: str, *, crs: str | None = None, layer: str | None = None,
               datum: str = "wgs84", columns: Mapping[str, str] | None = None) -> gpd.GeoDataFrame:
    """Read one level from a file, normalised to EPSG:4326 with string codes; no validation.

    `crs` names the CRS of a file that has none (an error otherwise); `datum="gcj02"` or `"bd09"`
    converts coordinates that were digitised on a Chinese web map; `columns` maps a department's
    column names to ours (e.g. {"PCS_DM": "station_id"}).
    """
    if level not in LEVELS:
        raise LayerError(f"level: {level!r} is not one of {', '.join(LEVELS)}")
    source = Path(path)
    if source.is_dir():
        source = find_layer_file(source, level)
    if source.suffix.lower() == ".gpkg" and layer is None:
        layer = LEVEL_FILES[level]
    try:
        gdf = gpd.read_file(source, layer=layer) if layer else gpd.read_file(source)
    except Exception as exc:  # pyogrio raises several types; all mean "cannot read this"
        raise LayerError(f"{source}: cannot read {level} layer: {exc}") from exc
    gdf = _rename_columns(gdf, level, columns)
    missing = [c for c in REQUIRED_COLUMNS[level] if c not in gdf.columns]
    if missing:
        raise LayerError(f"{source}: {level} layer lacks column(s) {', '.join(missing)}")
    if gdf.crs is None:
        if crs is None:
            raise LayerError(f"{source}: the {level} layer has no CRS; say which it is (crs=...)")
        gdf = gdf.set_crs(crs)
    if CRS.from_user_input(gdf.crs).to_epsg() != 4326:
        gdf = gdf.to_crs("EPSG:4326")
    if normalise_crs(datum) != "wgs84":
        gdf["geometry"] = shapely.transform(
            gdf.geometry.values, lambda c: np.column_stack(to_wgs84(c[:, 0], c[:, 1], datum)))
    gdf = _normalise_codes(gdf)
    gdf.attrs["source"] = str(source)
    return gdf.reset_index(drop=True)


def _point_of(geom: shapely.Geometry) -> tuple[float | None, float | None]:
    if geom is None or geom.is_empty:
        return None, None
    p = shapely.point_on_surface(geom) if geom.is_valid else shapely.centroid(geom)
    return float(p.x), float(p.y)


def _geometry_issues(gdf: gpd.GeoDataFrame, level: str, ids: list[str]) -> list[LayerIssue]:
    issues: list[LayerIssue] = []
    for ident, geom in zip(ids, gdf.geometry.values, strict=True):
        if geom is None or geom.is_empty:
            issues.append(LayerIssue("missing_geometry", level, (ident,), None, None, None, "no geometry"))
        elif geom.geom_type not in ("Polygon", "MultiPolygon"):
            issues.append(LayerIssue("not_polygon", level, (ident,), None, *_point_of(geom), geom.geom_type))
        elif not geom.is_valid:
            reason = shapely.is_valid_reason(geom)
            m = _LOCATION.search(reason)
            lon, lat = (float(m.group(1)), float(m.group(2))) if m else _point_of(geom)
            issues.append(LayerIssue("invalid_geometry", level, (ident,), None, lon, lat, reason))
    return issues


def _code_issues(gdf: gpd.GeoDataFrame, level: str, ids: list[str]) -> list[LayerIssue]:
    issues: list[LayerIssue] = []
    seen: set[str] = set()
    for ident in ids:
        if ident in seen:
            issues.append(LayerIssue("duplicate_id", level, (ident,), None, None, None, "id appears twice"))
        seen.add(ident)
    for col, width in CODE_WIDTH.items():
        if col not in gdf.columns:
            continue
        for ident, value in zip(ids, gdf[col], strict=True):
            if not isinstance(value, str) or len(value) != width or not value.isdigit():
                issues.append(LayerIssue("bad_code", level, (ident,), None, None, None,
                                         f"{col}={value!r} is not a {width}-digit code"))
    if level == "station":
        for ident, district, number in zip(ids, gdf["district_code"], gdf["number"], strict=True):
            if isinstance(district, str) and isinstance(number, str) and ident != district + number:
                issues.append(LayerIssue("bad_code", level, (ident,), None, None, None,
                                         f"station_id must be district_code+number ({district}{number})"))
            if number == "00":
                issues.append(LayerIssue("bad_code", level, (ident,), None, None, None,
                                         "number 00 means 'no station' in camera codes"))
    return issues


def _overlap_gap_issues(geoms: np.ndarray, level: str, ids: list[str], min_area_m2: float) -> list[LayerIssue]:
    issues: list[LayerIssue] = []
    tree = shapely.STRtree(geoms)
    left, right = tree.query(geoms, predicate="intersects")
    pairs = [(i, j) for i, j in zip(left.tolist(), right.tolist(), strict=True) if i < j]
    for i, j in pairs:
        # Neighbours touch along edges; only a shared interior (DE-9IM "2********") is an overlap.
        if not shapely.relate_pattern(geoms[i], geoms[j], "2********"):
            continue
        for part in shapely.get_parts(shapely.intersection(geoms[i], geoms[j])):
            area = metric_area(part)
            if part.geom_type == "Polygon" and area >= min_area_m2:
                issues.append(LayerIssue("overlap", level, (ids[i], ids[j]), area, *_point_of(part),
                                         "areas overlap"))
    union = _union(geoms[shapely.is_valid(geoms)])
    for poly in shapely.get_parts(union):
        for ring in poly.interiors:
            hole = shapely.Polygon(ring)
            area = metric_area(hole)
            if area >= min_area_m2:
                nearby = sorted({ids[k] for k in tree.query(hole, predicate="touches").tolist()})
                issues.append(LayerIssue("gap", level, tuple(nearby), area, *_point_of(hole),
                                         "hole covered by no area"))
    return issues


def validate_layer(gdf: gpd.GeoDataFrame, level: str, *, min_area_m2: float = 1.0) -> list[LayerIssue]:
    """All problems in one layer: bad/duplicate codes, invalid geometries, overlaps and gaps ≥ min_area_m2.

    Gaps are holes in the layer's union (an area covered by nothing but enclosed by areas); the
    outer edge of the layer is the city boundary, not a gap.  Nothing is repaired.
    """
    ids = [str(v) for v in gdf[ID_COLUMN[level]]]
    issues = _code_issues(gdf, level, ids) + _geometry_issues(gdf, level, ids)
    unusable = {i.ids[0] for i in issues if i.kind in ("missing_geometry", "not_polygon")}
    keep = [k for k, ident in enumerate(ids) if ident not in unusable]
    # Overlaps and gaps around an invalid area are still located, on a repaired copy used only here:
    # the layer itself is never repaired.
    geoms = np.asarray([g if g.is_valid else shapely.make_valid(g, method="structure")
                        for g in np.asarray(gdf.geometry.values)[keep]], dtype=object)
    if len(geoms):
        issues += _overlap_gap_issues(geoms, level, [ids[k] for k in keep], min_area_m2)
    return issues


def _union(geoms: np.ndarray) -> shapely.Geometry:
    """Union of valid polygons; a valid coverage (edge-matched, no overlaps) takes GEOS's fast path."""
    if len(geoms) and shapely.coverage_is_valid(geoms):
        return shapely.coverage_union_all(geoms)
    return shapely.union_all(geoms)


def validate_nesting(children: gpd.GeoDataFrame, parents: gpd.GeoDataFrame, child_level: str, *,
                     min_area_m2: float = 1.0) -> list[LayerIssue]:
    """Areas of `children` (stations, special areas) lying outside the district their district_code names."""
    by_code = dict(zip(parents["district_code"], parents.geometry.values, strict=True))
    issues: list[LayerIssue] = []
    id_col = ID_COLUMN[child_level]
    for district, group in children.groupby("district_code", sort=True):
        parent = by_code.get(district)
        if parent is None:
            issues += [LayerIssue("unknown_district", child_level, (str(ident),), None, *_point_of(geom),
                                  f"district_code {district} is not in the district layer")
                       for ident, geom in zip(group[id_col], group.geometry.values, strict=True)]
            continue
        geoms = np.asarray(group.geometry.values)
        valid = shapely.is_valid(geoms)
        if not parent.is_valid or not valid.any():
            continue
        # One prepared `covers` per district (an overlay of coincident borders is far slower);
        # only a district whose areas stick out is examined area by area.
        shapely.prepare(parent)
        if shapely.covers(parent, _union(geoms[valid])):
            continue
        for ident, geom in zip(group[id_col].to_numpy()[valid], geoms[valid], strict=True):
            part = shapely.difference(geom, parent)
            if not part.is_empty and (area := metric_area(part)) >= min_area_m2:
                issues.append(LayerIssue("outside_district", child_level, (str(ident), str(district)), area,
                                         *_point_of(part), "area extends beyond its district"))
    return issues


def validate_ownership(stations: gpd.GeoDataFrame, special: gpd.GeoDataFrame, *,
                       min_area_m2: float = 1.0) -> list[LayerIssue]:
    """Stations inside a special-branch area must belong to it, and that branch's stations must stay inside."""
    issues: list[LayerIssue] = []
    codes = [str(c) for c in special["branch_code"]]
    areas = np.asarray(special.geometry.values)
    geoms = np.asarray(stations.geometry.values)
    branches = [str(b) for b in stations["branch_code"]]
    ids = [str(s) for s in stations["station_id"]]
    valid = shapely.is_valid(geoms)
    # Foreign stations: only those sharing interior with an area need measuring.
    st_idx, area_idx = shapely.STRtree(areas).query(geoms, predicate="intersects")
    for i, k in zip(st_idx.tolist(), area_idx.tolist(), strict=True):
        if branches[i] == codes[k] or not (valid[i] and areas[k].is_valid):
            continue
        if shapely.relate_pattern(geoms[i], areas[k], "2********"):
            part = shapely.intersection(geoms[i], areas[k])
            if (size := metric_area(part)) >= min_area_m2:
                what = f"station of branch {branches[i]} intrudes into special branch {codes[k]}'s area"
                issues.append(LayerIssue("inside_special_area", "station", (ids[i], codes[k]), size,
                                         *_point_of(part), what))
    by_code = dict(zip(codes, areas, strict=True))
    for i, branch in enumerate(branches):
        area = by_code.get(branch)
        if area is None or not (valid[i] and area.is_valid):
            continue
        part = shapely.difference(geoms[i], area)
        if not part.is_empty and (size := metric_area(part)) >= min_area_m2:
            issues.append(LayerIssue("outside_special_area", "station", (ids[i], branch), size, *_point_of(part),
                                     f"station of special branch {branch} lies partly outside its area"))
    return issues


def load_layer(path: str | Path, level: str, *, crs: str | None = None, layer: str | None = None,
               datum: str = "wgs84", columns: Mapping[str, str] | None = None, strict: bool = False,
               min_area_m2: float = 1.0) -> gpd.GeoDataFrame:
    """Read and validate a layer; invalid geometries and bad codes raise LayerError (never repaired).

    Overlaps and gaps are kept in `gdf.attrs["issues"]` (routing resolves them by its tie-break and
    gap tolerance); with `strict=True` they raise too.
    """
    gdf = read_layer(path, level, crs=crs, layer=layer, datum=datum, columns=columns)
    issues = validate_layer(gdf, level, min_area_m2=min_area_m2)
    fatal = [i for i in issues if strict or i.kind in FATAL_KINDS]
    if fatal:
        raise LayerError(f"{gdf.attrs['source']}: {len(fatal)} problem(s) in the {level} layer", fatal)
    gdf.attrs["issues"] = issues
    return gdf


def check_layers(path: str | Path, *, crs: str | None = None) -> list[LayerIssue]:
    """Every issue of a layer directory or GeoPackage (`camreg layers-check`, the administrator's page).

    Districts and stations are required, special-branch areas optional; LayerError if a layer cannot be read.
    """
    layers = {level: read_layer(path, level, crs=crs) for level in LEVELS
              if level != "special_branch" or has_level(path, level)}
    issues: list[LayerIssue] = []
    for level, gdf in layers.items():
        issues += validate_layer(gdf, level)
        if level != "district":
            issues += validate_nesting(gdf, layers["district"], level)
    if "special_branch" in layers:
        issues += validate_ownership(layers["station"], layers["special_branch"])
    return issues
