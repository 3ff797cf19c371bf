"""Queries that turn the registry into the plain tables ``maps.render`` draws (scoped per user)."""

from __future__ import annotations

from datetime import date
from typing import Any

import pandas as pd
import shapely
from sqlalchemy import ColumnElement, func, true
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from maps.coverage import coverage_stats
from maps.render import render_city, render_district, render_operator
from registry.auth.models import User
from registry.auth.scope import clause_for, get_visible
from registry.cameras.models import Camera, CameraStatus
from registry.errors import NotFound
from registry.filings import clock
from registry.filings.models import Filing
from registry.operators.models import Operator
from registry.routing import jurisdictions
from registry.timeutil import beijing_today

UTM50N = "EPSG:32650"
# Unioning more sectors than this takes seconds on request; the page then shows counts without covered area.
MAX_COVERAGE_CAMERAS = 50_000
# A camera filed without a field of view is drawn as a point-sized circle, never a guessed sector.
UNDECLARED_VIEW = {"azimuth": 0.0, "fov": 360.0, "range": 1.0}


def _scope(model: type[Any], user: User | None) -> ColumnElement[bool]:
    return clause_for(model, user) if user is not None else true()


def _overdue(session: Session, user: User | None, key: Any, today: date) -> pd.DataFrame:
    query = (select(key, func.count()).select_from(Filing).join(Operator, col(Operator.id) == Filing.operator_id)
             .where(clock.overdue_clause(today)).where(_scope(Filing, user)).group_by(key))
    return pd.DataFrame(session.exec(query).all(), columns=["key", "overdue"])


def city_html(session: Session, *, user: User | None, metric: str = "density", tile_url: str | None = None) -> str:
    """Districts coloured by cameras per km², counted by the database (no per-camera data leaves it)."""
    districts = jurisdictions().districts
    counts = session.exec(select(Camera.district_code, func.count()).where(Camera.status == CameraStatus.active)
                          .where(_scope(Camera, user)).group_by(Camera.district_code)).all()
    per = dict(counts)
    area = shapely.area(districts.to_crs(UTM50N).geometry.to_numpy()) / 1e6
    overdue = _overdue(session, user, Operator.district_code, beijing_today()).set_index("key")["overdue"]
    stats = pd.DataFrame({
        "district_code": districts["district_code"], "cameras": [per.get(c, 0) for c in districts["district_code"]],
        "area_km2": area})
    stats["density"] = stats["cameras"] / stats["area_km2"]
    stats["overdue"] = [int(overdue.get(c, 0)) for c in stats["district_code"]]
    return render_city(districts, stats, metric=metric, tile_url=tile_url)


def _camera_frame(session: Session, user: User | None, *conditions: ColumnElement[bool]) -> pd.DataFrame:
    columns = [col(c) for c in (Camera.lon, Camera.lat, Camera.code, Camera.name, Camera.azimuth, Camera.hfov,
                                Camera.range_m, Camera.form_factor, Camera.station_id)]
    query = sa_select(*columns).where(col(Camera.status) == CameraStatus.active).where(_scope(Camera, user))
    for condition in conditions:
        query = query.where(condition)
    frame = pd.DataFrame(session.execute(query).all(),
                         columns=["lon", "lat", "code", "name", "azimuth", "fov", "range", "kind", "station_id"])
    frame["kind"] = frame["kind"].astype(str)
    return frame


def _declared(cameras: pd.DataFrame) -> pd.DataFrame:
    """Cameras whose field of view was filed; the others count as cameras but add no covered area."""
    return cameras.dropna(subset=["azimuth", "fov", "range"])


def district_html(session: Session, *, user: User | None, district_code: str, tile_url: str | None = None) -> str:
    """A district's stations coloured by density, cameras aggregated, detail when zoomed in."""
    geo = jurisdictions()
    district = geo.districts[geo.districts["district_code"] == district_code]
    if district.empty:
        raise NotFound(f"区县 {district_code} 不存在 / no district {district_code}")
    stations = geo.stations[geo.stations["district_code"] == district_code]
    cameras = _camera_frame(session, user, col(Camera.district_code) == district_code)
    counts = coverage_stats(stations, cameras, key="station_id", with_coverage=False)
    declared = _declared(cameras)
    if 0 < len(declared) <= MAX_COVERAGE_CAMERAS:
        covered = coverage_stats(stations, declared, key="station_id")
        counts[["covered_km2", "covered_pct"]] = covered[["covered_km2", "covered_pct"]].to_numpy()
    overdue = _overdue(session, user, Operator.station_id, beijing_today()).set_index("key")["overdue"]
    counts["overdue"] = [int(overdue.get(s, 0)) for s in counts["station_id"]]
    sites = _overdue_sites(session, user, district_code, beijing_today())
    return render_district(district, stations, cameras.fillna(UNDECLARED_VIEW), stats=counts, sites=sites,
                           tile_url=tile_url)


def _overdue_sites(session: Session, user: User | None, district_code: str, today: date) -> pd.DataFrame:
    """Operators of the district with filings past their deadline: where a supervisor looks first."""
    query = (sa_select(col(Operator.lon), col(Operator.lat), col(Operator.name), func.count())
             .select_from(Filing).join(Operator, col(Operator.id) == Filing.operator_id)
             .where(col(Operator.district_code) == district_code).where(clock.overdue_clause(today))
             .where(_scope(Filing, user))
             .group_by(col(Operator.id), col(Operator.lon), col(Operator.lat), col(Operator.name)))
    rows = session.execute(query).all()
    note = clock.OVERDUE_LABEL + " {} 件 past the decision deadline"
    return pd.DataFrame([{"lon": lon, "lat": lat, "name": name, "note": note.format(n)}
                         for lon, lat, name, n in rows], columns=["lon", "lat", "name", "note"])


def operator_html(session: Session, *, user: User | None, operator_id: int, tile_url: str | None = None) -> str:
    """One operator's site with each camera and its field of view."""
    if user is not None:
        operator = get_visible(session, Operator, operator_id, user)
    else:
        found = session.get(Operator, operator_id)
        if found is None:
            raise NotFound(f"使用单位 {operator_id} 不存在 / no operator {operator_id}")
        operator = found
    cameras = _camera_frame(session, user, col(Camera.operator_id) == operator_id)
    cameras = cameras.fillna(UNDECLARED_VIEW)
    stations = jurisdictions().stations
    context = stations[stations["station_id"] == operator.station_id] if operator.station_id else None
    site = {"lon": operator.lon, "lat": operator.lat, "name": operator.name, "address": operator.address}
    return render_operator(site, cameras, context=context, tile_url=tile_url)

