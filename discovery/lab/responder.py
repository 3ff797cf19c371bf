"""WS-Discovery side of a fleet: one multicast listener for all devices, one UDP socket per device.

Each device's socket is bound to (its address, 3702), so unicast probes reach exactly that
device and every reply leaves from the device's own address, as the scanner must see it.
Multicast probes arrive once on the shared group socket and are fanned out to the devices.
Lost packets are simulated here (this kernel has no netem): each device drops a seeded share of
the probes it receives and of the replies it sends.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import socket
import struct
from collections.abc import Callable

from discovery.lab import hostile
from discovery.lab.camera import SimCamera
from discovery.lab.model import MULTICAST_GROUP, WSD_PORT, FleetSpec
from discovery.lab.probe import Probe, answers, parse_probe, probe_matches

ENDLESS_INTERVAL_S = 0.05
ENDLESS_FOR_S = 30.0  # "replies that never end" over UDP: a stream that outlasts any scan
RCVBUF = 4 * 1024 * 1024
Addr = tuple[str, int]


class _Datagrams(asyncio.DatagramProtocol):
    """Hands every datagram to a callback."""

    def __init__(self, on_datagram: Callable[[bytes, Addr], None]) -> None:
        self.on_datagram = on_datagram

    def datagram_received(self, data: bytes, addr: Addr) -> None:
        self.on_datagram(data, addr)

    def error_received(self, exc: Exception) -> None:
        """ICMP errors (a prober that went away) are normal; ignore them."""


class DiscoveryResponder:
    """Answers WS-Discovery probes for every camera of one fleet process."""

    def __init__(self, fleet: FleetSpec, cams: list[SimCamera]) -> None:
        self.fleet = fleet
        self.cams = cams
        self.transports: dict[str, asyncio.DatagramTransport] = {}
        self.group_transport: asyncio.DatagramTransport | None = None
        self.emulated_group: Addr | None = None
        self._counters: dict[str, int] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._handles: set[asyncio.TimerHandle] = set()
        self._endless_streams: set[tuple[str, Addr]] = set()

    async def start(self, multicast: str) -> None:
        """Open the device sockets and the group listener.

        `multicast` is "group" (join 239.255.255.250 on the devices' interface), "emulated" (a
        loopback UDP port that stands in for the group, for subnet-1 devices) or "none".
        """
        loop = asyncio.get_running_loop()
        for cam in self.cams:
            sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind((cam.dev.ip, cam.dev.wsd_port))
            cam.dev.wsd_port = sock.getsockname()[1]
            tr, _ = await loop.create_datagram_endpoint(self._unicast_protocol(cam), sock=sock)
            self.transports[cam.dev.id] = tr
        if multicast == "none" or not self.cams:
            return
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, RCVBUF)
        if multicast == "group":
            sock.bind((MULTICAST_GROUP, WSD_PORT))
            mreq = struct.pack("4s4s", socket.inet_aton(MULTICAST_GROUP), socket.inet_aton(self.cams[0].dev.ip))
            sock.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP, mreq)
            members = self.cams
        else:
            sock.bind(("127.77.1.1", 0))
            self.emulated_group = sock.getsockname()
            members = [c for c in self.cams if c.dev.subnet == 1]
        self.group_transport, _ = await loop.create_datagram_endpoint(
            lambda: _Datagrams(lambda data, addr: self.on_probe(data, addr, members)), sock=sock
        )

    def _unicast_protocol(self, cam: SimCamera) -> Callable[[], _Datagrams]:
        """Protocol factory for the socket of `cam`: probes sent to it reach only it."""
        return lambda: _Datagrams(lambda data, addr: self.on_probe(data, addr, [cam]))

    def close(self) -> None:
        """Close sockets and stop pending or endless replies."""
        for h in self._handles:
            h.cancel()
        for t in self._tasks:
            t.cancel()
        for tr in self.transports.values():
            tr.close()
        if self.group_transport is not None:
            self.group_transport.close()

    def on_probe(self, data: bytes, addr: Addr, cams: list[SimCamera]) -> None:
        """Schedule the replies of every camera in `cams` that answers this datagram."""
        probe = parse_probe(data)
        if probe is None:
            return
        loop = asyncio.get_running_loop()
        for cam in cams:
            dev = cam.dev
            if not dev.discoverable or cam.rng.random() < dev.drop_rate:
                continue
            if not answers(dev, probe):
                continue
            if dev.hostile_wsd == "slow":
                delay = self.fleet.slow_delay_s
            else:
                delay = cam.rng.uniform(0, self.fleet.max_delay_ms / 1000)
            self._schedule(loop, delay, cam, probe, addr)

    def _schedule(
        self, loop: asyncio.AbstractEventLoop, delay: float, cam: SimCamera, probe: Probe, addr: Addr
    ) -> None:
        def fire() -> None:
            self._handles.discard(handle)
            self._reply(cam, probe, addr)

        handle = loop.call_later(delay, fire)
        self._handles.add(handle)

    def _reply(self, cam: SimCamera, probe: Probe, addr: Addr) -> None:
        dev = cam.dev
        tr = self.transports[dev.id]
        if cam.rng.random() < dev.drop_rate:
            return
        n = self._counters[dev.id] = self._counters.get(dev.id, 0) + 1
        reply = probe_matches(dev, probe.message_id, n)
        mode = dev.hostile_wsd
        if mode == "endless_reply":
            key = (dev.id, addr)
            if key not in self._endless_streams:  # one stream per prober is endless enough
                self._endless_streams.add(key)
                task = asyncio.get_running_loop().create_task(self._endless(cam, probe, addr))
                self._tasks.add(task)
                task.add_done_callback(functools.partial(self._endless_done, key))
            return
        if mode == "entity_bomb":
            reply = hostile.wsd_entity_bomb(reply, dev)
        elif mode == "external_entity":
            reply = hostile.wsd_external_entity(reply, dev)
        elif mode == "huge_reply":
            reply = hostile.wsd_huge(reply, dev)
        elif mode == "malformed_xml":
            reply = hostile.wsd_malformed(reply)
        elif mode == "not_onvif":
            reply = hostile.WSD_NOT_ONVIF
        with contextlib.suppress(OSError):
            tr.sendto(reply, addr)

    def _endless_done(self, key: tuple[str, Addr], task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        self._endless_streams.discard(key)

    async def _endless(self, cam: SimCamera, probe: Probe, addr: Addr) -> None:
        """Keep sending ProbeMatches to the prober, a fresh MessageID each time."""
        tr = self.transports[cam.dev.id]
        loop = asyncio.get_running_loop()
        end = loop.time() + ENDLESS_FOR_S
        n = 0
        while loop.time() < end and not tr.is_closing():
            n += 1
            with contextlib.suppress(OSError):
                tr.sendto(probe_matches(cam.dev, probe.message_id, n), addr)
            await asyncio.sleep(ENDLESS_INTERVAL_S)
