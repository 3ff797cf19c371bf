"""Re-routing every operator and camera in one pass after the jurisdiction layers change."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import select as sa_select
from sqlalchemy import update
from sqlmodel import Session, col, select

from registry.actor import Actor
from registry.audit import service as audit
from registry.cameras.models import Camera
from registry.operators.models import Operator
from registry.routing import locate_many, responsibility_for

BATCH = 5000


@dataclass
class RerouteReport:
    """What moved: operators whose responsible units changed, cameras whose district or station changed."""

    operators_checked: int = 0
    operators_moved: int = 0
    cameras_checked: int = 0
    cameras_moved: int = 0
    moves: Counter[str] = field(default_factory=Counter)  # "old filing unit → new filing unit": count
    unroutable: list[int] = field(default_factory=list)  # operators whose location no longer routes

    def to_dict(self) -> dict[str, object]:
        """JSON-ready summary."""
        return {"operators_checked": self.operators_checked, "operators_moved": self.operators_moved,
                "cameras_checked": self.cameras_checked, "cameras_moved": self.cameras_moved,
                "moves": dict(self.moves), "unroutable_operators": self.unroutable}


def _reroute_operators(session: Session, report: RerouteReport) -> None:
    from registry.errors import InvalidInput

    for operator in session.exec(select(Operator).order_by(col(Operator.id))).all():
        report.operators_checked += 1
        try:
            answer = responsibility_for(lon=operator.lon, lat=operator.lat, affiliation_code=operator.affiliation_code,
                                        system_kind=operator.system_kind, place_kind=operator.place_kind)
        except InvalidInput:
            # Keep the old answer rather than guess; the report lists it for a person to decide.
            assert operator.id is not None
            report.unroutable.append(operator.id)
            continue
        before = (operator.filing_unit_code, operator.verifying_unit_code, operator.station_id)
        if before != (answer.filing_unit_code, answer.verifying_unit_code, answer.station_id):
            report.operators_moved += 1
            report.moves[f"{operator.filing_unit_code}→{answer.filing_unit_code}"] += 1
        operator.district_code, operator.station_id = answer.district_code, answer.station_id
        operator.filing_unit_code, operator.verifying_unit_code = answer.filing_unit_code, answer.verifying_unit_code
        operator.routing_rule, operator.routing_explanation = answer.rule, answer.explanation
        operator.routing_flags = answer.flags
        session.add(operator)
    session.flush()


def _reroute_cameras(session: Session, report: RerouteReport, progress: Callable[[int], None] | None) -> None:
    after = 0
    while True:
        columns = [col(c) for c in (Camera.id, Camera.lon, Camera.lat, Camera.district_code, Camera.station_id)]
        rows = session.execute(sa_select(*columns).where(col(Camera.id) > after)
                               .order_by(col(Camera.id)).limit(BATCH)).all()
        if not rows:
            break
        places = locate_many([r[1] for r in rows], [r[2] for r in rows])
        for (camera_id, _, _, district, station), place in zip(rows, places, strict=True):
            # A camera keeps its code for life: only where it is filed as being changes.
            if place is not None and place != (district, station):
                session.execute(update(Camera).where(col(Camera.id) == camera_id)
                                .values(district_code=place[0], station_id=place[1]))
                report.cameras_moved += 1
        report.cameras_checked += len(rows)
        after = rows[-1][0]
        if progress:
            progress(report.cameras_checked)
    session.flush()


def reroute_all(session: Session, *, actor: Actor | None,
                progress: Callable[[int], None] | None = None) -> RerouteReport:
    """Route every operator and camera again with the layers loaded now, in one transaction, and report."""
    report = RerouteReport()
    _reroute_operators(session, report)
    _reroute_cameras(session, report, progress)
    audit.append(session, actor=actor, action="reroute", object_type="registry", object_id="all",
                 details=report.to_dict())
    return report
