"""The lab's real-device behaviours, checked with clients that are not ours: httpx (its own HTTP Digest),
zeep's UsernameToken, lxml on the raw replies."""

from __future__ import annotations

import email.utils
import os
import socket
import time
from collections.abc import Iterator

import httpx
import pytest
from lxml import etree
from zeep.wsse.username import UsernameToken

from discovery.lab import Lab, running_lab
from discovery.lab.model import DeviceSpec
from discovery.lab.quirks import QUIRK_MODES
from discovery.lab.quirks import apply as give_quirk
from discovery.lab.soap import garbled_mac
from tests.discovery.lab import clean_fleet

NS_TDS = "http://www.onvif.org/ver10/device/wsdl"
NS_ENV = "http://www.w3.org/2003/05/soap-envelope"
NAMES = ["hik", "digest-only", "reolink", "text-only", "anon", "clock", "utc-local", "local-only", "garbled", "port",
         "crlf", "ter", "locks"]
VENDORS = ["hikvision", "dahua", "reolink", "uniview", "uniview", "dahua", "dahua", "dahua", "generic", "dahua",
           "uniview", "dahua", "dahua"]
QUIRKS = {"digest-only": "http_digest_only", "text-only": "password_text_only", "anon": "anonymous_reads",
          "clock": "clock_needs_auth", "utc-local": "utc_is_local", "local-only": "local_time_only",
          "garbled": "garbled_mac", "port": "xaddr_wrong_port", "crlf": "leading_crlf",
          "ter": "undeclared_fault_prefix"}


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    spec = clean_fleet(len(NAMES), loopback=True, seed=41, name=f"q{os.getpid()}", vendors=VENDORS, max_delay_ms=50)
    for dev, name in zip(spec.devices, NAMES, strict=True):
        dev.name = name
        if name in QUIRKS:
            give_quirk(QUIRKS[name], dev, None, loopback=True)
    with running_lab(spec, state_dir=tmp_path_factory.mktemp("quirklab")) as running:
        yield running


def dev(lab: Lab, name: str) -> DeviceSpec:
    return next(d for d in lab.devices if d.name == name)


def envelope(op: str, *, token: UsernameToken | None = None) -> bytes:
    env = etree.Element(f"{{{NS_ENV}}}Envelope", nsmap={"s": NS_ENV})
    etree.SubElement(env, f"{{{NS_ENV}}}Header")
    body = etree.SubElement(env, f"{{{NS_ENV}}}Body")
    etree.SubElement(body, f"{{{NS_TDS}}}{op}")
    if token is not None:
        env, _ = token.apply(env, {})
    return etree.tostring(env)


def post(
    d: DeviceSpec, op: str, *, token: UsernameToken | None = None, auth: httpx.Auth | None = None
) -> httpx.Response:
    return httpx.post(d.device_service_url, content=envelope(op, token=token), auth=auth, timeout=5,
                      headers={"Content-Type": "application/soap+xml"})


def token(d: DeviceSpec, password: str | None = None, *, digest: bool = True) -> UsernameToken:
    return UsernameToken(d.username, password or d.password, use_digest=digest)


def test_every_quirk_is_exercised() -> None:
    # xaddr_other_host needs a neighbour to point at: tests/discovery/test_deviceauth.py has it.
    assert set(QUIRKS.values()) | {"xaddr_other_host"} == set(QUIRK_MODES)


def test_hikvision_refuses_with_a_401_page_and_takes_http_digest(lab: Lab) -> None:
    d = dev(lab, "hik")
    refused = post(d, "GetDeviceInformation", token=token(d, "wrong"))
    assert refused.status_code == 401 and b"Access Error: 401 -- Unauthorized" in refused.content
    assert refused.headers["www-authenticate"].startswith("Digest ")
    assert post(d, "GetDeviceInformation", token=token(d)).status_code == 200  # WS-Security, as before
    ok = post(d, "GetDeviceInformation", auth=httpx.DigestAuth(d.username, d.password))
    assert ok.status_code == 200 and d.serial.encode() in ok.content
    assert post(d, "GetDeviceInformation", auth=httpx.DigestAuth(d.username, "wrong")).status_code == 401


