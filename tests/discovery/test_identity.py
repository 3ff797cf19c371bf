"""ONVIF identity against fake cameras on loopback: fields, auth with the camera's clock, statuses."""

from __future__ import annotations

import logging
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import ThreadingHTTPServer

import pytest

from discovery.credentials import Credential
from discovery.guard import READ_ONLY_OPERATIONS, WriteRefused, check_operation
from discovery.identity import (
    DEVICE_BINDING,
    BoundedTransport,
    IdentifyOptions,
    Target,
    WsdlCache,
    identify,
    identify_many,
    normalise_mac,
    redact_uri,
)
from discovery.models import Status
from tests.discovery.fakes import CameraSpec, _Handler, fake_camera

SECRET = "s3cret-Pa55"


@pytest.fixture(scope="module")
def cache() -> WsdlCache:
    return WsdlCache()


def _target(port: int) -> Target:
    return Target("127.0.0.1", [f"http://127.0.0.1:{port}/onvif/device_service"])


def test_reads_identity_without_auth(cache: WsdlCache) -> None:
    with fake_camera(CameraSpec(clock_offset_s=-120)) as (spec, port):
        ident = identify(_target(port), [], cache)
    assert ident.status is Status.OK, ident.error
    assert (ident.manufacturer, ident.model, ident.firmware) == (spec.manufacturer, spec.model, spec.firmware)
    assert (ident.serial, ident.hardware_id, ident.hostname) == (spec.serial, "88", "cam-lobby")
    assert ident.macs == ["44:19:b6:00:00:01"]
    assert ident.scopes == ["onvif://www.onvif.org/name/Lobby Cam"]
    assert ident.clock_offset_s is not None and abs(ident.clock_offset_s + 120) < 3
    assert not ident.authenticated
    assert spec.requests == ["GetSystemDateAndTime", "GetDeviceInformation", "GetNetworkInterfaces",
                             "GetScopes", "GetHostname", "GetServices"]  # no Recording Search listed: no more


def test_digest_is_signed_with_the_camera_clock_and_pairs_are_tried_in_turn(cache: WsdlCache) -> None:
    # The camera's clock is an hour ahead: a digest stamped with our clock would be rejected.
    spec = CameraSpec(username="admin", password=SECRET, clock_offset_s=3600)
    creds = [Credential("admin", "wrong"), Credential("admin", SECRET)]
    with fake_camera(spec) as (_, port):
        ident = identify(_target(port), creds, cache)
    assert ident.status is Status.OK, ident.error
    assert ident.authenticated and ident.serial == spec.serial


def test_camera_that_wants_auth_even_for_its_clock_is_dated_by_its_date_header(cache: WsdlCache) -> None:
    # The clock is two days off and GetSystemDateAndTime wants credentials: only the Date header tells.
    spec = CameraSpec(username="admin", password=SECRET, mode="clock_auth", clock_offset_s=2 * 86400)
    with fake_camera(spec) as (_, port):
        ident = identify(_target(port), [Credential("admin", SECRET)], cache)
    assert ident.status is Status.OK and ident.serial == spec.serial, ident.error
    assert ident.clock_offset_s is not None and abs(ident.clock_offset_s - 2 * 86400) < 3
    assert "GetSystemDateAndTime" in ident.error and ident.auth_tries == 1


def test_a_401_page_is_a_refusal_and_the_next_pair_is_tried(cache: WsdlCache) -> None:
    # Hikvision answers a wrong password with HTTP 401 and an HTML page (home-assistant/core#119024); here even
    # for the clock, so the sweep and the clock must take the 401 for what it is too.
    spec = CameraSpec(username="admin", password=SECRET, mode="clock_auth", auth_failure="http401")
    with fake_camera(spec) as (_, port):
        ident = identify(_target(port), [Credential("admin", "wrong"), Credential("admin", SECRET)], cache)
        refused = identify(_target(port), [Credential("admin", "wrong")], cache)
    assert ident.status is Status.OK and ident.serial == spec.serial and ident.auth_tries == 2, ident.error
    assert refused.status is Status.AUTH_FAILED and "none of the 1" in refused.error


@pytest.mark.parametrize("creds, message", [([Credential("admin", "nope")], "none of the 1"),
                                            ([], "no credentials")])
