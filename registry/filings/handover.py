"""移交: what happens to an operator's open filings when the operator moves (issue 13 point 6).

An operator moves when an officer corrects its location, security affiliation or kind of system, or when the
jurisdiction layers change and `camreg reroute` routes every operator again. Its responsible units may change
with it, and every filing visible to a unit is visible through its operator, so an open filing must either
follow the operator or keep the move from happening. The rule, by what has been done on the filing:

* A draft or a filing submitted but not yet accepted (待受理) follows the operator: its filing unit becomes the
  new one. Nothing has been decided on it — no number, no clock, no 核对 — so the new unit simply receives it
  in its queue (待受理; the to-do list and the desk queue mark it 移交). The old unit no longer sees it.
* A filing accepted and not yet decided (已受理, 待补正, 已补正) stays with the unit that accepted it: its number
  is in that unit's sequence, its 15-working-day clock and its correction notice are that unit's case. A move
  that would change the filing unit of such a filing is refused, naming the field and the filings' numbers; the
  unit decides them first (予以备案 or 不予备案), then the operator can move. The reroute command keeps such an
  operator where it was and lists it for a person to decide.
* If only the verifying unit changes (the filing unit stays, e.g. a move between two stations of one branch),
  the open filings stay with their filing unit and the new verifying unit owes any 核对 still owed.
* Finished filings (予以备案, 不予备案, 已变更) keep the unit that decided them.

Each change of hands is a `FilingHandover` row (shown on the filing's page and in the API) and an audit event.
Locks: the operator row first, then its open filings (`lock_open`), the order every writer keeps (a submission
locks the operator before reading its filing unit), so a move and an acceptance, or a move and a submission,
never interleave: whichever commits second sees what the first did.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, select

from registry.actor import Actor
from registry.audit import service as audit
from registry.auth.scope import get_visible
from registry.errors import Conflict
from registry.filings.models import AWAITING_DECISION, Filing, FilingHandover, FilingState, HandoverCause
from registry.operators.models import Operator
from registry.units.models import PoliceUnit

OPEN_STATES = (FilingState.draft, FilingState.submitted, *AWAITING_DECISION)
# Nothing decided yet: these follow the operator to its new filing unit.
FOLLOWING_STATES = (FilingState.draft, FilingState.submitted)
# Why a move is refused, by the field that moved the operator (the first of these the request changes).
ROUTING_FIELDS = {"lon": "位置", "lat": "位置", "affiliation_code": "保卫隶属单位", "system_kind": "建设类型",
                  "place_kind": "场所类型"}


@dataclass(frozen=True)
class Units:
    """Who files and who verifies for an operator."""

    filing: str
    verifying: str

    @classmethod
    def of(cls, operator: Operator) -> Units:
        """The operator's units as stored now."""
        return cls(operator.filing_unit_code, operator.verifying_unit_code)


def lock_open(session: Session, operator_id: int) -> list[Filing]:
    """The operator's open filings, locked and read afresh (call after locking the operator row)."""
    query = (select(Filing).where(Filing.operator_id == operator_id).where(col(Filing.state).in_(OPEN_STATES))
             .order_by(col(Filing.id)).with_for_update().execution_options(populate_existing=True))
    return list(session.exec(query).all())


def lock_operator(session: Session, operator_id: int) -> Operator:
    """The operator row, locked and read afresh: taken before a filing's unit is read from it."""
    query = select(Operator).where(Operator.id == operator_id).with_for_update().execution_options(
        populate_existing=True)
    return session.exec(query).one()


def held(filings: Sequence[Filing], to: Units) -> list[Filing]:
    """The filings a move to `to` would take from the unit that accepted them (accepted, not yet decided)."""
    return [f for f in filings if f.state in AWAITING_DECISION and f.filing_unit_code != to.filing]


def _unit_name(session: Session, code: str) -> str:
    unit = session.get(PoliceUnit, code)
    return f"{unit.name}（{code}）" if unit is not None else code


