"""Camera-side WS-Discovery: probe shapes, Types and Scopes matching, ProbeMatches that parse."""

from __future__ import annotations

from urllib.parse import unquote

import pytest
from lxml import etree

from discovery.lab import build_fleet, hostile
from discovery.lab.model import DeviceSpec
from discovery.lab.probe import answers, parse_probe, probe_matches, probe_message
from discovery.lab.vendors import NS_SOAP12, NS_WSA_2004, NS_WSA_2005, NS_WSD, STYLES

SAFE = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
NVT, DEV = "dn:NetworkVideoTransmitter", "tds:Device"


def one_of_each() -> dict[str, DeviceSpec]:
    spec = build_fleet(len(STYLES), seed=1, skewed=0, discovery_off=0, wrong_credentials=0, shared_serials=0)
    return {d.vendor: d for d in spec.devices}


def test_probe_shapes_per_style() -> None:
    devs = one_of_each()
    shapes = {"nvt": parse_probe(probe_message(NVT)), "device": parse_probe(probe_message(DEV))}
    shapes["empty"] = parse_probe(probe_message(""))
    got = {v: sorted(s for s, p in shapes.items() if p and answers(d, p)) for v, d in devs.items()}
    assert got == {
        "hikvision": ["device", "empty", "nvt"],
        "dahua": ["device", "nvt"],
        "axis": ["device", "empty", "nvt"],
        "uniview": ["nvt"],
        "generic": ["device", "empty"],
        "xiongmai": ["empty"],
        "reolink": ["device", "nvt"],
    }
    # No single shape finds every style: a scanner must send all three.
    for p in shapes.values():
        assert p is not None
        assert not all(answers(d, p) for d in devs.values())


def test_types_resolve_through_the_probe_namespace_declarations() -> None:
    dev = one_of_each()["hikvision"]
    other_prefix = probe_message("x:NetworkVideoTransmitter").replace(
        b'xmlns:dn="', b'xmlns:x="http://www.onvif.org/ver10/network/wsdl" xmlns:dn="'
    )
    probe = parse_probe(other_prefix)
    assert probe is not None and answers(dev, probe)
    unbound = parse_probe(probe_message("zz:NetworkVideoTransmitter"))
    assert unbound is not None and not answers(dev, unbound)


def test_scope_matching_rfc3986_prefix_and_strcmp0() -> None:
    dev = one_of_each()["dahua"]

    def probe_with(scopes: str, match_by: str = "") -> bool:
        attr = f' MatchBy="{match_by}"' if match_by else ""
        msg = probe_message(NVT).replace(b"</d:Types>", f"</d:Types><d:Scopes{attr}>{scopes}</d:Scopes>".encode())
        p = parse_probe(msg)
        assert p is not None
        return answers(dev, p)

    assert probe_with("onvif://www.onvif.org/type")
    assert probe_with("onvif://www.onvif.org/hardware/" + dev.scopes[4].rsplit("/", 1)[1])
    assert not probe_with("onvif://www.onvif.org/typ")  # not a whole segment
    assert not probe_with("onvif://www.onvif.org/type", NS_WSD + "/strcmp0")
    assert probe_with("onvif://www.onvif.org/type/video_encoder", NS_WSD + "/strcmp0")


def test_garbage_is_not_a_probe() -> None:
    assert parse_probe(b"\x00\xffnot xml") is None
    assert parse_probe(b"<a/>") is None
    bomb = hostile.BOMB_DTD.encode() + probe_message("")[probe_message("").index(b"<s:Envelope") :]
    parsed = parse_probe(bomb)  # entities are never expanded on the lab side
    assert parsed is None or parsed.types == []


@pytest.mark.parametrize("vendor", list(STYLES))
def test_probe_matches_parse_and_carry_the_truth(vendor: str) -> None:
    dev = one_of_each()[vendor]
    doc = etree.fromstring(probe_matches(dev, "urn:uuid:1234", 7), SAFE)
    assert doc.tag == f"{{{NS_SOAP12}}}Envelope"
    wsa = dev.style.wsa_ns
    assert wsa in (NS_WSA_2004, NS_WSA_2005)
    header = doc.find(f"{{{NS_SOAP12}}}Header")
    assert header is not None
    assert header.findtext(f"{{{wsa}}}RelatesTo") == "urn:uuid:1234"
    assert header.findtext(f"{{{wsa}}}Action") == NS_WSD + "/ProbeMatches"
    match = doc.find(f"{{{NS_SOAP12}}}Body/{{{NS_WSD}}}ProbeMatches/{{{NS_WSD}}}ProbeMatch")
    assert match is not None
    assert match.findtext(f"{{{wsa}}}EndpointReference/{{{wsa}}}Address") == dev.endpoint_uuid
    types_el = match.find(f"{{{NS_WSD}}}Types")
    assert types_el is not None and types_el.text is not None
    resolved = {(types_el.nsmap[t.split(":")[0]], t.split(":")[1]) for t in types_el.text.split()}
    assert ("http://www.onvif.org/ver10/network/wsdl", "NetworkVideoTransmitter") in resolved or vendor == "generic"
    scopes = (match.findtext(f"{{{NS_WSD}}}Scopes") or "").split()
    assert scopes == dev.scopes
    names = [unquote(s.split("/name/", 1)[1]) for s in scopes if "/name/" in s]
    assert names == [dev.name]
    assert (match.findtext(f"{{{NS_WSD}}}XAddrs") or "").split() == dev.advertised_xaddrs
    assert match.findtext(f"{{{NS_WSD}}}MetadataVersion") == str(dev.metadata_version)


def test_each_reply_has_a_fresh_message_id() -> None:
    dev = one_of_each()["axis"]
    ids = {
        etree.fromstring(probe_matches(dev, "urn:uuid:1", n), SAFE).findtext(f".//{{{NS_WSA_2004}}}MessageID")
        for n in range(5)
    }
    assert len(ids) == 5


def test_hostile_discovery_payloads() -> None:
    dev = one_of_each()["hikvision"]
    reply = probe_matches(dev, "urn:uuid:1", 1)
    assert len(hostile.wsd_huge(reply, dev)) >= hostile.HUGE_UDP_BYTES
    assert len(hostile.wsd_huge(reply, dev)) < 65_507
    with pytest.raises(etree.XMLSyntaxError):
        etree.fromstring(hostile.wsd_malformed(reply), SAFE)
    bomb = hostile.wsd_entity_bomb(reply, dev)
    assert b"<!ENTITY lol9" in bomb and b"&lol9;" in bomb
    xxe = hostile.wsd_external_entity(reply, dev)
    assert b'SYSTEM "file:///etc/hostname"' in xxe and hostile.canary_url(dev).encode() in xxe
    # A safe parser keeps the references unexpanded and never fetches.
    scopes = etree.fromstring(xxe, SAFE).find(f".//{{{NS_WSD}}}Scopes")
    assert scopes is not None and "etc" not in "".join(scopes.itertext())
