"""Routing a filing (SPEC §2): who verifies and who files, for one operator or a million points.

Boundary tie-break (fixed): a point on the boundary of several station areas (closed polygons)
goes to a special-branch station if one of them is, else to the smallest `station_id`
(district code + number), so a point on a district border goes to the district with the smaller code.
Gap points (in no area) go to the nearest area within `tolerance_m` (default 50 m, UTM 50N) and are
flagged `gap_nearest`; farther away is outside Beijing: `route` raises `OutsideJurisdiction`,
`route_many` returns a row of nulls flagged `outside`.

Rules: system kind `city_government` -> rule 1 (001); `district_government` -> rule 2, the branch of
the district containing the point, even inside a special-branch area (the notice names "that district
branch"); otherwise an affiliation with a corps -> rule 3, with a special bureau, branch or special
branch -> rule 4; no affiliation -> rule 5 (the station's branch files). A government system kind
takes precedence over an affiliation, flagged `affiliation_ignored`.

Place kind (the notice, section 一: the city/district government's systems "负责建设的交通道路、广场等公共场所"):
rules 1 and 2 apply to a government-built system on a `road` or at a `public_place` (squares and the like).
A government-built system in an `internal` place (a government office building, a unit's own compound) is
routed by the ordinary rules (3/4 by affiliation, else 5 by location), flagged `government_internal`.
An undeclared place kind (None: operators registered before it was asked) keeps rules 1/2, flagged
`place_kind_unspecified`, so existing answers do not change until someone declares the place.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, replace
from numbers import Real
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from maps.datums import to_wgs84
from maps.layers import (
    LayerError,
    LayerIssue,
    default_geo_dir,
    has_level,
    load_layer,
    validate_nesting,
    validate_ownership,
)
from maps.locate import GAP_NEAREST, INSIDE, INVALID, OUTSIDE, AreaLocator
from maps.units import PoliceUnit, read_units

SYSTEM_KINDS = ("ordinary", "city_government", "district_government")
# Where the system is: rules 1/2 cover roads and public places (squares etc.), not office buildings.
PLACE_KINDS = ("road", "public_place", "internal")
PUBLIC_PLACE_KINDS = ("road", "public_place")
DEFAULT_TOLERANCE_M = 50.0
CITY_CODE = "001"
_STATUS_FLAG = {INSIDE: "", GAP_NEAREST: "gap_nearest", OUTSIDE: "outside", INVALID: "invalid_coordinates"}


class RoutingError(ValueError):
    """A routing request cannot be answered (names the field and the problem)."""


class OutsideJurisdiction(RoutingError):
    """The location lies outside Beijing: no area within the tolerance."""


class UnknownAffiliation(RoutingError):
    """The affiliation code is not a police unit that can hold a security affiliation."""


@dataclass(frozen=True)
class FilingUnit:
    """The unit whose 科信部门 reviews and files."""

    code: str
    name: str


@dataclass(frozen=True)
class Route:
    """One routing answer: where the location is, who verifies, who files, by which rule and why."""

    district_code: str
    station: str
    station_id: str
    verifying_unit: str
    filing_unit: FilingUnit
    rule: int
    explanation: str
    flags: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (the `camreg route --json` shape)."""
        return asdict(self)


