"""Bring a simulated fleet up and down; `Lab` is the handle tests and benchmarks hold.

`up` writes the state file before it creates anything (write-ahead), so `down` can always
remove exactly what was made, even after a crash of `up` or of a fleet process.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import discovery
from discovery.lab import topology
from discovery.lab.events import WRITE_ATTEMPT, read_events, write_json_atomic
from discovery.lab.model import MULTICAST_GROUP, WSD_PORT, DeviceSpec, FleetSpec
from discovery.lab.netns import NetnsError, del_netns, in_netns, netns_exec, netns_pids, netns_unavailable_reason

STATE_DIR_ENV = "CAMREG_LAB_STATE_DIR"
READY_TIMEOUT_S = 60.0
_CHILDREN: dict[int, subprocess.Popen[bytes]] = {}  # fleet processes this Python process started


class LabError(RuntimeError):
    """The lab cannot be brought up or found; the message says what to do."""


def default_state_dir() -> Path:
    """$CAMREG_LAB_STATE_DIR, else /run/camreg-lab for root, else a per-user runtime directory."""
    if os.environ.get(STATE_DIR_ENV):
        return Path(os.environ[STATE_DIR_ENV])
    if os.geteuid() == 0:
        return Path("/run/camreg-lab")
    base = os.environ.get("XDG_RUNTIME_DIR") or f"/tmp/camreg-lab-{os.getuid()}"
    return Path(base) / "camreg-lab"


@dataclass
class Lab:
    """A running lab: its ground truth and how to reach it."""

    name: str
    state_dir: Path
    state: dict[str, Any]
    _spec: FleetSpec | None = field(default=None, repr=False)

    @classmethod
    def load(cls, name: str, state_dir: Path | None = None) -> Lab:
        """The running lab called `name` (LabError if it is not up)."""
        sd = state_dir or default_state_dir()
        path = sd / f"{name}.json"
        if not path.exists():
            raise LabError(f"no lab {name!r} is up (no state file {path}); start one with `camreg lab up`")
        return cls(name, sd, json.loads(path.read_text(encoding="utf-8")))

    @property
    def spec(self) -> FleetSpec:
        """Ground truth, with the ports the devices actually bound."""
        if self._spec is None:
            self._spec = FleetSpec.from_dict(self.state["spec"])
        return self._spec

    @property
    def devices(self) -> list[DeviceSpec]:
        """Every simulated device."""
        return self.spec.devices

    @property
    def mode(self) -> str:
        """Either "netns" or "loopback"."""
        return str(self.state["mode"])

    @property
    def laptop_netns(self) -> str | None:
        """Namespace the scanner must run in (None in loopback mode)."""
        return self.state["laptop"]["netns"]

    @property
    def scanner_ip(self) -> str:
        """The scanner's own address inside the lab."""
        return str(self.state["laptop"]["ip"])

    @property
    def multicast_target(self) -> tuple[str, int]:
        """Where to send a multicast Probe: the real group, or the loopback stand-in for it."""
        host, port = self.state["multicast"]
        return str(host), int(port)

    @property
    def cidrs(self) -> list[str]:
        """The lab's subnets, first the flat one, then the routed one."""
        return list(self.state["cidrs"])

    def laptop_command(self, argv: Sequence[str]) -> list[str]:
        """`argv` wrapped to run inside the laptop namespace (unchanged in loopback mode)."""
        return netns_exec(self.laptop_netns, argv) if self.laptop_netns else list(argv)

    def run_in_laptop(self, argv: Sequence[str], **kwargs: Any) -> subprocess.CompletedProcess[Any]:
        """subprocess.run of `argv` inside the laptop namespace; kwargs go to subprocess.run."""
        kwargs.setdefault("check", False)
        return subprocess.run(self.laptop_command(argv), **kwargs)

    def in_laptop(self) -> AbstractContextManager[None]:
        """Context manager moving the calling thread into the laptop namespace (see `in_netns`)."""
        if self.laptop_netns is None:
            from contextlib import nullcontext

            return nullcontext()
        return in_netns(self.laptop_netns)

    def events(self, kind: str | None = None, device: str | None = None) -> list[dict[str, Any]]:
        """Events the devices logged (kinds in `discovery.lab.events`), oldest first."""
        return read_events([Path(p) for p in self.state["events"]], kind, device)

    def write_attempts(self) -> list[dict[str, Any]]:
        """Every non-Get operation any device received: a read-only scan leaves this empty."""
        return self.events(WRITE_ATTEMPT)

    def check(self) -> None:
        """Raise LabError (with the process log) if a fleet process of this lab has died."""
        for proc in self.state["processes"]:
            if not _is_ours(proc["pid"], proc["marker"]):
                log = Path(proc["marker"].replace("/spec-", "/log-").removesuffix(".json") + ".log")
                tail = log.read_text(errors="replace")[-2000:] if log.exists() else "(no log)"
                raise LabError(f"fleet process {proc['pid']} of lab {self.name!r} is gone:\n{tail}")

    def truth(self) -> dict[str, Any]:
        """Everything a scanner test compares against, JSON-ready."""
        return {
            "name": self.name,
            "mode": self.mode,
            "laptop": self.state["laptop"],
            "multicast": self.state["multicast"],
            "cidrs": self.cidrs,
            **self.spec.to_dict(),
        }

    def down(self) -> list[str]:
        """Remove this lab (same as `down(name)`)."""
        return down(self.name, state_dir=self.state_dir)


def _save(path: Path, state: dict[str, Any]) -> None:
    write_json_atomic(path, state)


def _launch(
    sub: FleetSpec, tag: str, ns: str | None, multicast: str, workdir: Path
) -> tuple[subprocess.Popen[bytes], dict[str, Path]]:
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
    _CHILDREN[proc.pid] = proc
    return proc, files


