"""The operator's filed cameras as a file for the inspector's laptop (discovery/filed.py reads it offline)."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, col, select

from discovery.filed import FiledSite, seal
from registry.actor import Actor
from registry.audit import service as audit
from registry.auth.scope import get_visible, require_role
from registry.filings.models import Filing, FilingState
from registry.operators.models import Operator
from registry.scans.service import SCAN_ROLES, filed_cameras
from registry.timeutil import utcnow


def build(session: Session, *, actor: Actor, operator_id: int) -> tuple[Operator, dict[str, Any]]:
    """Every filed system of the operator with its active cameras, sealed; the download is audited."""
    operator = get_visible(session, Operator, operator_id, actor.user)
    require_role(actor.user, *SCAN_ROLES)
    filings = session.exec(select(Filing).where(Filing.operator_id == operator_id)
                           .where(Filing.state == FilingState.filed).order_by(col(Filing.id))).all()
    # The same cameras a stored scan is reconciled with (registry.scans.service.filed_cameras).
    sites = [FiledSite(number=f.number or "", system_name=f.system_name, system_location=f.system_location,
                       retention_days=f.retention_days,
                       cameras=filed_cameras(session, f)) for f in filings]
    data = seal({"name": operator.name, "uscc": operator.uscc}, utcnow().isoformat(timespec="seconds"), sites)
    audit.append(session, actor=actor, action="filed_cameras.download", object_type="operator",
                 object_id=operator.id, details={"filings": [s.number for s in sites],
                                                 "cameras": sum(len(s.cameras) for s in sites)})
    return operator, data
