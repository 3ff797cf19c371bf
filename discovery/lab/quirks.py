"""Real-device quirks a simulated camera can have, each from a public report, and which cameras get them.

`build_fleet(quirks=N)` hands the modes out in this order (or pass names: `quirks=["garbled_mac"]`); a
device's modes are in `DeviceSpec.quirks`. Vendor-wide behaviours (Hikvision's 401 page, Reolink's empty
fault) live in the vendor styles instead; the account lock is every camera's (`FleetSpec.lockout_after`).
"""

from __future__ import annotations

from collections.abc import Callable

from discovery.lab.model import DeviceSpec

#: mode → what the camera does, and where it was reported.
QUIRKS: dict[str, str] = {
    "xaddr_wrong_port": "XAddrs and capabilities name port 80; the service listens on 8080 (or its own port) "
    "— issue 12 (Dahua and others), https://github.com/yingchengpa/python-onvif2-zeep/issues/1",
    "xaddr_other_host": "XAddrs name another address of the site (here: the next camera's) — the camera's "
    "address behind a NAT or a stale static one, https://github.com/home-assistant/core/issues/34218",
    "garbled_mac": "GetNetworkInterfaces gives HwAddress as six groups of six hex digits "
    "(`41a0bc:41a0bd:…`) — https://github.com/home-assistant/core/issues/63399",
    "password_text_only": "accepts WS-UsernameToken PasswordText only, refuses PasswordDigest — "
    "https://github.com/blakeblackshear/frigate/pull/23365",
    "http_digest_only": "ignores WS-Security; HTTP Digest (RFC 7616, SHA-256) only — "
    "https://github.com/home-assistant/core/issues/98538, https://github.com/agsh/onvif/issues/294",
    "clock_needs_auth": "GetSystemDateAndTime needs credentials, and the clock is days off — "
    "https://github.com/lumeohq/onvif-rs/pull/65, https://github.com/home-assistant/core/issues/121952",
    "utc_is_local": "UTCDateTime carries the local wall clock, tokens are checked against true UTC — "
    "https://github.com/OpenIPC/majestic-webui/issues/292",
    "local_time_only": "GetSystemDateAndTime has LocalDateTime and TZ but no UTCDateTime — "
    "https://github.com/agsh/onvif/pull/165, https://github.com/home-assistant/core/pull/26656",
    "anonymous_reads": "GetDeviceInformation needs credentials, GetScopes and GetNetworkInterfaces do not — "
    "https://github.com/jimm98y/SharpOnvif/pull/30",
    "undeclared_fault_prefix": "faults name `ter:NotAuthorized` without declaring `ter` — "
    "https://github.com/mvantellingen/python-zeep/issues/1205",
    "leading_crlf": "replies start with CRLF and carry no XML declaration — "
    "https://github.com/home-assistant/core/issues/63399",
}
QUIRK_MODES: tuple[str, ...] = tuple(QUIRKS)
XADDR_REAL_PORT = 8080  # where an `xaddr_wrong_port` camera of an port-80 style really listens
SKEW_FOR_CLOCK_AUTH = 3 * 86400.0  # a clock_needs_auth camera with a right clock would prove nothing


def _tz_not_utc(dev: DeviceSpec) -> bool:
    return dev.style.timezone not in ("UTC0", "GMT0")


ELIGIBLE: dict[str, Callable[[DeviceSpec], bool]] = {
    "utc_is_local": _tz_not_utc,
    "local_time_only": _tz_not_utc,
}


def eligible(mode: str, dev: DeviceSpec) -> bool:
    """Whether the quirk shows on this device at all (local time equals UTC in a UTC zone)."""
    return dev.hostile_http is None and ELIGIBLE.get(mode, lambda _d: True)(dev)


def apply(mode: str, dev: DeviceSpec, neighbour: DeviceSpec | None, *, loopback: bool) -> None:
    """Give `dev` the quirk `mode` (its fields that the mode needs included)."""
    dev.quirks.append(mode)
    if mode == "xaddr_wrong_port":
        if loopback:
            dev.xaddr_port = 0  # the camera binds a port it never listens on
        else:
            dev.xaddr_port = 80
            dev.http_port = XADDR_REAL_PORT if dev.http_port == 80 else dev.http_port
    elif mode == "xaddr_other_host":
        dev.xaddr_mode = "other"
        dev.other_host = neighbour.ip if neighbour is not None else dev.ip.rsplit(".", 1)[0] + ".250"
    elif mode == "clock_needs_auth" and dev.clock_skew_s == 0:
        dev.clock_skew_s = SKEW_FOR_CLOCK_AUTH
