"""A loopback lab (no root needed) answered by real onvif-zeep clients and raw sockets."""

from __future__ import annotations

import datetime as dt
import os
import socket
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import onvif
import pytest
import zeep
from lxml import etree
from onvif.client import ONVIFCamera, UsernameDigestTokenDtDiff
from zeep.exceptions import Fault

from discovery.lab import Lab, running_lab
from discovery.lab.model import DeviceSpec
from discovery.lab.probe import probe_message
from discovery.lab.vendors import NS_WSA_2004, NS_WSA_2005, STYLES
from tests.discovery.lab import clean_fleet

WSDL_DIR = Path(onvif.__file__).resolve().parent.parent / "wsdl"  # onvif-zeep's bundled WSDLs
NS_TDS = "http://www.onvif.org/ver10/device/wsdl"
NS_TRT = "http://www.onvif.org/ver10/media/wsdl"
NOT_AUTHORIZED = "{http://www.onvif.org/ver10/error}NotAuthorized"
HOSTILE = ["refuse", "not_onvif", "endless_reply", "entity_bomb", "huge_reply", "malformed_xml", "slow"]


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    n = len(STYLES)  # devices 0..n-1: one clean device per style
    spec = clean_fleet(
        n + 2 + len(HOSTILE),
        loopback=True,
        seed=21,
        name=f"t{os.getpid()}",
        slow_delay_s=3.0,
        max_delay_ms=100,
    )
    devs = spec.devices
    devs[0].clock_skew_s = 8 * 3600.0  # local time stored as UTC, a classic
    devs[1].clock_skew_s = -836_000_000.0  # clock reset to ~2000
    devs[n].password, devs[n].credentials_known = "secret-not-on-the-list", False
    devs[n + 1].discoverable = False
    for dev, mode in zip(devs[n + 2 :], HOSTILE, strict=True):
        dev.hostile_http = mode
    with running_lab(spec, state_dir=tmp_path_factory.mktemp("labstate")) as running:
        yield running


@pytest.fixture(scope="module")
def clients() -> dict[str, zeep.Client]:
    """One parsed WSDL per service, as a scanner should keep them."""
    settings = zeep.Settings(strict=False, xml_huge_tree=True)
    return {
        "device": zeep.Client(str(WSDL_DIR / "devicemgmt.wsdl"), settings=settings),
        "media": zeep.Client(str(WSDL_DIR / "media.wsdl"), settings=settings),
    }


def services(
    clients: dict[str, zeep.Client], dev: DeviceSpec, *, password: str | None = None, skew: bool = True
) -> tuple[Any, Any]:
    """Device and media proxies for `dev`, signing with the camera's clock when `skew`."""
    offset = dt.timedelta(seconds=dev.clock_skew_s) if skew else None
    token = UsernameDigestTokenDtDiff(dev.username, password or dev.password, dt_diff=offset, use_digest=True)
    for c in clients.values():
        c.wsse = token
    device = clients["device"].create_service(f"{{{NS_TDS}}}DeviceBinding", dev.device_service_url)
    media = clients["media"].create_service(f"{{{NS_TRT}}}MediaBinding", dev.media_service_url)
    return device, media


def clean_devices(lab: Lab) -> list[DeviceSpec]:
    return [d for d in lab.devices if not d.hostile_http]


def test_every_style_identifies_through_real_onvif_zeep(lab: Lab, clients: dict[str, zeep.Client]) -> None:
    for dev in clean_devices(lab):
        if not dev.credentials_known:
            continue
        device, media = services(clients, dev)
        clock = device.GetSystemDateAndTime().UTCDateTime
        cam_time = dt.datetime(
            clock.Date.Year,
            clock.Date.Month,
            clock.Date.Day,
            clock.Time.Hour,
            clock.Time.Minute,
            clock.Time.Second,
            tzinfo=dt.UTC,
        )
        true_now = dt.datetime.now(dt.UTC)
        assert abs((cam_time - true_now).total_seconds() - dev.clock_skew_s) < 5
        info = device.GetDeviceInformation()
        assert (info.Manufacturer, info.Model, info.FirmwareVersion, info.SerialNumber, info.HardwareId) == (
            dev.manufacturer,
            dev.model,
            dev.firmware,
            dev.serial,
            dev.hardware_id,
        )
        nics = device.GetNetworkInterfaces()
        assert [n.Info.HwAddress.lower().replace("-", ":") for n in nics] == dev.macs
        assert [s.ScopeItem for s in device.GetScopes()] == dev.scopes
        assert device.GetHostname().Name == dev.hostname
        caps = device.GetCapabilities("All")
        assert caps.Media.XAddr == dev.media_service_url
        profiles = media.GetProfiles()
        assert len(profiles) == 2
        uri = media.GetStreamUri({"Stream": "RTP-Unicast", "Transport": {"Protocol": "RTSP"}}, profiles[0].token)
        assert uri.Uri == dev.stream_uri(0)


