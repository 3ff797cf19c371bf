"""Layer loading (GeoJSON/GPKG/SHP, CRS) and validation (overlaps, gaps, invalid geometries, nesting)."""

from __future__ import annotations

import csv
import json
from collections import Counter
from pathlib import Path

import geopandas as gpd
import numpy as np
import pytest
import shapely
from shapely.geometry import box

from maps.datums import gcj02_to_wgs84
from maps.echarts import decode_geojson
from maps.layers import (
    LEVELS,
    LayerError,
    load_layer,
    read_layer,
    validate_layer,
    validate_nesting,
    validate_ownership,
)

ROOT = Path(__file__).resolve().parents[2]
GEO = ROOT / "sample_data" / "geo"


def raw_districts() -> gpd.GeoDataFrame:
    """The echarts districts, decoded and converted to WGS-84 but not cleaned."""
    data = decode_geojson(json.loads((GEO / "source/echarts-4.9.0-beijing-districts.json").read_text("utf-8")))
    gdf = gpd.GeoDataFrame.from_features(data["features"], crs="EPSG:4326")
    gdf["district_code"] = [str(f["id"]) for f in data["features"]]
    gdf["geometry"] = shapely.transform(
        gdf.geometry.values, lambda c: np.column_stack(gcj02_to_wgs84(c[:, 0], c[:, 1])))
    return gdf


def squares(codes: list[str], boxes: list[tuple[float, float, float, float]]) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({"district_code": codes, "name": codes}, geometry=[box(*b) for b in boxes],
                            crs="EPSG:4326")


def test_validator_reports_the_raw_echarts_slivers() -> None:
    issues = validate_layer(raw_districts(), "district")
    kinds = Counter(i.kind for i in issues)
    # 12 of the 16 quantised districts self-intersect (11 still do after the datum shift);
    # neighbours overlap and leave gaps.
    assert kinds["invalid_geometry"] >= 10
    assert kinds["overlap"] >= 20 and kinds["gap"] >= 20
    overlap = max((i for i in issues if i.kind == "overlap"), key=lambda i: i.area_m2 or 0)
    assert 10_000 < (overlap.area_m2 or 0) < 1_000_000  # slivers: hectares, not square kilometres
    assert overlap.lon is not None and 115.4 < overlap.lon < 117.6 and 39.4 < (overlap.lat or 0) < 41.1
    assert len(overlap.ids) == 2 and all(code.startswith("1101") for code in overlap.ids)
    with pytest.raises(LayerError, match="invalid_geometry"):
        raise LayerError("raw", [i for i in issues if i.kind == "invalid_geometry"])


def test_injected_overlap_gap_and_invalid_geometry() -> None:
    # Ring of 8 squares around a hole, one pair overlapping, one bow-tie.
    cells = [(0, 0), (1, 0), (2, 0), (0, 1), (2, 1), (0, 2), (1, 2), (2, 2)]
    s = 0.01
    boxes = [(116 + x * s, 40 + y * s, 116 + (x + 1) * s, 40 + (y + 1) * s) for x, y in cells]
    boxes[1] = (116 + s, 40, 116 + 2.2 * s, 40 + s)  # overlaps its right neighbour by 0.2 s
    gdf = squares([f"1101{i:02d}" for i in range(1, 9)], boxes)
    bowtie = shapely.Polygon([(117, 40), (117.01, 40.01), (117.01, 40), (117, 40.01)])
    gdf.loc[len(gdf)] = {"district_code": "110199", "name": "bad", "geometry": bowtie}
    issues = validate_layer(gdf, "district")
    by_kind = {i.kind: i for i in issues}
    assert set(by_kind) == {"overlap", "gap", "invalid_geometry"}
    assert by_kind["overlap"].ids == ("110102", "110103")
    assert by_kind["overlap"].area_m2 == pytest.approx(0.2 * s * s * 111_320**2 * np.cos(np.radians(40)), rel=0.05)
    assert by_kind["gap"].area_m2 == pytest.approx(s * s * 111_320**2 * np.cos(np.radians(40)), rel=0.05)
    assert by_kind["gap"].lon == pytest.approx(116.015, abs=0.006)
    assert by_kind["invalid_geometry"].ids == ("110199",)
    assert by_kind["invalid_geometry"].lon == pytest.approx(117.005)


