"""Thin wrappers over `ip` (iproute2) for the lab's network namespaces, and `in_netns`.

Every link the lab makes is created directly inside its namespaces (`ip -n NS link add ...
peer ... netns OTHER`), so nothing ever appears in the root namespace and deleting the
namespaces removes every interface with them.
"""

from __future__ import annotations

import contextlib
import ctypes
import functools
import os
import shutil
import subprocess
from collections.abc import Iterator, Sequence

CLONE_NEWNET = 0x40000000
NETNS_DIR = "/run/netns"


class NetnsError(RuntimeError):
    """An `ip` command failed; the message carries its stderr."""


def ip_binary() -> str | None:
    """Path of the `ip` tool, if installed."""
    return shutil.which("ip") or next(
        (p for p in ("/usr/sbin/ip", "/sbin/ip", "/usr/bin/ip") if os.access(p, os.X_OK)), None
    )


def ip(*args: str, ns: str | None = None, stdin: str | None = None, check: bool = True) -> str:
    """Run `ip [-n ns] args…` and return stdout; NetnsError on failure when `check`."""
    binary = ip_binary()
    if binary is None:
        raise NetnsError("the `ip` command (iproute2) is not installed")
    argv = [binary, *(["-n", ns] if ns else []), *args]
    res = subprocess.run(argv, input=stdin, capture_output=True, text=True, check=False)
    if check and res.returncode != 0:
        raise NetnsError(f"{' '.join(argv[:12])}: {res.stderr.strip() or res.returncode}")
    return res.stdout


@functools.cache
def netns_unavailable_reason() -> str | None:
    """None when this process can create network namespaces, else a sentence saying why not."""
    if os.name != "posix" or not os.path.exists("/proc/self/ns/net"):
        return "network namespaces need Linux"
    if os.geteuid() != 0:
        return "network namespaces need root (run as root, or use the loopback lab)"
    if ip_binary() is None:
        return "the `ip` command (iproute2) is not installed: apt-get install -y iproute2"
    probe = f"camreg-lab-probe-{os.getpid()}"
    try:
        ip("netns", "add", probe)
    except NetnsError as exc:
        return f"cannot create a network namespace here: {exc}"
    try:
        ip("link", "add", "p0", "type", "veth", "peer", "name", "p1", ns=probe)
    except NetnsError as exc:
        return f"cannot create veth pairs here: {exc}"
    finally:
        ip("netns", "del", probe, check=False)
    return None


def list_netns() -> set[str]:
    """Names of existing network namespaces."""
    out = ip("netns", "list", check=False)
    return {line.split()[0] for line in out.splitlines() if line.strip()}


def netns_pids(ns: str) -> list[int]:
    """Pids of processes running inside namespace `ns`."""
    out = ip("netns", "pids", ns, check=False)
    return [int(x) for x in out.split() if x.isdigit()]


def add_netns(ns: str) -> None:
    """Create namespace `ns` and bring its loopback up."""
    ip("netns", "add", ns)
    ip("link", "set", "lo", "up", ns=ns)


def del_netns(ns: str) -> bool:
    """Delete namespace `ns` if it exists; True if it did."""
    if ns not in list_netns():
        return False
    ip("netns", "del", ns)
    return True


def veth(ns_a: str, if_a: str, ns_b: str, if_b: str) -> None:
    """A veth pair with one end in each namespace, both up."""
    ip("link", "add", if_a, "type", "veth", "peer", "name", if_b, "netns", ns_b, ns=ns_a)
    ip("link", "set", if_a, "up", ns=ns_a)
    ip("link", "set", if_b, "up", ns=ns_b)


def batch(ns: str, commands: Sequence[str]) -> None:
    """Run many `ip` commands in one process (adding 250 addresses one by one is slow)."""
    if commands:
        ip("-batch", "-", ns=ns, stdin="\n".join(commands) + "\n")


def netns_exec(ns: str, argv: Sequence[str]) -> list[str]:
    """The argv that runs `argv` inside namespace `ns`."""
    return [ip_binary() or "ip", "netns", "exec", ns, *argv]


@contextlib.contextmanager
def in_netns(ns: str) -> Iterator[None]:
    """Move the calling thread into namespace `ns` for the block, then back.

    Sockets opened in the block, and threads started in it, belong to `ns`; sockets and
    threads that existed before do not. Needs root.
    """
    libc = ctypes.CDLL(None, use_errno=True)
    own = os.open("/proc/thread-self/ns/net", os.O_RDONLY)
    try:
        target = os.open(os.path.join(NETNS_DIR, ns), os.O_RDONLY)
    except OSError:
        os.close(own)
        raise
    try:
        if libc.setns(target, CLONE_NEWNET) != 0:
            err = ctypes.get_errno()
            raise OSError(err, f"setns into {ns}: {os.strerror(err)}")
        try:
            yield
        finally:
            if libc.setns(own, CLONE_NEWNET) != 0:
                err = ctypes.get_errno()
                raise OSError(err, f"setns back from {ns}: {os.strerror(err)}")
    finally:
        os.close(target)
        os.close(own)
