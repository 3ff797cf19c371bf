"""Identity against a loopback lab of real-device behaviours: each camera is identified with a wrong pair
listed first, statuses stay exact when every pair fails, and no camera gets more password tries than allowed
(nor locks its account, nor sees a write, nor a clear-text password unless the inspector allows it)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from discovery.credentials import Credential
from discovery.identity import IdentifyOptions, Target, WsdlCache, identify
from discovery.lab import Lab, running_lab
from discovery.lab.build import SITE_CREDENTIALS
from discovery.lab.model import DeviceSpec
from discovery.lab.quirks import apply as give_quirk
from discovery.models import Identity, Status
from discovery.wsd import rewrite_xaddr
from tests.discovery.lab import clean_fleet

WRONG = Credential("admin", "wrong-Pa55")
SITE = [WRONG, *(Credential(u, p) for u, p in SITE_CREDENTIALS)]  # a wrong pair first, as inspectors have
# (name, vendor, quirks, which site pair is its own: 0..2, or None for a password not on the list)
DEVICES: list[tuple[str, str, list[str], int | None]] = [
    ("reolink", "reolink", [], 1),
    ("reolink-unknown", "reolink", [], None),
    ("hik", "hikvision", [], 1),
    ("hik-unknown", "hikvision", [], None),
    ("wrong-port", "dahua", ["xaddr_wrong_port"], 0),
    ("garbled", "generic", ["garbled_mac"], 1),
    ("digest-only", "dahua", ["http_digest_only"], 1),
    ("text-only", "uniview", ["password_text_only"], 0),
    ("text-only-2", "uniview", ["password_text_only"], 0),
    ("clock-auth", "axis", ["clock_needs_auth"], 1),
    ("utc-local", "dahua", ["utc_is_local"], 0),
    ("local-only", "hikvision", ["local_time_only"], 0),
    ("anon-unknown", "uniview", ["anonymous_reads"], None),
    ("ter", "dahua", ["undeclared_fault_prefix"], 1),
    ("crlf", "uniview", ["leading_crlf"], 1),
    ("other-host", "dahua", ["xaddr_other_host"], 0),
    ("neighbour", "dahua", [], 0),
    ("faulty", "axis", [], 0),
    ("budget", "dahua", [], 2),
    ("locks", "dahua", [], 2),
]


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    spec = clean_fleet(len(DEVICES), loopback=True, seed=31, name=f"a{os.getpid()}", max_delay_ms=50,
                       vendors=[v for _, v, _, _ in DEVICES])  # device i gets style i
    for dev, (name, _, quirks, pair) in zip(spec.devices, DEVICES, strict=True):
        dev.name = name
        dev.username, dev.password = SITE_CREDENTIALS[pair] if pair is not None else ("admin", "not-on-the-list")
        dev.credentials_known = pair is not None
        for mode in quirks:
            give_quirk(mode, dev, spec.devices[spec.devices.index(dev) + 1], loopback=True)
        if name == "faulty":
            dev.faulty_ops = ["GetDeviceInformation"]
    with running_lab(spec, state_dir=tmp_path_factory.mktemp("authlab")) as running:
        yield running


@pytest.fixture(scope="module")
def cache() -> WsdlCache:
    return WsdlCache()


def dev(lab: Lab, name: str) -> DeviceSpec:
    return next(d for d in lab.devices if d.name == name)


def target(d: DeviceSpec, *, swept: bool = True) -> Target:
    """As a scan builds it: advertised XAddrs (rewritten like WS-Discovery does), then what the sweep found."""
    urls = [rewrite_xaddr(x, d.ip, lambda h: h.startswith("127.77.")) for x in d.advertised_xaddrs]
    return Target(d.ip, urls + ([d.device_service_url] if swept else []))


def run(lab: Lab, cache: WsdlCache, name: str, creds: list[Credential] = SITE, **options: object) -> Identity:
    return identify(target(dev(lab, name)), creds, cache, IdentifyOptions(request_timeout_s=2, **options))  # type: ignore[arg-type]


def assert_identified(lab: Lab, ident: Identity, name: str) -> None:
    d = dev(lab, name)
    assert ident.status is Status.OK, (name, ident.error)
    assert (ident.manufacturer, ident.model, ident.serial, ident.hardware_id) == (
        d.manufacturer, d.model, d.serial, d.hardware_id), name
    assert ident.authenticated and ident.hostname == d.hostname


@pytest.mark.parametrize("name", ["reolink", "hik", "digest-only", "clock-auth", "utc-local", "local-only", "ter",
                                  "crlf"])
def test_identified_with_a_wrong_pair_listed_first(lab: Lab, cache: WsdlCache, name: str) -> None:
    ident = run(lab, cache, name)
    assert_identified(lab, ident, name)
    assert ident.macs == sorted(dev(lab, name).macs)
    assert ident.auth_tries <= 3


def test_pairs_cost_one_try_each(lab: Lab, cache: WsdlCache) -> None:
    # The wrong pair, then the site pairs in order up to the camera's own: one request each.
    for name in ("reolink", "hik", "ter", "digest-only"):
        assert run(lab, cache, name).auth_tries == 3, name
    # An HTTP-Digest-only camera ignores the first token; once challenged, each pair answers the challenge,
    # and the pair that drew the challenge is asked again last: with the right pair first, one try more.
    d = dev(lab, "digest-only")
    right_first = [Credential(d.username, d.password), WRONG]
    assert run(lab, cache, "digest-only", right_first).auth_tries == 3


@pytest.mark.parametrize(("name", "tries"), [("reolink-unknown", 2), ("hik-unknown", 3)])
def test_statuses_stay_exact_when_every_pair_fails(lab: Lab, cache: WsdlCache, name: str, tries: int) -> None:
    creds = [WRONG, Credential("admin", "also-wrong")]
    ident = run(lab, cache, name, creds)
    # Hikvision's 401 page is a refusal, not a web page (it once made the device `not_onvif`); its first
    # 401 may only be the challenge of HTTP Digest, so the first pair is asked once more.
    assert ident.status is Status.AUTH_FAILED and ident.auth_tries == tries, ident.error
    assert "none of the 2 credential pair(s)" in ident.error
    if name.startswith("reolink"):
        assert "Sender fault without reason" in ident.error


def test_advertised_port_refused_service_found(lab: Lab, cache: WsdlCache) -> None:
    d = dev(lab, "wrong-port")
    assert d.advertised_port != d.http_port
    assert_identified(lab, run(lab, cache, "wrong-port", profiles=True), "wrong-port")
    # Found by multicast alone: the usual camera ports are tried once the advertised one refuses.
    alone = identify(target(d, swept=False), SITE, cache, IdentifyOptions(fallback_ports=[80, d.http_port]))
    assert alone.status is Status.OK and alone.serial == d.serial, alone.error
    # Its media capability names the same wrong port: profiles come through the port that answered.
    assert [p.stream_uri for p in run(lab, cache, "wrong-port", profiles=True).profiles] == [
        d.stream_uri(0), d.stream_uri(1)]


def test_xaddr_naming_another_camera(lab: Lab, cache: WsdlCache) -> None:
    d, neighbour = dev(lab, "other-host"), dev(lab, "neighbour")
    assert neighbour.ip in d.advertised_xaddrs[0]
    ident = identify(target(d, swept=False), SITE, cache)
    assert ident.serial == d.serial != neighbour.serial


def test_garbled_mac_is_not_reported(lab: Lab, cache: WsdlCache) -> None:
    ident = run(lab, cache, "garbled")
    assert_identified(lab, ident, "garbled")
    assert ident.macs == [] and "invalid hardware address" in ident.error


def test_password_text_only_with_and_without_consent(lab: Lab, cache: WsdlCache) -> None:
    d = dev(lab, "text-only")
    refused = run(lab, cache, "text-only")
    assert refused.status is Status.AUTH_FAILED
    presented = {s for e in lab.events("request", d.id) for s in e["presented"]}
    assert presented == {"ws-digest"}  # the password never crossed in clear text
    other = dev(lab, "text-only-2")
    ident = run(lab, cache, "text-only-2", [Credential(other.username, other.password)], password_text=True)
    assert_identified(lab, ident, "text-only-2")
    assert ident.auth_tries == 2  # digest refused, then PasswordText


def test_refused_identity_still_reads_what_needs_no_credentials(lab: Lab, cache: WsdlCache) -> None:
    d = dev(lab, "anon-unknown")
    ident = run(lab, cache, "anon-unknown", [WRONG])
    assert ident.status is Status.AUTH_FAILED and ident.serial == ""
    assert ident.macs == sorted(d.macs) and ident.hostname == d.hostname
    assert f"onvif://www.onvif.org/name/{d.name}" in ident.scopes
    assert "read without credentials" in ident.error


def test_fault_on_device_information_keeps_the_other_reads(lab: Lab, cache: WsdlCache) -> None:
    d = dev(lab, "faulty")
    ident = run(lab, cache, "faulty", [Credential(d.username, d.password)])
    assert ident.status is Status.SOAP_FAULT and ident.serial == ""
    assert ident.macs == sorted(d.macs) and "GetDeviceInformation" in ident.error


def test_tries_are_bounded_and_no_account_is_locked(lab: Lab, cache: WsdlCache) -> None:
    d = dev(lab, "budget")
    many_wrong = [Credential("admin", f"wrong-{i}") for i in range(6)] + [Credential(d.username, d.password)]
    ident = run(lab, cache, "budget", many_wrong)
    assert ident.status is Status.AUTH_FAILED and ident.auth_tries == 3
    assert "stopped after 3 tries" in ident.error and "4 pair(s) not tried" in ident.error
    with_password = [e for e in lab.events("request", d.id) if e["presented"]]
    assert len(with_password) == 3 and lab.events("locked", d.id) == []
    ok = run(lab, cache, "budget", many_wrong[-1:])  # the camera still takes its right password
    assert ok.status is Status.OK and ok.auth_tries == 1


def test_a_larger_limit_can_lock_a_camera_and_the_scan_then_stops(lab: Lab, cache: WsdlCache) -> None:
    d = dev(lab, "locks")
    many_wrong = [Credential("admin", f"wrong-{i}") for i in range(8)] + [Credential(d.username, d.password)]
    ident = run(lab, cache, "locks", many_wrong, max_auth_tries=20)
    assert lab.events("locked", d.id), "the lab locks after lockout_after failures"
    assert ident.status is Status.AUTH_FAILED and ident.auth_tries == lab.spec.lockout_after
    assert "account locked" in ident.error


def test_nothing_was_written_and_nothing_else_locked(lab: Lab) -> None:
    # Every test above asks its camera at most `lockout_after` - 1 wrong passwords in all, as an inspector's
    # scans add up on a real camera too.
    assert lab.write_attempts() == []
    assert {e["device"] for e in lab.events("locked")} <= {dev(lab, "locks").id}
    log = Path(lab.state["workdir"]) / "log-all.log"
    assert "Traceback" not in log.read_text()
