"""Fleet construction: deterministic, quirks where asked, clear errors."""

from __future__ import annotations

import json
from urllib.parse import urlsplit

import pytest

from discovery.lab import build_fleet
from discovery.lab.model import AUTH_FAILED, BAD_REPLY, IDENTIFIED, REFUSED, FleetSpec
from discovery.lab.quirks import QUIRK_MODES
from tests.discovery.lab import clean_fleet


def test_same_seed_same_fleet_byte_for_byte() -> None:
    a = json.dumps(build_fleet(60, subnets=2, hostile=5, seed=11).to_dict(), sort_keys=True)
    b = json.dumps(build_fleet(60, subnets=2, hostile=5, seed=11).to_dict(), sort_keys=True)
    c = json.dumps(build_fleet(60, subnets=2, hostile=5, seed=12).to_dict(), sort_keys=True)
    assert a == b
    assert a != c


def test_round_trip_through_json() -> None:
    spec = build_fleet(30, subnets=2, hostile=3, seed=2)
    again = FleetSpec.from_dict(json.loads(json.dumps(spec.to_dict())))
    assert again.to_dict() == spec.to_dict()


def test_realistic_mix_and_addresses() -> None:
    spec = build_fleet(100, subnets=2, seed=5)
    devs = spec.devices
    assert len(devs) == 100
    assert len({d.ip for d in devs}) == 100
    assert sum(d.subnet == 2 for d in devs) == 25
    assert all(d.ip.startswith("198.18.2.") for d in devs if d.subnet == 2)
    assert sum(d.clock_skew_s != 0 for d in devs) == 20
    assert sum(not d.discoverable for d in devs) == 5
    assert sum(not d.credentials_known for d in devs) == 10
    assert all(d.password not in {p for _, p in spec.site_credentials} for d in devs if not d.credentials_known)
    serial_pairs = [d for d in devs if "serial" in d.shared]
    assert len(serial_pairs) == 8
    for d in serial_pairs:
        assert spec.by_id(d.shared["serial"][0]).serial == d.serial
    uuid_pair = [d for d in devs if "uuid" in d.shared]
    assert len(uuid_pair) == 4 and len({d.endpoint_uuid for d in uuid_pair}) == 2
    # Every style appears, and with it every probe shape.
    assert {d.vendor for d in devs} == {"hikvision", "dahua", "axis", "uniview", "generic", "xiongmai", "reolink"}


def test_clean_fleet_has_no_quirks() -> None:
    spec = clean_fleet(40, seed=1)
    assert all(d.expected == IDENTIFIED and d.multicast_reachable and not d.shared for d in spec.devices)


def test_hostile_modes_cycle_over_both_channels_and_set_expectations() -> None:
    spec = build_fleet(40, hostile=6, seed=3)
    http = [d for d in spec.devices if d.hostile_http]
    wsd = [d for d in spec.devices if d.hostile_wsd]
    assert len(http) == 3 and len(wsd) == 3
    assert all(d.expected == BAD_REPLY for d in http)  # entity_bomb, external_entity, huge_reply
    assert all(not d.multicast_reachable for d in wsd)
    explicit = build_fleet(5, hostile=["http:refuse", "wsd:endless_reply"], seed=3)
    assert [d.expected for d in explicit.devices if d.hostile_http] == [REFUSED]
    assert [d.hostile_wsd for d in explicit.devices if d.hostile_wsd] == ["endless_reply"]


def test_quirks_land_on_distinct_devices() -> None:
    spec = build_fleet(50, hostile=4, seed=9, shared_serials=0, shared_macs=0, shared_uuids=0)
    quirky = [
        d
        for d in spec.devices
        if d.hostile_http or d.hostile_wsd or not d.credentials_known or d.clock_skew_s or not d.discoverable
    ]
    n_quirks = 4 + 5 + 10 + 2  # hostile + wrong creds + skewed + discovery off
    assert len(quirky) == n_quirks
    assert sum(d.expected == AUTH_FAILED for d in spec.devices) == 5


def test_real_device_quirks_go_to_devices_that_can_show_them() -> None:
    spec = build_fleet(40, quirks=len(QUIRK_MODES), seed=6)
    by_mode = {q: d for d in spec.devices for q in d.quirks}
    assert set(by_mode) == set(QUIRK_MODES)
    assert by_mode["utc_is_local"].style.timezone != "UTC0"  # local time equals UTC there: nothing to show
    wrong_port = by_mode["xaddr_wrong_port"]
    assert wrong_port.advertised_port == 80 != wrong_port.http_port
    assert urlsplit(wrong_port.device_service_url).port == wrong_port.http_port
    assert urlsplit(wrong_port.advertised_xaddrs[0]).port is None  # port 80, where nothing listens
    other = by_mode["xaddr_other_host"]
    neighbour = spec.by_ip(other.other_host)
    assert neighbour is not other and neighbour.subnet == other.subnet
    assert by_mode["clock_needs_auth"].clock_skew_s != 0
    assert by_mode["password_text_only"].outcome() == AUTH_FAILED
    assert by_mode["password_text_only"].outcome(password_text=True) in (IDENTIFIED, AUTH_FAILED)
    again = build_fleet(40, quirks=["garbled_mac", "garbled_mac"], seed=6)
    assert sum("garbled_mac" in d.quirks for d in again.devices) == 2


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"cameras": 0}, "cameras"),
        ({"cameras": 300}, "cameras"),
        ({"subnets": 3}, "subnets"),
        ({"vendors": ["sony"]}, "vendors"),
        ({"hostile": ["http:nonsense"]}, "hostile"),
        ({"name": "bad name!"}, "name"),
        ({"drop_rate": 1.5}, "drop_rate"),
        ({"quirks": ["nonsense"]}, "quirks"),
        ({"lockout_after": -1}, "lockout_after"),
        ({"subnets": 2, "routed": 99, "cameras": 10}, "routed"),
    ],
)
def test_bad_arguments_name_the_field(kwargs: dict[str, object], field: str) -> None:
    with pytest.raises(ValueError, match=f"^{field}:"):
        build_fleet(**kwargs)  # type: ignore[arg-type]


def test_loopback_fleet_uses_loopback_addresses_only() -> None:
    spec = build_fleet(20, subnets=2, loopback=True, seed=4)
    assert all(d.ip.startswith("127.77.") for d in spec.devices)
    hosts = {x.split("/")[2].rsplit(":", 1)[0] for d in spec.devices for x in d.advertised_xaddrs}
    assert all(h.startswith(("127.", "0.0.0.0", "[::1]")) for h in hosts)
