"""Dashboard figures: operators, filings by state, cameras, overdue decisions and late filings per area,
and the half-year's inspection completion (operators due, inspected, overdue; inspections reviewed by 科信).

Each figure is one grouped query over the rows the user may see (registry.auth.scope), never a loop per
operator: the city level groups by district, a district's level by police station (派出所).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, and_, case, func, select, true
from sqlmodel import Session, col

from registry.auth.models import User
from registry.auth.scope import CITY_UNIT, clause_for
from registry.cameras.models import Camera, CameraStatus
from registry.filings import clock
from registry.filings.models import Filing, FilingState
from registry.inspections import due
from registry.inspections.models import RECORDED, Inspection
from registry.inspections.periods import HalfYear
from registry.operators.models import Operator
from registry.units.models import PoliceUnit

# The states an officer can see (a draft is the operator's own), in the order of the workflow.
SHOWN_STATES = tuple(s for s in FilingState if s != FilingState.draft)


@dataclass
class Figures:
    """One row of the dashboard: an area (district or station) and its counts."""

    key: str | None
    operators: int = 0
    cameras: int = 0
    filings: dict[FilingState, int] = field(default_factory=dict)
    overdue: int = 0
    late: int = 0
    # The half-year's inspections (section 一: every operator at least once per half-year), as the due list
    # counts them: operators due in total and by status, recorded inspections and those 科信 reviewed.
    due: dict[str, int] = field(default_factory=dict)
    inspections: int = 0
    reviewed: int = 0

    @property
    def filings_total(self) -> int:
        """Every visible filing of the area, whatever its state."""
        return sum(self.filings.values())

    @property
    def due_total(self) -> int:
        """Operators that must be inspected in the half-year."""
        return self.due.get("total", 0)

    @property
    def not_done(self) -> int:
        """Operators not yet inspected this half-year while it runs (never inspected, or due again)."""
        return self.due.get(due.DueStatus.never_inspected.value, 0) + self.due.get(due.DueStatus.due.value, 0)

    @property
    def done_percent(self) -> int | None:
        """Completion of the half-year's inspections, in whole percent (None when nobody is due)."""
        total = self.due_total
        return 100 * self.due.get(due.DueStatus.done.value, 0) // total if total else None

    @property
    def reviewed_percent(self) -> int | None:
        """Share of the recorded inspections that 科信 reviewed, in whole percent (None when none)."""
        return 100 * self.reviewed // self.inspections if self.inspections else None

    def add(self, other: Figures) -> None:
        """Add another row's counts to this one (the total row)."""
        self.operators += other.operators
        self.cameras += other.cameras
        self.overdue += other.overdue
        self.late += other.late
        self.inspections += other.inspections
        self.reviewed += other.reviewed
        for status, n in other.due.items():
            self.due[status] = self.due.get(status, 0) + n
        for state, n in other.filings.items():
            self.filings[state] = self.filings.get(state, 0) + n


@dataclass
class Dashboard:
    """The rows of one level (districts, or the stations of one district) and their total."""

    level: str  # "district" or "station"
    district_code: str | None
    rows: list[Figures]
    total: Figures
    half: HalfYear


def home_district(session: Session, user: User) -> str | None:
    """The district a unit's officer starts from (their branch's or station's); None for the city department."""
    if user.unit_code in (None, CITY_UNIT):
        return None
    unit = session.get(PoliceUnit, user.unit_code)
    return unit.district_code if unit is not None else None


def figures(session: Session, *, user: User, today: date, district_code: str | None = None,
            half: HalfYear | None = None) -> Dashboard:
    """The dashboard of what `user` may see: by district, or by station inside `district_code`; inspection
    completion for `half` (default: the half-year `today` falls in)."""
    if district_code is None:
        op_key: Any = col(Operator.district_code)
        cam_key: Any = col(Camera.district_code)
        op_where: ColumnElement[bool] = true()
        cam_where: ColumnElement[bool] = true()
    else:
        op_key, cam_key = col(Operator.station_id), col(Camera.station_id)
        op_where = col(Operator.district_code) == district_code
        cam_where = col(Camera.district_code) == district_code
    rows: dict[str | None, Figures] = {}

    def row(key: str | None) -> Figures:
        return rows.setdefault(key, Figures(key))

    for key, n in session.execute(select(op_key, func.count()).where(clause_for(Operator, user), op_where)
                                  .group_by(op_key)).all():
        row(key).operators = n
    overdue = case((clock.overdue_clause(today), 1), else_=0)  # 办理超期 (never while the operator corrects)
    late = case((col(Filing.late), 1), else_=0)
    filing_query = (select(op_key, col(Filing.state), func.count(), func.sum(overdue), func.sum(late))
                    .select_from(Filing).join(Operator, col(Operator.id) == col(Filing.operator_id))
                    .where(clause_for(Filing, user), op_where).group_by(op_key, col(Filing.state)))
    for key, state, n, n_overdue, n_late in session.execute(filing_query).all():
        figures_row = row(key)
        figures_row.filings[state] = n
        figures_row.overdue += int(n_overdue or 0)
        figures_row.late += int(n_late or 0)
    camera_query = (select(cam_key, func.count()).where(clause_for(Camera, user), cam_where,
                                                        col(Camera.status) == CameraStatus.active)
                    .group_by(cam_key))
    for key, n in session.execute(camera_query).all():
        row(key).cameras = n
    half = half or HalfYear.of(today)
    visible = and_(clause_for(Operator, user), op_where)
    for key, counts in due.counts_by(session, key=op_key, half=half, today=today, where=visible).items():
        row(key).due = counts
    inspection_query = (select(op_key, func.count(), func.count(col(Inspection.reviewed_at)))
                        .select_from(Inspection).join(Operator, col(Operator.id) == col(Inspection.operator_id))
                        .where(visible, col(Inspection.state).in_(RECORDED),
                               col(Inspection.inspected_on) >= half.start,
                               col(Inspection.inspected_on) <= min(half.end, today))
                        .group_by(op_key))
    for key, n, n_reviewed in session.execute(inspection_query).all():
        figures_row = row(key)
        figures_row.inspections, figures_row.reviewed = n, int(n_reviewed or 0)
    ordered = sorted(rows.values(), key=lambda r: (r.key is None, r.key or ""))
    total = Figures(None)
    for figures_row in ordered:
        total.add(figures_row)
    return Dashboard("district" if district_code is None else "station", district_code, ordered, total, half)
