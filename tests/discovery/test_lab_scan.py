"""Integration: `camreg scan` inside the lab's laptop namespace against a 56-camera mixed site on two subnets
(multicast reaches the flat one, the sweep the routed one): every vendor style, hostile and discovery-off
devices, every real-device quirk, devices offering ONVIF Recording Search (12, 45 and 30 days of footage),
and a credentials file that lists a wrong pair first. Every device found, identified and classified as the
lab's ground truth says; the footage held read and a short one flagged; nothing written, no account locked."""

from __future__ import annotations

import dataclasses
import json
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from discovery.lab import DeviceSpec, Lab, build_fleet, require_netns, running_lab
from discovery.lab.quirks import QUIRK_MODES
from discovery.models import Device, FiledCamera
from discovery.reconcile import Outcome, reconcile
from discovery.report import load_report

# One lab per module (and per xdist worker); `--dist loadgroup` keeps these tests on one worker.
pytestmark = [pytest.mark.netns, pytest.mark.slow, pytest.mark.xdist_group("discovery-lab")]

STATUS_FOR = {"identified": "ok", "bad_reply": "hostile_reply"}  # lab outcome → report status
UNPARSEABLE_WSD = {"entity_bomb", "external_entity", "huge_reply", "malformed_xml", "not_onvif"}
# The wrong pair first makes the site's third pair the fourth: allow four tries (the lab locks at five).
MAX_TRIES = 4


def _uuid(dev: DeviceSpec) -> str:
    return dev.endpoint_uuid.removeprefix("urn:uuid:")


@pytest.fixture(scope="module")
def scanned(tmp_path_factory: pytest.TempPathFactory, worker_id: str) -> Iterator[tuple[Lab, dict[str, Any], Path]]:
    require_netns()
    spec = build_fleet(cameras=56, subnets=2, hostile=10, faulty=2, seed=11, name=f"dzit-{worker_id}"[:20],
                       quirks=list(QUIRK_MODES), recording=[12, 45, 30])
    assert len({d.vendor for d in spec.devices}) == 7 and all(any(q in d.quirks for d in spec.devices)
                                                              for q in QUIRK_MODES)
    tmp = tmp_path_factory.mktemp("labscan")
    creds = tmp / "creds.toml"
    listed = [("admin", "an-old-password"), *spec.site_credentials]
    pairs = ", ".join(f'{{ username = "{u}", password = "{p}" }}' for u, p in listed)
    creds.write_text(f'[[network]]\ncidr = "198.18.0.0/15"\ncredentials = [{pairs}]\n')
    out = tmp / "scan.json"
    with running_lab(spec) as lab:
        cidr_args = [a for c in lab.cidrs for a in ("--cidr", c)]
        env = dict(os.environ, CAMREG_SCAN_ALLOWED_NETWORKS="198.18.0.0/15")
        run = lab.run_in_laptop(
            [sys.executable, "-m", "discovery.cli", *cidr_args, "--credentials", str(creds), "--out", str(out),
             "--profiles", "--timeout", "2", "--no-prompt", "--max-auth-tries", str(MAX_TRIES)],
            capture_output=True, text=True, timeout=240, env=env)
        assert run.returncode == 0, run.stderr[-3000:]
        report = json.loads(out.read_text())
        yield lab, report, out


def test_every_device_found_once_and_classified(scanned: tuple[Lab, dict[str, Any], Path]) -> None:
    lab, report, path = scanned
    load_report(path)  # schema and checksum hold
    by_ip: dict[str, list[dict[str, Any]]] = {}
    for d in report["devices"]:
        by_ip.setdefault(d["address"], []).append(d)
    assert set(by_ip) == {dev.ip for dev in lab.devices}, "found exactly the lab's devices"
    wrong = []
    for dev in lab.devices:
        [got] = by_ip[dev.ip]
        want = STATUS_FOR.get(dev.expected, dev.expected)
        if got["status"] != want:
            wrong.append((dev.id, dev.vendor, dev.hostile_http, want, got["status"], got["error"]))
    assert wrong == []


def test_identities_match_ground_truth(scanned: tuple[Lab, dict[str, Any], Path]) -> None:
    lab, report, _ = scanned
    got = {d["address"]: d for d in report["devices"]}
    checked = 0
    for dev in lab.devices:
        d = got[dev.ip]
        if dev.expected != "identified":
            continue
        checked += 1
        assert (d["manufacturer"], d["model"], d["firmware"], d["serial"], d["hardware_id"]) == (
            dev.manufacturer, dev.model, dev.firmware, dev.serial, dev.hardware_id), dev.id
        assert d["macs"] == reported_macs(dev), dev.id
        assert d["hostname"] == dev.hostname, dev.id
        assert [p["stream_uri"] for p in d["profiles"]] == [dev.stream_uri(0), dev.stream_uri(1)], dev.id
        assert d["authenticated"]
        if abs(dev.clock_skew_s) > 5:
            assert abs(d["clock_offset_s"] - dev.clock_skew_s) < 3, dev.id
        if dev.unicast_probe_answers:
            assert d["endpoint_uuid"] == _uuid(dev), dev.id
            assert d["scope_name"] == dev.name and d["scope_location"] == dev.location
    assert checked >= 30


def reported_macs(dev: DeviceSpec) -> list[str]:
    """A garbled hardware address is not reported; the WS-Discovery MAC scope may still give the MAC."""
    if "garbled_mac" not in dev.quirks:
        return sorted(dev.macs)
    return [dev.macs[0]] if dev.style.scope_mac and dev.unicast_probe_answers else []


