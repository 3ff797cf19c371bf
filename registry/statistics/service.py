"""数据报送 (notice, section 五): a unit's figures for a month, quarter or year, and the city's roll-up.

Every figure is one grouped query over the operators the unit is responsible for (as registry.auth.scope
draws it), keyed by the unit each operator belongs to: the city department's report has a row per filing
unit (受理单位: branches, corps, bureaus, itself), a unit's report a row per verifying unit (itself and its
stations). An operator belongs to exactly one row, so the rows add up to the total. No query loops over
operators: the cost is the same dozen statements at any size (bench/supervision.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, case, func, or_, select, true
from sqlmodel import Session, col

from registry.auth.models import Role, User
from registry.auth.scope import CITY_UNIT
from registry.cameras.models import Camera, CameraStatus, FormFactor
from registry.errors import Forbidden, NotFound
from registry.filings.models import CorrectionNotice, Filing, FilingKind, FilingState
from registry.footage.models import FootageAccess
from registry.inspections import due
from registry.inspections.models import RECORDED, Inspection, InspectionItem, ItemResult, Rectification
from registry.inspections.models import RectificationState as Rect
from registry.operators.models import Operator
from registry.penalties.models import PenaltyCase, PenaltyDecision, PenaltyState
from registry.statistics.periods import Period
from registry.units.models import PoliceUnit, UnitKind

OFFICER_ROLES = (Role.intake, Role.reviewer, Role.inspector, Role.supervisor, Role.admin, Role.leader)


@dataclass(frozen=True)
class Figure:
    """One column of the fixed layout: its field name, its section and its Chinese header."""

    name: str
    section: str
    zh: str


# The fixed layout of the report (the columns, in order); the xlsx, the page and the API all follow it.
FIGURES: tuple[Figure, ...] = (
    Figure("operators", "使用单位", "使用单位数（期末）"),
    Figure("filings_received", "备案", "收到备案申请"),
    Figure("filings_accepted", "备案", "受理"),
    Figure("corrections_issued", "备案", "发出补正通知"),
    Figure("corrections_done", "备案", "完成补正"),
    Figure("filings_filed", "备案", "准予备案"),
    Figure("filings_late", "备案", "逾期备案"),
    Figure("cameras_in_use", "摄像机", "在用（期末）"),
    Figure("cameras_fixed", "摄像机", "其中固定式"),
    Figure("cameras_dome", "摄像机", "其中球型"),
    Figure("cameras_ptz", "摄像机", "其中云台"),
    Figure("cameras_filed", "摄像机", "本期备案"),
    Figure("cameras_removed", "摄像机", "本期注销"),
    Figure("inspections_due", "监督检查", "应检查（家次）"),
    Figure("inspections_done", "监督检查", "已检查（家次）"),
    Figure("inspections", "监督检查", "检查次数"),
    Figure("hazards", "监督检查", "发现隐患"),
    Figure("rectifications_issued", "整改", "下发整改通知"),
    Figure("rectifications_closed", "整改", "整改完毕"),
    Figure("rectifications_escalated", "整改", "移交处罚"),
    Figure("rectifications_open", "整改", "未整改（期末）"),
    Figure("rectifications_overdue", "整改", "其中逾期"),
    Figure("penalty_cases", "行政处罚", "立案"),
    Figure("penalty_decisions", "行政处罚", "作出决定"),
    Figure("penalty_warnings", "行政处罚", "警告"),
    Figure("penalty_fines", "行政处罚", "罚款"),
    Figure("fines_yuan", "行政处罚", "罚款金额（元）"),
    Figure("footage_accesses", "视频调取", "调取登记"),
)
NAMES = tuple(f.name for f in FIGURES)
# What each figure counts, printed under the table and the sheet.
NOTES = (
    "统计口径：按使用单位的管辖归属汇总；市局报表按受理单位（分局、总队等）分行，分局报表按核对单位（本单位及所属派出所）分行。",
    "收到备案申请、受理、准予备案按提交、受理、备案时间落在本期计；逾期备案为本期收到的申请中超过30日才申报的。",
    "在用摄像机为期末已备案赋码且未注销的摄像机；本期备案为本期备案（含变更备案）的备案中的摄像机。",
    "应检查（家次）：本期所在半年度应检查的使用单位（每半年至少一次），全年报表为上、下半年之和；已检查为截至期末已检查的。",
    "发现隐患为本期检查中判为隐患的检查项数；未整改为截至期末（或今天）仍未整改或移交的整改通知。",
    "行政处罚按立案时间、决定书开具时间计；罚款金额为本期开具的罚款决定之和。视频调取按调取日期计。",
)


@dataclass
class Row:
    """One unit's figures (or the total, with no unit)."""

    unit_code: str | None
    unit_name: str
    figures: dict[str, int] = field(default_factory=lambda: dict.fromkeys(NAMES, 0))

    def add(self, other: Row) -> None:
        """Add another row's figures to this one (the total row)."""
        for name in NAMES:
            self.figures[name] += other.figures[name]


