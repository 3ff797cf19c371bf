"""Fleet processes: launch one per camera namespace, wait until it serves, stop it by pid."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import discovery
from discovery.lab.errors import LabError
from discovery.lab.model import FleetSpec
from discovery.lab.netns import netns_exec

CHILDREN: dict[int, subprocess.Popen[bytes]] = {}  # fleet processes this Python process started


def launch(
    sub: FleetSpec, tag: str, ns: str | None, multicast: str, workdir: Path
) -> tuple[subprocess.Popen[bytes], dict[str, Path]]:
    """Start the fleet process serving `sub` (inside namespace `ns` if given); log to its work files."""
    kinds = (("spec", "json"), ("ready", "json"), ("events", "jsonl"), ("log", "log"))
    files = {k: workdir / f"{k}-{tag}.{ext}" for k, ext in kinds}
    files["spec"].write_text(json.dumps(sub.to_dict(), ensure_ascii=False), encoding="utf-8")
    argv = [sys.executable, "-m", "discovery.lab.fleet", "--spec", str(files["spec"]), "--ready", str(files["ready"])]
    argv += ["--events", str(files["events"]), "--multicast", multicast]
    env = dict(os.environ)
    root = str(Path(discovery.__file__).resolve().parent.parent)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH")) if p)
    with files["log"].open("wb") as log:
        proc = subprocess.Popen(
            netns_exec(ns, argv) if ns else argv,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # survives the `camreg lab up` that started it
            env=env,
        )
    CHILDREN[proc.pid] = proc
    return proc, files


def wait_ready(proc: subprocess.Popen[bytes], files: dict[str, Path], timeout: float) -> dict[str, Any]:
    """The ready report of a fleet process; LabError with its log if it dies or takes too long."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if files["ready"].exists():
            return dict(json.loads(files["ready"].read_text(encoding="utf-8")))
        if proc.poll() is not None:
            tail = files["log"].read_text(errors="replace")[-2000:]
            raise LabError(f"fleet process exited with {proc.returncode} before it was ready:\n{tail}")
        time.sleep(0.05)
    raise LabError(f"fleet process not ready after {timeout:.0f} s; see {files['log']}")


def pid_alive(pid: int) -> bool:
    """True while `pid` runs (a zombie counts as dead)."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return False


def is_ours(pid: int, marker: str) -> bool:
    """The pid still runs our fleet (and not some process that reused the number)."""
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as fh:
            return marker.encode() in fh.read()
    except OSError:
        return False


def stop(pid: int, grace_s: float = 5.0) -> None:
    """SIGTERM, then SIGKILL after `grace_s`; reap it if we are its parent."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            break
        deadline = time.monotonic() + grace_s
        while pid_alive(pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        if not pid_alive(pid):
            break
    child = CHILDREN.pop(pid, None)
    if child is not None:
        child.wait()
