"""Generate the sample city (`sample_data/city/`): operators, filings, cameras and plan drawings.

Deterministic: the same seed gives the same bytes. Everything is synthetic. Run:
    .venv/bin/python scripts/generate_sample_city.py [--out DIR] [--seed N] [--operators N]
The registry loads the result with `registry.sample_city.load_sample_city` (used by `camreg demo`).
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import shapely
from shapely.geometry import Point

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sample_city_cameras import CAMERA_COLUMNS, SiteCameras, camera_refs
from sample_city_people import DISTRICT_WEIGHTS, KINDS, PLACES, Kind, address, person, phone, site_name
from sample_city_plans import Plan, floor_plan, location_diagram, site_plan
from sample_city_timeline import Timeline, filing_chain

from maps.routing import Jurisdictions
from registry.uscc import make_uscc

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUT = ROOT / "sample_data" / "city"
GEO_DIR = ROOT / "sample_data" / "geo"
SEED = 20131000
OPERATORS = 640
DEMO_DESK = 14  # the last operators: recent 东城 filings for the demo officers to work on
BUILDINGS, SITES, LOCATIONS = 10, 10, 10
OPERATOR_COLUMNS = ("ref", "name", "uscc", "address", "lon", "lat", "industry_code", "industry_edition",
                    "affiliation_code", "system_kind", "place_kind", "contact_name", "contact_phone", "has_account")


def make_plans(rng: random.Random) -> dict[str, Any]:
    """The plan library: buildings of 1–3 floors, compound site plans and location diagrams."""
    buildings = [[floor_plan(rng, f"B{b:02d}-{f}F", f) for f in (1, 2, 3)] for b in range(1, BUILDINGS + 1)]
    sites = [site_plan(rng, f"S{s:02d}") for s in range(1, SITES + 1)]
    locations = [location_diagram(rng, f"L{k:02d}") for k in range(1, LOCATIONS + 1)]
    return {"buildings": buildings, "sites": sites, "locations": locations}


class CitySampler:
    """Random points inside a district's stations, kept well inside Beijing's outer boundary."""

    def __init__(self, geo_dir: Path) -> None:
        self.stations = gpd.read_file(geo_dir / "stations.geojson").sort_values("station_id").reset_index(drop=True)
        districts = gpd.read_file(geo_dir / "districts.geojson")
        # ~700 m inside the city edge, so a site's cameras (up to a few hundred metres away) stay in Beijing.
        self.inner = shapely.union_all(districts.geometry.values).buffer(-0.007)
        shapely.prepare(self.inner)

    def point(self, rng: random.Random, district: str, special_branch: str | None = None) -> tuple[float, float]:
        """A point in a random station of the district (or of the special branch's area)."""
        if special_branch:
            rows = self.stations[self.stations["branch_code"] == special_branch]
        else:
            rows = self.stations[self.stations["district_code"] == district]
        row = rows.iloc[rng.randrange(len(rows))]
        area = row.geometry.buffer(-0.0008)
        if area.is_empty:
            area = row.geometry
        minx, miny, maxx, maxy = area.bounds
        for _ in range(2000):
            lon, lat = rng.uniform(minx, maxx), rng.uniform(miny, maxy)
            if area.contains(Point(lon, lat)) and self.inner.contains(Point(lon, lat)):
                return round(lon, 6), round(lat, 6)
        return self.point(rng, district)  # that station hugs the city edge: try another one

    def special_district(self, code: str) -> str:
        """The district a special branch's area lies in."""
        return str(self.stations[self.stations["branch_code"] == code]["district_code"].iloc[0])


def _affiliation(rng: random.Random, kind: Kind, district: str) -> str:
    codes = [c for c, _ in kind.affiliations]
    choice = rng.choices(codes, [w for _, w in kind.affiliations])[0]
    if choice == "branch":
        return {"110101": "101", "110102": "102"}.get(district, "1" + district[-2:])
    return choice


def make_operator(rng: random.Random, n: int, sampler: CitySampler, used_names: set[str], *,
                  demo_desk: bool = False) -> dict[str, Any]:
    """One operator: kind, place, affiliation and routing inputs.

    `demo_desk` operators are 东城 businesses without affiliation: they file with 东城分局 (101), the unit of
    the demo officer accounts, recently enough that their filings are still open when the demo starts.
    """
    kind = rng.choices(KINDS, [k.weight for k in KINDS])[0]
    district = rng.choices(list(DISTRICT_WEIGHTS), list(DISTRICT_WEIGHTS.values()))[0]
    if demo_desk:
        kind = rng.choice([k for k in KINDS if k.key in ("hotel", "mall", "bank", "office", "entertainment")])
        district = "110101"
    special = None
    affiliation = "" if demo_desk else _affiliation(rng, kind, district)
    system_kind = {"city_road": "city_government", "district_community": "district_government"}.get(kind.key,
                                                                                                     "ordinary")
    roll = rng.random()
    if system_kind == "ordinary" and roll < 0.07 and not demo_desk:
        # Inside a special branch's area: half of them are also affiliated with it (rule 4), half not (rule 5).
        special = rng.choice(("131", "132", "133", "134", "135", "136"))
        district = sampler.special_district(special)
        affiliation = special if rng.random() < 0.5 else ""
    if kind.key == "railway" or (kind.key in ("logistics", "office") and special == "136"):
        edition = "2022"
    else:
        edition = "2022" if rng.random() < 0.08 else "2016"
    place = rng.choice(PLACES[district])
    name = site_name(rng, kind, district, place, n)
    while name in used_names:
        name = site_name(rng, kind, district, rng.choice(PLACES[district]), n + rng.randint(1, 999))
    used_names.add(name)
    lon, lat = sampler.point(rng, district, special)
    # Where a government-built system is (rules 1/2 cover roads and public places); empty for the others,
    # whose routing does not depend on it. Derived from the name, so the random stream is unchanged.
    place_kind = ("" if system_kind == "ordinary" else "public_place" if "广场" in name or kind.key != "city_road"
                  else "road")
    industry = kind.industry_2022 if edition == "2022" else kind.industry_2016
    return {
        "ref": f"O{n:04d}", "name": name, "uscc": make_uscc(10_000_000 + n * 7919, region=district),
        "address": address(rng, district, place), "lon": f"{lon:.6f}", "lat": f"{lat:.6f}",
        "industry_code": industry, "industry_edition": edition, "affiliation_code": affiliation,
        "system_kind": system_kind, "place_kind": place_kind, "contact_name": person(rng), "contact_phone": phone(rng),
        "has_account": "1" if rng.random() < 0.35 else "0", "_kind": kind,
    }


def _sheets(rng: random.Random, kind: Kind, cameras: int, plans: dict[str, Any]) -> list[Plan]:
    """The deployment-map sheets of one site: floors of a building, or a site plan (+ a floor)."""
    if kind.layout == "building":
        floors = rng.choice(plans["buildings"])
        return floors[: 1 if cameras <= 30 else 2 if cameras <= 80 else 3]
    sheets = [rng.choice(plans["sites"])]
    if cameras > 60:
        sheets.append(rng.choice(plans["buildings"])[0])
    return sheets


def generate(out: Path, *, seed: int = SEED, operators: int = OPERATORS, geo_dir: Path = GEO_DIR) -> dict[str, Any]:
    """Write the sample city into `out` and return summary counts."""
    rng = random.Random(seed)
    plans_dir = out / "plans"
    plans_dir.mkdir(parents=True, exist_ok=True)
    plans = make_plans(rng)
    every_plan = [p for floors in plans["buildings"] for p in floors] + plans["sites"] + plans["locations"]
    for plan in every_plan:
        plan.save(plans_dir)
    with (plans_dir / "index.csv").open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(("file", "kind", "width", "height", "metres_per_px"))
        for plan in every_plan:
            writer.writerow((f"{plan.name}.png", plan.kind, plan.width, plan.height, plan.metres_per_px))
    sampler = CitySampler(geo_dir)
    used_names: set[str] = set()
    timeline = Timeline(rng)
    used_macs: set[str] = set()
    refs = camera_refs()
    operator_rows: list[dict[str, Any]] = []
    filings: list[dict[str, Any]] = []
    cameras: list[dict[str, Any]] = []
    for n in range(1, operators + 1):
        demo_desk = operators > 4 * DEMO_DESK and n > operators - DEMO_DESK
        op = make_operator(rng, n, sampler, used_names, demo_desk=demo_desk)
        kind: Kind = op.pop("_kind")
        size = rng.randint(*kind.cameras)
        site = SiteCameras(rng, op_ref=op["ref"], lon=float(op["lon"]), lat=float(op["lat"]),
                           sheets=_sheets(rng, kind, size, plans), used_macs=used_macs, kind=kind.key, refs=refs)
        chain = filing_chain(rng, timeline, op, site, size, location=rng.choice(plans["locations"]),
                             first_ref=len(filings) + 1, recent=demo_desk)
        operator_rows.append(op)
        filings.extend(chain)
        cameras.extend(site.rows)
    city = Jurisdictions.load(geo_dir)
    _check_inside(city, operator_rows, cameras)
    operator_rows = showcase_first(city, operator_rows, filings)
    _write_csv(out / "operators.csv", OPERATOR_COLUMNS, operator_rows)
    _write_csv(out / "cameras.csv", CAMERA_COLUMNS, cameras)
    with (out / "filings.jsonl").open("w", encoding="utf-8", newline="\n") as handle:
        for filing in filings:
            handle.write(json.dumps(filing, ensure_ascii=False, separators=(",", ":")) + "\n")
    return summarise(city, operator_rows, filings, cameras)


def showcase_first(city: Jurisdictions, operators: list[dict[str, Any]],
                   filings: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Reorder operators so the first few show every final state, every routing rule, changes and lateness.

    Loading with ``limit=20`` (the tests, a quick demo) then still exercises the whole workflow.
    """
    traits: dict[str, set[str]] = {o["ref"]: set() for o in operators}
    for o in operators:
        rule = city.route(float(o["lon"]), float(o["lat"]), affiliation=o["affiliation_code"] or None,
                          system_kind=o["system_kind"], place_kind=o["place_kind"] or None).rule
        traits[o["ref"]] |= {f"rule{rule}", f"account{o['has_account']}"}
    for f in filings:
        traits[f["operator"]] |= {f["final_state"], f["kind"], "late" if f["expect_late"] else "on_time"}
        if f.get("correction"):
            traits[f["operator"]].add("correction")
        if f.get("keep_changes"):
            traits[f["operator"]].add("readdressed")
    wanted = ["submitted", "accepted", "correction_requested", "corrected", "rejected", "filed", "change",
              "late", "correction", "readdressed", "rule1", "rule2", "rule3", "rule4", "rule5", "account1"]
    front: list[dict[str, Any]] = []
    for trait in wanted:
        if any(trait in traits[o["ref"]] for o in front):
            continue
        pick = next((o for o in operators if trait in traits[o["ref"]] and o not in front), None)
        if pick is not None:
            front.append(pick)
    return front + [o for o in operators if o not in front]


def _write_csv(path: Path, columns: tuple[str, ...], rows: list[dict[str, Any]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns, lineterminator="\n", extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)


def _check_inside(city: Jurisdictions, operators: list[dict[str, Any]], cameras: list[dict[str, Any]]) -> None:
    """Every site and camera must route inside Beijing, or the loader would refuse it."""
    for label, rows in (("operator", operators), ("camera", cameras)):
        table = city.route_many([float(r["lon"]) for r in rows], [float(r["lat"]) for r in rows])
        outside = np.flatnonzero(table["district_code"].isna().to_numpy())
        if len(outside):
            raise SystemExit(f"{label} {rows[outside[0]]['ref']} lies outside Beijing; change the sampler")


def summarise(city: Jurisdictions, operators: list[dict[str, Any]], filings: list[dict[str, Any]],
              cameras: list[dict[str, Any]]) -> dict[str, Any]:
    """Counts per final state, per routing rule, per year, and cameras."""
    rules = Counter(city.route(float(o["lon"]), float(o["lat"]), affiliation=o["affiliation_code"] or None,
                               system_kind=o["system_kind"], place_kind=o["place_kind"] or None).rule
                    for o in operators)
    return {
        "operators": len(operators),
        "districts": len({city.route(float(o["lon"]), float(o["lat"])).district_code for o in operators}),
        "filings": len(filings),
        "states": dict(sorted(Counter(f["final_state"] for f in filings).items())),
        "kinds": dict(sorted(Counter(f["kind"] for f in filings).items())),
        "rules": dict(sorted(rules.items())),
        "submitted_per_year": dict(sorted(Counter(f["submitted_at"][:4] for f in filings).items())),
        "late_expected": sum(1 for f in filings if f["expect_late"]),
        "corrections": sum(1 for f in filings if f.get("correction")),
        "camera_rows": len(cameras),
        "kept_in_changes": sum(len(f.get("keep", [])) for f in filings),
    }


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--operators", type=int, default=OPERATORS)
    args = parser.parse_args(argv)
    summary = generate(args.out, seed=args.seed, operators=args.operators)
    print(json.dumps(summary, ensure_ascii=False, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