@dataclass
class Report:
    """A unit's statistics for a period: one row per unit under it, and the total."""

    unit_code: str
    unit_name: str
    period: Period
    today: date
    generated_at: datetime
    rows: list[Row]
    total: Row

    @property
    def rollup(self) -> bool:
        """Whether this is the city department's roll-up of every filing unit."""
        return self.unit_code == CITY_UNIT


def require_unit(session: Session, user: User, unit_code: str | None) -> PoliceUnit:
    """The unit whose statistics the user may read: their own or a station under it; the city department any."""
    if user.role not in OFFICER_ROLES or user.unit_code is None:
        raise Forbidden("统计报表只供公安机关查看 / statistics are for police officers only")
    code = unit_code or user.unit_code
    unit = session.get(PoliceUnit, code)
    if unit is None:
        raise NotFound(f"单位 {code[:8]} 不存在 / unit not found", field="unit_code")
    if user.unit_code not in (CITY_UNIT, unit.code, unit.parent_code):
        raise Forbidden("只能查看本单位及所属派出所的统计 / only your own unit's and its stations' statistics",
                        field="unit_code")
    return unit


def units_for(session: Session, user: User) -> list[PoliceUnit]:
    """The units a user may choose on the statistics page: every unit (the city), or their own and stations."""
    query = select(PoliceUnit).order_by(col(PoliceUnit.code))
    if user.unit_code != CITY_UNIT:
        query = query.where(or_(col(PoliceUnit.code) == user.unit_code, col(PoliceUnit.parent_code) == user.unit_code))
    return list(session.scalars(query).all())


def compute(session: Session, *, unit: PoliceUnit, period: Period, today: date, now: datetime) -> Report:
    """The report of `unit` for `period`, as seen on `today` (open rectifications count up to today)."""
    if unit.code == CITY_UNIT:
        key: Any = col(Operator.filing_unit_code)
        scope: ColumnElement[bool] = true()
        listed = select(PoliceUnit).where(col(PoliceUnit.kind) != UnitKind.station)
    else:
        key = col(Operator.verifying_unit_code)
        scope = or_(col(Operator.filing_unit_code) == unit.code, col(Operator.verifying_unit_code) == unit.code)
        listed = select(PoliceUnit).where(or_(col(PoliceUnit.code) == unit.code,
                                              col(PoliceUnit.parent_code) == unit.code))
    names = {u.code: u.name for u in session.scalars(listed.order_by(col(PoliceUnit.code))).all()}
    rows: dict[str | None, Row] = {code: Row(code, name) for code, name in names.items()}
    for values in _queries(session, key=key, scope=scope, period=period, today=today):
        for found, figures in values.items():
            if found not in rows:  # an operator routed outside the listed units: still counted, on its own row
                other = session.get(PoliceUnit, found) if found else None
                rows[found] = Row(found, other.name if other else "未划定")
            rows[found].figures.update(figures)
    ordered = [rows[code] for code in names] + [r for code, r in rows.items() if code not in names]
    total = Row(None, "合计")
    for row in ordered:
        total.add(row)
    return Report(unit.code, unit.name, period, today, now, ordered, total)


Grouped = dict[str | None, dict[str, int]]


