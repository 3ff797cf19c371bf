"""The allow-list: loopback only by default, explicit widening, size limit, clear refusals."""

from __future__ import annotations

import pytest

from discovery.allowlist import ENV_ALLOWED, AllowList, ScanRefused, Scope


def test_default_allows_only_loopback() -> None:
    allow = AllowList.from_env(env={})
    assert [str(n) for n in allow.check(["127.0.0.0/24"])] == ["127.0.0.0/24"]
    for lan in ("192.168.1.0/24", "10.0.0.0/24", "198.18.0.0/24"):
        with pytest.raises(ScanRefused, match=f"--allow {lan}") as exc:
            allow.check([lan])
        assert ENV_ALLOWED in str(exc.value)


def test_env_and_flag_widen_the_list() -> None:
    allow = AllowList.from_env(["198.19.0.0/16"], env={ENV_ALLOWED: "198.18.0.0/16, 10.9.0.0/24"})
    allow.check(["198.18.5.0/24", "198.19.0.0/22", "10.9.0.128/25"])
    with pytest.raises(ScanRefused, match="not inside the allowed networks"):
        allow.check(["10.9.1.0/24"])  # partly outside: refused whole
    with pytest.raises(ScanRefused, match="not inside"):
        allow.check(["198.18.0.0/24", "192.168.0.0/24"])


def test_size_limit_and_bad_input() -> None:
    allow = AllowList.from_env(env={ENV_ALLOWED: "198.18.0.0/15"})
    allow.check(["198.18.0.0/22"])
    with pytest.raises(ScanRefused, match="larger than the limit /22"):
        allow.check(["198.18.0.0/21"])
    assert AllowList.from_env(env={ENV_ALLOWED: "198.18.0.0/15", "CAMREG_SCAN_MAX_PREFIX": "20"}).check(
        ["198.18.0.0/20"])
    for bad in ("nonsense", "300.1.1.0/24", "::1/128"):
        with pytest.raises(ScanRefused, match="not an IPv4 network"):
            allow.check([bad])
    with pytest.raises(ScanRefused, match="no network given"):
        allow.check([])
    with pytest.raises(ScanRefused, match="allowed network 'x'"):
        AllowList.from_env(env={ENV_ALLOWED: "x"})
    with pytest.raises(ScanRefused, match="CAMREG_SCAN_MAX_PREFIX"):
        AllowList.from_env(env={"CAMREG_SCAN_MAX_PREFIX": "4"})


def test_scope_hosts_and_membership() -> None:
    scope = Scope(AllowList.from_env(env={}).check(["127.0.0.0/30", "127.0.0.1/32", "127.0.1.8/31"]))
    assert scope.hosts() == ["127.0.0.1", "127.0.0.2", "127.0.1.8", "127.0.1.9"]
    assert scope("127.0.0.2") and not scope("127.0.0.5") and not scope("not-an-ip")
