"""Synthetic operators: places inside Beijing, routed by the same rules as `operators.service.create`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np

from registry.routing import Responsibility, jurisdictions, responsibility_for
from registry.uscc import make_uscc

# (what the operator is, its GB/T 28181 2016 industry code)
KINDS = (("酒店", "50"), ("商场", "53"), ("学校", "11"), ("医院", "09"), ("小区物业", "52"), ("写字楼", "53"),
         ("超市", "53"), ("银行网点", "51"), ("加油站", "45"), ("餐厅", "50"), ("物流园", "47"), ("工厂", "42"))
CORPS = ("011", "012", "013", "014", "015")
# Rule mix (SPEC §2): most operators have no affiliation and are routed by place (rule 5).
RULE_SHARES = {5: 0.85, 3: 0.06, 4: 0.05, 2: 0.02, 1: 0.02}
CITY_CENTRE = (116.397, 39.909)
# USCC subject numbers start high so they never meet the small ones tests and demos use.
USCC_BASE = 50_000_000

OPERATOR_COLUMNS = (
    "id", "name", "uscc", "address", "industry_code", "industry_edition", "affiliation_code", "system_kind",
    "place_kind", "contact_name", "contact_phone", "lon", "lat", "entered_datum", "district_code", "station_id",
    "filing_unit_code", "verifying_unit_code", "routing_rule", "routing_explanation", "routing_flags",
    "created_at", "updated_at")


@dataclass
class Operators:
    """Operators as columns (index i is operator id i + 1)."""

    lon: np.ndarray
    lat: np.ndarray
    industry: list[str]
    filing_unit: list[str]
    district: list[str]
    station: list[str]
    rows: list[tuple[Any, ...]]


def _points(rng: np.random.Generator, count: int) -> tuple[np.ndarray, np.ndarray]:
    """Points inside Beijing: half spread over the city, half crowded around the centre, as cameras are."""
    table = jurisdictions()
    west, south, east, north = table.districts.total_bounds
    lons, lats = np.empty(0), np.empty(0)
    while len(lons) < count:
        n = max(1024, 3 * (count - len(lons)))
        central = rng.random(n) < 0.5
        lon = np.where(central, rng.normal(CITY_CENTRE[0], 0.12, n), rng.uniform(west, east, n))
        lat = np.where(central, rng.normal(CITY_CENTRE[1], 0.09, n), rng.uniform(south, north, n))
        routed = table.route_many(lon, lat)
        # Clean interior points only: the gap and boundary rules are tested elsewhere, not filled in bulk.
        keep = (routed["flag"] == "").to_numpy() & ~routed["on_boundary"].to_numpy()
        lons, lats = np.concatenate([lons, lon[keep]]), np.concatenate([lats, lat[keep]])
    return lons[:count].round(6), lats[:count].round(6)


def _affiliation(rng: np.random.Generator, rule: int, branch: str) -> tuple[str | None, str]:
    """The affiliation and system kind that make the router apply `rule`."""
    if rule == 1:
        return None, "city_government"
    if rule == 2:
        return None, "district_government"
    if rule == 3:
        return str(rng.choice(CORPS)), "ordinary"
    if rule == 4:
        return branch, "ordinary"
    return None, "ordinary"


def make_operators(rng: np.random.Generator, count: int, now: datetime) -> Operators:
    """`count` operators with valid credit codes, routed exactly as the operator service routes them."""
    table = jurisdictions()
    lon, lat = _points(rng, count)
    routed = table.route_many(lon, lat)
    stations = routed["station_id"].astype(str).tolist()
    branches = routed["filing_unit_code"].astype(str).tolist()
    rules = rng.choice(list(RULE_SHARES), size=count, p=list(RULE_SHARES.values()))
    kinds = rng.integers(0, len(KINDS), size=count)
    names = dict(zip(table.districts["district_code"], table.districts["name"], strict=True))
    # Same station, affiliation and kind give the same answer for interior points: route once per combination.
    answers: dict[tuple[str, str | None, str], Responsibility] = {}
    out = Operators(lon, lat, [], [], [], [], [])
    for i in range(count):
        affiliation, system_kind = _affiliation(rng, int(rules[i]), branches[i])
        # Government systems here are on roads (rules 1/2 by place as well as builder).
        place_kind = None if system_kind == "ordinary" else "road"
        key = (stations[i], affiliation, system_kind)
        if key not in answers:
            answers[key] = responsibility_for(lon=float(lon[i]), lat=float(lat[i]), affiliation_code=affiliation,
                                              system_kind=system_kind, place_kind=place_kind)
        answer = answers[key]
        assert answer.district_code is not None
        if system_kind != "ordinary":
            what, industry = ("交通路面监控", "04") if i % 2 else ("社会治安路面监控", "00")
        else:
            what, industry = KINDS[int(kinds[i])]
        district = names.get(answer.district_code, "北京市")
        operator_id = i + 1
        out.industry.append(industry)
        out.filing_unit.append(answer.filing_unit_code)
        out.district.append(answer.district_code)
        out.station.append(answer.station_id or "")
        out.rows.append((
            operator_id, f"{district}{what}{operator_id:06d}", make_uscc(USCC_BASE + operator_id),
            f"北京市{district}示范路{operator_id % 500 + 1}号", industry, "2016", affiliation, system_kind,
            place_kind, "张经理", f"010-{6000_0000 + operator_id % 4000_0000:08d}", float(lon[i]), float(lat[i]),
            "wgs84",
            answer.district_code, answer.station_id, answer.filing_unit_code, answer.verifying_unit_code,
            answer.rule, answer.explanation, list(answer.flags), now, now))
    return out
