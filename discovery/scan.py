"""One scan end to end: vet networks, discover (multicast, unicast, sweep), merge, identify, report."""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import socket
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from discovery import wsd
from discovery.allowlist import AllowList, ScanRefused, Scope
from discovery.credentials import CredentialBook
from discovery.hwaddr import parse_mac
from discovery.identity import IdentifyOptions, Target, WsdlCache, identify_many
from discovery.models import Device, FoundBy, ProbeMatch, Status
from discovery.report import build_report
from discovery.sweep import SweepOptions, SweepResult, sweep

METHODS = ("multicast", "sweep")

#: progress(phase, done, total): called from the scanning thread as work advances.
Progress = Callable[[str, int, int], None]


@dataclass
class ScanConfig:
    """Everything one `camreg scan` needs; the CLI fills it from flags."""

    cidrs: Sequence[str]
    allow: AllowList = field(default_factory=AllowList.from_env)
    interfaces: Sequence[str] = ()
    methods: Sequence[str] = METHODS
    credentials: CredentialBook = field(default_factory=CredentialBook)
    identify: bool = True
    identify_options: IdentifyOptions = field(default_factory=IdentifyOptions)
    sweep_options: SweepOptions = field(default_factory=SweepOptions)
    workers: int = 32
    wsd_repeats: int = 3
    wsd_port: int = wsd.WSD_PORT  # tests move it off 3702 so they never meet real devices


def choose_interfaces(names: Sequence[str], scope: Scope) -> list[wsd.Interface]:
    """Interfaces for multicast: named ones must lie inside the scanned networks; else pick those that do."""
    if names:
        chosen = [wsd.interface_for(n) for n in names]
        for iface in chosen:
            if not scope(iface.address):
                raise ScanRefused(
                    f"--interface {iface.name} ({iface.address}) is not inside the scanned networks; "
                    "a multicast probe there would reach a network you did not name"
                )
        return chosen
    return [i for i in wsd.local_interfaces() if scope(i.address)]


def _device_for(devices: dict[tuple[str, str], Device], m: ProbeMatch, how: FoundBy) -> None:
    key = (m.sender, m.endpoint_uuid)
    dev = devices.get(key)
    if dev is None:
        dev = devices[key] = Device(address=m.sender, endpoint_uuid=m.endpoint_uuid)
    for name in ("types", "scopes", "xaddrs", "xaddrs_advertised"):
        setattr(dev, name, list(dict.fromkeys(getattr(dev, name) + getattr(m, name))))
    dev.metadata_version = m.metadata_version if m.metadata_version is not None else dev.metadata_version
    dev.scope_name = dev.scope_name or m.scope_name
    dev.scope_hardware = dev.scope_hardware or m.scope_hardware
    dev.scope_location = dev.scope_location or m.scope_location
    scope_mac = parse_mac(m.scope_mac) if m.scope_mac else None
    if scope_mac and not dev.macs:
        dev.macs = [scope_mac]
    if how not in dev.found_by:
        dev.found_by.append(how)


def merge(multicast: wsd.WsdResult | None, swept: SweepResult | None) -> list[Device]:
    """Devices keyed on (address, endpoint UUID): two devices sharing a UUID stay two."""
    devices: dict[tuple[str, str], Device] = {}
    hostile: dict[str, str] = {}
    if multicast:
        for m in multicast.matches:
            _device_for(devices, m, FoundBy.MULTICAST)
        hostile.update(multicast.errors)
    if swept:
        hostile.update(swept.wsd_errors)
        for hit in swept.hits.values():
            for m in hit.probe_matches:
                _device_for(devices, m, FoundBy.UNICAST)
            same_host = [d for (addr, _), d in devices.items() if addr == hit.address]
            if not same_host and (hit.onvif_urls or hit.open_ports):
                same_host = [devices.setdefault((hit.address, ""), Device(address=hit.address))]
            for dev in same_host:
                dev.open_ports = sorted(set(dev.open_ports) | set(hit.open_ports))
                dev.xaddrs = list(dict.fromkeys(dev.xaddrs + hit.onvif_urls))
                if (hit.onvif_urls or hit.open_ports) and FoundBy.SWEEP not in dev.found_by:
                    dev.found_by.append(FoundBy.SWEEP)
                if not dev.xaddrs and hit.status is not None:
                    dev.status, dev.error = hit.status, hit.error
    for address, why in hostile.items():
        same_host = [d for (addr, _), d in devices.items() if addr == address]
        for dev in same_host:
            dev.discovery_error = why
        if not same_host:
            # A sender whose only answer was hostile is still a device to report, with its error.
            devices[(address, "")] = Device(
                address=address, status=Status.HOSTILE_REPLY, error=why, discovery_error=why,
                found_by=[FoundBy.MULTICAST],
            )
    return sorted(devices.values(), key=lambda d: (socket.inet_aton(d.address), d.endpoint_uuid))