def test_real_device_quirks(scanned: tuple[Lab, dict[str, Any], Path]) -> None:
    lab, report, _ = scanned
    got = {d["address"]: d for d in report["devices"]}
    for dev in lab.devices:
        d = got[dev.ip]
        assert d["auth_tries"] <= MAX_TRIES, dev.id
        if "xaddr_wrong_port" in dev.quirks and dev.expected == "identified":
            assert d["service_url"] == dev.device_service_url, dev.id
        if "xaddr_other_host" in dev.quirks:
            assert d["serial"] == dev.serial, dev.id  # not the neighbour's
        if dev.vendor in ("reolink", "hikvision") and not dev.credentials_known and not dev.hostile_http:
            assert d["status"] == "auth_failed", dev.id  # not soap_fault, not not_onvif
    assert any("PasswordText" in n for n in report["notes"])
    assert report["options"]["max_auth_tries"] == MAX_TRIES


def test_discovery_methods_per_subnet(scanned: tuple[Lab, dict[str, Any], Path]) -> None:
    lab, report, _ = scanned
    got = {d["address"]: d for d in report["devices"]}
    for dev in lab.devices:
        found_by = got[dev.ip]["found_by"]
        if dev.multicast_reachable:
            assert "multicast" in found_by, dev.id
        if dev.subnet == 2:
            assert "multicast" not in found_by, dev.id  # the router does not forward multicast
        if dev.unicast_probe_answers:
            assert "unicast" in found_by, dev.id
        if not dev.discoverable:
            assert found_by == ["sweep"], dev.id
        if dev.hostile_wsd in UNPARSEABLE_WSD:
            assert got[dev.ip]["discovery_error"], dev.id
    shared_uuid = [d for d in lab.devices if "uuid" in d.shared and d.unicast_probe_answers]
    assert len({got[d.ip]["endpoint_uuid"] for d in shared_uuid}) < len(shared_uuid)  # kept apart


def test_scan_only_read(scanned: tuple[Lab, dict[str, Any], Path]) -> None:
    lab, report, _ = scanned
    assert lab.write_attempts() == []
    assert lab.events("xxe_fetch") == []
    assert lab.events("locked") == []
    text = json.dumps(report)
    strings = set(_strings(report))
    for _, password in [*lab.spec.site_credentials, ("admin", "an-old-password")]:
        assert password not in strings
        if len(password) >= 6:  # short ones ("pass") occur inside honest words such as "password="
            assert password not in text


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from _strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from _strings(v)


def test_reconciliation_against_a_filing(scanned: tuple[Lab, dict[str, Any], Path]) -> None:
    lab, _, path = scanned
    devices: list[Device] = load_report(path).devices
    identified = [d for d in lab.devices if d.expected == "identified"]
    plain = [d for d in identified if not d.shared]

    def filed(dev: DeviceSpec, **changes: str) -> FiledCamera:
        cam = FiledCamera(code=dev.id, ip=dev.ip, mac=dev.macs[0], serial=dev.serial, endpoint_uuid=_uuid(dev),
                          manufacturer=dev.manufacturer, model=dev.model, firmware=dev.firmware,
                          hardware_id=dev.hardware_id)
        return dataclasses.replace(cam, **changes)

    moved, updated, *rest = plain
    unfiled = {rest[0].ip, rest[1].ip}
    filing = [filed(moved, ip="198.18.1.250"), filed(updated, firmware="V0.0.1 (filed)")]
    filing += [filed(d) for d in identified if d not in (moved, updated) and d.ip not in unfiled]
    filing.append(FiledCamera(code="cam-gone", ip="198.18.1.251", mac="02:00:00:00:02:51", serial="GONE-1"))
    result = reconcile(filing, devices)
    outcome = {e.filed.code: e for e in result.entries if e.filed}
    assert outcome[moved.id].outcome is Outcome.CHANGED
    assert [x.attribute for x in outcome[moved.id].differences] == ["ip"]
    assert [x.attribute for x in outcome[updated.id].differences] == ["firmware"]
    assert outcome["cam-gone"].outcome is Outcome.MISSING
    for dev in identified:
        if dev not in (moved, updated) and dev.ip not in unfiled:
            assert outcome[dev.id].outcome is Outcome.MATCHED, dev.id
    seen_unfiled = {e.device.address for e in result.by_outcome(Outcome.UNFILED) if e.device}
    not_identified = {d.ip for d in lab.devices if d.expected != "identified"}
    assert seen_unfiled == unfiled | not_identified


def test_recording_search_measures_retention(scanned: tuple[Lab, dict[str, Any], Path]) -> None:
    """799号令 第十七条 on site: footage read from GetRecordingSummary; 12 days against 30 declared is flagged."""
    lab, report, path = scanned
    got = {d["address"]: d for d in report["devices"]}
    offering = [d for d in lab.devices if d.recording_days is not None]
    assert sorted(d.recording_days for d in offering) == [12.0, 30.0, 45.0]
    for dev in lab.devices:
        rec = got[dev.ip]["recording"]
        if dev.recording_days is None:
            assert rec is None, dev.id
        else:
            assert rec is not None and abs(rec["days"] - dev.recording_days) < 0.01, dev.id
    assert report["options"]["recording"] is True
    result = reconcile([], load_report(path).devices, declared_retention_days=30)
    flagged = {r.address: r.problems for r in result.retention if r.flagged}
    short = next(d for d in offering if d.recording_days == 12.0)
    assert flagged == {short.ip: ["below_minimum", "below_declared"]}
    measured = {r.address for r in result.retention if r.days_held is not None}
    assert measured == {d.ip for d in offering}