def test_load_layer_refuses_invalid_geometry_and_never_repairs(tmp_path: Path) -> None:
    bowtie = shapely.Polygon([(116, 40), (116.01, 40.01), (116.01, 40), (116, 40.01)])
    gdf = gpd.GeoDataFrame({"district_code": ["110101"], "name": ["x"]}, geometry=[bowtie], crs="EPSG:4326")
    path = tmp_path / "districts.geojson"
    gdf.to_file(path)
    with pytest.raises(LayerError, match=r"invalid_geometry .*110101.*Self-intersection"):
        load_layer(path, "district")
    # Overlaps/gaps are kept as issues unless strict.
    two = squares(["110101", "110102"], [(116, 40, 116.02, 40.01), (116.01, 40, 116.03, 40.01)])
    two.to_file(path)
    assert [i.kind for i in load_layer(path, "district").attrs["issues"]] == ["overlap"]
    with pytest.raises(LayerError, match="overlap"):
        load_layer(path, "district", strict=True)


@pytest.mark.parametrize("level", LEVELS)
def test_committed_layers_are_valid_partitions(level: str) -> None:
    gdf = load_layer(GEO, level, strict=True, min_area_m2=0.01)
    assert gdf.crs.to_epsg() == 4326
    assert gdf.attrs["issues"] == []
    if level == "district":
        assert len(gdf) == 16
        # The partition's outline has no holes: districts tile the city.
        assert all(len(p.interiors) == 0 for p in shapely.get_parts(shapely.union_all(gdf.geometry.values)))
    else:
        assert gdf["synthetic"].all()
        assert validate_nesting(gdf, load_layer(GEO, "district"), level, min_area_m2=0.01) == []


def test_stations_tile_the_districts_exactly() -> None:
    districts = load_layer(GEO, "district")
    stations = load_layer(GEO, "station")
    assert 300 <= len(stations) <= 360
    for code, geom in zip(districts["district_code"], districts.geometry.values, strict=True):
        mine = shapely.union_all(stations.loc[stations["district_code"] == code].geometry.values)
        assert shapely.symmetric_difference(mine, geom).area < 1e-12, code
    per_district = stations.groupby("district_code")["number"].apply(list)
    assert all(len(set(v)) == len(v) for v in per_district)
    assert (stations["station_id"] == stations["district_code"] + stations["number"]).all()


def test_stations_csv_matches_the_layer() -> None:
    with (ROOT / "sample_data/stations.csv").open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert list(rows[0]) == ["station_id", "name", "district_code", "number", "branch_code", "synthetic"]
    layer = load_layer(GEO, "station")
    assert [r["station_id"] for r in rows] == list(layer["station_id"])
    assert {r["branch_code"] for r in rows} >= {"131", "132", "133", "134", "135", "136"}
    assert all(r["synthetic"] == "true" for r in rows)


def test_special_areas_are_owned_by_their_branches() -> None:
    special = load_layer(GEO, "special_branch")
    stations = load_layer(GEO, "station")
    assert sorted(special["branch_code"]) == ["131", "132", "133", "134", "135", "136"]
    for code, geom in zip(special["branch_code"], special.geometry.values, strict=True):
        inside = stations.loc[stations["branch_code"] == code]
        assert len(inside) >= 2
        assert shapely.symmetric_difference(shapely.union_all(inside.geometry.values), geom).area < 1e-12


@pytest.mark.filterwarnings("ignore:Column names longer", "ignore:Normalized/laundered")
def test_geopackage_and_shapefile_load_like_geojson(tmp_path: Path) -> None:
    stations = load_layer(GEO, "station")
    stations.to_file(tmp_path / "layers.gpkg", layer="stations")
    shp = stations.copy()
    shp["number"] = shp["number"].astype(int)  # drivers often turn codes into integers
    shp["district_code"] = shp["district_code"].astype(int)
    shp.to_file(tmp_path / "stations.shp", encoding="utf-8")
    for path in (tmp_path / "layers.gpkg", tmp_path / "stations.shp"):
        got = load_layer(path, "station")
        assert list(got["station_id"]) == list(stations["station_id"])
        assert list(got["number"]) == list(stations["number"])
        assert got.geometry.values[0].equals(stations.geometry.values[0])


