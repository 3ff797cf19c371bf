"""Rebuild the sample city's jurisdiction layers under sample_data/geo/ and sample_data/stations.csv.

Run: .venv/bin/python scripts/build_sample_layers.py   (deterministic: same inputs, same bytes out)

1. Districts: decode the ECharts file (sample_data/geo/source/, Apache-2.0), convert GCJ-02 to WGS-84.
   The source's districts were quantised separately (1/1024 degree), so many rings self-intersect and
   neighbours overlap or leave gaps along shared borders.  All rings are noded together (snap-rounded to
   1e-7 degree) and polygonised; each face is given to a district by a fixed rule:
   - a face inside exactly one district belongs to it;
   - an overlap face (inside two or more) goes to the district with the smallest adcode;
   - a gap face (bounded, inside none: a hole in the city) goes to the district it shares the longest
     border with.
2. Special-branch areas (synthetic): hand-placed polygons near the real places, clipped to the district
   their branch serves in police_units.csv.
3. Stations (synthetic): seeded points per region (a district minus its special areas, or a special
   area), relaxed by Lloyd's algorithm, Voronoi cells clipped to the region.
All three layers come from ONE noded arrangement, so they share vertices exactly: districts and
stations are gap- and overlap-free partitions of the city, and every station nests in one district.
"""

from __future__ import annotations

import csv
import json
import math
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

import numpy as np
import shapely
from shapely.geometry import MultiPoint, Polygon, mapping, shape

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from maps.datums import gcj02_to_wgs84  # noqa: E402
from maps.echarts import decode_geojson  # noqa: E402
from maps.units import read_units  # noqa: E402

SOURCE = ROOT / "sample_data" / "geo" / "source" / "echarts-4.9.0-beijing-districts.json"
OUT_DIR = ROOT / "sample_data" / "geo"
STATIONS_CSV = ROOT / "sample_data" / "stations.csv"
GRID = 1e-7  # degrees (~1 cm): every output vertex lies on this grid
SEED = 20131000  # fixed, so the synthetic layers are reproducible
LLOYD_ROUNDS = 4
# Scale longitudes so that Voronoi cells are computed in (roughly) equal-distance space at 40°N.
KX = math.cos(math.radians(40.0))
M2_PER_DEG2 = 111_320.0**2 * KX  # rough area conversion, good enough to size fragments
FRAGMENT_M2 = 1_000_000.0  # a detached district part smaller than this is a quantisation artefact
SOURCE_NOTE = (
    "echarts@4.9.0 map/json/province/beijing.json (Apache-2.0); decoded, GCJ-02 converted to WGS-84, "
    "border slivers resolved by scripts/build_sample_layers.py"
)

# Own (district-branch) stations per district: 313 + 17 special-branch stations = 330 in all.
DISTRICT_STATIONS = {
    "110101": 16, "110102": 15, "110105": 40, "110106": 24, "110107": 9, "110108": 27,
    "110109": 12, "110111": 24, "110112": 21, "110113": 22, "110114": 22, "110115": 19,
    "110116": 14, "110117": 16, "110118": 18, "110119": 14,
}
# Special-branch areas: WGS-84 rings placed near the real places, and how many stations each has.
SPECIAL_AREAS: dict[str, tuple[list[tuple[float, float]], int]] = {
    # 天安门分局: Tiananmen Square, the gate and Chang'an Avenue in front of it.
    "131": ([(116.3884, 39.8985), (116.3946, 39.8985), (116.3946, 39.9080), (116.3884, 39.9080)], 2),
    # 西站分局: Beijing West railway station and its forecourt.
    "132": ([(116.3085, 39.8880), (116.3250, 39.8880), (116.3250, 39.8985), (116.3085, 39.8985)], 2),
    # 开发区分局: the Beijing Economic-Technological Development Area (Yizhuang), Daxing part.
    "133": ([(116.470, 39.800), (116.505, 39.815), (116.545, 39.805), (116.565, 39.775),
             (116.540, 39.752), (116.495, 39.758), (116.470, 39.775)], 5),
    # 燕山分局: the Yanshan petrochemical town in Fangshan.
    "134": ([(115.925, 39.735), (115.955, 39.765), (116.005, 39.762), (116.025, 39.730),
             (115.995, 39.700), (115.945, 39.705)], 3),
    # 清河分局: placed at 清河 in Haidian, the district police_units.csv gives it (see README).
    "135": ([(116.325, 40.016), (116.362, 40.016), (116.364, 40.038), (116.327, 40.040)], 2),
    # 机场分局: Beijing Capital International Airport.
    # The western half of the airport is a 朝阳区 exclave; the area covers the eastern (顺义) half.
    "136": ([(116.607, 40.045), (116.607, 40.106), (116.632, 40.104), (116.638, 40.060),
             (116.622, 40.045)], 3),
}
SPECIAL_FIRST_NUMBER = 81  # special-branch stations are numbered 81.. within their host district


