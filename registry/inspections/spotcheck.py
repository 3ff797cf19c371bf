"""The city department's spot checks (June 16–30, October 26 – November 10) and review progress per unit.

A draw takes a random sample of the half-year's recorded inspections across every unit. The seed and the
population are recorded, so anyone can draw the same sample again (`draw_sample`); a window has one
draw, so nobody can draw until a sample suits them.
"""

from __future__ import annotations

import random
import secrets
from datetime import date

from sqlalchemy import func
from sqlmodel import Session, col, select

from registry.actor import Actor
from registry.audit import service as audit
from registry.auth.models import Role
from registry.auth.scope import CITY_UNIT
from registry.errors import Conflict, Forbidden, InvalidInput, NotFound
from registry.inspections import periods
from registry.inspections.models import (
    RECORDED,
    DrawInput,
    FindingInput,
    Inspection,
    SpotCheckDraw,
    SpotCheckFinding,
)


def draw_sample(population: list[int], *, seed: str, size: int) -> list[int]:
    """The sample a seed draws from a population: the same seed and population always give the same ids."""
    ordered = sorted(population)
    return sorted(random.Random(seed).sample(ordered, min(size, len(ordered))))


def require_city(actor: Actor) -> None:
    """Spot checks are the city department's (市局科技信息化部) supervisors' and administrators'."""
    if actor.user.unit_code != CITY_UNIT or actor.user.role not in (Role.supervisor, Role.admin):
        raise Forbidden("抽查由市局科技信息化部进行 / spot checks are done by the city department")


def population(session: Session, *, half: periods.HalfYear, today: date) -> list[int]:
    """Every recorded inspection of the half-year up to today, across all units."""
    query = (select(Inspection.id).where(col(Inspection.state).in_(RECORDED))
             .where(col(Inspection.inspected_on) >= half.start, col(Inspection.inspected_on) <= min(half.end, today))
             .order_by(col(Inspection.id)))
    return [i for i in session.exec(query).all() if i is not None]


def draw(session: Session, *, actor: Actor, data: DrawInput, today: date) -> SpotCheckDraw:
    """Draw this window's sample (once per window), recording the seed and population."""
    require_city(actor)
    window = periods.require_spot_check_window(today)
    existing = session.exec(select(SpotCheckDraw).where(SpotCheckDraw.year == today.year,
                                                        SpotCheckDraw.season == window.season)).first()
    if existing is not None:
        raise Conflict(f"本期抽查已于{existing.drawn_on:%Y-%m-%d}抽取，不能重抽 / this window's sample was already "
                       f"drawn (draw {existing.id})", details={"draw_id": existing.id})
    ids = population(session, half=window.half, today=today)
    if not ids:
        raise Conflict(f"{window.half.label}尚无已完成的检查可供抽查 / no recorded inspections to sample yet")
    seed = data.seed or secrets.token_hex(8)
    sample = draw_sample(ids, seed=seed, size=data.size)
    row = SpotCheckDraw(year=today.year, season=window.season, seed=seed, size=data.size, population_ids=ids,
                        sample_ids=sample, drawn_on=today, drawn_by_id=actor.user_id)
    session.add(row)
    session.flush()
    audit.append(session, actor=actor, action="spot_check.draw", object_type="spot_check_draw", object_id=row.id,
                 details={"seed": seed, "size": data.size, "population": len(ids), "sample": sample})
    return row


def get_draw(session: Session, *, actor: Actor, draw_id: int) -> SpotCheckDraw:
    """A recorded draw (city department only)."""
    require_city(actor)
    row = session.get(SpotCheckDraw, draw_id)
    if row is None:
        raise NotFound(f"抽查 {draw_id} 不存在 / spot-check draw {draw_id} not found")
    return row


def record_finding(session: Session, *, actor: Actor, draw_id: int, data: FindingInput,
                   today: date) -> SpotCheckFinding:
    """Record what re-checking one sampled inspection found, within the draw's own window."""
    row = get_draw(session, actor=actor, draw_id=draw_id)
    window = periods.require_spot_check_window(today)
    if (row.year, row.season) != (today.year, window.season):
        raise Conflict("该抽查不属于本期抽查窗口 / the draw belongs to another window", details={"draw_id": row.id})
    if data.inspection_id not in row.sample_ids:
        raise InvalidInput("该检查不在本期抽查样本中 / the inspection is not in the sample", field="inspection_id")
    dup = session.exec(select(SpotCheckFinding).where(SpotCheckFinding.draw_id == draw_id,
                                                      SpotCheckFinding.inspection_id == data.inspection_id)).first()
    if dup is not None:
        raise Conflict("该检查的抽查结果已记录 / a finding for this inspection is already recorded",
                       details={"finding_id": dup.id})
    inspection = session.get_one(Inspection, data.inspection_id)
    finding = SpotCheckFinding(draw_id=draw_id, inspection_id=data.inspection_id, operator_id=inspection.operator_id,
                               conforming=data.conforming, finding=data.finding, recorded_on=today,
                               recorded_by_id=actor.user_id)
    session.add(finding)
    session.flush()
    audit.append(session, actor=actor, action="spot_check.finding", object_type="spot_check_draw", object_id=draw_id,
                 details={"inspection_id": data.inspection_id, "conforming": data.conforming,
                          "finding": data.finding})
    return finding


def findings_of(session: Session, draw_id: int) -> list[SpotCheckFinding]:
    """A draw's findings, in the order they were recorded."""
    return list(session.exec(select(SpotCheckFinding).where(SpotCheckFinding.draw_id == draw_id)
                             .order_by(col(SpotCheckFinding.id))).all())


def review_progress(session: Session, *, half: periods.HalfYear) -> dict[str, dict[str, int]]:
    """Per inspecting unit: recorded inspections of the half-year and how many its 科信 reviewed."""
    query = (select(Inspection.unit_code, func.count(), func.count(col(Inspection.reviewed_at)))
             .where(col(Inspection.state).in_(RECORDED))
             .where(col(Inspection.inspected_on) >= half.start, col(Inspection.inspected_on) <= half.end)
             .group_by(col(Inspection.unit_code)).order_by(col(Inspection.unit_code)))
    return {unit: {"inspections": n, "reviewed": reviewed} for unit, n, reviewed in session.exec(query).all()}
