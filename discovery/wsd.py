"""WS-Discovery: multicast and unicast Probe, fast ProbeMatch collection, safe parsing.

Differences from the `wsdiscovery` package (the baseline): replies are de-duplicated on
(sender address, endpoint UUID) so two devices sharing a UUID stay two devices; repeated MessageIDs
are kept (cheap firmware reuses them); the wait ends at last-probe + maximum reply delay + margin
instead of a fixed sleep; three probe shapes are sent, repeated, on a socket with a large receive
buffer that is drained by asyncio while parsing happens after collection.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import ipaddress
import socket
import struct
import time
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from urllib.parse import unquote, urlsplit, urlunsplit

from discovery.models import ProbeMatch
from discovery.safexml import HostileXML, parse_untrusted, text_of

MULTICAST_GROUP = "239.255.255.250"
WSD_PORT = 3702
#: WS-Discovery 2005/04 APP_MAX_DELAY: a target waits a random time up to this before answering.
APP_MAX_DELAY_S = 0.5
#: An honest ProbeMatches is 1-4 KiB; a datagram past this is an attack (UDP allows 64 KiB).
MAX_DATAGRAM = 32 * 1024
#: Datagrams kept per run: 250 devices × 9 probes is ~2,300; past this a device is flooding us.
MAX_DATAGRAMS = 50_000

NS = {
    "s": "http://www.w3.org/2003/05/soap-envelope",
    "a": "http://schemas.xmlsoap.org/ws/2004/08/addressing",
    "d": "http://schemas.xmlsoap.org/ws/2005/04/discovery",
    "dn": "http://www.onvif.org/ver10/network/wsdl",
    "tds": "http://www.onvif.org/ver10/device/wsdl",
}
#: Some cameras answer only one of these; the empty probe matches every target per the spec.
PROBE_SHAPES: tuple[str | None, ...] = ("dn:NetworkVideoTransmitter", "tds:Device", None)

_PROBE_TEMPLATE = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<s:Envelope xmlns:s="{s}" xmlns:a="{a}" xmlns:d="{d}" xmlns:dn="{dn}" xmlns:tds="{tds}">'
    '<s:Header><a:Action s:mustUnderstand="1">{d}/Probe</a:Action>'
    "<a:MessageID>urn:uuid:{mid}</a:MessageID>"
    "<a:ReplyTo><a:Address>{a}/role/anonymous</a:Address></a:ReplyTo>"
    '<a:To s:mustUnderstand="1">urn:schemas-xmlsoap-org:ws:2005:04:discovery</a:To>'
    "</s:Header><s:Body><d:Probe>{types}</d:Probe></s:Body></s:Envelope>"
)


def build_probe(types: str | None, message_id: str | None = None) -> bytes:
    """A SOAP 1.2 WS-Discovery Probe for the given Types (None = empty probe)."""
    mid = message_id or str(uuid.uuid4())
    types_xml = f"<d:Types>{types}</d:Types>" if types else ""
    return _PROBE_TEMPLATE.format(mid=mid, types=types_xml, **NS).encode()


@dataclass(frozen=True)
class Interface:
    """A local interface the multicast probe leaves by."""

    name: str
    address: str
    index: int


def interface_for(name: str) -> Interface:
    """Look up an interface's IPv4 address and index, or raise ValueError naming it."""
    try:
        index = socket.if_nametoindex(name)
    except OSError as exc:
        raise ValueError(f"interface {name!r}: no such interface") from exc
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        try:
            packed = fcntl.ioctl(s.fileno(), 0x8915, struct.pack("256s", name.encode()[:15]))  # SIOCGIFADDR
        except OSError as exc:
            raise ValueError(f"interface {name!r}: has no IPv4 address") from exc
    return Interface(name=name, address=socket.inet_ntoa(packed[20:24]), index=index)


def local_interfaces() -> list[Interface]:
    """Every local interface that has an IPv4 address."""
    found = []
    for _, name in socket.if_nameindex():
        with contextlib.suppress(ValueError):
            found.append(interface_for(name))
    return found


# ---------------------------------------------------------------- parsing


def _split(text: str) -> list[str]:
    return [t for t in text.split() if t]


def scope_value(scopes: Iterable[str], kind: str) -> str:
    """The percent-decoded value of an onvif://www.onvif.org/<kind>/... scope ('' if absent)."""
    prefix = f"onvif://www.onvif.org/{kind.lower()}/"
    for scope in scopes:
        if scope.lower().startswith(prefix):
            return scope[len(prefix) :].strip("/")
    return ""