def _to_wgs84(geom: shapely.Geometry) -> shapely.Geometry:
    return shapely.transform(geom, lambda c: np.column_stack(gcj02_to_wgs84(c[:, 0], c[:, 1])))


def _faces(lines: list[shapely.Geometry]) -> list[shapely.Geometry]:
    """Node all lines together on the output grid and return the bounded faces."""
    noded = shapely.union_all(lines, grid_size=GRID)
    return list(shapely.get_parts(shapely.polygonize(shapely.get_parts(noded))))


def _owner(geoms: list[shapely.Geometry], points: list[shapely.Geometry]) -> list[list[int]]:
    """For each point, the indices of the geometries that contain it."""
    tree = shapely.STRtree(geoms)
    pt_idx, geom_idx = tree.query(points, predicate="within")
    out: list[list[int]] = [[] for _ in points]
    for p, g in zip(pt_idx.tolist(), geom_idx.tolist(), strict=True):
        out[p].append(g)
    return out


def clean_districts(source: dict[str, Any]) -> tuple[list[str], list[str], list[shapely.Geometry]]:
    """Decode, convert and resolve the raw districts into a gap- and overlap-free partition."""
    decoded = decode_geojson(source)
    feats = sorted(decoded["features"], key=lambda f: str(f["id"]))
    codes = [str(f["id"]) for f in feats]
    names = [str(f["properties"]["name"]) for f in feats]
    # Quantisation made many rings self-intersect; "structure" keeps every enclosed area.
    raw = [shapely.make_valid(_to_wgs84(shape(f["geometry"])), method="structure") for f in feats]
    faces = _faces([g.boundary for g in raw])
    members = _owner(raw, [f.representative_point() for f in faces])
    owner: list[int | None] = [min(m) if m else None for m in members]  # overlap: smallest adcode
    for i, face in enumerate(faces):
        if owner[i] is None:  # a gap: the neighbour with the longest shared border takes it
            shared = [shapely.length(shapely.intersection(face.boundary, g.boundary, grid_size=GRID))
                      for g in raw]
            owner[i] = int(np.argmax(shared))
    parts: dict[int, list[shapely.Geometry]] = defaultdict(list)
    for face, o in zip(faces, owner, strict=True):
        assert o is not None
        parts[o].append(face)
    merged = [shapely.union_all(parts[i], grid_size=GRID) for i in range(len(codes))]
    return codes, names, absorb_fragments(merged, FRAGMENT_M2, drop_islands=True)


def absorb_fragments(geoms: list[shapely.Geometry], limit_m2: float, drop_islands: bool) -> list[shapely.Geometry]:
    """Give each detached part (other than an area's largest, and below the limit) to the neighbour
    sharing the longest border with it; a part touching no neighbour is dropped or kept."""
    out = list(geoms)
    for i in range(len(out)):
        parts = sorted(shapely.get_parts(out[i]), key=lambda p: -p.area)
        keep = [parts[0]]
        for part in parts[1:]:
            if part.area * M2_PER_DEG2 >= limit_m2:
                keep.append(part)
                continue
            shared = [0.0 if j == i else shapely.length(shapely.intersection(part.boundary, g.boundary,
                                                                              grid_size=GRID))
                      for j, g in enumerate(out)]
            best = int(np.argmax(shared))
            if shared[best] > 0:
                out[best] = shapely.union_all([out[best], part], grid_size=GRID)
            elif not drop_islands:
                keep.append(part)
        out[i] = shapely.union_all(keep, grid_size=GRID)
    return out


def _scaled(geom: shapely.Geometry, forward: bool = True) -> shapely.Geometry:
    k = KX if forward else 1.0 / KX
    return shapely.transform(geom, lambda c: c * np.array([k, 1.0]))


