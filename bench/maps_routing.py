"""Benchmark 7a: route 1,000,000 points inside Beijing, ours vs geopandas.sjoin(predicate="within").

Run: .venv/bin/python bench/maps_routing.py [--points N] [--edge N] [--repeat R]

Both sides take the same coordinate arrays and return a station per point, from the station layer
(special-branch stations included). We time `Jurisdictions.route_many` (first call includes the
one-off grid build, reported separately). The sjoin time includes building the point GeoDataFrame
from the arrays. A share of the points are station-boundary vertices: `within` excludes the
boundary, so sjoin drops them, while ours answers them by the documented tie-break.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from typing import TypeVar

import geopandas as gpd
import numpy as np
import shapely

from maps import Jurisdictions

TARGET = 5.0
T = TypeVar("T")


def points_inside(city: Jurisdictions, n: int, edge: int, seed: int = 2013) -> tuple[np.ndarray, np.ndarray]:
    """`n - edge` uniform random points inside the city outline, plus `edge` shared boundary vertices."""
    rng = np.random.default_rng(seed)
    outline = shapely.union_all(city.districts.geometry.values)
    shapely.prepare(outline)
    minx, miny, maxx, maxy = outline.bounds
    xs: list[np.ndarray] = []
    ys: list[np.ndarray] = []
    need = n - edge
    while need > 0:
        x, y = rng.uniform(minx, maxx, 2 * need), rng.uniform(miny, maxy, 2 * need)
        keep = shapely.contains_xy(outline, x, y)
        xs.append(x[keep][:need])
        ys.append(y[keep][:need])
        need -= len(xs[-1])
    verts = shapely.get_coordinates(city.stations.geometry.values)
    pick = verts[rng.choice(len(verts), edge, replace=edge > len(verts))]
    x, y = np.concatenate([*xs, pick[:, 0]]), np.concatenate([*ys, pick[:, 1]])
    order = rng.permutation(n)
    return x[order], y[order]


def best_of(repeat: int, fn: Callable[[], T]) -> tuple[float, T]:
    """Fastest wall time of `repeat` runs, and the last result."""
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - start)
    return best, result


def main() -> None:
    """Run the benchmark and print our figure, the baseline's, the ratio and the target."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=1_000_000)
    parser.add_argument("--edge", type=int, default=10_000, help="how many points are boundary vertices")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    start = time.perf_counter()
    city = Jurisdictions.load()
    load_s = time.perf_counter() - start
    lons, lats = points_inside(city, args.points, args.edge)
    stations = city.stations[["station_id", "geometry"]]

    start = time.perf_counter()
    city.route_many(lons, lats)  # first call: builds the lookup grid once
    cold_s = time.perf_counter() - start
    ours_s, ours = best_of(args.repeat, lambda: city.route_many(lons, lats))

    def baseline() -> gpd.GeoDataFrame:
        pts = gpd.GeoDataFrame(geometry=gpd.points_from_xy(lons, lats), crs="EPSG:4326")
        return gpd.sjoin(pts, stations, how="left", predicate="within")

    sjoin_s, joined = best_of(args.repeat, baseline)
    ours_ids = ours["station_id"].astype(object).to_numpy()
    answered = ours["station_id"].notna().to_numpy()
    one = joined.groupby(level=0)["station_id"].agg(["count", "first"])  # a point could match twice
    single = (one["count"] == 1).to_numpy()
    agree = int((one["first"].to_numpy(dtype=object)[single] == ours_ids[single]).sum())
    dropped = (one["count"] == 0).to_numpy()
    answered_dropped = int((dropped & answered).sum())
    unanswered = int((~answered).sum())

    ratio = sjoin_s / ours_s
    print(f"points                 {args.points:,} ({args.points - args.edge:,} random inside Beijing + "
          f"{args.edge:,} station-boundary vertices), {len(stations)} station areas")
    print(f"layer load             {load_s:.2f} s (Jurisdictions.load, incl. validation)")
    print(f"ours: route_many       {ours_s:.3f} s  (first call incl. grid build: {cold_s:.3f} s)")
    print(f"baseline: sjoin within {sjoin_s:.3f} s  (incl. building the point GeoDataFrame)")
    print(f"ratio                  {ratio:.1f}x  (cold: {sjoin_s / cold_s:.1f}x)   target >= {TARGET:.0f}x  "
          f"{'MET' if ratio >= TARGET else 'NOT MET'}")
    print(f"agreement              {agree:,} / {int(single.sum()):,} points where sjoin has one answer")
    print(f"edge points            {answered_dropped:,} answered by us that sjoin dropped "
          f"({int(dropped.sum()):,} dropped by sjoin); {unanswered:,} points we left unanswered")


if __name__ == "__main__":
    main()
