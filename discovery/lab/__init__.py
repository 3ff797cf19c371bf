"""Simulated ONVIF camera fleet for tests, benchmarks and demos (`camreg lab up/down`).

Stable API (everything a scanner test or benchmark needs)::

    from discovery.lab import build_fleet, running_lab, require_netns

    spec = build_fleet(cameras=50, subnets=2, hostile=6, seed=1)   # deterministic FleetSpec
    with running_lab(spec) as lab:                                 # up ... down, always
        lab.run_in_laptop([".venv/bin/python", "-m", "...scanner..."])   # scanner inside the lab
        for dev in lab.devices:                                    # ground truth, DeviceSpec
            dev.ip, dev.http_port, dev.expected, dev.multicast_reachable
        assert lab.write_attempts() == []                          # a scan only reads

- `build_fleet(...) -> FleetSpec`: seeded fleet; `loopback=True` for the root-free mode.
- `up(spec, state_dir=None) -> Lab`, `down(name, state_dir=None, force=False) -> list[str]`,
  `Lab.load(name, state_dir=None)`.
- `Lab`: `.spec`, `.devices`, `.mode`, `.laptop_netns`, `.scanner_ip`, `.multicast_target`,
  `.cidrs`, `.laptop_command(argv)`, `.run_in_laptop(argv, **run_kwargs)`, `.in_laptop()`,
  `.events(kind, device)`, `.write_attempts()`, `.check()` (fleet processes alive?), `.truth()`,
  `.down()`. `up` works on a copy of the spec: read ports from `lab.devices`, not your spec.
- `DeviceSpec`: identity (manufacturer, model, firmware, serial, hardware_id, macs, hostname,
  endpoint_uuid, name, location, scopes, types), reachability (ip, subnet, http_port, wsd_port,
  rtsp_port, device_service_url, media_service_url, advertised_xaddrs, probe_shapes,
  multicast_reachable, unicast_probe_answers), quirks (username, password, credentials_known,
  clock_skew_s, discoverable, xaddr_mode, drop_rate, hostile_http, hostile_wsd, faulty_ops,
  quirks, auth_schemes, advertised_port, shared) and `expected` / `outcome(password_text=…)` (one of
  the outcome constants in `discovery.lab.model`).
- `QUIRKS` / `QUIRK_MODES`: real-device behaviours with their public sources (`build_fleet(quirks=…)`).
- `require_netns()` (pytest skip, or fail when CI=true), `netns_available()`, `LabError`.

See discovery/lab/README.md for topology, vendor styles and hostile modes.
"""

from discovery.lab.build import build_fleet
from discovery.lab.lab import Lab, LabError, default_state_dir, down, up
from discovery.lab.model import (
    AUTH_FAILED,
    BAD_REPLY,
    HTTP_HOSTILE_MODES,
    IDENTIFIED,
    NOT_ONVIF,
    REFUSED,
    SOAP_FAULT,
    TIMEOUT,
    WSD_HOSTILE_MODES,
    DeviceSpec,
    FleetSpec,
)
from discovery.lab.netns import in_netns, netns_unavailable_reason
from discovery.lab.quirks import QUIRK_MODES, QUIRKS
from discovery.lab.testing import netns_available, require_netns, running_lab
from discovery.lab.vendors import STYLES

__all__ = [
    "AUTH_FAILED",
    "BAD_REPLY",
    "HTTP_HOSTILE_MODES",
    "IDENTIFIED",
    "NOT_ONVIF",
    "QUIRKS",
    "QUIRK_MODES",
    "REFUSED",
    "SOAP_FAULT",
    "STYLES",
    "TIMEOUT",
    "WSD_HOSTILE_MODES",
    "DeviceSpec",
    "FleetSpec",
    "Lab",
    "LabError",
    "build_fleet",
    "default_state_dir",
    "down",
    "in_netns",
    "netns_available",
    "netns_unavailable_reason",
    "require_netns",
    "running_lab",
    "up",
]
