"""Who is responsible for an operator: the single place where the geographic answer plugs in."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from registry.errors import InvalidInput

if TYPE_CHECKING:
    from maps.routing import Jurisdictions


@dataclass(frozen=True)
class Responsibility:
    """The routed answer stored on an operator (SPEC §2)."""

    district_code: str | None
    station_id: str | None
    filing_unit_code: str
    verifying_unit_code: str
    rule: int
    explanation: str
    flags: list[str] = field(default_factory=list)


@lru_cache(maxsize=4)
def jurisdictions(geo_dir: Path | None = None) -> Jurisdictions:
    """The jurisdiction layers, loaded once per process (they are small and read-only)."""
    from maps.routing import Jurisdictions

    return Jurisdictions.load(geo_dir)


def to_wgs84(lon: float, lat: float, datum: str) -> tuple[float, float]:
    """Convert an entered location to WGS-84 (CGCS2000 is treated as WGS-84)."""
    from maps.datums import to_wgs84 as convert

    return convert(lon, lat, datum)


def responsibility_for(*, lon: float, lat: float, affiliation_code: str | None, system_kind: str,
                       place_kind: str | None = None, geo_dir: Path | None = None) -> Responsibility:
    """Route an operator by SPEC §2 rules 1–5 using the jurisdiction layers.

    `place_kind` (road / public_place / internal, None = not declared) decides whether a government-built
    system falls under rules 1/2 (roads, squares and other public places) or the ordinary rules (internal).
    """
    from maps.routing import OutsideJurisdiction, RoutingError, UnknownAffiliation

    try:
        answer = jurisdictions(geo_dir).route(lon, lat, affiliation=affiliation_code, system_kind=system_kind,
                                               place_kind=place_kind)
    except OutsideJurisdiction as exc:
        raise InvalidInput(f"位置不在北京市辖区内 / location is outside Beijing: {exc}", field="lon") from exc
    except UnknownAffiliation as exc:
        raise InvalidInput(f"未知的保卫隶属单位 / unknown security affiliation: {exc}",
                           field="affiliation_code") from exc
    except RoutingError as exc:
        raise InvalidInput(f"无法确定管辖 / cannot route this location: {exc}", field="lon") from exc
    verifying = {1: answer.filing_unit.code, 2: answer.filing_unit.code,
                 3: affiliation_code, 4: affiliation_code, 5: answer.station_id}[answer.rule]
    assert verifying is not None
    return Responsibility(
        district_code=answer.district_code, station_id=answer.station_id,
        filing_unit_code=answer.filing_unit.code, verifying_unit_code=verifying, rule=answer.rule,
        explanation=answer.explanation, flags=list(answer.flags))


Place = tuple[str, str | None]


def locate_many(lons: list[float], lats: list[float], geo_dir: Path | None = None) -> list[Place | None]:
    """District code and station id for each point (None outside Beijing), in one vectorised pass."""
    table = jurisdictions(geo_dir).route_many(lons, lats)
    places: list[Place | None] = []
    for district, station in zip(table["district_code"], table["station_id"], strict=True):
        if not isinstance(district, str):
            places.append(None)
        else:
            places.append((district, station if isinstance(station, str) else None))
    return places
