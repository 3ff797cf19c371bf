"""Hostile payloads: what misbehaving devices send instead of a proper reply.

Each builder returns complete bytes except the endless modes, which the servers drive
themselves. External-entity payloads point at the device's own `/xxe-canary` path, so a
scanner that resolves entities shows up as an `xxe_fetch` event in the lab log, and at a
local file that must never leak into a report.
"""

from __future__ import annotations

import functools

from discovery.lab import soap
from discovery.lab.model import DeviceSpec

CANARY_PATH = "/xxe-canary"
HUGE_HTTP_BYTES = 8 * 1024 * 1024
HUGE_UDP_BYTES = 60_000  # under the 65 507-byte UDP payload limit

# Ten levels of ten: 10**9 "lol"s, about 3 GB once expanded.
BOMB_DTD = (
    '<!DOCTYPE lolz [<!ENTITY lol "lol">'
    + "".join(f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10 if i > 1 else "&lol;" * 10}">' for i in range(1, 10))
    + "]>"
)
BOMB_REF = "&lol9;"


def xxe_dtd(canary_url: str) -> str:
    """A DOCTYPE whose entities read a local file and fetch the lab's canary URL."""
    return f'<!DOCTYPE r [<!ENTITY xxe SYSTEM "file:///etc/hostname"><!ENTITY canary SYSTEM "{canary_url}">]>'


def canary_url(dev: DeviceSpec) -> str:
    """URL on the device itself that records who fetched it."""
    port = "" if dev.http_port == 80 else f":{dev.http_port}"
    return f"http://{dev.ip}{port}{CANARY_PATH}"


def _with_doctype(doc: bytes, doctype: str) -> bytes:
    """Insert `doctype` after the XML declaration of `doc`."""
    decl, _, rest = doc.partition(b"\n")
    return decl + b"\n" + doctype.encode() + rest


def http_entity_bomb(dev: DeviceSpec) -> bytes:
    """GetDeviceInformationResponse whose Manufacturer expands to ~3 GB."""
    body = soap.get_device_information(dev).replace(
        f"<tds:Manufacturer>{dev.manufacturer}<", f"<tds:Manufacturer>{BOMB_REF}<", 1
    )
    return _with_doctype(soap.envelope(dev, body), BOMB_DTD)


def http_external_entity(dev: DeviceSpec) -> bytes:
    """GetDeviceInformationResponse that pulls a local file and the canary URL into its fields."""
    body = (
        soap.get_device_information(dev)
        .replace(f"<tds:Manufacturer>{dev.manufacturer}<", "<tds:Manufacturer>&xxe;<", 1)
        .replace(f"<tds:HardwareId>{dev.hardware_id}<", "<tds:HardwareId>&canary;<", 1)
    )
    return _with_doctype(soap.envelope(dev, body), xxe_dtd(canary_url(dev)))


@functools.lru_cache(maxsize=16)
def _huge_scopes(count: int) -> str:
    item = "<tds:Scopes><tt:ScopeDef>Fixed</tt:ScopeDef><tt:ScopeItem>onvif://www.onvif.org/x/{:08d}</tt:ScopeItem></tds:Scopes>"
    return "".join(item.format(i) for i in range(count))


def http_huge(dev: DeviceSpec) -> bytes:
    """A well-formed GetScopesResponse of about 8 MB."""
    per = len(_huge_scopes(1))
    return soap.envelope(dev, f"<tds:GetScopesResponse>{_huge_scopes(HUGE_HTTP_BYTES // per)}</tds:GetScopesResponse>")


def http_malformed(dev: DeviceSpec) -> bytes:
    """Mismatched and unclosed tags: not XML at all."""
    return soap.envelope(dev, soap.get_device_information(dev)).replace(b"</tds:Manufacturer>", b"</tds:Model>", 1)[
        :-40
    ]


NOT_ONVIF_HTML = (
    b"<!DOCTYPE html><html><head><title>Web Service</title></head>"
    b"<body><h1>Login</h1><form method='post' action='/login.cgi'><input name='user'></form></body></html>"
)

ENDLESS_HTTP_HEAD = "<tds:GetDeviceInformationResponse><tds:Manufacturer>"
ENDLESS_CHUNK = b"lab-endless "


def endless_http_prefix(dev: DeviceSpec) -> bytes:
    """Start of a reply whose Manufacturer text never ends."""
    doc = soap.envelope(dev, ENDLESS_HTTP_HEAD + "\x00")
    return doc[: doc.index(b"\x00")]


# --- WS-Discovery (one datagram each) ------------------------------------------------------


def _scopes_open(dev: DeviceSpec) -> bytes:
    return f"<{dev.style.wsd_prefix}:Scopes>".encode()


def wsd_entity_bomb(reply: bytes, dev: DeviceSpec) -> bytes:
    """ProbeMatches whose Scopes expand to ~3 GB."""
    tag = _scopes_open(dev)
    return _with_doctype(reply.replace(tag, tag + BOMB_REF.encode() + b" ", 1), BOMB_DTD)


def wsd_external_entity(reply: bytes, dev: DeviceSpec) -> bytes:
    """ProbeMatches whose Scopes pull a local file and the canary URL."""
    tag = _scopes_open(dev)
    return _with_doctype(reply.replace(tag, tag + b"&xxe; &canary; ", 1), xxe_dtd(canary_url(dev)))


def wsd_huge(reply: bytes, dev: DeviceSpec) -> bytes:
    """ProbeMatches padded to ~60 KB with extra scopes (one maximal datagram)."""
    pad_len = max(0, HUGE_UDP_BYTES - len(reply))
    unit = b" onvif://www.onvif.org/pad/0123456789abcdef"
    pad = (unit * (pad_len // len(unit) + 1))[:pad_len]
    close = f"</{dev.style.wsd_prefix}:Scopes>".encode()
    return reply.replace(close, pad + close, 1)


def wsd_malformed(reply: bytes) -> bytes:
    """A ProbeMatches cut in half."""
    return reply[: len(reply) // 2]


WSD_NOT_ONVIF = b"HTTP/1.1 200 OK\r\nServer: upnp\r\n\r\n\x00\xff\xfe<notxml"
