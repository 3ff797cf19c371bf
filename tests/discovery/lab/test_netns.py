"""The namespace lab: topology, multicast boundary, clean removal even after a crash."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

from discovery.lab import Lab, LabError, build_fleet, down, procs, require_netns, running_lab, up
from discovery.lab.netns import ip, list_netns
from tests.discovery.lab import clean_fleet

pytestmark = pytest.mark.netns

PROBE_SCRIPT = textwrap.dedent(
    """
    import json, socket, sys
    from discovery.lab.probe import probe_message
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 22)
    s.bind(("0.0.0.0", 0))
    s.settimeout(0.8)
    targets = json.loads(sys.argv[1])
    senders = set()
    for _ in range(2):
        for t in ("dn:NetworkVideoTransmitter", "tds:Device", ""):
            for host, port in targets:
                s.sendto(probe_message(t), (host, port))
        try:
            while True:
                data, addr = s.recvfrom(65535)
                senders.add(addr[0])
        except TimeoutError:
            pass
    print(json.dumps(sorted(senders)))
    """
)


def probe_from_laptop(lab: Lab, targets: list[tuple[str, int]]) -> set[str]:
    """Addresses that answered probes sent from inside the laptop namespace."""
    res = lab.run_in_laptop(
        [sys.executable, "-c", PROBE_SCRIPT, json.dumps(targets)], capture_output=True, text=True, timeout=60
    )
    assert res.returncode == 0, res.stderr
    return set(json.loads(res.stdout))


def root_snapshot() -> tuple[str, str, str]:
    """Links, routes and addresses of the root namespace, which the lab must never touch."""
    return ip("-o", "link"), ip("route"), ip("-o", "addr")


def lab_namespaces(name: str) -> set[str]:
    """Namespaces of lab `name` (other labs may come and go concurrently)."""
    return {ns for ns in list_netns() if ns.startswith(f"camreg-lab-{name}-")}


def test_multicast_stays_on_the_flat_subnet_unicast_is_routed(tmp_path: Path) -> None:
    require_netns()
    spec = build_fleet(16, subnets=2, routed=5, seed=8, name=f"mc{os.getpid() % 10000}", max_delay_ms=100)
    with running_lab(spec, state_dir=tmp_path) as lab:
        assert lab.mode == "netns" and lab.laptop_netns and lab.laptop_netns.startswith(f"camreg-lab-{spec.name}-")
        heard = probe_from_laptop(lab, [lab.multicast_target])
        assert heard == {d.ip for d in lab.devices if d.multicast_reachable}
        routed = [d for d in lab.devices if d.subnet == 2 and d.unicast_probe_answers]
        assert routed
        assert probe_from_laptop(lab, [(d.ip, d.wsd_port) for d in routed]) == {d.ip for d in routed}
        # Nothing can leave: every route stays inside the lab's ranges; the only default route is
        # cams2's, via the lab router, and the router itself has none.
        for ns in lab.state["namespaces"]:
            for route in ip("route", ns=ns).splitlines():
                dest = route.split()[0]
                if dest == "default":
                    assert ns.endswith("-cams2") and "via 198.18.2.1" in route, (ns, route)
                else:
                    assert dest.startswith(("198.18.", "224.0.0.0/4")), (ns, route)
        # A scanner can also run in-process: threads started inside in_laptop() live in the lab.
        dev = next(d for d in lab.devices if d.subnet == 2 and d.hostile_http is None)
        result: list[bytes] = []

        def fetch() -> None:
            with socket.create_connection((dev.ip, dev.http_port), timeout=5) as conn:
                conn.sendall(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                result.append(conn.recv(100))

        with lab.in_laptop():
            worker = threading.Thread(target=fetch)
            worker.start()
        worker.join(10)
        assert result and result[0].startswith(b"HTTP/1.1 200")
        assert lab.write_attempts() == []


def test_down_removes_exactly_what_up_made_even_after_a_crash(tmp_path: Path) -> None:
    require_netns()
    before = root_snapshot()
    spec = build_fleet(10, subnets=2, seed=2, name=f"cr{os.getpid() % 10000}")
    assert lab_namespaces(spec.name) == set()
    lab = up(spec, state_dir=tmp_path)
    try:
        made = lab_namespaces(spec.name)
        assert made == set(lab.state["namespaces"]) and len(made) == 5
        assert root_snapshot() == before  # nothing was created in the root namespace
        pids = [p["pid"] for p in lab.state["processes"]]
        lab.check()
        os.kill(pids[0], signal.SIGKILL)  # the fleet process crashes
        deadline = time.monotonic() + 10
        while True:  # SIGKILL is delivered asynchronously
            try:
                lab.check()
            except LabError as exc:
                assert "is gone" in str(exc)
                break
            assert time.monotonic() < deadline, "check() never noticed the crash"
            time.sleep(0.05)
        with pytest.raises(LabError, match="already up"):
            up(spec, state_dir=tmp_path)
    finally:
        removed = down(spec.name, state_dir=tmp_path)
    assert any(r.startswith("netns ") for r in removed)
    assert lab_namespaces(spec.name) == set()
    assert root_snapshot() == before
    assert not any(tmp_path.iterdir())
    for pid in pids:
        assert not Path(f"/proc/{pid}").exists()
    assert down(spec.name, state_dir=tmp_path) == []  # idempotent


def test_down_cleans_up_after_up_itself_is_killed(tmp_path: Path) -> None:
    """Also covers a fleet with every camera behind the router (the unicast-sweep benchmark's shape)."""
    require_netns()
    name = f"kl{os.getpid() % 10000}"
    code = (
        "import sys, time; from pathlib import Path; from discovery.lab import build_fleet, up;"
        f"up(build_fleet(6, subnets=2, routed=6, seed=1, name={name!r}), state_dir=Path({str(tmp_path)!r}));"
        "time.sleep(60)"
    )
    proc = subprocess.Popen([sys.executable, "-c", code])
    state = tmp_path / f"{name}.json"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and not (state.exists() and json.loads(state.read_text()).get("complete")):
        time.sleep(0.05)
    proc.kill()
    proc.wait()
    assert json.loads(state.read_text())["complete"]
    assert len(lab_namespaces(name)) == 5
    down(name, state_dir=tmp_path)
    assert lab_namespaces(name) == set()
    assert not state.exists()


def test_orphans_are_refused_then_removed_by_force(tmp_path: Path) -> None:
    require_netns()
    spec = build_fleet(4, seed=6, name=f"or{os.getpid() % 10000}")
    lab = up(spec, state_dir=tmp_path / "a")
    pid = lab.state["processes"][0]["pid"]
    shutil.rmtree(tmp_path / "a")  # the state is lost (e.g. pytest removed an old tmp dir)
    with pytest.raises(LabError, match="already exists"):
        up(spec, state_dir=tmp_path / "b")  # must not adopt, and later delete, namespaces it did not make
    assert len(lab_namespaces(spec.name)) == 3
    assert down(spec.name, state_dir=tmp_path / "b") == []
    removed = down(spec.name, state_dir=tmp_path / "b", force=True)
    assert sorted(removed) == sorted(f"netns {ns} (orphan)" for ns in lab.state["namespaces"])
    assert lab_namespaces(spec.name) == set()
    assert not procs.pid_alive(pid)  # the fleet inside was stopped with its namespace


@pytest.mark.slow
def test_250_devices_all_answer_one_multicast_round(tmp_path: Path) -> None:
    require_netns()
    spec = clean_fleet(
        250,
        seed=4,
        name=f"big{os.getpid() % 10000}",
    )
    with running_lab(spec, state_dir=tmp_path) as lab:
        assert len(probe_from_laptop(lab, [lab.multicast_target])) == 250
