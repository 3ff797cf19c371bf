"""The maps in headless Chromium with every non-local request blocked: layers drew, nothing left localhost."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from pyproj import Transformer

from maps.coverage import camera_sectors, coverage_stats
from maps.layers import default_geo_dir, read_layer
from maps.map_cli import synthetic_cameras
from maps.render import build_city, render_city, render_district, render_operator, write_map
from maps.render_base import auto_cell_m, grid_cells
from tests.maps.browser_harness import Loaded, chromium_missing, map_js, offline_browser, open_map, serve
from tests.maps.render_fixtures import district_inputs

pytestmark = pytest.mark.browser

_missing = chromium_missing()
if _missing and os.environ.get("CI") != "true":
    pytest.skip(f"headless Chromium unavailable: {_missing}", allow_module_level=True)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Any, str, Path]]:
    """A browser, and a local HTTP server over a directory the tests write pages into."""
    root = tmp_path_factory.mktemp("maps")
    with serve(root) as base, offline_browser() as context:
        yield context, base, root


def _open(site: tuple[Any, str, Path], name: str, page: str) -> Loaded:
    context, base, root = site
    (root / name).write_text(page, encoding="utf-8")
    return open_map(context, base + name)


def _offline(loaded: Loaded) -> None:
    assert loaded.blocked == [], f"requests left localhost: {loaded.blocked}"
    assert loaded.errors == []
    assert all(u.startswith(("http://127.0.0.1:", "data:")) for u in loaded.requested), loaded.requested


def test_city_map_of_the_sample_city_draws_every_district_offline(site: tuple[Any, str, Path]) -> None:
    districts = read_layer(default_geo_dir(), "district")
    cams = synthetic_cameras(districts, 3000, seed=5)
    stats = coverage_stats(districts, cams, key="district_code")
    loaded = _open(site, "city.html", render_city(districts, stats))
    _offline(loaded)
    assert loaded.count(".leaflet-overlay-pane svg path.camreg-district") == len(districts) == 16
    assert 8 <= map_js(loaded, "return map.getZoom();") <= 10
    # Every district's label, except those of districts too small on screen to hold one (东城, 西城).
    labels = "return [...document.querySelectorAll('.camreg-label b')].map(b => b.textContent);"
    shown = map_js(loaded, labels)
    assert 10 <= len(shown) < 16 and "海淀区" in shown and "东城区" not in shown
    map_js(loaded, "map.setView([39.93, 116.41], map.getZoom() + 3, {animate: false});")
    assert "东城区" in map_js(loaded, labels)
    assert loaded.count(".leaflet-tile") == 0  # no tiles by default: outlines are the base


def test_blocked_requests_are_caught(site: tuple[Any, str, Path]) -> None:
    """The harness really sees outside requests: a tile server outside localhost gets recorded."""
    districts = read_layer(default_geo_dir(), "district")
    stats = coverage_stats(districts, synthetic_cameras(districts, 100), key="district_code", with_coverage=False)
    loaded = _open(site, "tiles.html", render_city(districts, stats, tile_url="http://198.18.0.1/{z}/{x}/{y}.png"))
    assert loaded.blocked and all(u.startswith("http://198.18.0.1/") for u in loaded.blocked)


def test_district_map_draws_cells_then_points_then_sectors(site: tuple[Any, str, Path]) -> None:
    district, stations, cams = district_inputs(2000)
    sites = cams.head(30)[["lon", "lat", "name"]]
    stats = coverage_stats(stations, cams, key="station_id")
    loaded = _open(site, "district.html", render_district(district, stations, cams, stats=stats, sites=sites))
    _offline(loaded)
    assert loaded.count(".leaflet-overlay-pane svg path.camreg-station") == 4
    area_km2 = float(district.to_crs("EPSG:32650").area.sum() / 1e6)
    cells = grid_cells(cams["lon"].to_numpy(), cams["lat"].to_numpy(), auto_cell_m(area_km2))
    assert loaded.count(".leaflet-marker-pane .camreg-cell") == len(cells)
    assert loaded.count(".leaflet-marker-pane .marker-cluster") + loaded.count(".camreg-site") >= 1
    # Zoom into a station: individual cameras on a canvas, then their fields of view.
    state = map_js(loaded, "map.setView([39.825, 116.225], 15, {animate: false}); return window.camreg;")
    in_view = map_js(loaded, "const b = map.getBounds().pad(0.05); return b.toBBoxString();")
    w, s, e, n = map(float, in_view.split(","))
    expected = int(((cams.lon >= w) & (cams.lon <= e) & (cams.lat >= s) & (cams.lat <= n)).sum())
    assert state["mode"] == "detail" and state["shown"] == expected > 0 and state["sectors"] == 0
    assert loaded.count(".leaflet-marker-pane .camreg-cell") == 0
    assert loaded.count(".leaflet-overlay-pane canvas") >= 1
    state = map_js(loaded, "map.setView([39.825, 116.225], 17, {animate: false}); return window.camreg;")
    assert state["sectors"] == state["shown"] > 0
    _offline(loaded)


def test_client_side_sectors_match_the_utm_sectors(site: tuple[Any, str, Path]) -> None:
    district, stations, cams = district_inputs(50)
    loaded = _open(site, "sectors.html", render_district(district, stations, cams))
    js = map_js(loaded, "return [0, 1, 2, 3].map(i => window.camreg.sector(i));")
    py = camera_sectors(cams.lon[:4], cams.lat[:4], cams.azimuth[:4], cams.fov[:4], cams["range"][:4], cams.kind[:4])
    to_utm = Transformer.from_crs("EPSG:4326", "EPSG:32650", always_xy=True)
    for pts, geom in zip(js, py, strict=True):
        ring = np.asarray(geom.exterior.coords)[:-1]
        assert len(pts) == len(ring)
        xj, yj = to_utm.transform([p[1] for p in pts], [p[0] for p in pts])
        xp, yp = to_utm.transform(ring[:, 0], ring[:, 1])
        assert np.hypot(np.subtract(xj, xp), np.subtract(yj, yp)).max() < 0.5  # metres


def test_operator_map_draws_each_camera_and_sector(site: tuple[Any, str, Path]) -> None:
    _, stations, cams = district_inputs(12)
    page = render_operator({"lon": 116.21, "lat": 39.81, "name": "某酒店"}, cams, context=stations.iloc[[0]])
    loaded = _open(site, "operator.html", page)
    _offline(loaded)
    assert loaded.count("path.camreg-sector") == 12 and loaded.count("path.camreg-camera") == 12


def test_page_with_assets_beside_opens_from_disk(site: tuple[Any, str, Path], tmp_path: Path) -> None:
    districts = read_layer(default_geo_dir(), "district")
    stats = coverage_stats(districts, synthetic_cameras(districts, 100), key="district_code", with_coverage=False)
    out = write_map(build_city(districts, stats), tmp_path / "city.html", inline_assets=False)
    loaded = open_map(site[0], out.as_uri())
    assert loaded.blocked == [] and loaded.errors == []
    assert any(u.endswith("city_files/leaflet/leaflet.js") for u in loaded.requested)
    assert loaded.count("path.camreg-district") == 16
    inline = write_map(build_city(districts, stats), tmp_path / "alone.html")
    loaded = open_map(site[0], inline.as_uri())
    assert loaded.blocked == [] and loaded.requested == [inline.as_uri()]
    assert loaded.count("path.camreg-district") == 16


def test_detail_layer_caps_points_and_says_so(site: tuple[Any, str, Path]) -> None:
    district, stations, cams = district_inputs(2000)
    loaded = _open(site, "capped.html", render_district(district, stations, cams, max_detail=10))
    state = map_js(loaded, "map.setView([39.825, 116.225], 15, {animate: false}); return window.camreg;")
    assert state["shown"] == 10 and state["hidden"] > 0
    note = loaded.page.inner_text(".camreg-note")
    assert f"10 / {10 + state['hidden']}" in note