def _wait_ready(proc: subprocess.Popen[bytes], files: dict[str, Path], timeout: float) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if files["ready"].exists():
            return dict(json.loads(files["ready"].read_text(encoding="utf-8")))
        if proc.poll() is not None:
            tail = files["log"].read_text(errors="replace")[-2000:]
            raise LabError(f"fleet process exited with {proc.returncode} before it was ready:\n{tail}")
        time.sleep(0.05)
    raise LabError(f"fleet process not ready after {timeout:.0f} s; see {files['log']}")


def up(spec: FleetSpec, *, state_dir: Path | None = None, timeout: float = READY_TIMEOUT_S) -> Lab:
    """Start `spec` (in namespaces, or on loopback if `spec.loopback`) and return its handle."""
    sd = state_dir or default_state_dir()
    sd.mkdir(parents=True, exist_ok=True)
    path = sd / f"{spec.name}.json"
    if path.exists():
        raise LabError(f"lab {spec.name!r} is already up ({path}); run `camreg lab down --name {spec.name}` first")
    if not spec.loopback and (reason := netns_unavailable_reason()):
        raise LabError(f"{reason}; or build the fleet with loopback=True (`camreg lab up --loopback`)")
    workdir = sd / spec.name
    spec = FleetSpec.from_dict(spec.to_dict())  # our own copy: ports get filled in below
    state: dict[str, Any] = {
        "version": 1,
        "name": spec.name,
        "mode": "loopback" if spec.loopback else "netns",
        "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "complete": False,
        "workdir": str(workdir),
        "namespaces": [],
        "processes": [],
        "events": [],
    }
    _save(path, state)
    try:
        workdir.mkdir(exist_ok=True)
        if spec.loopback:
            groups: list[tuple[str, str | None, list[DeviceSpec], str]] = [("all", None, spec.devices, "emulated")]
            state["laptop"] = {"netns": None, "ip": spec.laptop_ip}
            state["cidrs"] = [topology.LOOPBACK_CIDRS[s] for s in range(1, spec.subnets + 1)]
        else:
            names = topology.namespace_names(spec.name, spec.subnets)

            def record(ns: str) -> None:
                state["namespaces"].append(ns)
                _save(path, state)

            topology.build(spec, names, record)
            groups = [
                (f"cams{s}", names[f"cams{s}"], [d for d in spec.devices if d.subnet == s], "group")
                for s in range(1, spec.subnets + 1)
            ]
            state["laptop"] = {"netns": names["laptop"], "ip": spec.laptop_ip}
            state["multicast"] = [MULTICAST_GROUP, WSD_PORT]
            state["cidrs"] = [topology.CIDRS[s] for s in range(1, spec.subnets + 1)]
        launched = []
        for tag, ns, devs, multicast in groups:
            if not devs:
                continue
            proc, files = _launch(replace(spec, devices=devs), tag, ns, multicast, workdir)
            state["processes"].append({"pid": proc.pid, "netns": ns, "marker": str(files["spec"])})
            state["events"].append(str(files["events"]))
            _save(path, state)
            launched.append((proc, files))
        by_id = {d.id: d for d in spec.devices}
        for proc, files in launched:
            ready = _wait_ready(proc, files, timeout)
            for dev_id, ports in ready["devices"].items():
                for key, value in ports.items():
                    setattr(by_id[dev_id], key, value)
            if ready.get("emulated_group"):
                state["multicast"] = ready["emulated_group"]
        state["spec"] = spec.to_dict()
        state["complete"] = True
        _save(path, state)
    except BaseException as exc:
        down(spec.name, state_dir=sd)
        if isinstance(exc, NetnsError):
            raise LabError(f"could not build the lab network (nothing is left behind): {exc}") from exc
        raise
    return Lab(spec.name, sd, state)


def _pid_alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return False


def _is_ours(pid: int, marker: str) -> bool:
    """The pid still runs our fleet (and not some process that reused the number)."""
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as fh:
            return marker.encode() in fh.read()
    except OSError:
        return False


def _stop(pid: int, grace_s: float = 5.0) -> None:
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            break
        deadline = time.monotonic() + grace_s
        while _pid_alive(pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        if not _pid_alive(pid):
            break
    child = _CHILDREN.pop(pid, None)
    if child is not None:
        child.wait()


def down(name: str, *, state_dir: Path | None = None) -> list[str]:
    """Remove lab `name`: its processes, namespaces and files. Idempotent; returns what it removed."""
    sd = state_dir or default_state_dir()
    path = sd / f"{name}.json"
    if not path.exists():
        return []
    state = json.loads(path.read_text(encoding="utf-8"))
    removed = []
    for proc in state.get("processes", []):
        if _is_ours(proc["pid"], proc["marker"]):
            _stop(proc["pid"])
            removed.append(f"process {proc['pid']}")
        elif (child := _CHILDREN.pop(proc["pid"], None)) is not None:
            child.poll()  # it died on its own (a crash): reap it
    for ns in reversed(state.get("namespaces", [])):
        for pid in netns_pids(ns):  # anything left inside a namespace we made (e.g. a scanner)
            _stop(pid, grace_s=1.0)
        if del_netns(ns):
            removed.append(f"netns {ns}")
    workdir = Path(state.get("workdir", sd / name))
    if workdir.exists():
        shutil.rmtree(workdir)
        removed.append(f"dir {workdir}")
    path.unlink(missing_ok=True)
    removed.append(f"state {path}")
    return removed


def running_labs(state_dir: Path | None = None) -> Iterator[str]:
    """Names of labs whose state files exist."""
    sd = state_dir or default_state_dir()
    if sd.exists():
        yield from sorted(p.stem for p in sd.glob("*.json"))
