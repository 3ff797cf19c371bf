"""Creating, updating, routing and listing operators."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlmodel import Session, col, select

from registry.actor import Actor
from registry.audit import service as audit_service
from registry.auth.models import Role
from registry.auth.scope import get_visible, operator_clause, require_role
from registry.errors import Conflict, InvalidInput
from registry.filings import handover
from registry.filings.models import HandoverCause
from registry.operators.models import Operator, OperatorCreate, OperatorUpdate, PlaceKind, SystemKind
from registry.routing import Responsibility, responsibility_for, to_wgs84
from registry.timeutil import utcnow
from registry.units.models import PoliceUnit, UnitKind
from registry.uscc import validate_uscc

OFFICER_WRITERS = (Role.intake, Role.reviewer, Role.admin, Role.supervisor)


def _check_affiliation(session: Session, code: str | None) -> None:
    if code is None:
        return
    unit = session.get(PoliceUnit, code)
    if unit is None or unit.kind in (UnitKind.station, UnitKind.city):
        raise InvalidInput(f"保卫隶属单位 {code} 不存在 / affiliation {code} is not a corps, bureau or branch",
                           field="affiliation_code")


def _check_place_kind(system_kind: SystemKind, place_kind: PlaceKind | None) -> None:
    """A government-built system must say where it is: rules 1/2 cover roads and public places only."""
    if system_kind != SystemKind.ordinary and place_kind is None:
        raise InvalidInput("政府建设的系统须填写场所类型（交通道路、广场等公共场所或单位内部） / place_kind is "
                           "required for a government-built system: road, public_place or internal",
                           field="place_kind")


def _apply_routing(operator: Operator, answer: Responsibility | None = None) -> None:
    if answer is None:
        answer = responsibility_for(lon=operator.lon, lat=operator.lat, affiliation_code=operator.affiliation_code,
                                    system_kind=operator.system_kind, place_kind=operator.place_kind)
    operator.district_code = answer.district_code
    operator.station_id = answer.station_id
    operator.filing_unit_code = answer.filing_unit_code
    operator.verifying_unit_code = answer.verifying_unit_code
    operator.routing_rule = answer.rule
    operator.routing_explanation = answer.explanation
    operator.routing_flags = answer.flags


def create(session: Session, *, actor: Actor, data: OperatorCreate) -> Operator:
    """Register an operator: validate its credit code, store WGS-84, route it to its units."""
    require_role(actor.user, *OFFICER_WRITERS)
    errors = validate_uscc(data.uscc)
    if errors:
        raise InvalidInput(f"统一社会信用代码无效 / invalid credit code: {'; '.join(errors)}", field="uscc")
    if session.exec(select(Operator).where(Operator.uscc == data.uscc)).first() is not None:
        raise Conflict(f"统一社会信用代码 {data.uscc} 已登记 / an operator with this credit code exists", field="uscc")
    _check_affiliation(session, data.affiliation_code)
    _check_place_kind(data.system_kind, data.place_kind)
    lon, lat = to_wgs84(data.lon, data.lat, data.datum)
    operator = Operator.model_validate(
        data.model_dump(exclude={"lon", "lat", "datum"}),
        update={"lon": lon, "lat": lat, "entered_datum": data.datum, "filing_unit_code": "",
                "verifying_unit_code": "", "routing_rule": 0, "routing_explanation": ""})
    _apply_routing(operator)
    session.add(operator)
    session.flush()
    audit_service.append(session, actor=actor, action="operator.create", object_type="operator",
                         object_id=operator.id, details={"rule": operator.routing_rule,
                                                         "filing_unit": operator.filing_unit_code})
    return operator


def update(session: Session, *, actor: Actor, operator_id: int, data: OperatorUpdate) -> Operator:
    """Change an operator; a new location, affiliation, system kind or place kind re-routes it, and its open
    filings follow or keep it (registry/filings/handover.py): refused, with nothing written, while a filing its
    filing unit accepted is undecided and the move would change that unit."""
    operator = get_visible(session, Operator, operator_id, actor.user, lock=True)
    require_role(actor.user, *OFFICER_WRITERS)
    changes: dict[str, Any] = data.model_dump(exclude_unset=True, exclude={"lon", "lat", "datum"})
    if (data.lon is None) != (data.lat is None):
        raise InvalidInput("lon and lat must be given together", field="lon" if data.lon is None else "lat")
    if "affiliation_code" in changes:
        _check_affiliation(session, changes["affiliation_code"])
    if "system_kind" in changes or "place_kind" in changes:
        _check_place_kind(SystemKind(changes.get("system_kind", operator.system_kind)),
                          changes.get("place_kind", operator.place_kind))
    assert operator.id is not None
    open_filings = handover.lock_open(session, operator.id)  # after the operator row: the writers' lock order
    datum = data.datum or "wgs84"
    lon, lat = to_wgs84(data.lon, data.lat, datum) if data.lon is not None and data.lat is not None else (
        operator.lon, operator.lat)
    # Route first, change nothing until the move is known to be allowed.
    answer = responsibility_for(lon=lon, lat=lat,
                                affiliation_code=changes.get("affiliation_code", operator.affiliation_code),
                                system_kind=changes.get("system_kind", operator.system_kind),
                                place_kind=changes.get("place_kind", operator.place_kind))
    before = handover.Units.of(operator)
    after = handover.Units(answer.filing_unit_code, answer.verifying_unit_code)
    blocked = handover.held(open_filings, after) if after != before else []
    if blocked:
        moved_by = next((f for f in ("lon", "affiliation_code", "system_kind", "place_kind")
                         if f in changes or (f == "lon" and data.lon is not None)), "lon")
        raise handover.refusal(session, blocked, field=moved_by, before=before, after=after)
    operator.sqlmodel_update(changes)
    if data.lon is not None and data.lat is not None:
        operator.lon, operator.lat = lon, lat
        operator.entered_datum = datum  # type: ignore[assignment]
    _apply_routing(operator, answer)
    operator.updated_at = utcnow()
    session.add(operator)
    session.flush()
    handed = handover.hand_over(session, actor=actor, filings=open_filings, before=before, after=after,
                                cause=HandoverCause.operator_moved, at=operator.updated_at) if after != before else []
    audit_service.append(session, actor=actor, action="operator.update", object_type="operator",
                         object_id=operator.id,
                         details={"fields": sorted(changes) + (["location"] if data.lon is not None else []),
                                  "moved": before != after,
                                  "filing_unit": [before.filing, after.filing],
                                  "verifying_unit": [before.verifying, after.verifying],
                                  "filings_handed_over": [h.filing_id for h in handed]})
    return operator


def list_visible(session: Session, *, actor: Actor, district_code: str | None = None,
                 filing_unit_code: str | None = None, q: str | None = None,
                 after_id: int = 0, limit: int = 50) -> Sequence[Operator]:
    """Operators the user may see, filtered, in id order after a keyset cursor."""
    query = select(Operator).where(operator_clause(actor.user)).where(col(Operator.id) > after_id)
    if district_code:
        query = query.where(Operator.district_code == district_code)
    if filing_unit_code:
        query = query.where(Operator.filing_unit_code == filing_unit_code)
    if q:
        query = query.where((col(Operator.name).contains(q)) | (Operator.uscc == q.upper()))
    # Equality-filtered key first (same order): the (key, id) index then serves the page without a sort.
    leading = Operator.district_code if district_code else Operator.filing_unit_code if filing_unit_code else None
    order = (col(leading), col(Operator.id)) if leading is not None else (col(Operator.id),)
    return session.exec(query.order_by(*order).limit(limit)).all()
