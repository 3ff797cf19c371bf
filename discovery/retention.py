"""Footage retention measured on site (799号令 第十七条: at least 30 days), against what the filing declares.

Pure functions over scanned devices: a device that reports a Recording Search summary is checked; one that
does not offer the service is listed as not measured, never as compliant.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from discovery.models import Device, Status

#: 799号令 第十七条: footage is kept no less than 30 days.
MINIMUM_DAYS = 30


@dataclass
class RetentionCheck:
    """One device's footage against the legal minimum and the filing's declared retention."""

    address: str
    endpoint_uuid: str = ""
    serial: str = ""
    name: str = ""
    days_held: float | None = None  # None: the device offers no Recording Search (not measured)
    data_from: str = ""
    data_until: str = ""
    declared_days: int | None = None
    minimum_days: int = MINIMUM_DAYS
    problems: list[str] = field(default_factory=list)  # "below_minimum", "below_declared"
    message: str = ""

    @property
    def flagged(self) -> bool:
        """Whether the inspector must look at it."""
        return bool(self.problems)


def check_device(device: Device, declared_days: int | None, minimum_days: int = MINIMUM_DAYS) -> RetentionCheck:
    """The retention check of one scanned device."""
    rec = device.recording
    check = RetentionCheck(address=device.address, endpoint_uuid=device.endpoint_uuid, serial=device.serial,
                           name=device.scope_name, declared_days=declared_days, minimum_days=minimum_days)
    if rec is None:
        check.message = "未提供录像检索服务，未能现场测量 / no Recording Search service: not measured"
        return check
    check.days_held, check.data_from, check.data_until = rec.days, rec.data_from, rec.data_until
    # A device short of a whole day by seconds (its last frame before the scan) is not short.
    held = rec.days + 1 / 24
    if held < minimum_days:
        check.problems.append("below_minimum")
    if declared_days is not None and held < declared_days:
        check.problems.append("below_declared")
    parts = [f"存储录像 {rec.days:g} 天 / {rec.days:g} days held"]
    if "below_minimum" in check.problems:
        parts.append(f"不足法定 {minimum_days} 天 / under the {minimum_days}-day minimum")
    if "below_declared" in check.problems:
        parts.append(f"少于备案申报的 {declared_days} 天 / less than the {declared_days} days declared")
    check.message = "；".join(parts)
    return check


def check_retention(devices: Sequence[Device], declared_days: int | None,
                    minimum_days: int = MINIMUM_DAYS) -> list[RetentionCheck]:
    """Checks of every identified device, measured ones first (flagged before compliant), then by address."""
    checks = [check_device(d, declared_days, minimum_days) for d in devices
              if d.status is Status.OK or d.recording is not None]
    return sorted(checks, key=lambda c: (c.days_held is None, not c.flagged, c.address))
