"""Tests of the simulated camera lab."""

from __future__ import annotations

from typing import Any

from discovery.lab import build_fleet
from discovery.lab.model import FleetSpec


def clean_fleet(cameras: int, **options: Any) -> FleetSpec:
    """A fleet with none of the realistic quirks (skew, hidden, wrong password, shared ids): the test adds its own."""
    return build_fleet(cameras, skewed=0, discovery_off=0, wrong_credentials=0, shared_serials=0, shared_macs=0,
                       shared_uuids=0, **options)
