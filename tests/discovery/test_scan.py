"""A whole scan on loopback: multicast + sweep + identity + report, and the `scan` command."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from discovery.allowlist import AllowList
from discovery.cli import scan_command
from discovery.credentials import Credential, CredentialBook
from discovery.identity import IdentifyOptions
from discovery.models import Status
from discovery.report import parse_report
from discovery.scan import ScanConfig, run_scan
from discovery.sweep import SweepOptions
from tests.discovery.fakes import BOMB, CameraSpec, Responder, wsd_responders

SECRET = "lab-Secret-42"
SHARED = "aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def site() -> Iterator[tuple[int, int, dict[str, CameraSpec]]]:
    """Five loopback 'devices' on 127.0.0.17-21: ok, auth, discovery-off, hostile HTTP, hostile WSD."""
    port = _free_port()
    specs = {
        "127.0.0.17": CameraSpec(serial="SN17", mac="02:00:00:00:00:17"),
        "127.0.0.18": CameraSpec(serial="SN18", mac="02:00:00:00:00:18", username="admin", password=SECRET),
        "127.0.0.19": CameraSpec(serial="SN19", mac="02:00:00:00:00:19"),  # WS-Discovery off
        "127.0.0.20": CameraSpec(mode="bomb"),
    }
    xaddr = f"http://0.0.0.0:{port}/onvif/device_service"
    responders = [Responder("127.0.0.17", SHARED, xaddrs=xaddr), Responder("127.0.0.18", SHARED, xaddrs=xaddr),
                  Responder("127.0.0.20", "cccccccc-bbbb-4ccc-8ddd-eeeeeeeeeeee", xaddrs=xaddr),
                  Responder("127.0.0.21", "x", payload=BOMB.encode())]
    with ExitStack() as stack:
        for addr, spec in specs.items():
            stack.enter_context(_bound_camera(spec, addr, port))
        wsd_port = stack.enter_context(wsd_responders(responders))
        yield port, wsd_port, specs


def _bound_camera(spec: CameraSpec, addr: str, port: int):  # type: ignore[no-untyped-def]
    import tests.discovery.fakes as fakes

    handler = type("H", (fakes._Handler,), {"spec": spec})
    server = fakes.ThreadingHTTPServer((addr, port), handler)
    server.daemon_threads = True
    thread = fakes.threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    stack = ExitStack()
    stack.callback(server.server_close)
    stack.callback(server.shutdown)
    return stack


def test_full_scan_on_loopback(site: tuple[int, int, dict[str, CameraSpec]]) -> None:
    port, wsd_port, specs = site
    cfg = ScanConfig(
        cidrs=["127.0.0.0/27"], allow=AllowList.from_env(env={}), interfaces=["lo"],
        credentials=CredentialBook.single(["127.0.0.0/27"], Credential("admin", SECRET)),
        identify_options=IdentifyOptions(request_timeout_s=2), wsd_port=wsd_port,
        sweep_options=SweepOptions(ports=[port, 554], host_timeout_s=0.5))
    phases: set[str] = set()
    report = run_scan(cfg, lambda phase, done, total: phases.add(phase))
    parse_report(report)  # schema + checksum hold
    assert phases == {"discover", "sweep", "identify"}
    devs = {(d["address"], d["endpoint_uuid"]): d for d in report["devices"]}
    assert set(devs) == {("127.0.0.17", SHARED), ("127.0.0.18", SHARED), ("127.0.0.19", ""),
                         ("127.0.0.20", "cccccccc-bbbb-4ccc-8ddd-eeeeeeeeeeee"), ("127.0.0.21", "")}
    ok17, ok18, off19 = devs["127.0.0.17", SHARED], devs["127.0.0.18", SHARED], devs["127.0.0.19", ""]
    for dev, addr in ((ok17, "127.0.0.17"), (ok18, "127.0.0.18"), (off19, "127.0.0.19")):
        assert dev["status"] == "ok", dev["error"]
        assert dev["serial"] == specs[addr].serial and dev["macs"] == [specs[addr].mac]
    assert ok17["found_by"] == ["multicast", "unicast", "sweep"]
    assert ok17["xaddrs"][0] == f"http://127.0.0.17:{port}/onvif/device_service"
    assert ok18["authenticated"]
    assert off19["found_by"] == ["sweep"]
    assert devs["127.0.0.20", "cccccccc-bbbb-4ccc-8ddd-eeeeeeeeeeee"]["status"] == "hostile_reply"
    assert devs["127.0.0.21", ""]["status"] == "hostile_reply"
    assert report["methods"] == ["multicast", "unicast", "sweep"]
    assert report["interfaces"] == [{"name": "lo", "address": "127.0.0.1"}]
    assert SECRET not in json.dumps(report) and "admin" not in json.dumps(report)
    for spec in specs.values():  # the read-only guard held: cameras only ever saw Get* calls
        assert all(op.startswith("Get") for op in spec.requests)


def _cli() -> typer.Typer:
    app = typer.Typer()
    app.command("scan")(scan_command)
    app.command("noop")(lambda: None)  # two commands, so `scan` is addressed by name as under camreg
    return app


def test_cli_scan_writes_report_and_table(site: tuple[int, int, dict[str, CameraSpec]], tmp_path: Path) -> None:
    port, _, _ = site
    creds = tmp_path / "creds.toml"
    creds.write_text(f'[[network]]\ncidr = "127.0.0.16/28"\ncredentials = [{{ username = "admin", '
                     f'password = "{SECRET}" }}]\n')
    out = tmp_path / "scan.json"
    result = CliRunner().invoke(_cli(), ["scan", "--cidr", "127.0.0.16/28", "--method", "sweep", "--ports",
                                         str(port), "--credentials", str(creds), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "127.0.0.19" in result.output and "hostile_reply" in result.output
    report = json.loads(out.read_text())
    parse_report(report)
    assert {d["address"]: d["status"] for d in report["devices"]} == {
        "127.0.0.17": "ok", "127.0.0.18": "ok", "127.0.0.19": "ok", "127.0.0.20": "hostile_reply"}
    assert SECRET not in out.read_text() and SECRET not in result.output


def test_cli_json_output(site: tuple[int, int, dict[str, CameraSpec]]) -> None:
    port, _, _ = site
    result = CliRunner().invoke(_cli(), ["scan", "--cidr", "127.0.0.19/32", "--method", "sweep", "--ports",
                                         str(port), "--json", "--no-prompt"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert [d["status"] for d in report["devices"]] == [Status.OK.value]


def test_cli_refuses_networks_outside_the_allow_list(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CAMREG_SCAN_ALLOWED_NETWORKS", raising=False)
    result = CliRunner().invoke(_cli(), ["scan", "--cidr", "192.168.1.0/24", "--no-prompt"])
    assert result.exit_code == 2
    assert "not inside the allowed networks" in result.output and "--allow 192.168.1.0/24" in result.output
    result = CliRunner().invoke(_cli(), ["scan", "--cidr", "127.0.0.0/8", "--no-prompt"])
    assert result.exit_code == 2 and "larger than the limit" in result.output


def test_interface_outside_the_scanned_networks_is_refused() -> None:
    cfg = ScanConfig(cidrs=["127.0.0.16/28"], allow=AllowList.from_env(env={}), interfaces=["lo"])
    with pytest.raises(ValueError, match="not inside the scanned networks"):
        run_scan(cfg)


def test_cli_without_credentials_file_and_without_a_tty_does_not_prompt(
        site: tuple[int, int, dict[str, CameraSpec]]) -> None:
    port, _, _ = site
    result = CliRunner().invoke(_cli(), ["scan", "--cidr", "127.0.0.18/32", "--method", "sweep", "--ports", str(port),
                                         "--json"])
    assert result.exit_code == 0, result.output
    [dev] = json.loads(result.stdout)["devices"]
    assert dev["status"] == "auth_failed" and "no credentials" in dev["error"]


def test_interfaces_chosen_inside_the_scanned_networks_only() -> None:
    from discovery.allowlist import Scope
    from discovery.scan import choose_interfaces

    inside = Scope(AllowList.from_env(env={}).check(["127.0.0.0/24"]))
    assert [i.name for i in choose_interfaces([], inside)] == ["lo"]
    assert choose_interfaces([], Scope(AllowList.from_env(env={}).check(["127.0.1.0/24"]))) == []
    with pytest.raises(ValueError, match="no such interface"):
        choose_interfaces(["no-such-if0"], inside)
