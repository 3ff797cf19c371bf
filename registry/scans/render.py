"""Rebuilding a stored reconciliation (JSON) into the objects the discovery renderers take."""

from __future__ import annotations

from typing import Any

from discovery.models import Device, FiledCamera
from discovery.reconcile import Candidate, Difference, Entry, Outcome, Reconciliation


def _entry(data: dict[str, Any]) -> Entry:
    return Entry(
        outcome=Outcome(data["outcome"]),
        filed=FiledCamera(**data["filed"]) if data.get("filed") else None,
        device=Device.from_dict(data["device"]) if data.get("device") else None,
        score=float(data.get("score", 0.0)),
        matched_on=list(data.get("matched_on", [])),
        differences=[Difference(**d) for d in data.get("differences", [])],
        candidates=[Candidate(**c) for c in data.get("candidates", [])],
        note=str(data.get("note", "")),
    )


def reconciliation_from_json(data: dict[str, Any]) -> Reconciliation:
    """Inverse of ``Reconciliation.to_dict``."""
    return Reconciliation([_entry(e) for e in data.get("entries", [])])
