"""Scans stored against a filing: reconciled with its cameras, compared with the previous scan."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from discovery.models import Device, FoundBy, Status
from discovery.report import build_report
from registry.cli import app as cli
from registry.operators.models import Operator
from registry.settings import Settings
from tests.registry.conftest import Person
from tests.registry.test_filing_workflow import Desk


def _report(devices: list[Device], when: dt.datetime) -> bytes:
    report = build_report(devices=devices, started=when, seconds=3.0, networks=["198.18.1.0/24"],
                          interfaces=[], methods=["multicast"], options={}, notes=[])
    return json.dumps(report, ensure_ascii=False).encode()


def _device(address: str, serial: str, mac: str, **changes: Any) -> Device:
    fields: dict[str, Any] = {"address": address, "serial": serial, "macs": [mac], "manufacturer": "海康威视",
                              "model": "DS-2CD2T47", "found_by": [FoundBy.MULTICAST], "status": Status.OK}
    fields.update(changes)
    return Device(**fields)


@pytest.fixture
def filed(client: TestClient, make_operator: Callable[..., Operator],
          make_person: Callable[..., Person]) -> tuple[Desk, dict]:  # type: ignore[type-arg]
    desk = Desk(client, make_operator(), make_person)
    fid = desk.submit_complete()
    number = desk.call(desk.wang, "POST", f"/filings/{fid}/accept")["body"]["number"]
    desk.file(fid)
    return desk, {"id": fid, "number": number}


def test_upload_reconciles_and_diffs_with_the_previous_scan(filed: tuple[Desk, dict]) -> None:  # type: ignore[type-arg]
    desk, filing = filed
    first = [_device("192.0.2.1", "SN00001", "00:11:22:33:44:01"),                       # matched
             _device("192.0.2.50", "SN00002", "00:11:22:33:44:02", firmware="V5.7"),     # changed: IP moved
             _device("192.0.2.77", "NEW001", "00:11:22:33:44:77")]                       # unfiled
    up = desk.client.post(f"/api/v1/filings/{filing['id']}/scans", headers=desk.wang.headers,
                          files={"file": ("scan.json", _report(first, dt.datetime(2026, 6, 1, tzinfo=dt.UTC)))})
    assert up.status_code == 201, up.text
    body = up.json()
    assert body["counts"]["matched"] == 1 and body["counts"]["changed"] == 1 and body["counts"]["unfiled"] == 1
    assert body["changes_since_previous"] is None
    rec = desk.client.get(f"/api/v1/scans/{body['id']}/reconciliation", headers=desk.wang.headers).json()
    changed = next(e for e in rec["entries"] if e["outcome"] == "changed")
    assert {d["attribute"] for d in changed["differences"]} >= {"ip"}
    html = desk.client.get(f"/api/v1/scans/{body['id']}/reconciliation.html", headers=desk.wang.headers)
    assert html.status_code == 200 and filing["number"] in html.text
    csv = desk.client.get(f"/api/v1/scans/{body['id']}/reconciliation.csv", headers=desk.wang.headers)
    assert csv.status_code == 200 and "192.0.2.77" in csv.text

    second = [first[0], first[1]]  # the unfiled camera is gone half a year later
    again = desk.client.post(f"/api/v1/filings/{filing['id']}/scans", headers=desk.wang.headers,
                             files={"file": ("scan2.json", _report(second, dt.datetime(2026, 11, 1, tzinfo=dt.UTC)))})
    assert again.status_code == 201
    changes = again.json()["changes_since_previous"]
    assert len(changes["gone"]) == 1 and changes["gone"][0]["address"] == "192.0.2.77"
    assert again.json()["previous_scan_id"] == body["id"]
    listed = desk.client.get(f"/api/v1/filings/{filing['id']}/scans", headers=desk.wang.headers).json()
    assert [s["id"] for s in listed] == [again.json()["id"], body["id"]]


def test_a_hand_edited_report_is_refused(filed: tuple[Desk, dict]) -> None:  # type: ignore[type-arg]
    desk, filing = filed
    report = json.loads(_report([_device("192.0.2.1", "SN00001", "00:11:22:33:44:01")],
                                dt.datetime(2026, 6, 1, tzinfo=dt.UTC)))
    report["devices"][0]["serial"] = "FORGED"
    response = desk.client.post(f"/api/v1/filings/{filing['id']}/scans", headers=desk.wang.headers,
                                files={"file": ("scan.json", json.dumps(report).encode())})
    assert response.status_code == 422 and response.json()["error"]["field"] == "file"
    assert "checksum" in response.json()["error"]["message"]


def test_reconcile_cli(filed: tuple[Desk, dict], settings: Settings, tmp_path: Path,  # type: ignore[type-arg]
                       monkeypatch: pytest.MonkeyPatch) -> None:
    _, filing = filed
    monkeypatch.setenv("CAMREG_DATA_DIR", str(settings.data_dir))
    if settings.database_url:
        monkeypatch.setenv("CAMREG_DATABASE_URL", settings.database_url)
    path = tmp_path / "scan.json"
    path.write_bytes(_report([_device("192.0.2.1", "SN00001", "00:11:22:33:44:01")],
                             dt.datetime(2026, 6, 1, tzinfo=dt.UTC)))
    result = CliRunner().invoke(cli, ["reconcile", filing["number"], str(path), "--json",
                                      "--html", str(tmp_path / "r.html"), "--csv", str(tmp_path / "r.csv")])
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert out["counts"]["matched"] == 1 and out["counts"]["missing"] == 1
    assert (tmp_path / "r.html").read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    missing = CliRunner().invoke(cli, ["reconcile", "1019999000001", str(path), "--json"])
    assert missing.exit_code == 1 and json.loads(missing.stdout)["error"]["field"] == "filing_number"
