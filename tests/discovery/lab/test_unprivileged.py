"""Loopback mode needs no privileges: run a whole lab with every capability dropped."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.conftest import skip_or_fail

SCRIPT = textwrap.dedent(
    """
    import json, socket, sys
    from pathlib import Path
    import httpx
    from discovery.lab import build_fleet, netns_available, running_lab
    from discovery.lab.probe import probe_message

    try:  # prove the privileges are really gone
        socket.socket().bind(("127.77.9.9", 80))
        privileged = True
    except PermissionError:
        privileged = False
    out = {"privileged": privileged, "netns": netns_available()}
    spec = build_fleet(6, loopback=True, seed=3, name=sys.argv[2], discovery_off=0, hostile=0)
    with running_lab(spec, state_dir=Path(sys.argv[1])) as lab:
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.bind(("127.0.0.1", 0))
        s.settimeout(1.0)
        s.sendto(probe_message(""), lab.multicast_target)
        senders = set()
        try:
            while True:
                senders.add(s.recvfrom(65535)[1][0])
        except TimeoutError:
            pass
        out["answered"] = len(senders)
        out["expected"] = len([d for d in lab.devices if d.multicast_reachable and "empty" in d.probe_shapes])
        dev = lab.devices[0]
        body = ('<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Body>'
                '<GetSystemDateAndTime xmlns="http://www.onvif.org/ver10/device/wsdl"/></s:Body></s:Envelope>')
        out["http"] = httpx.post(dev.device_service_url, content=body, timeout=5).status_code
    print(json.dumps(out))
    """
)


def test_loopback_lab_runs_without_any_capability(tmp_path: Path) -> None:
    if os.geteuid() != 0:
        pytest.skip("already unprivileged: the other loopback tests prove this")
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        skip_or_fail("setpriv (util-linux) is not installed")
    res = subprocess.run(
        [
            setpriv,
            "--bounding-set=-all",
            "--inh-caps=-all",
            sys.executable,
            "-c",
            SCRIPT,
            str(tmp_path),
            f"u{os.getpid()}",
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert res.returncode == 0, res.stderr
    out = json.loads(res.stdout)
    assert out["privileged"] is False and out["netns"] is False
    assert out["answered"] == out["expected"] > 0
    assert out["http"] == 200
    assert not any(tmp_path.iterdir())
