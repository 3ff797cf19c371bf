"""WS-Discovery: probe building, safe ProbeMatch parsing, multicast collection on loopback."""

from __future__ import annotations

import asyncio

import pytest
from lxml import etree

from discovery import wsd
from discovery.safexml import HostileXML
from tests.discovery.fakes import BOMB, PROBE_MATCH, Responder, wsd_responders

UUID = "6b1b7c9e-0000-4000-8000-0000000000a1"


def _match(xaddrs: str, scopes: str = "", uuid: str = UUID) -> bytes:
    return PROBE_MATCH.format(mid="m1", rel="r", uuid=uuid.upper(), scopes=scopes, xaddrs=xaddrs).encode()


def test_probe_shapes_are_valid_soap() -> None:
    for shape in wsd.PROBE_SHAPES:
        root = etree.fromstring(wsd.build_probe(shape))
        types = root.find("s:Body/d:Probe/d:Types", wsd.NS)
        assert (types is None) == (shape is None)
        assert root.find("s:Header/a:MessageID", wsd.NS).text.startswith("urn:uuid:")


def test_parse_match_decodes_scopes_and_rewrites_xaddrs() -> None:
    scopes = "onvif://www.onvif.org/name/Lobby%20Cam onvif://www.onvif.org/location/city/%E5%8C%97%E4%BA%AC " \
             "onvif://www.onvif.org/hardware/IPC%2DX onvif://www.onvif.org/MAC/44:19:b6:00:00:01"
    xaddrs = "http://0.0.0.0:8000/onvif/device_service http://192.168.1.64/onvif/device_service " \
             "http://198.18.0.9/onvif/device_service ftp://x/"
    [m] = wsd.parse_probe_matches(_match(xaddrs, scopes), "198.18.0.7", lambda h: h.startswith("198.18."))
    assert m.endpoint_uuid == UUID  # urn:uuid: stripped, lower-cased
    assert m.scope_name == "Lobby Cam"
    assert m.scope_location == "city/北京"
    assert m.scope_hardware == "IPC-X"
    assert m.scope_mac == "44:19:b6:00:00:01"
    assert m.metadata_version == 1
    assert m.types == ["dn:NetworkVideoTransmitter", "tds:Device"]
    assert m.xaddrs == [
        "http://198.18.0.7:8000/onvif/device_service",  # 0.0.0.0 → sender
        "http://198.18.0.7/onvif/device_service",  # a host outside the scan → sender
        "http://198.18.0.9/onvif/device_service",  # in scope: kept as advertised
    ]
    assert len(m.xaddrs_advertised) == 4


@pytest.mark.parametrize("payload", [BOMB.encode(), b"<a><b></a>", b"", b"x" * 70_000,
                                     b'<!DOCTYPE x SYSTEM "http://evil/x.dtd"><x/>'])
def test_hostile_datagrams_are_refused(payload: bytes) -> None:
    with pytest.raises(HostileXML):
        wsd.parse_probe_matches(payload, "127.0.0.1")


def _run(responders: list[Responder], **kwargs: object) -> wsd.WsdResult:
    with wsd_responders(responders) as port:
        lo = wsd.interface_for("lo")
        return asyncio.run(wsd.probe([(wsd.MULTICAST_GROUP, port)], interfaces=[lo], **kwargs))  # type: ignore[arg-type]


def test_multicast_keeps_shared_uuids_apart_and_survives_hostile_senders() -> None:
    shared = "11111111-2222-4333-8444-555555555555"
    responders = [
        Responder("127.0.0.11", shared, xaddrs="http://0.0.0.0/onvif/device_service"),
        Responder("127.0.0.12", shared, xaddrs="http://127.0.0.12/onvif/device_service"),
        Responder("127.0.0.13", UUID, answers=("Device",)),  # answers only tds:Device probes
        Responder("127.0.0.14", "22222222-2222-4333-8444-555555555555", fixed_message_id="1"),
        Responder("127.0.0.15", "x", payload=BOMB.encode()),
    ]
    result = _run(responders, in_scope=lambda h: h.startswith("127."))
    found = {(m.sender, m.endpoint_uuid) for m in result.matches}
    assert found == {("127.0.0.11", shared), ("127.0.0.12", shared), ("127.0.0.13", UUID),
                     ("127.0.0.14", "22222222-2222-4333-8444-555555555555")}
    assert "doctype" in result.errors["127.0.0.15"]
    first = next(m for m in result.matches if m.sender == "127.0.0.11")
    assert first.xaddrs == ["http://127.0.0.11/onvif/device_service"]
    assert responders[3].probes == 9  # 3 shapes × 3 repeats, every repeated MessageID reply kept
    assert result.probes_sent == 9


def test_senders_outside_scope_are_ignored() -> None:
    result = _run([Responder("127.0.0.21", UUID)], in_scope=lambda h: h == "127.0.0.99", repeats=1)
    assert result.matches == []
    assert result.ignored == ["127.0.0.21"]


def test_other_addressing_and_discovery_namespaces_are_read() -> None:
    reply = (
        '<soap:Envelope xmlns:soap="http://www.w3.org/2003/05/soap-envelope" '
        'xmlns:wsa="http://www.w3.org/2005/08/addressing" '
        'xmlns:wsd="http://docs.oasis-open.org/ws-dd/ns/discovery/2009/01"><soap:Header>'
        "<wsa:MessageID>urn:uuid:m</wsa:MessageID></soap:Header><soap:Body><wsd:ProbeMatches><wsd:ProbeMatch>"
        f"<wsa:EndpointReference><wsa:Address>urn:uuid:{UUID}</wsa:Address></wsa:EndpointReference>"
        "<wsd:XAddrs>http://127.0.0.5/onvif/device_service</wsd:XAddrs>"
        "</wsd:ProbeMatch></wsd:ProbeMatches></soap:Body></soap:Envelope>"
    ).encode()
    [m] = wsd.parse_probe_matches(reply, "127.0.0.5")
    assert m.endpoint_uuid == UUID and m.xaddrs == ["http://127.0.0.5/onvif/device_service"]