def _in(column: Any, period: Period) -> ColumnElement[bool]:
    """A timestamp (stored in UTC) within the period's Beijing days."""
    return and_(col(column) >= period.start_utc, col(column) < period.end_utc)


def _on(column: Any, period: Period) -> ColumnElement[bool]:
    """A Beijing date within the period."""
    return and_(col(column) >= period.start, col(column) <= period.end)


def _n(condition: ColumnElement[bool]) -> Any:
    """How many rows of the group meet the condition."""
    return func.sum(case((condition, 1), else_=0))


def _grouped(session: Session, query: Any, names: tuple[str, ...]) -> Grouped:
    """Run a (key, figure…) grouped query into {key: {figure: n}}."""
    return {row[0]: {name: int(v or 0) for name, v in zip(names, row[1:], strict=True)}
            for row in session.execute(query).all()}


def _queries(session: Session, *, key: Any, scope: ColumnElement[bool], period: Period, today: date
             ) -> list[Grouped]:
    """Every figure, a grouped query per table."""
    operator_of = col(Operator.id)
    found: list[Grouped] = []
    found.append(_grouped(session, select(key, func.count()).select_from(Operator)
                          .where(scope, col(Operator.created_at) < period.end_utc).group_by(key), ("operators",)))
    received = and_(col(Filing.state) != FilingState.draft, _in(Filing.submitted_at, period))
    filings = (select(key, _n(received), _n(_in(Filing.accepted_at, period)), _n(_in(Filing.filed_at, period)),
                      _n(and_(received, col(Filing.late))))
               .select_from(Filing).join(Operator, operator_of == col(Filing.operator_id))
               .where(scope, or_(_in(Filing.submitted_at, period), _in(Filing.accepted_at, period),
                                 _in(Filing.filed_at, period))).group_by(key))
    found.append(_grouped(session, filings, ("filings_received", "filings_accepted", "filings_filed",
                                             "filings_late")))
    notices = (select(key, _n(_in(CorrectionNotice.issued_at, period)), _n(_in(CorrectionNotice.corrected_at, period)))
               .select_from(CorrectionNotice).join(Filing, col(Filing.id) == col(CorrectionNotice.filing_id))
               .join(Operator, operator_of == col(Filing.operator_id))
               .where(scope, or_(_in(CorrectionNotice.issued_at, period), _in(CorrectionNotice.corrected_at, period)))
               .group_by(key))
    found.append(_grouped(session, notices, ("corrections_issued", "corrections_done")))
    found.append(_cameras(session, key=key, scope=scope, period=period))
    found.append(_inspections(session, key=key, scope=scope, period=period, today=today))
    found.append(_rectifications(session, key=key, scope=scope, period=period, today=today))
    issued = and_(col(PenaltyCase.state) == PenaltyState.issued, _in(PenaltyCase.issued_at, period))
    fine = and_(issued, col(PenaltyCase.decision) == PenaltyDecision.fine)
    penalties = (select(key, _n(_in(PenaltyCase.opened_at, period)), _n(issued),
                        _n(and_(issued, col(PenaltyCase.decision) == PenaltyDecision.warning)), _n(fine),
                        func.sum(case((fine, col(PenaltyCase.fine_yuan)), else_=0)))
                 .select_from(PenaltyCase).join(Operator, operator_of == col(PenaltyCase.operator_id))
                 .where(scope, or_(_in(PenaltyCase.opened_at, period), _in(PenaltyCase.issued_at, period)))
                 .group_by(key))
    found.append(_grouped(session, penalties, ("penalty_cases", "penalty_decisions", "penalty_warnings",
                                               "penalty_fines", "fines_yuan")))
    footage = (select(key, func.count()).select_from(FootageAccess)
               .join(Operator, operator_of == col(FootageAccess.operator_id))
               .where(scope, _on(FootageAccess.accessed_on, period)).group_by(key))
    found.append(_grouped(session, footage, ("footage_accesses",)))
    return found


