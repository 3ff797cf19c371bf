"""Reconciliation rules, scan-to-scan diff, and the HTML/CSV renderings."""

from __future__ import annotations

import csv
import io

from discovery.models import Device, FiledCamera, Status
from discovery.reconcile import Outcome, _keys_of_device, _keys_of_filed, diff_scans, reconcile, score_pair
from discovery.reconcile_render import render_csv, render_html


def filed(code: str, ip: str, mac: str = "", serial: str = "", uuid: str = "", **kw: str) -> FiledCamera:
    return FiledCamera(code=code, name=f"cam {code}", ip=ip, mac=mac, serial=serial, endpoint_uuid=uuid, **kw)


def seen(ip: str, mac: str = "", serial: str = "", uuid: str = "", **kw: str) -> Device:
    return Device(address=ip, macs=[mac] if mac else [], serial=serial, endpoint_uuid=uuid, status=Status.OK, **kw)


def outcome_of(result, code: str) -> Outcome:  # type: ignore[no-untyped-def]
    return next(e.outcome for e in result.entries if e.filed and e.filed.code == code)


def test_journey_matched_changed_missing_unfiled() -> None:
    cams = [filed("A", "198.18.0.10", "44:19:b6:00:00:0a", "SA", firmware="V5.5"),
            filed("B", "198.18.0.11", "44-19-B6-00-00-0B", "SB", firmware="V5.5"),   # IP moved, firmware updated
            filed("C", "198.18.0.12", "44:19:b6:00:00:0c", "SC"),                    # car park: switched off
            filed("D", "198.18.0.13", "44:19:b6:00:00:0d", "SD", "u-d")]             # NIC replaced
    scan = [seen("198.18.0.10", "44:19:b6:00:00:0a", "sa ", firmware="V5.5"),
            seen("198.18.0.40", "44:19:b6:00:00:0b", "SB", firmware="V5.7"),
            seen("198.18.0.13", "02:00:00:00:00:99", "SD", "U-D"),
            seen("198.18.0.50", "44:19:b6:00:00:50", "SNEW")]                         # new lobby camera
    result = reconcile(cams, scan)
    assert result.counts() == {"matched": 1, "changed": 2, "missing": 1, "unfiled": 1, "ambiguous": 0}
    assert outcome_of(result, "A") is Outcome.MATCHED
    b = next(e for e in result.entries if e.filed and e.filed.code == "B")
    assert [(d.attribute, d.filed, d.seen) for d in b.differences] == [
        ("ip", "198.18.0.11", "198.18.0.40"), ("firmware", "V5.5", "V5.7")]
    d = next(e for e in result.entries if e.filed and e.filed.code == "D")
    assert [x.attribute for x in d.differences] == ["mac"] and set(d.matched_on) == {"endpoint_uuid", "serial", "ip"}
    assert outcome_of(result, "C") is Outcome.MISSING
    assert [e.device.address for e in result.by_outcome(Outcome.UNFILED)] == ["198.18.0.50"]


def test_no_single_key_decides_alone() -> None:
    for cam, dev in [(filed("A", "198.18.0.1"), seen("198.18.0.1")),  # same IP, nothing else known
                     (filed("A", "", serial="123456"), seen("198.18.0.9", serial="123456")),
                     (filed("A", "", mac="00:11:22:33:44:55"), seen("198.18.0.9", "00:11:22:33:44:55")),
                     (filed("A", "", uuid="u1"), seen("198.18.0.9", uuid="u1"))]:
        assert reconcile([cam], [dev]).counts()["matched"] == 0
    # Same IP but a different serial and MAC: another camera took the address.
    r = reconcile([filed("A", "198.18.0.1", "00:11:22:33:44:55", "S1")],
                  [seen("198.18.0.1", "00:aa:22:33:44:55", "S2")])
    assert r.counts() == {"matched": 0, "changed": 0, "missing": 1, "unfiled": 1, "ambiguous": 0}


def test_clones_sharing_serial_and_mac_are_ambiguous() -> None:
    cams = [filed("A", "198.18.0.50", "00:12:34:56:78:90", "DEFAULT0001")]
    clones = [seen("198.18.0.51", "00:12:34:56:78:90", "DEFAULT0001"),
              seen("198.18.0.52", "00:12:34:56:78:90", "DEFAULT0001")]
    result = reconcile(cams, clones)
    [entry] = result.by_outcome(Outcome.AMBIGUOUS)
    assert {c.address for c in entry.candidates} == {"198.18.0.51", "198.18.0.52"}
    assert result.by_outcome(Outcome.UNFILED) == []  # both are accounted for by the ambiguous entry
    # Knowing the IP breaks the tie: the clone at the filed address is the filed camera.
    result = reconcile([filed("A", "198.18.0.51", "00:12:34:56:78:90", "DEFAULT0001")], clones)
    assert outcome_of(result, "A") is Outcome.MATCHED
    [other] = result.by_outcome(Outcome.UNFILED)
    assert other.device.address == "198.18.0.52" and "resembles filed camera A" in other.note


