"""`camreg lab up/down/status` through Typer's runner, in loopback mode (no root needed)."""

from __future__ import annotations

import json
import os
from pathlib import Path

from typer.testing import CliRunner

from discovery.lab_cli import lab_app

runner = CliRunner()


def test_up_status_down_round_trip(tmp_path: Path) -> None:
    name = f"cli{os.getpid() % 10000}"
    sd = ["--state-dir", str(tmp_path)]
    res = runner.invoke(
        lab_app,
        [
            "up",
            "--cameras",
            "7",
            "--subnets",
            "2",
            "--hostile-mode",
            "http:refuse",
            "--hostile-mode",
            "wsd:slow",
            "--loopback",
            "--name",
            name,
            "--json",
            *sd,
        ],
    )
    try:
        assert res.exit_code == 0, res.output
        truth = json.loads(res.stdout)
        assert truth["mode"] == "loopback" and len(truth["devices"]) == 7
        assert all(d["http_port"] > 0 and d["wsd_port"] > 0 for d in truth["devices"])
        assert sum(d["subnet"] == 2 for d in truth["devices"]) == 1
        modes = [f"{k}:{d['hostile_' + k]}" for d in truth["devices"] for k in ("http", "wsd") if d["hostile_" + k]]
        assert sorted(modes) == ["http:refuse", "wsd:slow"]
        status = runner.invoke(lab_app, ["status", "--json", *sd])
        assert json.loads(status.stdout) == [{"name": name, "mode": "loopback", "complete": True, "devices": 7}]
    finally:
        down = runner.invoke(lab_app, ["down", "--name", name, "--json", *sd])
    assert down.exit_code == 0
    assert any(r.startswith("process ") for r in json.loads(down.stdout)["removed"])
    again = runner.invoke(lab_app, ["down", "--name", name, *sd])
    assert "nothing to remove" in again.stdout
    assert not any(tmp_path.iterdir())


def test_table_output_and_bad_vendor(tmp_path: Path) -> None:
    name = f"tab{os.getpid() % 10000}"
    sd = ["--state-dir", str(tmp_path)]
    res = runner.invoke(lab_app, ["up", "--cameras", "3", "--loopback", "--name", name, "--quirk", "garbled_mac", *sd],
                        env={"COLUMNS": "250"})
    try:
        assert res.exit_code == 0, res.output
        assert "cam-001" in res.stdout and "site credentials" in res.stdout and "garbled_mac" in res.stdout
        assert f"camreg lab down --name {name}" in res.stdout
    finally:
        runner.invoke(lab_app, ["down", "--name", name, *sd])
    bad = runner.invoke(lab_app, ["up", "--vendors", "hikvision,sony", "--loopback", *sd])
    assert bad.exit_code != 0
    assert "sony" in bad.output
    bad_mode = runner.invoke(lab_app, ["up", "--hostile-mode", "http:nonsense", "--loopback", *sd])
    assert bad_mode.exit_code == 2 and "hostile:" in bad_mode.output
    bad_quirk = runner.invoke(lab_app, ["up", "--quirk", "nonsense", "--loopback", *sd])
    assert bad_quirk.exit_code == 2 and "quirks: unknown 'nonsense'" in bad_quirk.output