def test_auth_failure(cache: WsdlCache, creds: list[Credential], message: str) -> None:
    with fake_camera(CameraSpec(username="admin", password=SECRET)) as (_, port):
        ident = identify(_target(port), creds, cache)
    assert ident.status is Status.AUTH_FAILED
    assert message in ident.error


@pytest.mark.parametrize("mode", ["bom", "soap_as_html"])
def test_the_body_decides_not_a_bom_or_the_content_type(cache: WsdlCache, mode: str) -> None:
    # No public report names a camera for these; UTF-8 encoders write BOMs and embedded servers mislabel
    # bodies, and neither is a reason to call an ONVIF device something else.
    with fake_camera(CameraSpec(mode=mode)) as (spec, port):
        ident = identify(_target(port), [], cache)
    assert ident.status is Status.OK and ident.serial == spec.serial, ident.error


@pytest.mark.parametrize("mode, status", [
    ("html", Status.NOT_ONVIF), ("page_as_soap", Status.NOT_ONVIF), ("fault", Status.SOAP_FAULT),
    ("bomb", Status.HOSTILE_REPLY),
    ("xxe", Status.HOSTILE_REPLY), ("huge", Status.HOSTILE_REPLY), ("malformed", Status.HOSTILE_REPLY),
    ("endless", Status.HOSTILE_REPLY), ("slow", Status.TIMEOUT),
])
def test_each_failure_is_its_own_status(cache: WsdlCache, mode: str, status: Status) -> None:
    with fake_camera(CameraSpec(mode=mode)) as (_, port):
        ident = identify(_target(port), [], cache, IdentifyOptions(request_timeout_s=1.0, device_budget_s=3))
    assert ident.status is status, ident.error
    assert ident.error


def test_refused_connection(cache: WsdlCache) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # bound, not listening: connections are refused
        ident = identify(_target(port), [], cache, IdentifyOptions(fallback_ports=[port]))
    assert ident.status is Status.REFUSED


def test_advertised_port_refused_service_on_another_port(cache: WsdlCache) -> None:
    with socket.socket() as closed, fake_camera() as (spec, port):
        closed.bind(("127.0.0.1", 0))
        advertised = f"http://127.0.0.1:{closed.getsockname()[1]}/onvif/device_service"
        # As the sweep reports it: the advertised XAddr first, the port that answered after it.
        ident = identify(Target("127.0.0.1", [advertised, _target(port).urls[0]]), [], cache)
        assert ident.status is Status.OK and ident.serial == spec.serial, ident.error
        assert ident.service_url == _target(port).urls[0] and "not at " + advertised in ident.error
        # Found by multicast alone (no sweep): the usual ports are tried once the advertised one refuses.
        alone = identify(Target("127.0.0.1", [advertised]), [], cache, IdentifyOptions(fallback_ports=[80, port]))
        assert alone.status is Status.OK and alone.serial == spec.serial, alone.error


def test_an_xaddr_naming_another_host_is_moved_onto_the_device(cache: WsdlCache) -> None:
    # 127.0.0.61 advertises an XAddr on 127.0.0.62, another camera: identity must stay 127.0.0.61's.
    with fake_camera(CameraSpec(serial="SN-61"), host="127.0.0.61") as (_, port), \
            _bound(CameraSpec(serial="SN-62"), "127.0.0.62", port) as other:
        ident = identify(Target("127.0.0.61", [f"http://127.0.0.62:{port}/onvif/device_service"]), [], cache)
    assert ident.status is Status.OK and ident.serial == "SN-61"
    assert other.requests == []  # never contacted


def test_garbled_hardware_address_is_not_reported(cache: WsdlCache) -> None:
    with fake_camera(CameraSpec(mac="41a0bc:41a0bd:41a0be:41a0bf:41a0c0:41a0c1")) as (_, port):
        ident = identify(_target(port), [], cache)
    assert ident.status is Status.OK and ident.macs == []
    assert "invalid hardware address" in ident.error


