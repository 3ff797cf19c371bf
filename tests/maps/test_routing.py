"""Routing by SPEC §2 rules 1–5: explanations, tie-break on edges and vertices, gaps, outside Beijing."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from shapely.geometry import box

from maps import Jurisdictions, OutsideJurisdiction, RoutingError
from maps.datums import from_wgs84
from maps.routing import UnknownAffiliation
from maps.units import read_units

TIANANMEN = (116.3915, 39.9030)  # WGS-84, on the square: 东城区, but 天安门分局's area
DONGCHENG_WEST = (116.4170, 39.9290)  # 东城区, outside any special area


@pytest.fixture(scope="module")
def city() -> Jurisdictions:
    return Jurisdictions.load()


def tiny_city(gap_deg: float = 0.0) -> Jurisdictions:
    """Two square districts side by side at x=116.01 (plus an optional gap), one station each."""
    left = box(116.00, 40.00, 116.01, 40.01)
    right = box(116.01 + gap_deg, 40.00, 116.02 + gap_deg, 40.01)
    districts = gpd.GeoDataFrame({"district_code": ["110102", "110101"], "name": ["西城区", "东城区"]},
                                 geometry=[left, right], crs="EPSG:4326")
    stations = gpd.GeoDataFrame({"station_id": ["11010201", "11010101"], "name": ["左所", "右所"],
                                 "district_code": ["110102", "110101"], "number": ["01", "01"],
                                 "branch_code": ["102", "101"]}, geometry=[left, right], crs="EPSG:4326")
    return Jurisdictions(stations, districts, read_units())


def test_rule5_station_verifies_and_its_branch_files(city: Jurisdictions) -> None:
    r = city.route(*DONGCHENG_WEST)
    assert r.rule == 5 and r.district_code == "110101"
    assert r.filing_unit.code == "101" and r.filing_unit.name == "东城分局"
    assert r.station_id.startswith("110101") and r.verifying_unit == f"东城分局 {r.station}"
    assert r.explanation.startswith("规则5：") and r.station in r.explanation and r.explanation.endswith("。")
    assert r.flags == []


def test_special_branch_area_wins_over_the_district(city: Jurisdictions) -> None:
    r = city.route(*TIANANMEN)
    assert (r.rule, r.district_code, r.filing_unit.code) == (5, "110101", "131")
    assert r.verifying_unit.startswith("天安门分局 ")
    airport = city.route(116.615, 40.075)
    assert (airport.district_code, airport.filing_unit.code) == ("110113", "136")


def test_rule1_city_government(city: Jurisdictions) -> None:
    r = city.route(*TIANANMEN, system_kind="city_government")
    assert (r.rule, r.filing_unit.code, r.verifying_unit) == (1, "001", "市局科技信息化部")
    assert r.explanation.startswith("规则1：") and "市政府" in r.explanation


def test_rule2_district_government_uses_the_district_branch_even_in_a_special_area(city: Jurisdictions) -> None:
    r = city.route(*TIANANMEN, system_kind="district_government")
    assert (r.rule, r.filing_unit.code, r.verifying_unit) == (2, "101", "东城分局科信部门")
    assert "东城区" in r.explanation and r.explanation.startswith("规则2：")


@pytest.mark.parametrize("code", ["011", "012", "013", "014", "015"])
def test_rule3_corps(city: Jurisdictions, code: str) -> None:
    r = city.route(*DONGCHENG_WEST, affiliation=code)
    assert r.rule == 3 and r.filing_unit.code == code
    assert r.verifying_unit == f"{r.filing_unit.name}业务部门"
    assert r.explanation.startswith("规则3：") and r.filing_unit.name in r.explanation


@pytest.mark.parametrize("code", ["021", "022", "023", "105", "119", "131", "136"])
def test_rule4_bureaus_branches_and_special_branches(city: Jurisdictions, code: str) -> None:
    r = city.route(*DONGCHENG_WEST, affiliation=code)
    assert r.rule == 4 and r.filing_unit.code == code
    assert r.explanation.startswith("规则4：")
    # Location is still resolved: the registry stores district and station for every operator.
    assert r.district_code == "110101"


def test_government_system_kind_beats_affiliation_and_says_so(city: Jurisdictions) -> None:
    r = city.route(*DONGCHENG_WEST, affiliation="011", system_kind="city_government")
    assert r.rule == 1 and "affiliation_ignored" in r.flags


@pytest.mark.parametrize("system_kind", ["city_government", "district_government"])
def test_government_system_in_an_office_building_follows_the_ordinary_rules(city: Jurisdictions,
                                                                           system_kind: str) -> None:
    """The notice's rules 1/2 cover the government's 交通道路、广场等公共场所, not its office buildings."""
    for place in ("road", "public_place"):
        assert city.route(*DONGCHENG_WEST, system_kind=system_kind, place_kind=place).rule in (1, 2)
    r = city.route(*DONGCHENG_WEST, system_kind=system_kind, place_kind="internal")
    assert (r.rule, r.filing_unit.code) == (5, "101") and r.verifying_unit == f"东城分局 {r.station}"
    assert r.flags == ["government_internal"] and "办公楼" in r.explanation and "规则5：" in r.explanation
    special = city.route(*TIANANMEN, system_kind=system_kind, place_kind="internal")
    assert (special.rule, special.filing_unit.code) == (5, "131"), "the most specific area wins again"
    corps = city.route(*DONGCHENG_WEST, affiliation="011", system_kind=system_kind, place_kind="internal")
    assert (corps.rule, corps.filing_unit.code) == (3, "011") and "affiliation_ignored" not in corps.flags


def test_an_undeclared_place_keeps_rules_1_and_2_flagged(city: Jurisdictions) -> None:
    r = city.route(*DONGCHENG_WEST, system_kind="city_government")
    assert r.rule == 1 and r.flags == ["place_kind_unspecified"] and "场所类型未申报" in r.explanation
    assert city.route(*DONGCHENG_WEST, place_kind="internal").flags == [], "an ordinary system: place is moot"
    with pytest.raises(RoutingError, match="place_kind: 'park'"):
        city.route(*DONGCHENG_WEST, system_kind="city_government", place_kind="park")


def test_bad_inputs_are_clear_errors(city: Jurisdictions) -> None:
    with pytest.raises(UnknownAffiliation, match="affiliation: '999' is not a known"):
        city.route(*DONGCHENG_WEST, affiliation="999")
    with pytest.raises(UnknownAffiliation, match="affiliation: 001"):
        city.route(*DONGCHENG_WEST, affiliation="001")
    with pytest.raises(RoutingError, match="system_kind: 'county'"):
        city.route(*DONGCHENG_WEST, system_kind="county")
    with pytest.raises(RoutingError, match="lat: nan"):
        city.route(116.4, float("nan"))


def test_outside_beijing_is_an_error(city: Jurisdictions) -> None:
    with pytest.raises(OutsideJurisdiction, match="outside Beijing"):
        city.route(121.4737, 31.2304)  # Shanghai
    with pytest.raises(OutsideJurisdiction):
        city.route(117.20, 39.13)  # Tianjin


def test_input_datums_are_converted(city: Jurisdictions) -> None:
    wgs = city.route(*DONGCHENG_WEST)
    for crs in ("gcj02", "bd09"):
        assert city.route(*from_wgs84(*DONGCHENG_WEST, crs), crs=crs).station_id == wgs.station_id


def test_edge_tie_break_smallest_code_on_shared_edge_and_vertex() -> None:
    city = tiny_city()
    for point in [(116.01, 40.005), (116.01, 40.00), (116.01, 40.01)]:  # mid-edge and both shared vertices
        r = city.route(*point)
        assert r.station_id == "11010101" and r.district_code == "110101" and "boundary" in r.flags
    assert city.route(116.005, 40.005).station_id == "11010201"  # interior: no tie
    table = city.route_many(np.array([116.01, 116.005]), np.array([40.005, 40.005]))
    assert list(table["station_id"]) == ["11010101", "11010201"] and list(table["on_boundary"]) == [True, False]


def test_tie_break_on_real_shared_vertices(city: Jurisdictions) -> None:
    stations = city.stations
    special = stations["branch_code"].isin(["131", "132", "133", "134", "135", "136"]).to_numpy()
    coords = shapely.get_coordinates(stations.geometry.values)
    rng = np.random.default_rng(7)
    sample = coords[rng.choice(len(coords), 300, replace=False)]
    tree = shapely.STRtree(stations.geometry.values)
    ties = 0
    for x, y in sample:
        hits = tree.query(shapely.Point(x, y), predicate="intersects")
        expected = min(hits, key=lambda i: (not special[i], stations["station_id"].iloc[i]))
        r = city.route(x, y)
        assert r.station_id == stations["station_id"].iloc[expected]
        ties += len(hits) > 1
    assert ties > 200  # almost every vertex is shared: the test exercises the tie-break


def test_special_station_wins_on_its_own_border(city: Jurisdictions) -> None:
    area = city.special_branches.set_index("branch_code").geometry["131"]
    x, y = shapely.get_coordinates(area)[0]
    assert city.route(x, y).filing_unit.code == "131"


def test_gap_gets_nearest_area_within_tolerance_and_is_flagged() -> None:
    city = tiny_city(gap_deg=0.0008)  # about 68 m wide
    r = city.route(116.0103, 40.005)  # ~26 m from the left square, ~43 m from the right
    assert r.station_id == "11010201" and "gap_nearest" in r.flags and "米" in r.explanation
    with pytest.raises(OutsideJurisdiction):
        city.route(116.00, 40.0110)  # ~110 m north of both
    strict = Jurisdictions(city.stations, city.districts, read_units(), tolerance_m=10)
    with pytest.raises(OutsideJurisdiction, match="10 m"):
        strict.route(116.0103, 40.005)


def test_point_just_outside_the_city_edge_is_flagged_not_refused(city: Jurisdictions) -> None:
    outline = shapely.union_all(city.districts.geometry.values)
    # Walk 25 m east from the city's easternmost vertex.
    coords = shapely.get_coordinates(outline)
    x, y = coords[np.argmax(coords[:, 0])]
    r = city.route(x + 25 / 85_000, y)
    assert "gap_nearest" in r.flags
    assert r.station_id == city.route(x, y).station_id
    with pytest.raises(OutsideJurisdiction):
        city.route(x + 0.01, y)


def test_route_many_agrees_with_route(city: Jurisdictions) -> None:
    rng = np.random.default_rng(11)
    lons, lats = rng.uniform(115.4, 117.6, 400), rng.uniform(39.4, 41.1, 400)
    table = city.route_many(lons, lats)
    assert list(table.columns[:5]) == ["district_code", "station_id", "station", "filing_unit_code", "flag"]
    for lon, lat, row in zip(lons, lats, table.itertuples(), strict=True):
        try:
            r = city.route(lon, lat)
        except OutsideJurisdiction:
            assert pd.isna(row.station_id) and row.flag == "outside"
            continue
        assert (row.station_id, row.district_code, row.filing_unit_code) == (
            r.station_id, r.district_code, r.filing_unit.code)
        assert (row.flag == "gap_nearest") == ("gap_nearest" in r.flags)


def test_route_many_grid_matches_exact_location(city: Jurisdictions) -> None:
    rng = np.random.default_rng(5)
    n = 200_000
    lons, lats = rng.uniform(115.4, 117.6, n), rng.uniform(39.4, 41.1, n)
    coords = shapely.get_coordinates(city.stations.geometry.values)
    lons[:5000], lats[:5000] = coords[:5000, 0], coords[:5000, 1]  # vertices: boundary points
    fast = city.locator.locate(lons, lats)
    exact = city.locator.locate_exact(lons, lats)
    assert np.array_equal(fast.index, exact.index) and np.array_equal(fast.status, exact.status)


def test_route_many_nulls_for_outside_and_bad_coordinates(city: Jurisdictions) -> None:
    table = city.route_many([121.47, float("nan"), DONGCHENG_WEST[0]], [31.23, 40.0, DONGCHENG_WEST[1]])
    assert list(table["flag"]) == ["outside", "invalid_coordinates", ""]
    assert pd.isna(table["station_id"].iloc[0]) and table["station_id"].iloc[2].startswith("110101")
