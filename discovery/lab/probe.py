"""WS-Discovery on the camera side: read a Probe, decide whether to answer, build ProbeMatches."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from xml.sax.saxutils import escape

from lxml import etree

from discovery.lab.model import DeviceSpec
from discovery.lab.vendors import (
    DEVICE,
    EMPTY,
    NS_DEVICE,
    NS_NETWORK,
    NS_SOAP12,
    NS_WSA_2004,
    NS_WSA_2005,
    NS_WSD,
    NVT,
)

ACTION_PROBE = NS_WSD + "/Probe"
ACTION_MATCHES = NS_WSD + "/ProbeMatches"
RFC3986 = NS_WSD + "/rfc3986"
STRCMP0 = NS_WSD + "/strcmp0"
_ANONYMOUS = {
    NS_WSA_2004: NS_WSA_2004 + "/role/anonymous",
    NS_WSA_2005: NS_WSA_2005 + "/anonymous",
}
_TYPE_QNAMES = {
    "dn:NetworkVideoTransmitter": (NS_NETWORK, "NetworkVideoTransmitter"),
    "tds:Device": (NS_DEVICE, "Device"),
}
_SHAPE = {_TYPE_QNAMES["dn:NetworkVideoTransmitter"]: NVT, _TYPE_QNAMES["tds:Device"]: DEVICE}
# The lab never needs entities or DTDs from a prober; refuse them outright.
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)


@dataclass
class Probe:
    """What a received Probe asks for."""

    message_id: str | None
    types: list[tuple[str, str]] = field(default_factory=list)  # expanded QNames
    scopes: list[str] = field(default_factory=list)
    match_by: str = RFC3986


def parse_probe(data: bytes) -> Probe | None:
    """The Probe in `data`, or None for anything else (including garbage)."""
    try:
        root = etree.fromstring(data, _PARSER)
    except etree.XMLSyntaxError:
        return None
    probe = root.find(f"{{{NS_SOAP12}}}Body/{{{NS_WSD}}}Probe")
    if probe is None:
        return None
    msg_id = None
    for wsa in (NS_WSA_2004, NS_WSA_2005):
        msg_id = msg_id or root.findtext(f"{{{NS_SOAP12}}}Header/{{{wsa}}}MessageID")
    out = Probe(message_id=msg_id.strip() if msg_id else None)
    types_el = probe.find(f"{{{NS_WSD}}}Types")
    if types_el is not None and types_el.text:
        for qname in types_el.text.split():
            prefix, _, local = qname.rpartition(":")
            ns = types_el.nsmap.get(prefix or None)
            out.types.append((ns or "", local))  # an unbound prefix matches nothing
    scopes_el = probe.find(f"{{{NS_WSD}}}Scopes")
    if scopes_el is not None:
        out.scopes = (scopes_el.text or "").split()
        out.match_by = scopes_el.get("MatchBy", RFC3986)
    return out


def _scope_matches(probe_scope: str, dev_scopes: list[str], match_by: str) -> bool:
    if match_by == STRCMP0:
        return probe_scope in dev_scopes
    want = probe_scope.rstrip("/")
    return any(s == want or s.startswith(want + "/") for s in (d.rstrip("/") for d in dev_scopes))


def answers(dev: DeviceSpec, probe: Probe) -> bool:
    """Whether `dev` answers `probe`: its probe shapes, its Types, then the Scopes rule."""
    shapes = dev.style.probe_shapes
    if not probe.types:
        if EMPTY not in shapes:
            return False
    else:
        advertised = {_TYPE_QNAMES[t] for t in dev.types}
        for t in probe.types:
            if t not in advertised or _SHAPE.get(t) not in shapes:
                return False
    return all(_scope_matches(s, dev.scopes, probe.match_by) for s in probe.scopes)


def probe_matches(dev: DeviceSpec, relates_to: str | None, message_number: int) -> bytes:
    """A ProbeMatches envelope in the device's vendor style, with a fresh MessageID."""
    st = dev.style
    a, d = st.wsa_prefix, st.wsd_prefix
    ns = f'xmlns:{a}="{st.wsa_ns}" xmlns:{d}="{NS_WSD}" xmlns:dn="{NS_NETWORK}" xmlns:tds="{NS_DEVICE}"'
    e = f"{st.env_prefix}:" if st.env_prefix else ""
    env_ns = f'xmlns:{st.env_prefix}="{NS_SOAP12}"' if st.env_prefix else f'xmlns="{NS_SOAP12}"'
    relates = f"<{a}:RelatesTo>{escape(relates_to)}</{a}:RelatesTo>" if relates_to else ""
    # AppSequence InstanceId is the boot time in real devices; a constant per device will do.
    instance = int(dev.endpoint_uuid[-8:], 16) % 10**9
    header = (
        f"<{e}Header><{a}:MessageID>urn:uuid:{uuid.uuid4()}</{a}:MessageID>{relates}"
        f"<{a}:To>{_ANONYMOUS[st.wsa_ns]}</{a}:To><{a}:Action>{ACTION_MATCHES}</{a}:Action>"
        f'<{d}:AppSequence InstanceId="{instance}" MessageNumber="{message_number}"/></{e}Header>'
    )
    match = (
        f"<{d}:ProbeMatch><{a}:EndpointReference><{a}:Address>{dev.endpoint_uuid}</{a}:Address>"
        f"</{a}:EndpointReference><{d}:Types>{' '.join(dev.types)}</{d}:Types>"
        f"<{d}:Scopes>{escape(' '.join(dev.scopes))}</{d}:Scopes>"
        f"<{d}:XAddrs>{' '.join(dev.advertised_xaddrs)}</{d}:XAddrs>"
        f"<{d}:MetadataVersion>{dev.metadata_version}</{d}:MetadataVersion></{d}:ProbeMatch>"
    )
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<{e}Envelope {env_ns} {ns}>{header}'
        f"<{e}Body><{d}:ProbeMatches>{match}</{d}:ProbeMatches></{e}Body></{e}Envelope>"
    ).encode()


def probe_message(types: str = "dn:NetworkVideoTransmitter", message_id: str | None = None) -> bytes:
    """A minimal Probe as a scanner sends it (used by the lab's own checks and tests)."""
    mid = message_id or f"urn:uuid:{uuid.uuid4()}"
    types_el = f"<d:Types>{types}</d:Types>" if types else ""
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><s:Envelope xmlns:s="{NS_SOAP12}" '
        f'xmlns:a="{NS_WSA_2004}" xmlns:d="{NS_WSD}" xmlns:dn="{NS_NETWORK}" xmlns:tds="{NS_DEVICE}">'
        f"<s:Header><a:Action>{ACTION_PROBE}</a:Action><a:MessageID>{mid}</a:MessageID>"
        "<a:To>urn:schemas-xmlsoap-org:ws:2005:04:discovery</a:To></s:Header>"
        f"<s:Body><d:Probe>{types_el}</d:Probe></s:Body></s:Envelope>"
    ).encode()
