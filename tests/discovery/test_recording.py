"""Recording Search on site (799号令 第十七条): the scanner reads GetRecordingSummary, a read, and the
reconciliation flags a device holding less than 30 days or less than the filing declares."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator

import pytest

from discovery.credentials import Credential
from discovery.guard import READ_ONLY_OPERATIONS
from discovery.identity import IdentifyOptions, Target, WsdlCache, identify, recording_summary
from discovery.lab import Lab, build_fleet, running_lab
from discovery.lab import events as lab_events
from discovery.models import Device, FiledCamera, RecordingSummary, Status
from discovery.reconcile import reconcile, reconciliation_from_dict
from discovery.reconcile_render import render_html
from discovery.retention import check_device
from tests.discovery.lab import clean_fleet


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    spec = clean_fleet(4, loopback=True, seed=5, name=f"rec{os.getpid()}"[:20], recording=[12, 45])
    spec.devices[1].clock_skew_s = 8 * 3600.0  # a skewed clock moves both ends: the span is unchanged
    with running_lab(spec, state_dir=tmp_path_factory.mktemp("recstate")) as running:
        yield running


def _identify(lab: Lab, index: int) -> Device:
    d = lab.spec.devices[index]
    ident = identify(Target(d.ip, [d.device_service_url]), [Credential(d.username, d.password)], WsdlCache(),
                     IdentifyOptions(request_timeout_s=2))
    device = Device(address=d.ip, endpoint_uuid=d.endpoint_uuid, scope_name=d.name)
    device.apply_identity(ident)
    return device


def test_the_fleet_gives_recording_search_to_plain_devices_only() -> None:
    spec = build_fleet(30, seed=3, recording=4)
    offering = [d for d in spec.devices if d.recording_days is not None]
    assert [d.recording_days for d in offering] == [12.0, 45.0, 30.0, 90.0]
    assert all(d.expected == "identified" and not d.quirks for d in offering)
    # The other draws are untouched: the same fleet without recordings differs only in that field.
    plain = build_fleet(30, seed=3)
    assert [d.serial for d in plain.devices] == [d.serial for d in spec.devices]
    with pytest.raises(ValueError, match="recording"):
        build_fleet(2, seed=3, recording=[1, 2, 3], wrong_credentials=0, skewed=0, discovery_off=0)


def test_scanner_reads_days_held_and_flags_a_short_device(lab: Lab) -> None:
    short, long_, none = _identify(lab, 0), _identify(lab, 1), _identify(lab, 2)
    assert short.status is Status.OK and short.recording is not None
    assert short.recording.days == pytest.approx(12.0, abs=0.01) and short.recording.recordings == 1
    assert long_.recording is not None and long_.recording.days == pytest.approx(45.0, abs=0.01)
    assert none.status is Status.OK and none.recording is None and "recording" not in none.error

    filed = [FiledCamera(code=f"1101010001320000000{i}", ip=d.address) for i, d in enumerate((short, long_, none))]
    result = reconcile(filed, [short, long_, none], declared_retention_days=30)
    by_addr = {r.address: r for r in result.retention}
    assert by_addr[short.address].problems == ["below_minimum", "below_declared"]
    assert "12" in by_addr[short.address].message
    assert by_addr[long_.address].problems == []
    assert by_addr[none.address].days_held is None and not by_addr[none.address].flagged  # not measured
    assert result.retention[0].address == short.address  # flagged first
    # Declared 60 days: 45 held is legal but less than declared.
    assert reconcile(filed, [long_], declared_retention_days=60).retention[0].problems == ["below_declared"]

    again = reconciliation_from_dict(result.to_dict())
    assert again.to_dict() == result.to_dict() and result.to_dict()["retention_flagged"] == 1
    assert "录像保存天数" in render_html(result) and "不足法定 30 天" in render_html(result)


def test_only_reads_were_sent(lab: Lab) -> None:
    _identify(lab, 0)
    ops = {e["op"] for e in lab.events(lab_events.REQUEST)}
    assert "GetRecordingSummary" in ops and "GetServices" in ops
    assert ops <= READ_ONLY_OPERATIONS
    assert not lab.write_attempts()


def test_summary_values() -> None:
    start = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)
    summary = recording_summary(start, start + dt.timedelta(days=29, hours=23, minutes=30), 3)
    assert summary is not None and summary.days == pytest.approx(29.98, abs=0.01)
    # Half an hour short of 30 days is a recording that ends at the scan: not flagged.
    device = Device(address="192.0.2.1", status=Status.OK, recording=summary)
    assert check_device(device, 30).problems == []
    assert recording_summary(start, start, 0) is None  # nothing recorded at all
    naive = recording_summary(dt.datetime(2026, 11, 1), dt.datetime(2026, 11, 13), 1)
    assert naive == RecordingSummary("2026-11-01T00:00:00+00:00", "2026-11-13T00:00:00+00:00", 1, 12.0)
