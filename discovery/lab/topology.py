"""The lab's network: namespaces, a bridge, a router that multicast does not cross.

    laptop (198.18.1.2) ──┐
    cams1 (198.18.1.3-254)├── lan1: bridge br0 ── router (198.18.1.1 | 198.18.2.1) ── cams2 (198.18.2.3-254)
                          ┘
The scanner runs inside `laptop`. The router forwards unicast between the subnets but runs no
multicast routing, so a multicast Probe never reaches cams2. No namespace has a link to the root
namespace or a default route out of the lab, so lab traffic cannot leave it.
"""

from __future__ import annotations

from collections.abc import Callable

from discovery.lab.model import DeviceSpec, FleetSpec
from discovery.lab.netns import add_netns, batch, ip, veth

ROUTER_IPS = {1: "198.18.1.1", 2: "198.18.2.1"}
CIDRS = {1: "198.18.1.0/24", 2: "198.18.2.0/24"}
LOOPBACK_CIDRS = {1: "127.77.1.0/24", 2: "127.77.2.0/24"}
MULTICAST_NET = "224.0.0.0/4"


def namespace_names(lab: str, subnets: int) -> dict[str, str]:
    """Role -> namespace name, all prefixed `camreg-lab-<lab>-`."""
    roles = ["laptop", "lan1", "cams1"] + (["router", "cams2"] if subnets == 2 else [])
    return {role: f"camreg-lab-{lab}-{role}" for role in roles}


def _addr_commands(devs: list[DeviceSpec]) -> list[str]:
    return [f"addr add {d.ip}/24 dev eth0" for d in devs]


def build(spec: FleetSpec, names: dict[str, str], record: Callable[[str], None]) -> None:
    """Create the namespaces and links of `spec`; `record(ns)` runs before each namespace exists."""
    for ns in names.values():
        record(ns)  # written to the state file first, so `down` can remove a half-built lab
        add_netns(ns)
    sw, laptop, cams1 = names["lan1"], names["laptop"], names["cams1"]
    # Snooping off: with no IGMP querier the bridge must still flood the group to every port.
    ip("link", "add", "br0", "type", "bridge", "mcast_snooping", "0", ns=sw)
    ip("link", "set", "br0", "up", ns=sw)
    ports = [("laptop", laptop), ("cams1", cams1)] + ([("router", names["router"])] if spec.subnets == 2 else [])
    for port, ns in ports:
        veth(sw, port, ns, "eth0")
        ip("link", "set", port, "master", "br0", ns=sw)

    ip("addr", "add", f"{spec.laptop_ip}/24", "dev", "eth0", ns=laptop)
    # A multicast route so probes leave on eth0 without the scanner naming an interface.
    ip("route", "add", MULTICAST_NET, "dev", "eth0", ns=laptop)
    batch(cams1, _addr_commands([d for d in spec.devices if d.subnet == 1]))
    ip("route", "add", MULTICAST_NET, "dev", "eth0", ns=cams1)
    if spec.subnets == 2:
        router, cams2 = names["router"], names["cams2"]
        veth(router, "eth1", cams2, "eth0")
        ip("addr", "add", f"{ROUTER_IPS[1]}/24", "dev", "eth0", ns=router)
        ip("addr", "add", f"{ROUTER_IPS[2]}/24", "dev", "eth1", ns=router)
        ip("route", "add", CIDRS[2], "via", ROUTER_IPS[1], ns=laptop)
        if any(d.subnet == 1 for d in spec.devices):  # a gateway needs an address on the link
            ip("route", "add", CIDRS[2], "via", ROUTER_IPS[1], ns=cams1)
        batch(cams2, _addr_commands([d for d in spec.devices if d.subnet == 2]))
        ip("route", "add", "default", "via", ROUTER_IPS[2], ns=cams2)
        ip("route", "add", MULTICAST_NET, "dev", "eth0", ns=cams2)
        # Forward unicast only; nothing here routes multicast.
        ip("netns", "exec", router, "sysctl", "-qw", "net.ipv4.ip_forward=1")
