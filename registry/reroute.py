"""Re-routing every operator and camera in one pass after the jurisdiction layers change.

An operator's open filings follow it or keep it where it is, as when an officer moves it
(registry/filings/handover.py): drafts and filings not yet accepted are handed over to the new filing unit; an
operator with a filing accepted by its filing unit and not yet decided keeps its old routing and is listed
(`held`) for a person to decide after the decision, never moved half-way.
"""

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
from registry.filings import handover
from registry.filings.models import Filing, HandoverCause
from registry.operators.models import Operator
from registry.routing import Responsibility, locate_many, responsibility_for
from registry.timeutil import utcnow

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
    held: dict[int, list[str]] = field(default_factory=dict)  # operator id → its undecided accepted filings
    filings_handed_over: int = 0
    stranded: list[str] = field(default_factory=list)  # accepted filings left with a unit the operator has left

    def to_dict(self) -> dict[str, object]:
        """JSON-ready summary."""
        return {"operators_checked": self.operators_checked, "operators_moved": self.operators_moved,
                "cameras_checked": self.cameras_checked, "cameras_moved": self.cameras_moved,
                "moves": dict(self.moves), "unroutable_operators": self.unroutable,
                "held_operators": {str(k): v for k, v in self.held.items()},
                "filings_handed_over": self.filings_handed_over, "stranded_filings": self.stranded}


def _route(operator: Operator) -> Responsibility:
    return responsibility_for(lon=operator.lon, lat=operator.lat, affiliation_code=operator.affiliation_code,
                              system_kind=operator.system_kind, place_kind=operator.place_kind)


def _reroute_operators(session: Session, report: RerouteReport, actor: Actor | None) -> None:
    from registry.errors import InvalidInput

    for operator in session.exec(select(Operator).order_by(col(Operator.id))).all():
        report.operators_checked += 1
        oid = operator.id
        assert oid is not None
        try:
            answer = _route(operator)
            before = handover.Units.of(operator)
            if before != handover.Units(answer.filing_unit_code, answer.verifying_unit_code):
                # Its units change: lock it (then its open filings) and route what is stored now.
                operator = handover.lock_operator(session, oid)
                before, answer = handover.Units.of(operator), _route(operator)
        except InvalidInput:
            # Keep the old answer rather than guess; the report lists it for a person to decide.
            report.unroutable.append(oid)
            continue
        after = handover.Units(answer.filing_unit_code, answer.verifying_unit_code)
        filings = handover.lock_open(session, oid) if after != before else []
        blocked = handover.held(filings, after)
        if blocked:
            report.held[oid] = [f.number or f"#{f.id}" for f in blocked]
            continue
        if (before.filing, before.verifying, operator.station_id) != (after.filing, after.verifying,
                                                                       answer.station_id):
            report.operators_moved += 1
            report.moves[f"{operator.filing_unit_code}→{answer.filing_unit_code}"] += 1
        operator.district_code, operator.station_id = answer.district_code, answer.station_id
        operator.filing_unit_code, operator.verifying_unit_code = answer.filing_unit_code, answer.verifying_unit_code
        operator.routing_rule, operator.routing_explanation = answer.rule, answer.explanation
        operator.routing_flags = answer.flags
        session.add(operator)
        if filings:
            report.filings_handed_over += len(handover.hand_over(
                session, actor=actor, filings=filings, before=before, after=after, cause=HandoverCause.reroute,
                at=utcnow()))
    session.flush()
    _repair_strays(session, report, actor)


def _repair_strays(session: Session, report: RerouteReport, actor: Actor | None) -> None:
    """Open filings whose filing unit is not their operator's (left by a move before handovers existed): those not
    yet accepted are handed over; accepted ones are listed (the operator's page shows them to both units' city)."""
    query = (select(Filing, Operator).join(Operator, col(Operator.id) == col(Filing.operator_id))
             .where(col(Filing.state).in_(handover.OPEN_STATES))
             .where(col(Filing.filing_unit_code) != col(Operator.filing_unit_code)).order_by(col(Filing.id)))
    for filing, operator in session.exec(query).all():
        if filing.state not in handover.FOLLOWING_STATES:
            report.stranded.append(filing.number or f"#{filing.id}")
            continue
        now = handover.Units.of(operator)
        report.filings_handed_over += len(handover.hand_over(
            session, actor=actor, filings=[filing], before=handover.Units(filing.filing_unit_code, now.verifying),
            after=now, cause=HandoverCause.reroute, at=utcnow()))


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
    _reroute_operators(session, report, actor)
    _reroute_cameras(session, report, progress)
    audit.append(session, actor=actor, action="reroute", object_type="registry", object_id="all",
                 details=report.to_dict())
    return report
