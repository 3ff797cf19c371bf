"""数据报送 (notice, section 五): a unit's figures for a month, quarter or year, and the city's roll-up.

Every figure is one grouped query over the operators the unit is responsible for (as registry.auth.scope
draws it), keyed by the unit each operator belongs to: the city department's report has a row per filing
unit (受理单位: branches, corps, bureaus, itself), a unit's report a row per verifying unit (itself and its
stations). An operator belongs to exactly one row, so the rows add up to the total. No query loops over
operators: the cost is the same few statements at any size (bench/supervision.py) — the due counts of
registry/inspections/due.py (one per half-year), then every other figure in one UNION ALL statement
over the operators in scope, selected once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, case, func, literal_column, or_, select, true, union_all
from sqlmodel import Session, col

from registry.auth.models import Role, User
from registry.auth.scope import CITY_UNIT
from registry.cameras.models import Camera, CameraStatus, FormFactor
from registry.dashboard import cache
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
    """The report of `unit` for `period`, as seen on `today` (open rectifications count up to today).

    A report that took long to count (the city's, a large branch's: a few hundred milliseconds at a
    million cameras) is kept as the dashboard keeps its figures (registry/dashboard/cache.py): served
    again for the same unit, period and day until the audit chain moves — every change of the workflow
    appends to it; after a minute with no change it is counted again behind the page (refresh-ahead). Its
    `generated_at` stays the time it was counted.
    """
    code = unit.code

    def recount(own: Session) -> Report:
        # A recount behind the page has a session of its own: the unit is read again there.
        return count(own, unit=own.get(PoliceUnit, code) or unit, period=period, today=today, now=now)

    return cache.counted(session, ("statistics", code, str(period), today), recount, refresh_ahead=True).value


def count(session: Session, *, unit: PoliceUnit, period: Period, today: date, now: datetime) -> Report:
    """The report counted afresh (`compute` without the kept reports)."""
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


def _queries(session: Session, *, key: Any, scope: ColumnElement[bool], period: Period, today: date
             ) -> list[Grouped]:
    """Every figure: the due counts (registry/inspections/due.py), then the rest in one statement.

    The operators in scope are selected once (a CTE, with the row key beside each), and every other
    table is counted against them in one UNION ALL of grouped parts — one round trip and one pass over
    the operator table rather than one per table (bench/pages.py: the branch's quarter, 1M cameras).
    """
    ops = select(col(Operator.id).label("id"), key.label("k"), col(Operator.created_at).label("created_at")
                 ).where(scope).cte("scoped_operators")
    k = ops.c.k
    received = and_(col(Filing.state) != FilingState.draft, _in(Filing.submitted_at, period))
    recorded = and_(col(Inspection.state).in_(RECORDED), _on(Inspection.inspected_on, period))
    issued = and_(col(PenaltyCase.state) == PenaltyState.issued, _in(PenaltyCase.issued_at, period))
    fine = and_(issued, col(PenaltyCase.decision) == PenaltyDecision.fine)
    parts: list[tuple[tuple[str, ...], Any]] = [
        (("operators",), select(k, func.count()).select_from(ops)
         .where(ops.c.created_at < period.end_utc).group_by(k)),
        (("filings_received", "filings_accepted", "filings_filed", "filings_late"),
         select(k, _n(received), _n(_in(Filing.accepted_at, period)), _n(_in(Filing.filed_at, period)),
                _n(and_(received, col(Filing.late))))
         .select_from(Filing).join(ops, ops.c.id == col(Filing.operator_id))
         .where(or_(_in(Filing.submitted_at, period), _in(Filing.accepted_at, period), _in(Filing.filed_at, period)))
         .group_by(k)),
        (("corrections_issued", "corrections_done"),
         select(k, _n(_in(CorrectionNotice.issued_at, period)), _n(_in(CorrectionNotice.corrected_at, period)))
         .select_from(CorrectionNotice).join(Filing, col(Filing.id) == col(CorrectionNotice.filing_id))
         .join(ops, ops.c.id == col(Filing.operator_id))
         .where(or_(_in(CorrectionNotice.issued_at, period), _in(CorrectionNotice.corrected_at, period)))
         .group_by(k)),
        (CAMERA_FIGURES, _cameras(key, scope, period)),
        (("inspections",), select(k, func.count()).select_from(Inspection)
         .join(ops, ops.c.id == col(Inspection.operator_id)).where(recorded).group_by(k)),
        (("hazards",), select(k, func.count()).select_from(InspectionItem)
         .join(Inspection, col(Inspection.id) == col(InspectionItem.inspection_id))
         .join(ops, ops.c.id == col(Inspection.operator_id))
         .where(recorded, col(InspectionItem.result) == ItemResult.hazard).group_by(k)),
        (RECTIFICATION_FIGURES, _rectifications(ops, period, today)),
        (("penalty_cases", "penalty_decisions", "penalty_warnings", "penalty_fines", "fines_yuan"),
         select(k, _n(_in(PenaltyCase.opened_at, period)), _n(issued),
                _n(and_(issued, col(PenaltyCase.decision) == PenaltyDecision.warning)), _n(fine),
                func.sum(case((fine, col(PenaltyCase.fine_yuan)), else_=0)))
         .select_from(PenaltyCase).join(ops, ops.c.id == col(PenaltyCase.operator_id))
         .where(or_(_in(PenaltyCase.opened_at, period), _in(PenaltyCase.issued_at, period))).group_by(k)),
        (("footage_accesses",), select(k, func.count()).select_from(FootageAccess)
         .join(ops, ops.c.id == col(FootageAccess.operator_id))
         .where(_on(FootageAccess.accessed_on, period)).group_by(k)),
    ]
    # Each part's rows are (key, its figures…, zeros up to the widest part's, the part's number).
    width = max(len(names) for names, _ in parts)
    union = union_all(*(query.add_columns(*(literal_column("0") for _ in range(width - len(names))),
                                          literal_column(str(n)).label("part"))
                        for n, (names, query) in enumerate(parts)))
    found: list[Grouped] = [{} for _ in parts]
    for row in session.execute(union).all():
        names = parts[int(row[-1])][0]
        found[int(row[-1])][row[0]] = {name: int(v or 0) for name, v in zip(names, row[1:1 + len(names)],
                                                                             strict=True)}
    return [_due(session, key=key, scope=scope, period=period, today=today), *found]


CAMERA_FIGURES = ("cameras_in_use", *(f"cameras_{f.value}" for f in FormFactor), "cameras_removed", "cameras_filed")
RECTIFICATION_FIGURES = ("rectifications_issued", "rectifications_closed", "rectifications_escalated",
                         "rectifications_open", "rectifications_overdue")


def _due(session: Session, *, key: Any, scope: ColumnElement[bool], period: Period, today: date) -> Grouped:
    """Operators due and done in the period's half-year(s): registry/inspections/due.py counts them."""
    grouped: Grouped = {}
    for half in period.halves():
        counts = due.counts_by(session, key=key, half=half, today=today, done_by=period.end, where=scope)
        for found, by_status in counts.items():
            figures = grouped.setdefault(found, {"inspections_due": 0, "inspections_done": 0})
            figures["inspections_due"] += by_status["total"]
            figures["inspections_done"] += by_status[due.DueStatus.done.value]
    return grouped


def _cameras(key: Any, scope: ColumnElement[bool], period: Period) -> Any:
    """Coded cameras in use at the period's end (by form factor), filed in it, and removed in it: one scan.

    Served by the partial index ix_camera_coded_tally (migration 0016): the coded cameras of the operators
    in scope with every column counted here, so the camera table itself is not read.
    """
    # A code is issued when the camera's filing is filed; a camera a change filing carries over moves to it
    # and keeps its code, so under a change filing the camera's own registration time stands in for that.
    coded_by_end = or_(col(Filing.filed_at) < period.end_utc, col(Filing.kind) == FilingKind.change)
    in_use = and_(coded_by_end, or_(col(Camera.removed_at).is_(None), col(Camera.removed_at) >= period.end_utc))
    forms = [_n(and_(in_use, col(Camera.form_factor) == form)) for form in FormFactor]
    removed = and_(col(Camera.status) == CameraStatus.removed, _in(Camera.removed_at, period))
    return (select(key, _n(in_use), *forms, _n(removed), _n(_in(Filing.filed_at, period)))
            .select_from(Camera).join(Operator, col(Operator.id) == col(Camera.operator_id))
            .join(Filing, col(Filing.id) == col(Camera.filing_id))
            .where(scope, col(Camera.code).is_not(None), col(Camera.created_at) < period.end_utc)
            .group_by(key))


def _rectifications(ops: Any, period: Period, today: date) -> Any:
    """Notices issued, closed and escalated in the period, and those still open (and overdue) at its end."""
    as_of = min(period.end, today)
    still_open = and_(col(Rectification.issued_on) <= as_of,
                      or_(col(Rectification.closed_on).is_(None), col(Rectification.closed_on) > as_of))
    return (select(ops.c.k, _n(_on(Rectification.issued_on, period)),
                   _n(and_(col(Rectification.state) == Rect.closed, _on(Rectification.closed_on, period))),
                   _n(and_(col(Rectification.state) == Rect.escalated, _on(Rectification.closed_on, period))),
                   _n(still_open), _n(and_(still_open, col(Rectification.due_date) < as_of)))
            .select_from(Rectification).join(ops, ops.c.id == col(Rectification.operator_id))
            .where(col(Rectification.issued_on) <= period.end).group_by(ops.c.k))
