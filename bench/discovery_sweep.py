"""Benchmark 8c: unicast sweep of a routed /24 holding 50 devices (multicast does not cross the router).

Ours: `discovery.sweep.sweep` — unicast Probe, TCP check of 80/8000/8080/8899/554 and an unauthenticated
GetSystemDateAndTime for all 254 addresses, concurrently under a rate cap; then the whole `scan` command
(sweep + identification) for reference. Baseline: the naive loop — one address at a time, each port
with a 1 s connect timeout, then GetSystemDateAndTime with requests — timed on an evenly spread sample
of addresses and scaled to 254 (running it whole takes many minutes). Target: sweep under 15 s, all 50.

Run as root: .venv/bin/python bench/discovery_sweep.py [--sample 26]
"""

from __future__ import annotations

import argparse

from discovery_common import in_laptop, line, require_root

from discovery.lab import build_fleet, running_lab

OURS = """
import asyncio, ipaddress, json, time
from discovery.allowlist import Scope
from discovery.sweep import sweep
scope = Scope([ipaddress.IPv4Network("198.18.2.0/24")])
t = time.monotonic()
res = asyncio.run(sweep(scope.hosts(), in_scope=scope))
found = sorted(a for a, h in res.hits.items() if h.onvif_urls or h.probe_matches)
print(json.dumps({"seconds": time.monotonic() - t, "found": found,
                  "unicast": sum(1 for h in res.hits.values() if h.probe_matches)}))
"""

FULL_SCAN = """
import json, subprocess, sys, time
t = time.monotonic()
p = subprocess.run([sys.executable, "-m", "discovery.cli", "--cidr", "198.18.2.0/24", "--json", "--no-prompt",
                    "--method", "sweep"], capture_output=True, text=True)
rep = json.loads(p.stdout)
print(json.dumps({"seconds": time.monotonic() - t, "devices": len(rep["devices"])}))
"""

BASELINE = """
import json, socket, time, requests
hosts = {hosts!r}
body = ('<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Body>'
        '<GetSystemDateAndTime xmlns="http://www.onvif.org/ver10/device/wsdl"/></s:Body></s:Envelope>')
t = time.monotonic()
found = []
for h in hosts:
    for port in (80, 8000, 8080, 8899, 554):
        try:
            socket.create_connection((h, port), timeout=1).close()
        except OSError:
            continue
        if port == 554:
            continue
        try:
            r = requests.post(f"http://{{h}}:{{port}}/onvif/device_service", data=body, timeout=2,
                              headers={{"Content-Type": "application/soap+xml"}})
            if b"GetSystemDateAndTimeResponse" in r.content:
                found.append(h)
        except requests.RequestException:
            pass
print(json.dumps({{"seconds": time.monotonic() - t, "found": sorted(set(found))}}))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sample", type=int, default=26, help="addresses the naive loop is timed on")
    args = parser.parse_args()
    require_root()
    # One camera stays on the flat subnet: the lab needs an address there to route through.
    spec = build_fleet(cameras=51, subnets=2, routed=50, hostile=0, discovery_off=0, seed=10, name="bench-sw")
    with running_lab(spec) as lab:
        ours = in_laptop(lab, OURS)
        full = in_laptop(lab, FULL_SCAN)
        step = max(1, 254 // args.sample)
        sample = [f"198.18.2.{i}" for i in range(1, 255, step)][: args.sample]
        base = in_laptop(lab, BASELINE.format(hosts=sample), timeout=3600)
        truth = sorted(d.ip for d in lab.devices if d.subnet == 2)
    scaled = base["seconds"] * 254 / len(sample)
    print(line("sweep routed /24, 50 devices (seconds)", ours["seconds"], scaled, "s", "< 15 s"))
    print(f"  (baseline timed on {len(sample)} addresses: {base['seconds']:.1f} s, scaled to 254)")
    print(line("devices found by the sweep", len(ours["found"]), None, "devices", "all 50", more_is_better=True))
    print(f"  of which answered the unicast Probe: {ours['unicast']}; missed: "
          f"{sorted(set(truth) - set(ours['found'])) or 'none'}")
    print(line("whole `scan --method sweep` incl. identity", full["seconds"], None, "s", "(reference)"))
    print(f"  devices in that report: {full['devices']}")


if __name__ == "__main__":
    main()
