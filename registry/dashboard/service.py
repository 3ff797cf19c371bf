"""Dashboard figures: operators, filings by state, cameras, overdue decisions and late filings per area.

Each figure is one grouped query over the rows the user may see (registry.auth.scope), never a loop per
operator: the city level groups by district, a district's level by police station (派出所).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, case, func, select, true
from sqlmodel import Session, col

from registry.auth.models import User
from registry.auth.scope import CITY_UNIT, clause_for
from registry.cameras.models import Camera, CameraStatus
from registry.filings import clock
from registry.filings.models import Filing, FilingState
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

    @property
    def filings_total(self) -> int:
        """Every visible filing of the area, whatever its state."""
        return sum(self.filings.values())

    def add(self, other: Figures) -> None:
        """Add another row's counts to this one (the total row)."""
        self.operators += other.operators
        self.cameras += other.cameras
        self.overdue += other.overdue
        self.late += other.late
        for state, n in other.filings.items():
            self.filings[state] = self.filings.get(state, 0) + n


@dataclass
class Dashboard:
    """The rows of one level (districts, or the stations of one district) and their total."""

    level: str  # "district" or "station"
    district_code: str | None
    rows: list[Figures]
    total: Figures


def home_district(session: Session, user: User) -> str | None:
    """The district a unit's officer starts from (their branch's or station's); None for the city department."""
    if user.unit_code in (None, CITY_UNIT):
        return None
    unit = session.get(PoliceUnit, user.unit_code)
    return unit.district_code if unit is not None else None


def figures(session: Session, *, user: User, today: date, district_code: str | None = None) -> Dashboard:
    """The dashboard of what `user` may see: by district, or by station inside `district_code`."""
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
    ordered = sorted(rows.values(), key=lambda r: (r.key is None, r.key or ""))
    total = Figures(None)
    for figures_row in ordered:
        total.add(figures_row)
    return Dashboard("district" if district_code is None else "station", district_code, ordered, total)
