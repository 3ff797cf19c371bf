"""Bring a simulated fleet up and down; `Lab` is the handle tests and benchmarks hold.

`up` writes the state file before it creates anything (write-ahead), so `down` can always
remove exactly what was made, even after a crash of `up` or of a fleet process.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import subprocess
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from discovery.lab import procs, topology
from discovery.lab.errors import LabError
from discovery.lab.events import WRITE_ATTEMPT, read_events, write_json_atomic
from discovery.lab.model import MULTICAST_GROUP, WSD_PORT, DeviceSpec, FleetSpec
from discovery.lab.netns import (
    NetnsError,
    del_netns,
    in_netns,
    list_netns,
    netns_exec,
    netns_pids,
    netns_unavailable_reason,
)

STATE_DIR_ENV = "CAMREG_LAB_STATE_DIR"
READY_TIMEOUT_S = 60.0
__all__ = ["Lab", "LabError", "default_state_dir", "down", "running_labs", "up"]


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
            if not procs.is_ours(proc["pid"], proc["marker"]):
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


def _claim(path: Path, name: str) -> None:
    """Create the state file exclusively, so two concurrent `up`s of one name cannot both proceed."""
    try:
        os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644))
    except FileExistsError:
        raise LabError(f"lab {name!r} is already up ({path}); run `camreg lab down --name {name}` first") from None


def _groups(spec: FleetSpec, state: dict[str, Any], path: Path) -> list[tuple[str, str | None, list[DeviceSpec], str]]:
    """Build the network (netns mode) and say which fleet process serves which devices."""
    if spec.loopback:
        state["laptop"] = {"netns": None, "ip": spec.laptop_ip}
        state["cidrs"] = [topology.LOOPBACK_CIDRS[s] for s in range(1, spec.subnets + 1)]
        return [("all", None, spec.devices, "emulated")]
    names = topology.namespace_names(spec.name, spec.subnets)
    taken = sorted(set(names.values()) & list_netns())
    if taken:  # never adopt (and later delete) a namespace some other lab made
        raise LabError(
            f"namespace {taken[0]} already exists (lab {spec.name!r} is up with another state dir, or was "
            f"orphaned); use another --name, or remove it with `camreg lab down --name {spec.name} --force`"
        )

    def record(ns: str) -> None:
        state["namespaces"].append(ns)
        _save(path, state)

    topology.build(spec, names, record)
    state["laptop"] = {"netns": names["laptop"], "ip": spec.laptop_ip}
    state["multicast"] = [MULTICAST_GROUP, WSD_PORT]
    state["cidrs"] = [topology.CIDRS[s] for s in range(1, spec.subnets + 1)]
    return [
        (f"cams{s}", names[f"cams{s}"], [d for d in spec.devices if d.subnet == s], "group")
        for s in range(1, spec.subnets + 1)
    ]


def up(spec: FleetSpec, *, state_dir: Path | None = None, timeout: float = READY_TIMEOUT_S) -> Lab:
    """Start `spec` (in namespaces, or on loopback if `spec.loopback`) and return its handle."""
    sd = state_dir or default_state_dir()
    sd.mkdir(parents=True, exist_ok=True)
    if not spec.loopback and (reason := netns_unavailable_reason()):
        raise LabError(f"{reason}; or build the fleet with loopback=True (`camreg lab up --loopback`)")
    path = sd / f"{spec.name}.json"
    _claim(path, spec.name)
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
    try:
        _save(path, state)
        workdir.mkdir(exist_ok=True)
        launched = []
        for tag, ns, devs, multicast in _groups(spec, state, path):
            if not devs:
                continue
            proc, files = procs.launch(replace(spec, devices=devs), tag, ns, multicast, workdir)
            state["processes"].append({"pid": proc.pid, "netns": ns, "marker": str(files["spec"])})
            state["events"].append(str(files["events"]))
            _save(path, state)
            launched.append((proc, files))
        by_id = {d.id: d for d in spec.devices}
        for proc, files in launched:
            ready = procs.wait_ready(proc, files, timeout)
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


def _remove_namespace(ns: str) -> bool:
    for pid in netns_pids(ns):  # anything left inside a namespace we made (e.g. a scanner)
        procs.stop(pid, grace_s=1.0)
    return del_netns(ns)


def down(name: str, *, state_dir: Path | None = None, force: bool = False) -> list[str]:
    """Remove lab `name`: its processes, namespaces and files. Idempotent; returns what it removed.

    `force` also removes namespaces named `camreg-lab-<name>-*` that no state file lists (a lab
    orphaned when its state directory was deleted), with whatever runs inside them.
    """
    sd = state_dir or default_state_dir()
    path = sd / f"{name}.json"
    removed = []
    if path.exists():
        state = json.loads(path.read_text(encoding="utf-8") or "{}")
        for proc in state.get("processes", []):
            if procs.is_ours(proc["pid"], proc["marker"]):
                procs.stop(proc["pid"])
                removed.append(f"process {proc['pid']}")
            elif (child := procs.CHILDREN.pop(proc["pid"], None)) is not None:
                child.poll()  # it died on its own (a crash): reap it
        for ns in reversed(state.get("namespaces", [])):
            if _remove_namespace(ns):
                removed.append(f"netns {ns}")
        workdir = Path(state.get("workdir", sd / name))
        if workdir.exists():
            shutil.rmtree(workdir)
            removed.append(f"dir {workdir}")
        path.unlink(missing_ok=True)
        removed.append(f"state {path}")
    if force and netns_unavailable_reason() is None:
        for ns in sorted(ns for ns in list_netns() if ns.startswith(f"camreg-lab-{name}-")):
            if _remove_namespace(ns):
                removed.append(f"netns {ns} (orphan)")
    return removed


def running_labs(state_dir: Path | None = None) -> Iterator[str]:
    """Names of labs whose state files exist."""
    sd = state_dir or default_state_dir()
    if sd.exists():
        yield from sorted(p.stem for p in sd.glob("*.json"))