def refusal_of(dev: DeviceSpec, exc: BaseException) -> bool:
    """Whether a zeep error is the refusal this camera's style gives a wrong password."""
    if dev.style.auth_failure == "http401_html":  # HTTP 401 and an HTML page (Hikvision)
        return isinstance(exc, zeep.exceptions.Fault | zeep.exceptions.TransportError) and (
            "401" in str(exc) or "Unauthorized" in str(getattr(exc, "detail", "") or exc)
        )
    assert isinstance(exc, Fault)
    if dev.style.auth_failure == "empty_sender":  # HTTP 400, Sender fault without subcode or reason (Reolink)
        return not exc.subcodes and not exc.message
    return NOT_AUTHORIZED in [str(q) for q in exc.subcodes or []]


def test_skewed_clock_rejects_tokens_signed_with_true_time(lab: Lab, clients: dict[str, zeep.Client]) -> None:
    dev = next(d for d in clean_devices(lab) if d.clock_skew_s == 8 * 3600)
    device, _ = services(clients, dev, skew=False)
    device.GetSystemDateAndTime()  # no auth needed
    with pytest.raises(zeep.exceptions.Error) as err:
        device.GetDeviceInformation()
    assert refusal_of(dev, err.value)
    assert lab.events("auth_failed", dev.id)[-1]["reason"].startswith("Created too far from the camera clock")


def test_wrong_password_is_refused_in_the_style_of_the_camera(lab: Lab, clients: dict[str, zeep.Client]) -> None:
    dev = next(d for d in clean_devices(lab) if not d.credentials_known)
    for user, password in lab.spec.site_credentials[:2]:
        assert password != dev.password
        device, _ = services(clients, dev, password=password)
        with pytest.raises(zeep.exceptions.Error) as err:
            device.GetDeviceInformation()
        assert refusal_of(dev, err.value), (user, err.value)


def test_writes_are_refused_and_recorded(lab: Lab, clients: dict[str, zeep.Client]) -> None:
    dev = next(d for d in clean_devices(lab) if d.credentials_known and d.clock_skew_s == 0)
    device, _ = services(clients, dev)
    with pytest.raises(Fault):
        device.SetHostname("pwned")
    with pytest.raises(Fault):
        device.SystemReboot()
    assert device.GetHostname().Name == dev.hostname
    ops = [(e["device"], e["op"]) for e in lab.write_attempts()]
    assert (dev.id, "SetHostname") in ops and (dev.id, "SystemReboot") in ops


def test_naive_onvif_camera_works_and_its_subscription_shows_as_a_write(lab: Lab) -> None:
    dev = next(d for d in clean_devices(lab) if d.vendor == "axis" and d.credentials_known)
    cam = ONVIFCamera(dev.ip, dev.http_port, dev.username, dev.password, str(WSDL_DIR), adjust_time=True)
    assert cam.devicemgmt.GetDeviceInformation().SerialNumber == dev.serial
    writes = [e["op"] for e in lab.write_attempts() if e["device"] == dev.id]
    assert "CreatePullPointSubscription" in writes  # onvif-zeep subscribes on connect: not read-only


def test_discovery_via_the_emulated_group_and_unicast(lab: Lab) -> None:
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    sock.settimeout(1.0)
    sent = {}
    for types in ("dn:NetworkVideoTransmitter", "tds:Device", ""):
        mid = f"urn:uuid:{uuid.uuid4()}"
        sent[mid] = types
        sock.sendto(probe_message(types, mid), lab.multicast_target)
    senders: dict[tuple[str, int], set[str]] = {}
    try:
        while True:
            data, addr = sock.recvfrom(65535)
            root = etree.fromstring(data)
            relates = root.findtext(f".//{{{NS_WSA_2004}}}RelatesTo") or root.findtext(f".//{{{NS_WSA_2005}}}RelatesTo")
            assert relates in sent
            senders.setdefault(addr, set()).add(relates)
    except TimeoutError:
        pass
    expected = {(d.ip, d.wsd_port) for d in lab.devices if d.multicast_reachable}
    assert set(senders) == expected  # each reply from the device's own address and port
    silent = next(d for d in lab.devices if not d.discoverable)
    sock.sendto(probe_message(""), (silent.ip, silent.wsd_port))
    uni = next(d for d in lab.devices if d.vendor == "uniview")
    sock.sendto(probe_message(""), (uni.ip, uni.wsd_port))  # uniview ignores empty probes
    sock.sendto(probe_message("dn:NetworkVideoTransmitter"), (uni.ip, uni.wsd_port))
    data, addr = sock.recvfrom(65535)
    assert addr == (uni.ip, uni.wsd_port)
    with pytest.raises(TimeoutError):
        sock.recvfrom(65535)
    sock.close()