def voronoi_edges(region: shapely.Geometry, count: int, rng: np.random.Generator) -> tuple[
    list[shapely.Geometry], np.ndarray
]:
    """Seeds (scaled space) relaxed by Lloyd's algorithm, and their Voronoi edges inside the region."""
    reg = _scaled(region)
    shapely.prepare(reg)
    minx, miny, maxx, maxy = reg.bounds
    seeds: list[tuple[float, float]] = []
    while len(seeds) < count:
        x, y = rng.uniform(minx, maxx), rng.uniform(miny, maxy)
        if shapely.contains_xy(reg, x, y):
            seeds.append((x, y))
    pts = np.array(seeds)
    if count == 1:
        return [], pts
    envelope = shapely.buffer(reg.envelope, 0.1)
    for _ in range(LLOYD_ROUNDS):
        cells = _cells(pts, reg, envelope)
        moved = []
        for cell, p in zip(cells, pts, strict=True):
            c = shapely.intersection(cell, reg)
            moved.append((c.centroid.x, c.centroid.y) if not c.is_empty else tuple(p))
        pts = np.array(moved)
    cells = _cells(pts, reg, envelope)
    edges = [shapely.intersection(cell.boundary, reg) for cell in cells]
    return [_scaled(e, forward=False) for e in edges if not e.is_empty], pts


def _cells(pts: np.ndarray, reg: shapely.Geometry, envelope: shapely.Geometry) -> list[shapely.Geometry]:
    """Voronoi cells in seed order."""
    diagram = shapely.voronoi_polygons(MultiPoint(pts), extend_to=envelope)
    cells = list(shapely.get_parts(diagram))
    tree = shapely.STRtree(cells)
    idx = tree.query(shapely.points(pts), predicate="within")
    order = dict(zip(idx[0].tolist(), idx[1].tolist(), strict=True))
    return [cells[order[i]] for i in range(len(pts))]


def build() -> dict[str, Any]:
    """Build all layers in memory; returns GeoJSON dicts and the station rows."""
    units = {u.code: u for u in read_units(ROOT / "sample_data" / "police_units.csv")}
    branch_of = {u.district_code: u.code for u in units.values() if u.kind == "branch"}
    codes, names, districts = clean_districts(json.loads(SOURCE.read_text(encoding="utf-8")))
    by_code = dict(zip(codes, districts, strict=True))
    specials = {code: shapely.intersection(Polygon(ring), by_code[str(units[code].district_code)],
                                           grid_size=GRID)
                for code, (ring, _n) in SPECIAL_AREAS.items()}
    # Regions: (district, special or None) -> geometry, each with its own stations.
    regions: dict[tuple[str, str | None], shapely.Geometry] = {}
    for code, geom in by_code.items():
        inside = [specials[s] for s in specials if units[s].district_code == code]
        regions[(code, None)] = shapely.difference(geom, shapely.union_all(inside), grid_size=GRID) if inside \
            else geom
    for s, geom in specials.items():
        regions[(str(units[s].district_code), s)] = geom
    rng = np.random.default_rng(SEED)
    seeds: dict[tuple[str, str | None], np.ndarray] = {}
    lines: list[shapely.Geometry] = [g.boundary for g in regions.values()]
    for key in sorted(regions, key=lambda k: (k[0], k[1] or "")):
        count = SPECIAL_AREAS[key[1]][1] if key[1] else DISTRICT_STATIONS[key[0]]
        edges, seeds[key] = voronoi_edges(regions[key], count, rng)
        lines.extend(edges)
    faces = _faces(lines)
    keys = list(regions)
    region_of = _owner([regions[k] for k in keys], [f.representative_point() for f in faces])
    groups: dict[tuple[str, str | None, int], list[shapely.Geometry]] = defaultdict(list)
    for face, owners in zip(faces, region_of, strict=True):
        if not owners:
            continue  # cannot happen for a partition; a face outside every region is not city
        key = keys[min(owners)]
        rp = _scaled(face.representative_point())
        seed = int(np.argmin(np.hypot(seeds[key][:, 0] - rp.x, seeds[key][:, 1] - rp.y)))
        groups[(key[0], key[1], seed)].append(face)
    return _assemble(codes, names, units, branch_of, groups, seeds)


