"""Benchmark 7b: city view for 1,000,000 cameras and district view for 100,000, drawn in headless Chromium.

Targets: city HTML < 5 MB and drawn < 3 s; district view drawn < 3 s. "Drawn" is the time from
navigation start until the page's ready flag, which is set two animation frames after every layer
was added (so the first paint with all layers is included); the page is served from 127.0.0.1 with
every other request blocked. Baseline: the naive folium map, one folium.Marker per camera in a
MarkerCluster, measured at a small N and at N=0, its per-marker part extrapolated linearly (its
size and render time are linear in N; its draw time at 1M cannot be measured: a ~0.5 GB page).

Run: .venv/bin/python bench/maps_render.py [--city 1000000] [--district 100000] [--baseline 5000]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import folium
import pandas as pd
from folium.plugins import MarkerCluster

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from maps.coverage import coverage_stats
from maps.layers import default_geo_dir, read_layer
from maps.map_cli import synthetic_cameras
from maps.render import render_city, render_district
from maps.render_base import to_html
from tests.maps.browser_harness import chromium_missing, map_js, offline_browser, open_map, serve

T = TypeVar("T")


def timed(fn: Callable[..., T], *args: Any, **kwargs: Any) -> tuple[T, float]:
    """(result, seconds)."""
    t = time.perf_counter()
    out = fn(*args, **kwargs)
    return out, time.perf_counter() - t


def draw_ms(context: Any, base: str, name: str, runs: int = 3) -> tuple[float, list[str]]:
    """Median navigation-to-ready time over `runs` fresh page loads, and any blocked requests."""
    times: list[float] = []
    blocked: list[str] = []
    for _ in range(runs):
        loaded = open_map(context, base + name, timeout_ms=180_000)
        times.append(loaded.ready_ms)
        blocked += loaded.blocked
        loaded.page.close()
    return statistics.median(times), blocked


def naive_map(cams: pd.DataFrame) -> str:
    """The baseline: one folium Marker per camera in a MarkerCluster (made offline with our assets)."""
    m = folium.Map(location=[39.96, 116.27], zoom_start=11, tiles=None)  # 海淀
    m.options["max_zoom"] = 19  # markercluster needs it; without tiles folium sets none
    cluster = MarkerCluster().add_to(m)
    for lon, lat, code in zip(cams.lon, cams.lat, cams.code, strict=True):
        folium.Marker([lat, lon], tooltip=code).add_to(cluster)
    return to_html(m)


def row(label: str, ours: float, base: float | None, target: str, unit: str) -> None:
    """One line of the comparison table."""
    b = f"{base:12.2f}" if base is not None else f"{'-':>12}"
    ratio = f"{base / ours:10.1f}x" if base is not None and ours > 0 else f"{'-':>11}"
    print(f"{label:<44}{ours:12.2f}{b}{ratio}   {target:<10}{unit}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--city", type=int, default=1_000_000, help="cameras city-wide")
    ap.add_argument("--district", type=int, default=100_000, help="cameras in 海淀 (110108)")
    ap.add_argument("--baseline", type=int, default=5000, help="cameras in the naive folium baseline")
    ap.add_argument("--no-coverage", action="store_true", help="skip the union of sectors (covered km²)")
    args = ap.parse_args()
    if (why := chromium_missing()) is not None:
        sys.exit(f"needs headless Chromium: {why}")

    geo = default_geo_dir()
    districts = read_layer(geo, "district")
    stations = read_layer(geo, "station")
    stations = stations[stations.district_code == "110108"]
    haidian = districts[districts.district_code == "110108"]
    coverage = not args.no_coverage

    city_cams, t_gen = timed(synthetic_cameras, districts, args.city, seed=1)
    _, t_count = timed(coverage_stats, districts, city_cams.drop(columns=["district_code"]),
                            key="district_code", with_coverage=False)
    stats, t_cov = timed(coverage_stats, districts, city_cams, key="district_code", with_coverage=coverage)
    city_html, t_city = timed(render_city, districts, stats)

    d_cams, _ = timed(synthetic_cameras, stations, args.district, key="station_id", seed=2)
    d_stats, t_dcov = timed(coverage_stats, stations, d_cams, key="station_id", with_coverage=coverage)
    sites = d_cams.sample(200, random_state=0)[["lon", "lat", "name"]]
    d_html, t_district = timed(render_district, haidian, stations, d_cams, stats=d_stats, sites=sites)

    b_cams = d_cams.sample(args.baseline, random_state=3)
    b_html, t_base = timed(naive_map, b_cams)
    empty_html, t_empty = timed(naive_map, b_cams.head(0))

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        pages = {"city.html": city_html, "district.html": d_html, "naive.html": b_html, "empty.html": empty_html}
        for name, page in pages.items():
            (root / name).write_text(page, encoding="utf-8")
        with serve(root) as base, offline_browser() as context:
            draw_city, blocked_city = draw_ms(context, base, "city.html")
            draw_district, blocked_district = draw_ms(context, base, "district.html")
            draw_naive, blocked_naive = draw_ms(context, base, "naive.html")
            draw_empty, _ = draw_ms(context, base, "empty.html")
            loaded = open_map(context, base + "district.html", timeout_ms=180_000)
            zoom = map_js(loaded, """
                const c = window.camreg; let t = performance.now();
                map.setView(map.getCenter(), 15, {animate: false}); const z15 = performance.now() - t;
                const shown15 = c.shown; t = performance.now();
                map.setView(map.getCenter(), 17, {animate: false});
                return [z15, shown15, performance.now() - t, c.sectors];""")

    scale_d, scale_c = args.district / args.baseline, args.city / args.baseline

    def grow(at_n: float, at_0: float, scale: float) -> float:
        """The baseline's figure at scale × N: its fixed part plus scale × its per-marker part."""
        return at_0 + (at_n - at_0) * scale

    size_n, size_0 = len(b_html.encode()) / 1e6, len(empty_html.encode()) / 1e6
    mb = 1e6
    print(f"\ncameras: city {args.city:,}, district (海淀, {len(stations)} stations) {args.district:,}; "
          f"baseline measured at N={args.baseline:,} and at N=0, per-marker part scaled linearly "
          f"(x{scale_d:.0f} / x{scale_c:.0f})")
    print(f"synthetic camera generation (not counted): {t_gen:.1f} s\n")
    print(f"{'':<44}{'ours':>12}{'baseline':>12}{'base/ours':>11}   {'target':<10}unit")
    row(f"city: count per district ({args.city:,} points)", t_count, None, "", "s")
    if coverage:
        row(f"city: covered km², union of {args.city:,} sectors", t_cov, None, "", "s")
    row("city: render HTML", t_city, grow(t_base, t_empty, scale_c), "", "s")
    row("city: HTML size", len(city_html.encode()) / mb, grow(size_n, size_0, scale_c), "< 5", "MB")
    row("city: drawn in Chromium (median of 3)", draw_city / 1000, None, "< 3", "s")
    if coverage:
        row(f"district: covered km² per station ({args.district:,})", t_dcov, None, "", "s")
    row("district: render HTML", t_district, grow(t_base, t_empty, scale_d), "", "s")
    row("district: HTML size", len(d_html.encode()) / mb, grow(size_n, size_0, scale_d), "", "MB")
    row("district: drawn in Chromium (median of 3)", draw_district / 1000,
        grow(draw_naive, draw_empty, scale_d) / 1000, "< 3", "s")
    row(f"baseline itself at N={args.baseline:,}: drawn", draw_naive / 1000, None, "", "s (measured)")
    row("baseline with no markers: drawn", draw_empty / 1000, None, "", "s (measured)")
    row(f"district: zoom 15, {zoom[1]} points drawn", zoom[0] / 1000, None, "", "s")
    row(f"district: zoom 17, {zoom[3]} sectors drawn", zoom[2] / 1000, None, "", "s")
    blocked = blocked_city + blocked_district + blocked_naive
    print(f"\nrequests that tried to leave localhost: {len(blocked)} {blocked[:3]}")
    print("note: the baseline's per-marker cost is extrapolated linearly from N; markercluster's own cost "
          "grows faster than linearly, so its true figures at 100k/1M are at least these.")


if __name__ == "__main__":
    main()