def test_digest_only_camera_ignores_ws_security(lab: Lab) -> None:
    d = dev(lab, "digest-only")
    refused = post(d, "GetDeviceInformation", token=token(d))
    assert refused.status_code == 401 and "algorithm=SHA-256" in refused.headers["www-authenticate"]
    assert post(d, "GetDeviceInformation", auth=httpx.DigestAuth(d.username, d.password)).status_code == 200


def test_reolink_refuses_with_an_empty_sender_fault(lab: Lab) -> None:
    d = dev(lab, "reolink")
    refused = post(d, "GetDeviceInformation", token=token(d, "wrong"))
    assert refused.status_code == 400
    fault = etree.fromstring(refused.content).find(f".//{{{NS_ENV}}}Fault")
    assert fault is not None and fault.findtext(f"{{{NS_ENV}}}Code/{{{NS_ENV}}}Value") == "SOAP-ENV:Sender"
    assert fault.find(f".//{{{NS_ENV}}}Subcode") is None
    assert not fault.findtext(f"{{{NS_ENV}}}Reason/{{{NS_ENV}}}Text")


def test_password_text_only(lab: Lab) -> None:
    d = dev(lab, "text-only")
    assert post(d, "GetDeviceInformation", token=token(d)).status_code == 400
    assert post(d, "GetDeviceInformation", token=token(d, digest=False)).status_code == 200


def test_anonymous_reads_and_clock_needing_credentials(lab: Lab) -> None:
    anon = dev(lab, "anon")
    assert post(anon, "GetScopes").status_code == 200 and post(anon, "GetNetworkInterfaces").status_code == 200
    assert post(anon, "GetDeviceInformation").status_code == 400
    clock = dev(lab, "clock")
    refused = post(clock, "GetSystemDateAndTime")
    assert refused.status_code == 400 and clock.clock_skew_s
    said = email.utils.parsedate_to_datetime(refused.headers["date"]).timestamp()
    assert abs(said - (time.time() + clock.clock_skew_s)) < 5  # the Date header runs on the camera's clock


def test_clock_quirks_in_the_reply(lab: Lab) -> None:
    utc_local = etree.fromstring(post(dev(lab, "utc-local"), "GetSystemDateAndTime").content)
    utc, local = (utc_local.find(f".//{{*}}{n}") for n in ("UTCDateTime", "LocalDateTime"))
    assert utc is not None and local is not None and etree.tostring(utc).replace(b"UTCDateTime", b"X") == \
        etree.tostring(local).replace(b"LocalDateTime", b"X")
    local_only = etree.fromstring(post(dev(lab, "local-only"), "GetSystemDateAndTime").content)
    assert local_only.find(".//{*}UTCDateTime") is None and local_only.find(".//{*}LocalDateTime") is not None


def test_garbled_mac_crlf_and_undeclared_prefix(lab: Lab) -> None:
    g = dev(lab, "garbled")
    assert garbled_mac(g.macs[0]).encode() in post(g, "GetNetworkInterfaces", token=token(g)).content
    assert garbled_mac("04:39:26:42:bb:a3") == "42bba3:42bba4:42bba5:42bba6:42bba7:42bba8"
    c = dev(lab, "crlf")
    assert post(c, "GetSystemDateAndTime").content.startswith(b"\r\n<")
    t = dev(lab, "ter")
    refused = post(t, "GetDeviceInformation", token=token(t, "wrong")).content
    assert b"ter:NotAuthorized" in refused and b"xmlns:ter" not in refused


def test_advertised_port_is_not_listening(lab: Lab) -> None:
    d = dev(lab, "port")
    assert d.advertised_port != d.http_port
    assert f":{d.advertised_port}/" in d.advertised_xaddrs[0]
    with pytest.raises(ConnectionRefusedError), socket.create_connection((d.ip, d.advertised_port), timeout=2):
        pass
    caps = post(d, "GetCapabilities", token=token(d)).content
    assert f"{d.ip}:{d.advertised_port}/".encode() in caps


def test_account_locks_after_five_failures_even_for_the_right_password(lab: Lab) -> None:
    d = dev(lab, "locks")
    for i in range(lab.spec.lockout_after):
        post(d, "GetDeviceInformation", token=token(d, f"wrong-{i}"))
    assert [e["device"] for e in lab.events("locked")] == [d.id]
    refused = post(d, "GetDeviceInformation", token=token(d))
    assert refused.status_code == 400 and b"locked" in refused.content
    assert post(d, "GetSystemDateAndTime").status_code == 200  # what needs no credentials still answers
