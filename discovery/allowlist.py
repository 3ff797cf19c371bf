"""Which networks a scan may touch: a configured allow-list and a maximum size, refused otherwise.

The default allow-list is loopback only, so an accidental `camreg scan` never probes the machine's own
LAN. Widen it with `CAMREG_SCAN_ALLOWED_NETWORKS="198.18.0.0/15,10.20.0.0/16"` or `--allow NET`.
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

ENV_ALLOWED = "CAMREG_SCAN_ALLOWED_NETWORKS"
ENV_MAX_PREFIX = "CAMREG_SCAN_MAX_PREFIX"
DEFAULT_ALLOWED = ("127.0.0.0/8",)
DEFAULT_MAX_PREFIX = 22  # a /22 is 1022 hosts: the largest network one inspector's sweep may cover


class ScanRefused(ValueError):
    """A requested network is not allowed; the message says why and how to allow it."""


@dataclass(frozen=True)
class AllowList:
    """Networks a scan may probe and the largest network one --cidr may name."""

    networks: tuple[ipaddress.IPv4Network, ...] = field(
        default_factory=lambda: tuple(ipaddress.IPv4Network(n) for n in DEFAULT_ALLOWED)
    )
    max_prefix: int = DEFAULT_MAX_PREFIX

    @classmethod
    def from_env(cls, extra: Iterable[str] = (), env: dict[str, str] | None = None) -> AllowList:
        """Loopback + the environment's list + `extra` (the --allow flags)."""
        env = dict(os.environ) if env is None else env
        items = list(DEFAULT_ALLOWED)
        items += [n.strip() for n in env.get(ENV_ALLOWED, "").split(",") if n.strip()]
        items += list(extra)
        nets = []
        for item in items:
            try:
                nets.append(ipaddress.IPv4Network(item, strict=False))
            except ValueError as exc:
                raise ScanRefused(f"allowed network {item!r} is not an IPv4 network ({exc})") from exc
        max_prefix = DEFAULT_MAX_PREFIX
        raw = env.get(ENV_MAX_PREFIX, "").strip()
        if raw:
            if not raw.isdigit() or not 8 <= int(raw) <= 32:
                raise ScanRefused(f"{ENV_MAX_PREFIX}={raw!r}: must be a prefix length between 8 and 32")
            max_prefix = int(raw)
        return cls(tuple(nets), max_prefix)

    def allows_address(self, address: str) -> bool:
        """True when an address lies inside an allowed network."""
        try:
            ip = ipaddress.IPv4Address(address)
        except ValueError:
            return False
        return any(ip in n for n in self.networks)

    def check(self, cidrs: Sequence[str]) -> list[ipaddress.IPv4Network]:
        """Parse and vet every requested network; raise ScanRefused naming the first bad one."""
        if not cidrs:
            raise ScanRefused("no network given: pass --cidr NET (e.g. --cidr 198.18.0.0/24)")
        out = []
        for cidr in cidrs:
            try:
                net = ipaddress.IPv4Network(cidr, strict=False)
            except ValueError as exc:
                raise ScanRefused(f"--cidr {cidr!r}: not an IPv4 network ({exc})") from exc
            if net.prefixlen < self.max_prefix:
                raise ScanRefused(
                    f"--cidr {cidr}: {net.num_addresses} addresses is larger than the limit "
                    f"/{self.max_prefix}; "
                    f"split it into /{self.max_prefix} pieces or raise {ENV_MAX_PREFIX}"
                )
            if not any(net.subnet_of(a) for a in self.networks):
                allowed = ", ".join(str(a) for a in self.networks)
                raise ScanRefused(
                    f"--cidr {cidr}: not inside the allowed networks ({allowed}); "
                    f"to allow it pass --allow {net} or set {ENV_ALLOWED}={net}"
                )
            out.append(net)
        return out


class Scope:
    """The set of addresses one scan may contact (the vetted --cidr networks)."""

    def __init__(self, networks: Sequence[ipaddress.IPv4Network]) -> None:
        self.networks = list(networks)

    def __call__(self, address: str) -> bool:
        try:
            ip = ipaddress.IPv4Address(address)
        except ValueError:
            return False
        return any(ip in n for n in self.networks)

    def hosts(self) -> list[str]:
        """Every host address of every network, in order, without duplicates."""
        seen: dict[str, None] = {}
        for net in self.networks:
            hosts = [net.network_address] if net.num_addresses == 1 else list(net.hosts())
            for h in hosts:
                seen.setdefault(str(h))
        return list(seen)