@pytest.mark.filterwarnings("ignore:Column names longer", "ignore:Normalized/laundered", "ignore:'crs' was not")
def test_crs_is_required_and_normalised(tmp_path: Path) -> None:
    gdf = squares(["110101"], [(116.0, 40.0, 116.01, 40.01)])
    gdf.to_crs("EPSG:32650").to_file(tmp_path / "districts.gpkg", layer="districts")
    got = read_layer(tmp_path / "districts.gpkg", "district")
    assert got.crs.to_epsg() == 4326
    assert got.geometry.values[0].bounds == pytest.approx((116.0, 40.0, 116.01, 40.01), abs=1e-7)
    gdf.set_crs(None, allow_override=True).to_file(tmp_path / "nocrs.shp")
    with pytest.raises(LayerError, match="has no CRS"):
        read_layer(tmp_path / "nocrs.shp", "district")
    assert read_layer(tmp_path / "nocrs.shp", "district", crs="EPSG:4326").crs.to_epsg() == 4326


def test_gcj02_digitised_layer_is_converted(tmp_path: Path) -> None:
    gdf = squares(["110101"], [(116.40, 39.90, 116.41, 39.91)])
    gdf.to_file(tmp_path / "districts.geojson")
    got = read_layer(tmp_path, "district", datum="gcj02")
    assert got.geometry.values[0].bounds[0] == pytest.approx(gcj02_to_wgs84(116.40, 39.90)[0])


def test_missing_column_is_named(tmp_path: Path) -> None:
    gdf = gpd.GeoDataFrame({"name": ["x"]}, geometry=[box(116, 40, 116.1, 40.1)], crs="EPSG:4326")
    gdf.to_file(tmp_path / "districts.geojson")
    with pytest.raises(LayerError, match=r"lacks column.*district_code"):
        read_layer(tmp_path, "district")
    with pytest.raises(LayerError, match="no stations"):
        read_layer(tmp_path, "station")


def test_ownership_of_special_areas() -> None:
    special = load_layer(GEO, "special_branch")
    stations = load_layer(GEO, "station")
    assert validate_ownership(stations, special) == []
    # Hand a 天安门 station to 东城分局, and stretch a 西站 station outside its area.
    broken = stations.copy()
    tam = broken.index[broken["branch_code"] == "131"][0]
    broken.loc[tam, "branch_code"] = "101"
    xz = broken.index[broken["branch_code"] == "132"][0]
    broken.loc[xz, "geometry"] = broken.loc[xz, "geometry"].buffer(0.001)
    kinds = {(i.kind, i.ids[1]) for i in validate_ownership(broken, special)}
    assert ("inside_special_area", "131") in kinds and ("outside_special_area", "132") in kinds


def test_geo_dir_from_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from maps import Jurisdictions, OutsideJurisdiction

    stations = load_layer(GEO, "station")
    districts = load_layer(GEO, "district")
    keep = stations["district_code"] == "110101"
    stations.loc[keep & (stations["branch_code"] == "101")].to_file(tmp_path / "stations.gpkg", layer="stations")
    districts.loc[districts["district_code"] == "110101"].to_file(tmp_path / "districts.gpkg", layer="districts")
    monkeypatch.setenv("CAMREG_GEO_DIR", str(tmp_path))
    city = Jurisdictions.load()
    assert len(city.stations) == int((keep & (stations["branch_code"] == "101")).sum())
    assert len(city.special_branches) == 0
    assert city.route(116.4170, 39.9290).filing_unit.code == "101"
    # The 天安门 area was left out: the middle of the square is now more than 50 m from any area.
    with pytest.raises(OutsideJurisdiction):
        city.route(116.3915, 39.9030)