def test_device_best_for_two_filed_cameras_is_ambiguous() -> None:
    cams = [filed("A", "", "00:12:34:56:78:90", "S1"), filed("B", "", "00:12:34:56:78:90", "S1")]
    result = reconcile(cams, [seen("198.18.0.5", "00:12:34:56:78:90", "S1")])
    assert result.counts()["ambiguous"] == 2 and result.counts()["unfiled"] == 0


def test_shared_uuid_devices_stay_apart() -> None:
    cams = [filed("A", "198.18.0.5", "02:00:00:00:00:05", "S5", "same"),
            filed("B", "198.18.0.6", "02:00:00:00:00:06", "S6", "same")]
    scan = [seen("198.18.0.6", "02:00:00:00:00:06", "S6", "same"),
            seen("198.18.0.5", "02:00:00:00:00:05", "S5", "same")]
    result = reconcile(cams, scan)
    assert result.counts()["matched"] == 2
    assert {e.filed.code: e.device.address for e in result.entries} == {"A": "198.18.0.5", "B": "198.18.0.6"}


def test_score_pair_weights() -> None:
    s, keys = score_pair(_keys_of_filed(filed("A", "198.18.0.1", "00:11:22:33:44:55", "S", "U")),
                         _keys_of_device(seen("198.18.0.1", "00:11:22:33:44:55", "S", "U")))
    assert s == 140 and set(keys) == {"endpoint_uuid", "serial", "mac", "ip"}


def test_diff_scans() -> None:
    before = [seen("198.18.0.10", "02:00:00:00:00:0a", "SA", "ua", firmware="1"),
              seen("198.18.0.11", "02:00:00:00:00:0b", "SB", "ub"),
              seen("198.18.0.12", "02:00:00:00:00:0c", "SC", "uc")]
    after = [seen("198.18.0.10", "02:00:00:00:00:0a", "SA", "ua", firmware="2"),
             seen("198.18.0.11", "02:00:00:00:00:0b", "SB", "ub"),
             seen("198.18.0.13", "02:00:00:00:00:0d", "SD", "ud")]
    diff = diff_scans(before, after)
    assert diff.unchanged == 1
    assert [(a.address, [x.attribute for x in d]) for a, _, d in diff.changed] == [("198.18.0.10", ["firmware"])]
    assert [d.address for d in diff.gone] == ["198.18.0.12"] and [d.address for d in diff.new] == ["198.18.0.13"]
    assert diff.to_dict()["changed"][0]["differences"][0]["attribute"] == "firmware"


def test_renderings_escape_untrusted_text() -> None:
    cams = [filed("A", "198.18.0.10", "02:00:00:00:00:0a", "SA", firmware="1")]
    scan = [seen("198.18.0.10", "02:00:00:00:00:0a", "SA", firmware="<script>alert(1)</script>"),
            seen("198.18.0.20", "02:00:00:00:00:20", "=HYPERLINK(\"http://x\")", model="大华")]
    result = reconcile(cams, scan)
    html = render_html(result, subtitle="备案号 1012026000123")
    assert "<script>" not in html and "&lt;script&gt;" in html and "有变化" in html and "未备案" in html
    rows = list(csv.DictReader(io.StringIO(render_csv(result))))
    assert [r["outcome"] for r in rows] == ["changed", "unfiled"]
    assert rows[1]["seen_serial"].startswith("'=") and rows[1]["seen_model"] == "大华"
    assert rows[0]["differences"] == "firmware: 1 → <script>alert(1)</script>"
    assert result.to_dict()["entries"][0]["outcome"] == "changed"


def test_reconciliation_round_trips_through_json() -> None:
    import json

    from discovery.reconcile import reconciliation_from_dict

    cams = [filed("A", "198.18.0.50", "00:12:34:56:78:90", "S"), filed("B", "198.18.0.9", serial="X", uuid="u")]
    scan = [seen("198.18.0.51", "00:12:34:56:78:90", "S"), seen("198.18.0.52", "00:12:34:56:78:90", "S"),
            seen("198.18.0.9", serial="X", uuid="u", firmware="2")]
    result = reconcile(cams, scan)
    again = reconciliation_from_dict(json.loads(json.dumps(result.to_dict())))
    assert again.to_dict() == result.to_dict()
    assert render_html(again) == render_html(result)
