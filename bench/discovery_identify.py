"""Benchmark 8b: ONVIF identification of 250 devices — ours vs a naive onvif-zeep loop.

Ours: `discovery.identity.identify_many` — one parsed WSDL shared by every device, a bounded pool of
32 threads, the digest signed with each camera's clock. Baseline: the obvious onvif-zeep loop, one device
at a time, a new `ONVIFService` (a new zeep client, so the WSDL parsed again) per device, the clock
offset learnt from GetSystemDateAndTime and handed to onvif-zeep's own digest token, then the same four
calls. Both get each device's right credentials and run in the lab's laptop namespace, same lab.
Target: ours ≥ 10× faster with every identity right (checked against the lab's ground truth).
A second run of ours lists a wrong pair before each device's right one (one refused try per device, as
an inspector's credentials file usually does): what the extra tries cost.

Run as root: .venv/bin/python bench/discovery_identify.py [--cameras 250]
"""

from __future__ import annotations

import argparse
import json

from discovery_common import in_laptop, line, require_root

from discovery.lab import DeviceSpec, build_fleet, running_lab

OURS = """
import json, time
from discovery.credentials import Credential
from discovery.identity import IdentifyOptions, Target, WsdlCache, identify_many
devices = json.loads({devices!r})
wrong_first = {wrong_first}
creds = {{d["ip"]: [Credential(d["user"], "an-old-password")] * wrong_first + [Credential(d["user"], d["password"])]
         for d in devices}}
t = time.monotonic()
out = {{}}
for target, ident in identify_many([Target(d["ip"], [d["url"]]) for d in devices], creds.__getitem__,
                                   cache=WsdlCache(), options=IdentifyOptions(request_timeout_s=5), workers=32):
    out[target.address] = [ident.status.value, ident.manufacturer, ident.model, ident.firmware, ident.serial,
                           ident.hardware_id, ident.macs, ident.hostname]
print(json.dumps({{"seconds": time.monotonic() - t, "results": out}}))
"""

BASELINE = """
import datetime as dt, json, logging, time
logging.disable(logging.CRITICAL)
from onvif.client import ONVIFService
from discovery.identity import wsdl_dir, DEVICE_BINDING, normalise_mac
devices = json.loads({devices!r})
wsdl = str(wsdl_dir() / "devicemgmt.wsdl")
t = time.monotonic()
out = {{}}
for d in devices:
    try:
        svc = ONVIFService(d["url"], d["user"], d["password"], wsdl, no_cache=True, binding_name=DEVICE_BINDING)
        c = svc.GetSystemDateAndTime().UTCDateTime
        cam = dt.datetime(c.Date.Year, c.Date.Month, c.Date.Day, c.Time.Hour, c.Time.Minute, c.Time.Second)
        svc.zeep_client.wsse.dt_diff = cam - dt.datetime.utcnow()
        info = svc.GetDeviceInformation()
        macs = sorted(normalise_mac(i.Info.HwAddress) for i in svc.GetNetworkInterfaces())
        svc.GetScopes()
        host = svc.GetHostname().Name
        out[d["ip"]] = ["ok", info.Manufacturer, info.Model, info.FirmwareVersion, info.SerialNumber,
                        info.HardwareId, macs, host]
    except Exception as exc:
        out[d["ip"]] = [type(exc).__name__ + ": " + str(exc)[:80]]
print(json.dumps({{"seconds": time.monotonic() - t, "results": out}}))
"""


def right(dev: DeviceSpec, got: list[object]) -> bool:
    """Whether one identification equals the ground truth."""
    want = ["ok", dev.manufacturer, dev.model, dev.firmware, dev.serial, dev.hardware_id, sorted(dev.macs),
            dev.hostname]
    return got == want


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cameras", type=int, default=250)
    args = parser.parse_args()
    require_root()
    spec = build_fleet(cameras=args.cameras, subnets=1, hostile=0, wrong_credentials=0, seed=9, name="bench-id")
    with running_lab(spec) as lab:
        devices = json.dumps([{"ip": d.ip, "url": d.device_service_url, "user": d.username, "password": d.password}
                              for d in lab.devices])
        ours = in_laptop(lab, OURS.format(devices=devices, wrong_first=0))
        wrong_first = in_laptop(lab, OURS.format(devices=devices, wrong_first=1))
        base = in_laptop(lab, BASELINE.format(devices=devices), timeout=1800)
        by_ip = {d.ip: d for d in lab.devices}
        ours_ok = sum(right(by_ip[ip], r) for ip, r in ours["results"].items())
        base_ok = sum(right(by_ip[ip], r) for ip, r in base["results"].items())
        print(line(f"identify {args.cameras} devices (seconds)", ours["seconds"], base["seconds"], "s", "≥ 10× faster"))
        print(line("identities right", ours_ok, base_ok, "devices", f"all {args.cameras}", more_is_better=True))
        wrong_ok = sum(right(by_ip[ip], r) for ip, r in wrong_first["results"].items())
        print(line("  ours, a wrong pair listed first (seconds)", wrong_first["seconds"], None, "s",
                   "within noise of the line above"))
        print(line("  identities right, wrong pair first", wrong_ok, None, "devices", f"all {args.cameras}",
                   more_is_better=True))
        for ip, r in ours["results"].items():
            if not right(by_ip[ip], r):
                print(f"  ours wrong: {ip} {r}")
        errors = {str(r[0]) for r in base["results"].values() if len(r) == 1}
        if errors:
            print(f"  baseline errors: {sorted(errors)[:3]}")


if __name__ == "__main__":
    main()
