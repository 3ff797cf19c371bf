"""What an inspector reads on an operator's page besides its filings: sites, cameras and scans."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from registry.cameras.models import Camera, CameraStatus
from registry.filings.models import Filing, FilingState
from registry.operators.models import Operator
from registry.scans.models import Scan

SHOWN = 20


@dataclass(frozen=True)
class Site:
    """A filed system (one site an inspector visits): its filing and how many cameras it has in use."""

    filing: Filing
    cameras: int


def sites(session: Session, operator_id: int) -> list[Site]:
    """The operator's filed systems, each with its active camera count (one grouped query)."""
    filings = session.exec(select(Filing).where(Filing.operator_id == operator_id)
                           .where(Filing.state == FilingState.filed).order_by(col(Filing.id))).all()
    counts = dict(session.exec(select(Camera.filing_id, func.count()).where(Camera.operator_id == operator_id)
                               .where(Camera.status == CameraStatus.active).group_by(col(Camera.filing_id))).all())
    return [Site(f, counts.get(f.id or 0, 0)) for f in filings]


def overview(session: Session, operator: Operator, *, officer: bool) -> dict[str, Any]:
    """Sites, the first cameras with the count of all, and the latest scans (scope checked by the caller).

    An officer does not see the cameras of a draft: the draft is the operator's until it is submitted.
    """
    owned = select(Camera).where(Camera.operator_id == operator.id)
    counted = select(func.count()).select_from(Camera).where(Camera.operator_id == operator.id)
    if officer:
        drafts = select(Filing.id).where(Filing.operator_id == operator.id).where(Filing.state == FilingState.draft)
        owned = owned.where(col(Camera.filing_id).not_in(drafts))
        counted = counted.where(col(Camera.filing_id).not_in(drafts))
    cameras = session.exec(owned.order_by(col(Camera.id)).limit(SHOWN)).all()
    camera_count = session.exec(counted).one()
    scans = session.exec(select(Scan).where(Scan.operator_id == operator.id)
                         .order_by(col(Scan.scanned_at).desc(), col(Scan.id).desc()).limit(SHOWN)).all()
    filing_numbers = dict(session.exec(select(Filing.id, Filing.number)
                                       .where(Filing.operator_id == operator.id)).all())
    return {"sites": sites(session, operator.id or 0), "cameras": cameras, "camera_count": camera_count,
            "scans": scans, "filing_numbers": filing_numbers}