async def _discover(
    cfg: ScanConfig, scope: Scope, interfaces: list[wsd.Interface], progress: Progress | None
) -> tuple[wsd.WsdResult | None, SweepResult | None]:
    jobs: list[Any] = []
    if "multicast" in cfg.methods and interfaces:
        jobs.append(
            wsd.probe(
                [(wsd.MULTICAST_GROUP, cfg.wsd_port)],
                interfaces=interfaces,
                in_scope=scope,
                repeats=cfg.wsd_repeats,
            )
        )
    else:
        jobs.append(asyncio.sleep(0, None))
    if "sweep" in cfg.methods:
        hosts = scope.hosts()
        done = [0]

        def tick(_address: str) -> None:
            done[0] += 1
            if progress:
                progress("sweep", done[0], len(hosts))

        jobs.append(
            sweep(
                hosts,
                options=dataclasses.replace(cfg.sweep_options, wsd_port=cfg.wsd_port),
                in_scope=scope,
                on_host=tick,
            )
        )
    else:
        jobs.append(asyncio.sleep(0, None))
    multicast, swept = await asyncio.gather(*jobs)
    return multicast, swept


def _identify_all(devices: list[Device], cfg: ScanConfig, progress: Progress | None) -> None:
    """Identify every device that discovery did not already settle (e.g. hostile-only senders)."""
    todo = {id(t): (t, d) for t, d in ((Target(d.address, d.xaddrs), d) for d in devices
                                       if d.status is Status.NOT_IDENTIFIED)}
    if progress:
        progress("identify", 0, len(todo))
    results = identify_many([t for t, _ in todo.values()], cfg.credentials.for_address, cache=WsdlCache(),
                            options=cfg.identify_options, workers=cfg.workers)
    for n, (target, ident) in enumerate(results, 1):
        todo[id(target)][1].apply_identity(ident)
        if progress:
            progress("identify", n, len(todo))


def _identify_notes(devices: list[Device], opts: IdentifyOptions) -> list[str]:
    """What the inspector should know about the credentials after identification."""
    refused = [d for d in devices if d.status is Status.AUTH_FAILED and d.auth_tries]
    notes = []
    if refused and not opts.password_text:
        notes.append(
            f"{len(refused)} device(s) refused every pair tried; if the passwords are right, some cameras accept "
            "only WS-Security PasswordText: rerun with --password-text (passwords then cross the network in clear "
            "text)"
        )
    most = max((d.auth_tries for d in devices), default=0)
    if most:
        notes.append(f"at most {most} request(s) carrying a password went to one device "
                     f"(limit {opts.max_auth_tries}, --max-auth-tries)")
    return notes


def run_scan(cfg: ScanConfig, progress: Progress | None = None) -> dict[str, Any]:
    """Run one scan and return the report (a JSON-ready dict with its checksum)."""
    unknown = set(cfg.methods) - set(METHODS)
    if unknown:
        raise ScanRefused(f"--method {sorted(unknown)}: unknown; choose from {', '.join(METHODS)}")
    networks = cfg.allow.check(cfg.cidrs)
    scope = Scope(networks)
    interfaces = choose_interfaces(cfg.interfaces, scope) if "multicast" in cfg.methods else []
    notes = []
    if "multicast" in cfg.methods and not interfaces:
        notes.append("multicast skipped: no local interface has an address inside the scanned networks")
    started = dt.datetime.now(dt.UTC)
    t0 = time.monotonic()
    if progress:
        progress("discover", 0, 1)
    multicast, swept = asyncio.run(_discover(cfg, scope, interfaces, progress))
    if progress:
        progress("discover", 1, 1)
    if swept and swept.timed_out:
        notes.append(f"sweep stopped at its total deadline after {swept.completed}/{swept.hosts} hosts")
    devices = merge(multicast, swept)
    if cfg.identify:
        _identify_all(devices, cfg, progress)
        notes += _identify_notes(devices, cfg.identify_options)
    methods = []
    if multicast is not None:
        methods.append("multicast")
    if swept is not None:
        methods += ["unicast", "sweep"] if cfg.sweep_options.unicast_probe else ["sweep"]
    return build_report(
        devices=devices,
        started=started,
        seconds=time.monotonic() - t0,
        networks=[str(n) for n in networks],
        interfaces=[{"name": i.name, "address": i.address} for i in interfaces],
        methods=methods,
        options={
            "identify": cfg.identify,
            "profiles": cfg.identify_options.profiles,
            "recording": cfg.identify_options.recording,
            "ports": list(cfg.sweep_options.ports),
            "request_timeout_s": cfg.identify_options.request_timeout_s,
            "max_auth_tries": cfg.identify_options.max_auth_tries,
            "password_text": cfg.identify_options.password_text,
            "credentials_networks": len(cfg.credentials.entries),
        },
        notes=notes,
    )