def test_profiles_and_stream_uris(cache: WsdlCache) -> None:
    with fake_camera(CameraSpec(username="admin", password=SECRET)) as (spec, port):
        ident = identify(_target(port), [Credential("admin", SECRET)], cache, IdentifyOptions(profiles=True))
    assert ident.status is Status.OK, ident.error
    [p] = ident.profiles
    assert (p.token, p.encoding, p.width, p.height) == ("main", "H264", 2688, 1520)
    assert p.stream_uri == "rtsp://camera/Streaming/101"
    assert "GetStreamUri" in spec.requests


def test_read_only_guard_blocks_writes_before_any_byte_leaves(cache: WsdlCache) -> None:
    assert all(op.startswith("Get") for op in READ_ONLY_OPERATIONS)
    for op in ("SetHostname", "SystemReboot", "CreateUsers", "DeleteUsers", "Subscribe", "", "GetX"):
        with pytest.raises(WriteRefused):
            check_operation(op)
    with fake_camera() as (spec, port):
        service = cache.service("devicemgmt.wsdl", DEVICE_BINDING, f"http://127.0.0.1:{port}/onvif/device_service",
                                BoundedTransport(timeout_s=2), None)
        with pytest.raises(WriteRefused):
            service.SetHostname(Name="pwned")
        with pytest.raises(WriteRefused):
            service.SystemReboot()
        service.GetHostname()
    assert spec.requests == ["GetHostname"]


def test_every_allowed_operation_exists_in_the_wsdls(cache: WsdlCache) -> None:
    ops: set[str] = set()
    for wsdl in ("devicemgmt.wsdl", "media.wsdl", "search.wsdl"):
        for binding in cache.document(wsdl).bindings.values():
            ops |= set(binding._operations)
    assert ops >= READ_ONLY_OPERATIONS


@pytest.fixture
def many_cameras() -> Iterator[list[tuple[CameraSpec, int]]]:
    from contextlib import ExitStack

    with ExitStack() as stack:
        yield [stack.enter_context(fake_camera(CameraSpec(serial=f"SN{i:04d}", mac=f"02:00:00:00:00:{i:02x}")))
               for i in range(12)]


def test_identify_many_in_parallel_with_one_parsed_wsdl(many_cameras: list[tuple[CameraSpec, int]]) -> None:
    cache = WsdlCache()
    targets = [_target(port) for _, port in many_cameras]
    results = dict((t.urls[0], i) for t, i in identify_many(targets, lambda _a: [], cache=cache, workers=6))
    for spec, port in many_cameras:
        ident = results[_target(port).urls[0]]
        assert ident.status is Status.OK and ident.serial == spec.serial and ident.macs == [spec.mac]
    assert list(cache._docs) == ["devicemgmt.wsdl"]  # parsed once, shared by all devices


def test_credentials_never_reach_logs(cache: WsdlCache, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    spec = CameraSpec(username="inspector-user", password=SECRET)
    with fake_camera(spec) as (_, port):
        ident = identify(_target(port), [Credential("inspector-user", "wrong-" + SECRET),
                                         Credential("inspector-user", SECRET)], cache)
    assert ident.status is Status.OK
    assert SECRET not in caplog.text
    assert SECRET not in repr(Credential("u", SECRET)) and SECRET not in str(Credential("u", SECRET))


def test_stream_uris_lose_their_credentials() -> None:
    assert redact_uri("rtsp://admin:pw@198.18.1.5:554/s?a=1") == "rtsp://198.18.1.5:554/s?a=1"
    assert redact_uri("rtsp://h/user=admin&password=secret&channel=1") == "rtsp://h/user=admin&password=***&channel=1"
    assert redact_uri("rtsp://h/user=admin&password=&channel=1") == "rtsp://h/user=admin&password=&channel=1"


def test_normalise_mac() -> None:
    assert normalise_mac("44-19-B6-00-00-01") == "44:19:b6:00:00:01"
    assert normalise_mac("4419.b600.0001") == "44:19:b6:00:00:01"
    assert normalise_mac("garbage") == "garbage"


@contextmanager
def _bound(spec: CameraSpec, host: str, port: int) -> Iterator[CameraSpec]:
    """A fake camera on a given address and port (two fakes sharing a port on two addresses)."""
    handler = type("H", (_Handler,), {"spec": spec})
    server = ThreadingHTTPServer((host, port), handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield spec
    finally:
        server.shutdown()
        server.server_close()