def rewrite_xaddr(xaddr: str, sender: str, in_scope: Callable[[str], bool]) -> str:
    """Point an XAddr at the sender when its host is 0.0.0.0, a name, or unreachable from here."""
    try:
        parts = urlsplit(xaddr)
        host = parts.hostname or ""
        port = parts.port
    except ValueError:
        return ""
    if parts.scheme not in ("http", "https"):
        return ""
    try:
        ip = ipaddress.ip_address(host)
        keep = not ip.is_unspecified and not ip.is_loopback and ip.version == 4 and in_scope(host)
        # A device in scope may still advertise another in-scope host; trust only its own address
        # unless it is a real, different, in-scope address (an NVR announcing its own card, say).
    except ValueError:
        keep = False  # host names are not resolved: that could send traffic anywhere
    if keep:
        return xaddr
    netloc = sender if port is None else f"{sender}:{port}"
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


def parse_probe_matches(
    data: bytes, sender: str, in_scope: Callable[[str], bool] = lambda _h: True
) -> list[ProbeMatch]:
    """Parse one datagram into ProbeMatch records; raise HostileXML if it is not acceptable.

    Elements are matched by local name: cameras mix WS-Addressing 2004/08 and 2005/08 and
    WS-Discovery 2005/04 and 1.1 namespaces, and an ONVIF client must read them all.
    """
    root = parse_untrusted(data, max_bytes=MAX_DATAGRAM)
    message_id = text_of(root.find("{*}Header/{*}MessageID"))
    matches = []
    for pm in root.iterfind("{*}Body/{*}ProbeMatches/{*}ProbeMatch"):
        epr = text_of(pm.find("{*}EndpointReference/{*}Address"))
        if not epr:
            continue
        scopes = [unquote(s) for s in _split(text_of(pm.find("{*}Scopes")))]
        advertised = _split(text_of(pm.find("{*}XAddrs")))
        xaddrs = [x for x in (rewrite_xaddr(a, sender, in_scope) for a in advertised) if x]
        mv_text = text_of(pm.find("{*}MetadataVersion"))
        matches.append(
            ProbeMatch(
                sender=sender,
                endpoint_uuid=normalise_uuid(epr),
                types=_split(text_of(pm.find("{*}Types"))),
                scopes=scopes,
                xaddrs=list(dict.fromkeys(xaddrs)),
                xaddrs_advertised=advertised,
                metadata_version=int(mv_text) if mv_text.isdigit() else None,
                message_id=message_id,
                scope_name=scope_value(scopes, "name"),
                scope_hardware=scope_value(scopes, "hardware"),
                scope_location=scope_value(scopes, "location"),
                scope_mac=scope_value(scopes, "mac"),
            )
        )
    return matches


def normalise_uuid(epr: str) -> str:
    """`urn:uuid:ABC…` → `abc…`; other endpoint references are kept as given."""
    value = epr.strip()
    if value.lower().startswith("urn:uuid:"):
        value = value[9:]
    try:
        return str(uuid.UUID(value))
    except ValueError:
        return value


# ---------------------------------------------------------------- collection


@dataclass
class WsdResult:
    """Everything one discovery run heard."""

    matches: list[ProbeMatch] = field(default_factory=list)
    errors: dict[str, str] = field(default_factory=dict)  # sender → why its reply was refused
    ignored: list[str] = field(default_factory=list)  # senders outside the allowed networks
    probes_sent: int = 0
    datagrams: int = 0
    seconds: float = 0.0


class _Collector(asyncio.DatagramProtocol):
    """Receive path: store raw datagrams only; parsing happens after the deadline."""

    def __init__(self) -> None:
        self.received: list[tuple[bytes, str]] = []
        self.send_errors = 0
        self.dropped = 0

    def datagram_received(self, data: bytes, addr: tuple[str | int, int]) -> None:
        if len(self.received) < MAX_DATAGRAMS:  # a flooding device must not exhaust memory
            self.received.append((data, str(addr[0])))
        else:
            self.dropped += 1

    def error_received(self, exc: Exception) -> None:
        self.send_errors += 1  # ICMP port unreachable from a host without WS-Discovery: expected


def _make_socket(interface: Interface | None, rcvbuf: int) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM, socket.IPPROTO_UDP)
    # Enlarge the receive buffer: 250 replies inside half a second overflow the default.
    try:
        sock.setsockopt(socket.SOL_SOCKET, 33, rcvbuf)  # SO_RCVBUFFORCE (root ignores rmem_max)
    except OSError:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    # And the send buffer: unicast probes to empty addresses wait for ARP holding socket memory, and a
    # full buffer would hold back the probes to live hosts queued behind them.
    try:
        sock.setsockopt(socket.SOL_SOCKET, 32, rcvbuf)  # SO_SNDBUFFORCE
    except OSError:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, rcvbuf)
    sock.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, 1)  # never leave the segment
    if interface is not None:
        mreqn = struct.pack(
            "4s4si", socket.inet_aton("0.0.0.0"), socket.inet_aton(interface.address), interface.index
        )
        sock.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, mreqn)
        sock.bind((interface.address, 0))
    else:
        sock.bind(("0.0.0.0", 0))
    sock.setblocking(False)
    return sock


