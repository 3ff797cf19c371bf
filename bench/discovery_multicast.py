"""Benchmark 8a: multicast WS-Discovery of 250 devices on one /24 — ours vs the `wsdiscovery` package.

Targets: all 250 found in under 2 s; still all 250 when the lab drops 2 % of probes and of replies.
Both run inside the lab's laptop namespace, on the same lab, one after the other. The baseline is used
as its documentation shows: `ThreadedWSDiscovery().searchServices()` with its default 3 s timeout, one
probe; it keys devices on the endpoint UUID (so devices sharing one collapse) and drops repeated
MessageIDs. The fleet has the lab's realistic quirks (shared UUID pairs, cameras that answer only one
probe shape), which is what a site looks like.

Run as root: .venv/bin/python bench/discovery_multicast.py [--cameras 250] [--runs 3]
"""

from __future__ import annotations

import argparse
import statistics

from discovery_common import in_laptop, line, require_root

from discovery.lab import build_fleet, running_lab

OURS = """
import asyncio, json, time
from discovery import wsd
t = time.monotonic()
ifaces = [i for i in wsd.local_interfaces() if i.address.startswith("198.18.")]
res = asyncio.run(wsd.probe([(wsd.MULTICAST_GROUP, wsd.WSD_PORT)], interfaces=ifaces))
print(json.dumps({"seconds": time.monotonic() - t, "found": len({(m.sender, m.endpoint_uuid) for m in res.matches}),
                  "addresses": sorted({m.sender for m in res.matches})}))
"""

BASELINE = """
import json, logging, time
logging.disable(logging.CRITICAL)
from wsdiscovery.discovery import ThreadedWSDiscovery
t = time.monotonic()
wsd = ThreadedWSDiscovery()
wsd.start()
services = wsd.searchServices()
wsd.stop()
addrs = set()
for s in services:
    for x in s.getXAddrs():
        addrs.add(x.split("/")[2].split(":")[0])
print(json.dumps({"seconds": time.monotonic() - t, "found": len(services), "addresses": sorted(addrs)}))
"""


def run(cameras: int, drop: float, runs: int) -> None:
    spec = build_fleet(cameras=cameras, subnets=1, discovery_off=0, hostile=0, drop_rate=drop, seed=8,
                       name="bench-mc")
    with running_lab(spec) as lab:
        ours = [in_laptop(lab, OURS) for _ in range(runs)]
        base = [in_laptop(lab, BASELINE) for _ in range(runs)]
    o_s, b_s = statistics.median(r["seconds"] for r in ours), statistics.median(r["seconds"] for r in base)
    o_n, b_n = min(r["found"] for r in ours), min(r["found"] for r in base)
    tag = f"{cameras} cams, {drop:.0%} loss"
    print(line(f"multicast seconds ({tag})", o_s, b_s, "s", "< 2 s"))
    print(line(f"devices found, worst of {runs} ({tag})", o_n, b_n, "devices", f"all {cameras}",
               more_is_better=True))
    missed = sorted({d.ip for d in lab.devices} - set(min(ours, key=lambda r: r["found"])["addresses"]))
    if missed:
        print(f"  ours missed: {', '.join(missed)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cameras", type=int, default=250)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    require_root()
    for drop in (0.0, 0.02):
        run(args.cameras, drop, args.runs)


if __name__ == "__main__":
    main()