def _cameras(session: Session, *, key: Any, scope: ColumnElement[bool], period: Period) -> Grouped:
    """Coded cameras in use at the period's end (by form factor), filed in it, and removed in it."""
    # A code is issued when the camera's filing is filed; a camera a change filing carries over moves to it
    # and keeps its code, so under a change filing the camera's own registration time stands in for that.
    coded_by_end = or_(col(Filing.filed_at) < period.end_utc, col(Filing.kind) == FilingKind.change)
    in_use = and_(coded_by_end, or_(col(Camera.removed_at).is_(None), col(Camera.removed_at) >= period.end_utc))
    forms = [_n(and_(in_use, col(Camera.form_factor) == form)) for form in FormFactor]
    query = (select(key, _n(in_use), *forms, _n(and_(col(Camera.status) == CameraStatus.removed,
                                                      _in(Camera.removed_at, period))))
             .select_from(Camera).join(Filing, col(Filing.id) == col(Camera.filing_id))
             .join(Operator, col(Operator.id) == col(Camera.operator_id))
             .where(scope, col(Camera.code).is_not(None), col(Camera.created_at) < period.end_utc)
             .group_by(key))
    grouped = _grouped(session, query, ("cameras_in_use", *(f"cameras_{f.value}" for f in FormFactor),
                                        "cameras_removed"))
    filed_in_period = select(col(Filing.id)).where(_in(Filing.filed_at, period))
    filed = (select(key, func.count()).select_from(Camera).join(Operator, col(Operator.id) == col(Camera.operator_id))
             .where(scope, col(Camera.code).is_not(None), col(Camera.filing_id).in_(filed_in_period)).group_by(key))
    for found, figures in _grouped(session, filed, ("cameras_filed",)).items():
        grouped.setdefault(found, {}).update(figures)
    return grouped


def _inspections(session: Session, *, key: Any, scope: ColumnElement[bool], period: Period, today: date
                 ) -> Grouped:
    """Operators due and done in the period's half-year(s), inspections recorded, and hazards found."""
    grouped: Grouped = {}
    for half in period.halves():
        counts = due.counts_by(session, key=key, half=half, today=today, done_by=period.end, where=scope)
        for found, by_status in counts.items():
            figures = grouped.setdefault(found, {"inspections_due": 0, "inspections_done": 0})
            figures["inspections_due"] += by_status["total"]
            figures["inspections_done"] += by_status[due.DueStatus.done.value]
    recorded = and_(col(Inspection.state).in_(RECORDED), _on(Inspection.inspected_on, period))
    inspections = (select(key, func.count()).select_from(Inspection)
                   .join(Operator, col(Operator.id) == col(Inspection.operator_id))
                   .where(scope, recorded).group_by(key))
    hazards = (select(key, func.count()).select_from(InspectionItem)
               .join(Inspection, col(Inspection.id) == col(InspectionItem.inspection_id))
               .join(Operator, col(Operator.id) == col(Inspection.operator_id))
               .where(scope, recorded, col(InspectionItem.result) == ItemResult.hazard).group_by(key))
    for query, name in ((inspections, "inspections"), (hazards, "hazards")):
        for found, figures in _grouped(session, query, (name,)).items():
            grouped.setdefault(found, {}).update(figures)
    return grouped


def _rectifications(session: Session, *, key: Any, scope: ColumnElement[bool], period: Period, today: date
                    ) -> Grouped:
    """Notices issued, closed and escalated in the period, and those still open (and overdue) at its end."""
    as_of = min(period.end, today)
    still_open = and_(col(Rectification.issued_on) <= as_of,
                      or_(col(Rectification.closed_on).is_(None), col(Rectification.closed_on) > as_of))
    query = (select(key, _n(_on(Rectification.issued_on, period)),
                    _n(and_(col(Rectification.state) == Rect.closed, _on(Rectification.closed_on, period))),
                    _n(and_(col(Rectification.state) == Rect.escalated, _on(Rectification.closed_on, period))),
                    _n(still_open), _n(and_(still_open, col(Rectification.due_date) < as_of)))
             .select_from(Rectification).join(Operator, col(Operator.id) == col(Rectification.operator_id))
             .where(scope, col(Rectification.issued_on) <= period.end).group_by(key))
    return _grouped(session, query, ("rectifications_issued", "rectifications_closed", "rectifications_escalated",
                                     "rectifications_open", "rectifications_overdue"))