async def probe(
    targets: Sequence[tuple[str, int]],
    *,
    interfaces: Sequence[Interface | None] = (None,),
    shapes: Sequence[str | None] = PROBE_SHAPES,
    repeats: int = 3,
    spacing_s: float = 0.12,
    max_delay_s: float = APP_MAX_DELAY_S,
    margin_s: float = 0.3,
    rate_pps: float = 0.0,
    in_scope: Callable[[str], bool] = lambda _h: True,
    rcvbuf: int = 16 * 1024 * 1024,
) -> WsdResult:
    """Send every shape to every target `repeats` times from each interface; collect ProbeMatches."""
    loop = asyncio.get_running_loop()
    start = time.monotonic()
    collector = _Collector()
    transports = []
    try:
        for iface in interfaces:
            transport, _ = await loop.create_datagram_endpoint(
                lambda: collector, sock=_make_socket(iface, rcvbuf)
            )
            transports.append(transport)
        sent = 0
        pace = 1.0 / rate_pps if rate_pps > 0 else 0.0
        next_send = time.monotonic()
        for round_no in range(repeats):
            if round_no:
                await asyncio.sleep(spacing_s)
            for shape in shapes:
                payload = build_probe(shape)  # a new MessageID per shape and round, as the spec asks
                for transport in transports:
                    for target in targets:
                        if pace:
                            next_send += pace
                            delay = next_send - time.monotonic()
                            if delay > 0:
                                await asyncio.sleep(delay)
                        transport.sendto(payload, target)
                        sent += 1
                    await asyncio.sleep(0)  # let the receive path run between batches
        drain_until = time.monotonic() + 3.0
        # The selector transport buffers datagrams the kernel refused (EAGAIN); wait for them too.
        while any(getattr(t, "get_write_buffer_size", lambda: 0)() for t in transports) and (
            time.monotonic() < drain_until
        ):
            await asyncio.sleep(0.01)  # the reply delay counts from when the last probe really left
        last_probe = time.monotonic()
        await asyncio.sleep(max(0.0, last_probe + max_delay_s + margin_s - time.monotonic()))
    finally:
        for transport in transports:
            transport.close()
    result = WsdResult(probes_sent=sent, datagrams=len(collector.received))
    _absorb(result, collector.received, in_scope)
    result.seconds = time.monotonic() - start
    return result


def _absorb(result: WsdResult, received: list[tuple[bytes, str]], in_scope: Callable[[str], bool]) -> None:
    """Parse and de-duplicate on (sender, endpoint UUID); merge repeated answers."""
    seen: dict[tuple[str, str], ProbeMatch] = {}
    for data, sender in received:
        if not in_scope(sender):
            if sender not in result.ignored:
                result.ignored.append(sender)
            continue
        try:
            matches = parse_probe_matches(data, sender, in_scope)
        except HostileXML as exc:
            result.errors.setdefault(sender, f"hostile WS-Discovery reply ({exc})")
            continue
        for m in matches:
            key = (m.sender, m.endpoint_uuid)
            old = seen.get(key)
            if old is None:
                seen[key] = m
                continue
            old.types = list(dict.fromkeys(old.types + m.types))
            old.scopes = list(dict.fromkeys(old.scopes + m.scopes))
            old.xaddrs = list(dict.fromkeys(old.xaddrs + m.xaddrs))
            old.xaddrs_advertised = list(dict.fromkeys(old.xaddrs_advertised + m.xaddrs_advertised))
            if m.metadata_version is not None:
                old.metadata_version = max(old.metadata_version or 0, m.metadata_version)
    result.matches = list(seen.values())


def multicast_discover(interfaces: Sequence[Interface | None], **kwargs: object) -> WsdResult:
    """Blocking multicast discovery on the given interfaces."""
    return asyncio.run(probe([(MULTICAST_GROUP, WSD_PORT)], interfaces=interfaces, **kwargs))  # type: ignore[arg-type]


def unicast_discover(hosts: Sequence[str], port: int = WSD_PORT, **kwargs: object) -> WsdResult:
    """Blocking unicast discovery: a Probe to each host's WS-Discovery port."""
    return asyncio.run(probe([(h, port) for h in hosts], **kwargs))  # type: ignore[arg-type]
