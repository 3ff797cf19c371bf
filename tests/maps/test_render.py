"""Offline rendering: no outside URL in any page, folium's class defaults untouched, clear input errors."""

from __future__ import annotations

import copy
import re
from collections.abc import Callable
from pathlib import Path

import folium
import folium.plugins
import pandas as pd
import pytest

from maps import assets
from maps.render import build_city, render_city, render_district, render_operator, write_map
from maps.render_base import grid_cells
from tests.maps.render_fixtures import city_inputs, district_inputs

TILE = "http://tiles.intranet.example/{z}/{x}/{y}.png"


def _outside(page: str) -> list[str]:
    return assets.external_urls(page, assets.KNOWN_NON_REQUESTS)


def _pages() -> dict[str, str]:
    districts, stats = city_inputs()
    district, stations, cams = district_inputs()
    sites = cams.head(5)[["lon", "lat", "name"]]
    return {
        "city": render_city(districts, stats),
        "city-cameras": render_city(districts, stats, metric="cameras"),
        "district": render_district(district, stations, cams, sites=sites),
        "operator": render_operator({"lon": 116.21, "lat": 39.81, "name": "酒店"}, cams.head(8), context=stations),
    }


def test_rendered_pages_reference_nothing_outside() -> None:
    for name, page in _pages().items():
        assert _outside(page) == [], name
        assert assets.PLACEHOLDER not in page, name
        assert not re.search(r"<(script|link)[^>]+(src|href)=", page), f"{name} still links a file"
        assert "L.map(" in page and "leaflet" in page.lower()


def test_district_page_inlines_markercluster_only_when_used() -> None:
    pages = _pages()
    assert "markerClusterGroup" in pages["district"] and "MarkerClusterGroup=" in pages["district"]
    assert "MarkerClusterGroup=" not in pages["city"]


def test_tile_url_is_the_only_outside_url_allowed() -> None:
    districts, stats = city_inputs()
    page = render_city(districts, stats, tile_url=TILE)
    assert _outside(page) == [TILE]
    with pytest.raises(ValueError, match="tile_url"):
        render_city(districts, stats, tile_url="tiles.example/a.png")


def test_folium_class_defaults_are_not_changed_by_rendering() -> None:
    before = {cls: (copy.deepcopy(cls.default_js), copy.deepcopy(cls.default_css))
              for cls in (folium.Map, folium.plugins.MarkerCluster, folium.plugins.FastMarkerCluster)}
    _pages()
    for cls, (js, css) in before.items():
        assert cls.default_js == js and cls.default_css == css, cls.__name__
    # A plain folium map made afterwards still gets folium's own CDN links: nothing leaked between maps.
    plain = folium.Map(tiles=None).get_root().render()
    assert "cdn.jsdelivr.net/npm/leaflet@" in plain


def test_a_plugin_that_is_not_vendored_is_refused_by_name() -> None:
    districts, stats = city_inputs()
    m = build_city(districts, stats)
    folium.plugins.Fullscreen().add_to(m)
    with pytest.raises(assets.OfflineError, match="Fullscreen"):
        write_map(m, "/nonexistent/never-written.html")


def test_write_map_inline_and_beside(tmp_path: Path) -> None:
    districts, stats = city_inputs()
    inline = write_map(build_city(districts, stats), tmp_path / "a.html")
    assert _outside(inline.read_text(encoding="utf-8")) == []
    beside = write_map(build_city(districts, stats), tmp_path / "b.html", inline_assets=False)
    page = beside.read_text(encoding="utf-8")
    assert '<script src="b_files/leaflet/leaflet.js">' in page
    for rel in ("leaflet/leaflet.js", "leaflet/leaflet.css", "leaflet/images/layers.png", "leaflet/LICENSE"):
        assert (tmp_path / "b_files" / rel).is_file(), rel
    assert len(page) < len(inline.read_text(encoding="utf-8")) - 100_000
    assert write_map(render_city(districts, stats), tmp_path / "c.html").is_file()


def test_city_page_size_does_not_grow_with_cameras() -> None:
    districts, small = city_inputs(100)
    _, big = city_inputs(5000)
    assert abs(len(render_city(districts, small)) - len(render_city(districts, big))) < 2000


def test_camera_names_are_escaped() -> None:
    district, stations, cams = district_inputs(5)
    cams["name"] = "<img src=x onerror=alert(1)>"
    for page in (render_district(district, stations, cams),
                 render_operator({"lon": 116.21, "lat": 39.81, "name": "<b>x</b>"}, cams)):
        assert "<img src=x" not in page and "<b>x</b>" not in page
        # Escaped once for HTML; folium's JSON may further write & as \u0026.
        assert "&lt;img src=x" in page or "\\u0026lt;img src=x" in page


def test_district_cells_count_every_camera_once() -> None:
    _, _, cams = district_inputs(1000)
    cells = grid_cells(cams["lon"].to_numpy(), cams["lat"].to_numpy(), 500)
    assert cells["n"].sum() == 1000 and len(cells) < 1000
    assert cells["lat"].between(39.8, 39.9).all()


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda d, s: render_city(d, s.drop(columns=["density"])), "density"),
        (lambda d, s: render_city(d.drop(columns=["name"]), s), "name"),
        (lambda d, s: render_city(d, s.iloc[1:]), "110100"),
        (lambda d, s: render_city(d, s, metric="bogus"), "metric"),
        (lambda d, s: render_city(d.set_crs(None, allow_override=True), s), "CRS"),
        (lambda d, s: render_district(d, d, pd.DataFrame({"lon": [1.0]})), "station_id"),
        (lambda d, s: render_operator({"lon": 116.0, "lat": 39.9}, pd.DataFrame()), "name"),
        (lambda d, s: render_operator({"lon": 116.0, "lat": 39.9, "name": "x"}, pd.DataFrame({"lon": [1]})), "azimuth"),
    ],
)
def test_bad_input_names_the_problem(call: Callable[..., object], message: str) -> None:
    districts, stats = city_inputs(50)
    with pytest.raises(ValueError, match=message):
        call(districts, stats)
