"""Scan report: schema file in sync, checksum sealing, load_report's clear errors."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from discovery.models import Device, FoundBy, Status
from discovery.report import SCHEMA_PATH, ReportError, build_report, load_report, report_schema, write_report


def _report() -> dict:
    devices = [Device(address="198.18.0.5", endpoint_uuid="u1", manufacturer="海康威视", serial="S1",
                      macs=["44:19:b6:00:00:01"], found_by=[FoundBy.MULTICAST, FoundBy.SWEEP], status=Status.OK),
               Device(address="198.18.0.6", status=Status.HOSTILE_REPLY, error="doctype", found_by=[FoundBy.SWEEP])]
    return build_report(devices=devices, started=dt.datetime(2026, 5, 1, 8, 0, tzinfo=dt.UTC), seconds=1.5,
                        networks=["198.18.0.0/24"], interfaces=[{"name": "eth1", "address": "198.18.0.2"}],
                        methods=["multicast", "sweep"], options={}, notes=[])


def test_committed_schema_matches_the_model() -> None:
    assert json.loads(SCHEMA_PATH.read_text()) == report_schema()


def test_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "scan.json"
    report = _report()
    write_report(report, path)
    loaded = load_report(path)
    assert loaded.summary.by_status == {"hostile_reply": 1, "ok": 1}
    assert loaded.summary.by_method == {"multicast": 1, "sweep": 2}
    assert loaded.devices[0].manufacturer == "海康威视" and loaded.devices[0].found_by == [FoundBy.MULTICAST,
                                                                                           FoundBy.SWEEP]
    assert loaded.started_at == dt.datetime(2026, 5, 1, 8, 0, tzinfo=dt.UTC)
    assert report["checksum"].startswith("sha256:")
    assert set(report["devices"][0]) >= {"address", "endpoint_uuid", "manufacturer", "model", "firmware", "serial",
                                         "hardware_id", "macs", "xaddrs", "scopes", "found_by", "status", "error"}


@pytest.mark.parametrize("tamper, message", [
    (lambda r: r["devices"][0].update(serial="S2"), "checksum mismatch"),
    (lambda r: r["devices"][0].update(status="fine"), "devices.0.status"),
    (lambda r: r["devices"][1].pop("macs"), "missing macs"),
    (lambda r: r.update(format="other"), "field 'format'"),
    (lambda r: r.update(checksum="md5:1"), "checksum"),
    (lambda r: r.update(extra=1), "extra"),
])
def test_tampered_or_invalid_reports_are_refused(tmp_path: Path, tamper, message: str) -> None:
    report = _report()
    tamper(report)
    path = tmp_path / "scan.json"
    path.write_text(json.dumps(report))
    with pytest.raises(ReportError, match=message):
        load_report(path)


def test_unreadable_files(tmp_path: Path) -> None:
    with pytest.raises(ReportError, match="cannot read"):
        load_report(tmp_path / "none.json")
    (tmp_path / "bad.json").write_text("{")
    with pytest.raises(ReportError, match="not valid JSON"):
        load_report(tmp_path / "bad.json")