def refusal(session: Session, blocked: Sequence[Filing], *, field: str, before: Units, after: Units) -> Conflict:
    """The refusal of a move while filings accepted by the old filing unit are open: field and numbers named."""
    numbers = [f.number or f"#{f.id}" for f in blocked]
    listed = "、".join(numbers)
    what = ROUTING_FIELDS.get(field, field)
    old = _unit_name(session, blocked[0].filing_unit_code)
    return Conflict(
        f"不能变更{what}：该使用单位有{old}已受理、尚未办结的备案 {listed}，"
        f"变更后受理单位将改为{_unit_name(session, after.filing)}。已受理的备案须由原受理单位办结（予以备案或不予备案）"
        f"后才能变更 / cannot change {field}: filings {listed} were accepted by unit {blocked[0].filing_unit_code} and "
        f"are not yet decided; the change would make unit {after.filing} the filing unit. Decide them first",
        field=field, details={"filings": numbers, "filing_unit_code": before.filing,
                              "new_filing_unit_code": after.filing})


def hand_over(session: Session, *, actor: Actor | None, filings: Sequence[Filing], before: Units, after: Units,
              cause: HandoverCause, at: datetime) -> list[FilingHandover]:
    """Hand the operator's open filings over after its units changed from `before` to `after` (none held)."""
    rows: list[FilingHandover] = []
    for filing in filings:
        assert filing.id is not None
        to_unit = after.filing if filing.state in FOLLOWING_STATES else filing.filing_unit_code
        if to_unit != filing.filing_unit_code and filing.state not in FOLLOWING_STATES:
            raise AssertionError("a held filing reached hand_over")  # callers refuse first (`held`)
        if to_unit == filing.filing_unit_code and before.verifying == after.verifying:
            continue
        row = FilingHandover(filing_id=filing.id, operator_id=filing.operator_id, state=filing.state,
                             from_filing_unit_code=filing.filing_unit_code, to_filing_unit_code=to_unit,
                             from_verifying_unit_code=before.verifying, to_verifying_unit_code=after.verifying,
                             cause=cause, at=at, by_id=actor.user_id if actor else None)
        filing.filing_unit_code, filing.updated_at = to_unit, at
        session.add_all([row, filing])
        rows.append(row)
    session.flush()
    for row in rows:
        audit.append(session, actor=actor, action="filing.handover", object_type="filing", object_id=row.filing_id,
                     details={"operator_id": row.operator_id, "state": row.state.value, "cause": row.cause.value,
                              "from_filing_unit": row.from_filing_unit_code, "to_filing_unit": row.to_filing_unit_code,
                              "from_verifying_unit": row.from_verifying_unit_code,
                              "to_verifying_unit": row.to_verifying_unit_code, "handover_id": row.id})
    return rows


def history(session: Session, *, actor: Actor, filing_id: int) -> Sequence[FilingHandover]:
    """Every handover of a filing, oldest first (visible to whoever sees the filing)."""
    get_visible(session, Filing, filing_id, actor.user)
    return of_filing(session, filing_id)


def of_filing(session: Session, filing_id: int | None) -> Sequence[FilingHandover]:
    """A filing's handovers, oldest first (scope checked by the caller)."""
    return session.exec(select(FilingHandover).where(FilingHandover.filing_id == filing_id)
                        .order_by(col(FilingHandover.id))).all()


def handed_in(session: Session, unit_code: str | None) -> dict[int, str]:
    """Filings waiting for this unit's acceptance that another unit handed over: filing id → the unit it left."""
    if not unit_code:
        return {}
    rows = session.exec(select(FilingHandover.filing_id, FilingHandover.from_filing_unit_code)
                        .join(Filing, col(Filing.id) == col(FilingHandover.filing_id))
                        .where(FilingHandover.to_filing_unit_code == unit_code)
                        .where(col(FilingHandover.from_filing_unit_code) != unit_code)
                        .where(Filing.filing_unit_code == unit_code).where(Filing.state == FilingState.submitted)
                        .order_by(col(FilingHandover.id))).all()
    return {filing_id: source for filing_id, source in rows}
