"""ECharts compressed-GeoJSON decoding."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import shapely
from shapely.geometry import shape

from maps.echarts import decode_geojson, decode_ring

SOURCE = Path(__file__).resolve().parents[2] / "sample_data/geo/source/echarts-4.9.0-beijing-districts.json"

DISTRICTS = {
    "110101": "东城区", "110102": "西城区", "110105": "朝阳区", "110106": "丰台区", "110107": "石景山区",
    "110108": "海淀区", "110109": "门头沟区", "110111": "房山区", "110112": "通州区", "110113": "顺义区",
    "110114": "昌平区", "110115": "大兴区", "110116": "怀柔区", "110117": "平谷区", "110118": "密云区",
    "110119": "延庆区",
}


@pytest.fixture(scope="module")
def decoded() -> dict:
    return decode_geojson(json.loads(SOURCE.read_text(encoding="utf-8")))


def test_decode_ring_zigzag_delta() -> None:
    # "@@" is (0, 0): the start itself; "BA" is zig-zag (2, 1) -> (+1, -1); "AB" -> (-1, +1).
    ring = decode_ring("@@BAAB", (1024, 2048))
    assert ring == [[1.0, 2.0], [1024 / 1024 + 1 / 1024, 2.0 - 1 / 1024], [1.0, 2.0]]


def test_decode_ring_rejects_odd_length() -> None:
    with pytest.raises(ValueError, match="odd number"):
        decode_ring("@@A", (0, 0))


def test_all_sixteen_districts_with_names_and_adcodes(decoded: dict) -> None:
    got = {str(f["id"]): f["properties"]["name"] for f in decoded["features"]}
    assert got == DISTRICTS
    assert "UTF8Encoding" not in decoded


def test_decoded_geometry_is_beijing_in_gcj02(decoded: dict) -> None:
    geoms = [shape(f["geometry"]) for f in decoded["features"]]
    minx, miny, maxx, maxy = shapely.total_bounds(geoms)
    assert 115.3 < minx < 115.5 and 117.4 < maxx < 117.6
    assert 39.4 < miny < 39.5 and 41.0 < maxy < 41.1
    # The label point ECharts ships for each district ("cp") falls inside or near its own district.
    for f, g in zip(decoded["features"], geoms, strict=True):
        cp = shapely.Point(f["properties"]["cp"])
        assert shapely.make_valid(g).distance(cp) < 0.02, f["id"]
    # Rings are closed and on the 1/1024-degree lattice.
    ring = decoded["features"][0]["geometry"]["coordinates"][0]
    assert ring[0] == ring[-1]
    assert all((v * 1024).is_integer() for p in ring for v in p)


def test_plain_geojson_passes_through() -> None:
    plain = {"type": "FeatureCollection", "features": []}
    assert decode_geojson(plain) == plain