class Jurisdictions:
    """The jurisdiction layers of a city, in memory, with routing by SPEC §2 rules 1–5."""

    def __init__(self, stations: gpd.GeoDataFrame, districts: gpd.GeoDataFrame, units: Sequence[PoliceUnit],
                 special_branches: gpd.GeoDataFrame | None = None, *,
                 tolerance_m: float = DEFAULT_TOLERANCE_M) -> None:
        self.units = {u.code: u for u in units}
        self.stations = stations.reset_index(drop=True)
        self.districts = districts.reset_index(drop=True)
        self.special_branches = (special_branches if special_branches is not None
                                 else gpd.GeoDataFrame({"branch_code": [], "name": [], "district_code": []},
                                                       geometry=[], crs="EPSG:4326")).reset_index(drop=True)
        self.tolerance_m = tolerance_m
        self.district_names = dict(zip(self.districts["district_code"], self.districts["name"], strict=True))
        self.district_branch = {u.district_code: u.code for u in units if u.kind == "branch"}
        self._check_references()
        special = self.stations["branch_code"].map(lambda c: self.units[c].kind == "special_branch").to_numpy()
        # Priority: special-branch stations first (the most specific area wins), then station_id.
        order = np.lexsort((self.stations["station_id"].to_numpy(dtype=str), ~special))
        priority = np.empty(len(order), dtype=np.int64)
        priority[order] = np.arange(len(order))
        self.locator = AreaLocator(self.stations.geometry.values, priority, tolerance_m=tolerance_m)
        self._categories: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        for out, column in (("district_code", "district_code"), ("station_id", "station_id"),
                            ("station", "name"), ("filing_unit_code", "branch_code")):
            cats, codes = np.unique(self.stations[column].to_numpy(dtype=str), return_inverse=True)
            self._categories[out] = (cats, codes)
        self.issues: list[LayerIssue] = [*districts.attrs.get("issues", []), *stations.attrs.get("issues", []),
                                         *self.special_branches.attrs.get("issues", [])]

    def _check_references(self) -> None:
        """Every code in the layers must name a known unit of the right kind."""
        problems: list[str] = [] if len(self.stations) else ["the station layer is empty"]
        for sid, branch, district in zip(self.stations["station_id"], self.stations["branch_code"],
                                         self.stations["district_code"], strict=True):
            unit = self.units.get(branch)
            if unit is None or unit.kind not in ("branch", "special_branch"):
                problems.append(f"station {sid}: branch_code {branch} is not a branch or special branch")
            elif unit.kind == "branch" and unit.district_code != district:
                problems.append(f"station {sid}: branch {branch} serves {unit.district_code}, not {district}")
            if district not in self.district_names:
                problems.append(f"station {sid}: district_code {district} is not in the district layer")
        for code in self.special_branches["branch_code"]:
            unit = self.units.get(code)
            if unit is None or unit.kind != "special_branch":
                problems.append(f"special-branch area {code}: not a special_branch unit")
        missing = sorted(set(self.district_names) - set(self.district_branch))
        problems += [f"district {d}: no branch serves it in the police-unit table" for d in missing]
        if problems:
            raise LayerError(f"layers and police units disagree ({len(problems)} problem(s)): "
                             + "; ".join(problems[:10]))

    @classmethod
    def load(cls, path: str | Path | None = None, *, units: Sequence[PoliceUnit] | str | Path | None = None,
             tolerance_m: float = DEFAULT_TOLERANCE_M, crs: str | None = None) -> Jurisdictions:
        """Load a layer directory or GeoPackage (default: `CAMREG_GEO_DIR`, else the sample city)."""
        source = Path(path) if path is not None else default_geo_dir()
        unit_list = read_units(units) if units is None or isinstance(units, str | Path) else list(units)
        districts = load_layer(source, "district", crs=crs)
        stations = load_layer(source, "station", crs=crs)
        special = load_layer(source, "special_branch", crs=crs) if has_level(source, "special_branch") else None
        self = cls(stations, districts, unit_list, special, tolerance_m=tolerance_m)
        self.issues += validate_nesting(stations, districts, "station")
        if special is not None:
            self.issues += validate_nesting(special, districts, "special_branch")
            self.issues += validate_ownership(stations, special)
        return self

    def route_many(self, lons: ArrayLike, lats: ArrayLike, *, crs: str = "wgs84") -> pd.DataFrame:
        """Rule 5 for many points: district, station and filing unit per point.

        Columns are categorical; a point outside Beijing (or NaN) gets nulls and the flag `outside`
        (`invalid_coordinates`); a gap point gets its nearest area and `gap_nearest`.
        """
        x, y = to_wgs84(np.asarray(lons, dtype=float), np.asarray(lats, dtype=float), crs)
        found = self.locator.locate(x, y)
        ok = found.index >= 0
        idx = np.where(ok, found.index, 0)
        # Categoricals built from per-station codes: no per-point Python objects for a million rows.
        table = {name: pd.Categorical.from_codes(np.where(ok, codes[idx], -1), categories=cats)
                 for name, (cats, codes) in self._categories.items()}
        return pd.DataFrame({
            **table,
            "flag": pd.Categorical.from_codes(found.status.astype(np.int64), categories=list(_STATUS_FLAG.values())),
            "on_boundary": found.tie,
            "distance_m": found.distance_m,
        })

    def route(self, lon: float, lat: float, affiliation: str | None = None, system_kind: str = "ordinary",
              place_kind: str | None = None, *, crs: str = "wgs84") -> Route:
        """Route one operator: rule 1/2 by system and place kind, 3/4 by affiliation, else 5 by location."""
        for name, value in (("lon", lon), ("lat", lat)):
            # numbers.Real admits numpy scalars; bool is refused as it is surely a mistake.
            if isinstance(value, bool) or not isinstance(value, Real) or not np.isfinite(float(value)):
                raise RoutingError(f"{name}: {value!r} is not a finite number")
        if system_kind not in SYSTEM_KINDS:
            raise RoutingError(f"system_kind: {system_kind!r} is not one of {', '.join(SYSTEM_KINDS)}")
        if place_kind is not None and place_kind not in PLACE_KINDS:
            raise RoutingError(f"place_kind: {place_kind!r} is not one of {', '.join(PLACE_KINDS)}")
        unit = self._affiliation(affiliation)
        x, y = to_wgs84(float(lon), float(lat), crs)
        found = self.locator.locate_exact([x], [y])
        if found.status[0] != INSIDE and found.status[0] != GAP_NEAREST:
            raise OutsideJurisdiction(
                f"location ({lon}, {lat}) [{crs}] is outside Beijing: no jurisdiction area within "
                f"{self.tolerance_m:g} m")
        row = self.stations.iloc[int(found.index[0])]
        flags: list[str] = []
        where = ""
        if found.status[0] == GAP_NEAREST:
            flags.append("gap_nearest")
            where = f"（该位置不在任何辖区内，按容差取{found.distance_m[0]:.0f}米外最近的辖区）"
        elif found.tie[0]:
            flags.append("boundary")
            where = "（该位置在辖区边界上，按固定规则优先专业分局、再取编号最小的派出所）"
        government = system_kind != "ordinary"
        if government and place_kind == "internal":
            # Not a road or public place: the notice's rules 1/2 do not reach it; the ordinary rules decide.
            flags.append("government_internal")
            system_kind = "ordinary"
        elif government and place_kind is None:
            flags.append("place_kind_unspecified")
            where += "（场所类型未申报，按道路、广场等公共场所处理）"
        if unit is not None and system_kind != "ordinary":
            flags.append("affiliation_ignored")
        route = self._apply_rules(row, unit, system_kind, where, flags)
        if "government_internal" in flags:
            return replace(route, explanation="政府建设的系统位于单位内部（办公楼等），不属于交通道路、广场等公共场所，"
                                              "不适用规则1、2；" + route.explanation)
        return route

    def _affiliation(self, code: str | None) -> PoliceUnit | None:
        if code is None or not str(code).strip():
            return None
        unit = self.units.get(str(code).strip())
        if unit is None:
            raise UnknownAffiliation(f"affiliation: {code!r} is not a known police-unit code")
        if unit.kind == "city":
            raise UnknownAffiliation(f"affiliation: {code} {unit.name} does not hold security affiliations; "
                                     "use a corps, special bureau, branch or special branch code")
        return unit

    def _apply_rules(self, row: pd.Series, unit: PoliceUnit | None, system_kind: str, where: str,
                     flags: list[str]) -> Route:
        district = str(row["district_code"])
        station = str(row["name"])
        verifying, filer, rule, explanation = self._decide(district, station, str(row["branch_code"]), unit,
                                                           system_kind, where)
        return Route(district_code=district, station=station, station_id=str(row["station_id"]),
                     verifying_unit=verifying, filing_unit=FilingUnit(filer.code, filer.name), rule=rule,
                     explanation=explanation, flags=flags)

    def _decide(self, district: str, station: str, station_branch: str, unit: PoliceUnit | None,
                system_kind: str, where: str) -> tuple[str, PoliceUnit, int, str]:
        """(verifying unit, filing unit, rule, one-sentence explanation) by SPEC §2 rules 1–5."""
        if system_kind == "city_government":
            city = self.units[CITY_CODE]
            return city.name, city, 1, f"规则1：市政府建设的道路交通、广场等系统，由{city.name}备案{where}。"
        if system_kind == "district_government":
            # Rule 2 names the district's own branch even inside a special-branch area.
            branch = self.units[self.district_branch[district]]
            name = self.district_names.get(district, district)
            return (f"{branch.name}科信部门", branch, 2,
                    f"规则2：区县政府建设的系统位于{name}，由{branch.name}科信部门备案{where}。")
        if unit is not None:
            rule = 3 if unit.kind == "corps" else 4
            return (f"{unit.name}业务部门", unit, rule,
                    f"规则{rule}：使用单位保卫隶属于{unit.name}，由{unit.name}业务部门核对，"
                    f"{unit.name}科信部门复核并备案{where}。")
        branch = self.units[station_branch]
        return (f"{branch.name} {station}", branch, 5,
                f"规则5：使用单位无保卫隶属关系，位置在{station}辖区{where}，由该派出所核对监管，"
                f"{branch.name}科信部门复核并备案。")
