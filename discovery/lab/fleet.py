"""Fleet process: every simulated camera of one namespace (or of a loopback lab) in one event loop.

Run as `python -m discovery.lab.fleet --spec SPEC.json --ready READY.json [--events LOG]
[--multicast group|emulated|none]`. It binds every device, writes READY.json (the ports it got,
its pid, the emulated group address) and serves until SIGTERM or SIGINT.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import signal
import sys
from pathlib import Path

from discovery.lab.camera import SimCamera
from discovery.lab.events import EventLog, write_json_atomic
from discovery.lab.model import FleetSpec
from discovery.lab.responder import DiscoveryResponder


def _raise_fd_limit() -> None:
    """Hundreds of devices need thousands of sockets; take the hard limit."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


async def serve(spec: FleetSpec, *, multicast: str, ready: Path | None, events_path: Path | None) -> None:
    """Start every device, report readiness, serve until a stop signal."""
    log = EventLog(events_path)
    cams = [SimCamera(d, spec, log) for d in spec.devices]
    responder = DiscoveryResponder(spec, cams)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    try:
        for cam in cams:
            await cam.start()
        await responder.start(multicast)
        if ready is not None:
            write_json_atomic(
                ready,
                {
                    "pid": os.getpid(),
                    "devices": {
                        c.dev.id: {
                            "http_port": c.dev.http_port,
                            "wsd_port": c.dev.wsd_port,
                            "rtsp_port": c.dev.rtsp_port,
                            "xaddr_port": c.dev.xaddr_port,
                        }
                        for c in cams
                    },
                    "emulated_group": list(responder.emulated_group) if responder.emulated_group else None,
                },
            )
        await stop.wait()
    finally:
        responder.close()
        for cam in cams:
            cam.close()
        log.close()


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point of the fleet process."""
    ap = argparse.ArgumentParser(prog="python -m discovery.lab.fleet", description=__doc__)
    ap.add_argument("--spec", type=Path, required=True, help="FleetSpec JSON with this process's devices")
    ap.add_argument("--ready", type=Path, help="where to write bound ports once serving")
    ap.add_argument("--events", type=Path, help="JSON-lines event log (requests, write attempts)")
    ap.add_argument("--multicast", choices=("group", "emulated", "none"), default="group")
    args = ap.parse_args(argv)
    spec = FleetSpec.from_dict(json.loads(args.spec.read_text(encoding="utf-8")))
    _raise_fd_limit()
    try:
        asyncio.run(serve(spec, multicast=args.multicast, ready=args.ready, events_path=args.events))
    except OSError as exc:
        print(f"fleet: cannot start: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