def hostile_dev(lab: Lab, mode: str) -> DeviceSpec:
    return next(d for d in lab.devices if d.hostile_http == mode)


def post(dev: DeviceSpec, timeout: float = 5.0) -> httpx.Response:
    body = (
        '<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Body>'
        f'<GetSystemDateAndTime xmlns="{NS_TDS}"/></s:Body></s:Envelope>'
    )
    return httpx.post(
        dev.device_service_url, content=body, timeout=timeout, headers={"Content-Type": "application/soap+xml"}
    )


def test_hostile_http_modes(lab: Lab) -> None:
    with pytest.raises(httpx.ConnectError):
        post(hostile_dev(lab, "refuse"))
    page = post(hostile_dev(lab, "not_onvif"))
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert len(post(hostile_dev(lab, "huge_reply"), timeout=20).content) >= 8 * 1024 * 1024
    bomb = post(hostile_dev(lab, "entity_bomb")).content
    assert b"<!ENTITY lol9" in bomb and len(bomb) < 4096
    with pytest.raises(etree.XMLSyntaxError):
        etree.fromstring(post(hostile_dev(lab, "malformed_xml")).content)
    with pytest.raises(httpx.ReadTimeout):
        post(hostile_dev(lab, "slow"), timeout=0.5)


def test_endless_reply_keeps_sending(lab: Lab) -> None:
    dev = hostile_dev(lab, "endless_reply")
    got = 0
    with httpx.stream("POST", dev.device_service_url, content=b"<x/>", timeout=5.0) as resp:
        assert resp.status_code == 200 and "content-length" not in resp.headers
        for chunk in resp.iter_bytes():
            got += len(chunk)
            if got > 400:  # far more than the prefix: it is still sending, it would not stop
                break
    assert got > 400


def test_external_entity_canary_is_logged(lab: Lab) -> None:
    dev = next(d for d in lab.devices if d.hostile_http is None)
    httpx.get(f"http://{dev.ip}:{dev.http_port}/xxe-canary", timeout=5)
    assert [e["device"] for e in lab.events("xxe_fetch")] == [dev.id]


def test_unknown_profile_token_and_chunked_requests(lab: Lab, clients: dict[str, zeep.Client]) -> None:
    dev = next(d for d in clean_devices(lab) if d.credentials_known and d.clock_skew_s == 0)
    _, media = services(clients, dev)
    with pytest.raises(Fault):
        media.GetStreamUri({"Stream": "RTP-Unicast", "Transport": {"Protocol": "RTSP"}}, "no-such-profile")
    body = (
        '<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope"><s:Body>'
        f'<GetSystemDateAndTime xmlns="{NS_TDS}"/></s:Body></s:Envelope>'
    ).encode()
    resp = httpx.post(dev.device_service_url, content=iter([body[:50], body[50:]]), timeout=5)  # chunked
    assert resp.status_code == 200 and b"UTCDateTime" in resp.content


GARBAGE = [
    b"\x00\xff\xfe garbage\r\n\r\n",
    b"POST /onvif/device_service HTTP/1.1\r\nContent-Length: nope\r\n\r\n",
    b"POST /onvif/device_service HTTP/1.1\r\nContent-Length: 99999999\r\n\r\n",
    b"POST /onvif/device_service HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
    b"POST /onvif/device_service HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n" + b"1" * 70_000,
    b"POST /onvif/device_service HTTP/1.1\r\nX: " + b"a" * 70_000 + b"\r\n\r\n",
    b"POST /onvif/device_service HTTP/1.1\r\nContent-Length: 40\r\n\r\n<half",  # then hang up
    b"POST /onvif/device_service HTTP/1.1\r\nContent-Length: 12\r\n\r\n<not-xml/ ]]",
    b"POST /onvif/device_service HTTP/1.1\r\nContent-Length: 30\r\n\r\n<!DOCTYPE x [<!ENTITY a 'b'>]>",
]


def test_camera_survives_garbage(lab: Lab, clients: dict[str, zeep.Client]) -> None:
    dev = next(d for d in clean_devices(lab) if d.credentials_known and d.clock_skew_s == 0)
    for junk in GARBAGE:
        with socket.create_connection((dev.ip, dev.http_port), timeout=5) as conn:
            conn.sendall(junk)
            conn.shutdown(socket.SHUT_WR)
            while conn.recv(65536):
                pass
    device, _ = services(clients, dev)
    assert device.GetDeviceInformation().SerialNumber == dev.serial
    lab.check()
    log = Path(lab.state["workdir"]) / "log-all.log"
    assert "Traceback" not in log.read_text() and "exception" not in log.read_text().lower()