def _assemble(codes: list[str], names: list[str], units: dict[str, Any], branch_of: dict[Any, str],
              groups: dict[tuple[str, str | None, int], list[shapely.Geometry]],
              seeds: dict[tuple[str, str | None], np.ndarray]) -> dict[str, Any]:
    """Union the faces per station, number stations, and derive districts and special areas from them."""
    station_geoms = {k: shapely.union_all(v, grid_size=GRID) for k, v in groups.items()}
    # A Voronoi cell cut by a concave region boundary leaves detached pieces: give them to a neighbour.
    for region in {(k[0], k[1]) for k in station_geoms}:
        keys = sorted(k for k in station_geoms if (k[0], k[1]) == region)
        cleaned = absorb_fragments([station_geoms[k] for k in keys], math.inf, drop_islands=False)
        station_geoms.update(zip(keys, cleaned, strict=True))
    stations: list[dict[str, Any]] = []
    for district in codes:
        short = names[codes.index(district)].removesuffix("区")
        own = sorted((k for k in station_geoms if k[0] == district and k[1] is None),
                     key=lambda k: (-round(seeds[(k[0], None)][k[2]][1], 2), seeds[(k[0], None)][k[2]][0]))
        special = sorted(k for k in station_geoms if k[0] == district and k[1] is not None)
        numbered = [(i + 1, k) for i, k in enumerate(own)]
        numbered += [(SPECIAL_FIRST_NUMBER + i, k) for i, k in enumerate(special)]
        for number, key in numbered:
            branch = key[1] or branch_of[district]
            label = units[key[1]].name.removesuffix("分局") if key[1] else short
            stations.append({
                "station_id": f"{district}{number:02d}", "name": f"{label}第{number:02d}派出所",
                "district_code": district, "number": f"{number:02d}", "branch_code": branch,
                "synthetic": True, "geometry": station_geoms[key],
            })
    district_feats = []
    for district, name in zip(codes, names, strict=True):
        geom = shapely.union_all([s["geometry"] for s in stations if s["district_code"] == district],
                                 grid_size=GRID)
        district_feats.append({"district_code": district, "name": name, "branch_code": branch_of[district],
                               "synthetic": False, "source": SOURCE_NOTE, "geometry": geom})
    special_feats = []
    for code in SPECIAL_AREAS:
        geom = shapely.union_all([s["geometry"] for s in stations if s["branch_code"] == code], grid_size=GRID)
        special_feats.append({"branch_code": code, "name": units[code].name,
                              "district_code": units[code].district_code, "synthetic": True, "geometry": geom})
    return {"districts": district_feats, "special_branches": special_feats, "stations": stations}


def _round(obj: Any) -> Any:
    if isinstance(obj, float):
        return round(obj, 7)
    if isinstance(obj, list | tuple):
        return [_round(v) for v in obj]
    return obj


def write_geojson(path: Path, name: str, features: list[dict[str, Any]], note: str) -> None:
    """Write a compact RFC 7946 FeatureCollection (WGS-84), one feature per line."""
    rows = []
    for feat in features:
        props = {k: v for k, v in feat.items() if k != "geometry"}
        geom = mapping(feat["geometry"])
        rows.append(json.dumps({"type": "Feature", "properties": props,
                                "geometry": {"type": geom["type"], "coordinates": _round(geom["coordinates"])}},
                               ensure_ascii=False, separators=(",", ":")))
    head = json.dumps({"type": "FeatureCollection", "name": name, "description": note}, ensure_ascii=False)
    path.write_text(head[:-1] + ',"features":[\n' + ",\n".join(rows) + "\n]}\n", encoding="utf-8")


def write_all(layers: dict[str, Any], out_dir: Path = OUT_DIR, stations_csv: Path = STATIONS_CSV) -> None:
    """Write the three GeoJSON layers and the station table."""
    out_dir.mkdir(parents=True, exist_ok=True)
    write_geojson(out_dir / "districts.geojson", "districts", layers["districts"], SOURCE_NOTE)
    synthetic = "SYNTHETIC sample data: not real police jurisdictions (see sample_data/README.md)"
    write_geojson(out_dir / "special_branches.geojson", "special_branches", layers["special_branches"], synthetic)
    write_geojson(out_dir / "stations.geojson", "stations", layers["stations"], synthetic)
    cols = ["station_id", "name", "district_code", "number", "branch_code", "synthetic"]
    with stations_csv.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(cols)
        for s in layers["stations"]:
            writer.writerow([s[c] if c != "synthetic" else "true" for c in cols])


def main() -> None:
    """Build and write every output file."""
    layers = build()
    write_all(layers)
    print(f"districts: {len(layers['districts'])}, special areas: {len(layers['special_branches'])}, "
          f"stations: {len(layers['stations'])} -> {OUT_DIR.relative_to(ROOT)}/, {STATIONS_CSV.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
