"""Seeded, deterministic construction of simulated fleets (`build_fleet`)."""

from __future__ import annotations

import random
import uuid
from collections.abc import Callable, Sequence
from itertools import zip_longest

from discovery.lab import quirks as quirk_modes
from discovery.lab.model import HTTP_HOSTILE_MODES, IDENTIFIED, WSD_HOSTILE_MODES, DeviceSpec, FleetSpec
from discovery.lab.vendors import DEFAULT_VENDORS, style

MAX_PER_SUBNET = 252  # .1 is the router, .2 the laptop, .3-.254 cameras
SKEWS_S = (37.0, -95.0, 8 * 3600.0, -8 * 3600.0, 3 * 86400.0, -836_000_000.0)  # last: clock reset to ~2000
SITE_CREDENTIALS = [("admin", "Admin12345"), ("admin", "hik12345"), ("root", "pass")]
PLACES = ("朝阳门外大街东口", "西单北大街", "中关村南路", "望京SOHO T1", "Gate 3 North", "Parking B2")
RECORDING_DAYS = (12.0, 45.0, 30.0, 90.0, 7.5)  # footage held by devices with Recording Search, in turn
CITIES = ("city/北京", "city/beijing", "country/china", "building/2/floor/1")
# Hostile (channel, mode) pairs in the order `hostile=N` hands them out: HTTP and discovery alternate.
HOSTILE_CYCLE: tuple[str, ...] = tuple(
    x
    for pair in zip_longest([f"http:{m}" for m in HTTP_HOSTILE_MODES], [f"wsd:{m}" for m in WSD_HOSTILE_MODES])
    for x in pair
    if x is not None
)


def _share(explicit: int | None, cameras: int, per: int) -> int:
    return explicit if explicit is not None else cameras // per


def _hostile_list(hostile: int | Sequence[str]) -> list[str]:
    if isinstance(hostile, int):
        if hostile < 0:
            raise ValueError("hostile: must be >= 0")
        return [HOSTILE_CYCLE[i % len(HOSTILE_CYCLE)] for i in range(hostile)]
    out = []
    for item in hostile:
        channel, _, mode = item.partition(":")
        modes = {"http": HTTP_HOSTILE_MODES, "wsd": WSD_HOSTILE_MODES}.get(channel)
        if modes is None or mode not in modes:
            raise ValueError(
                f"hostile: {item!r} is not CHANNEL:MODE; http modes {', '.join(HTTP_HOSTILE_MODES)}; "
                f"wsd modes {', '.join(WSD_HOSTILE_MODES)}"
            )
        out.append(item)
    return out


def _quirk_list(quirks: int | Sequence[str]) -> list[str]:
    if isinstance(quirks, int):
        if quirks < 0:
            raise ValueError("quirks: must be >= 0")
        return [quirk_modes.QUIRK_MODES[i % len(quirk_modes.QUIRK_MODES)] for i in range(quirks)]
    unknown = [q for q in quirks if q not in quirk_modes.QUIRKS]
    if unknown:
        known = ", ".join(quirk_modes.QUIRK_MODES)
        raise ValueError(f"quirks: unknown {', '.join(map(repr, unknown))}; known: {known}")
    return list(quirks)


def build_fleet(
    cameras: int = 20,
    *,
    vendors: Sequence[str] = DEFAULT_VENDORS,
    subnets: int = 1,
    routed: int | None = None,
    seed: int = 0,
    hostile: int | Sequence[str] = 0,
    skewed: int | None = None,
    discovery_off: int | None = None,
    wrong_credentials: int | None = None,
    shared_serials: int | None = None,
    shared_macs: int | None = None,
    shared_uuids: int | None = None,
    faulty: int = 0,
    quirks: int | Sequence[str] = 0,
    drop_rate: float = 0.0,
    loopback: bool = False,
    name: str = "lab",
    max_delay_ms: int = 500,
    auth_window_s: float = 10.0,
    slow_delay_s: float = 30.0,
    lockout_after: int = 5,
    recording: int | Sequence[float] = 0,
) -> FleetSpec:
    """A deterministic fleet: same arguments, same devices, byte for byte.

    Counts left at None take a realistic share of `cameras` (skewed 1/5, discovery_off 1/20,
    wrong_credentials 1/10, one shared serial pair per 25, one shared MAC and one shared UUID pair
    per 50); pass 0 for a clean fleet. `routed` devices (default a quarter when subnets=2) sit on
    198.18.2.0/24 behind the router, which multicast does not cross. Quirks go to distinct devices
    where there are enough, so each device's expected outcome stays unambiguous. `quirks=N` hands out the
    real-device behaviours of `discovery.lab.quirks` in order (or pass their names); `lockout_after`
    failed logins lock a camera's account (0: never). `recording=N` gives N devices an ONVIF Recording Search
    service holding RECORDING_DAYS of footage in turn (or pass the days: `recording=[12, 45]`); they are the
    first devices, in order, that a scan identifies plainly (no quirk, hostility or wrong password), and the
    seeded draws of every other device stay as they were.
    """
    if cameras < 1:
        raise ValueError("cameras: must be at least 1")
    if subnets not in (1, 2):
        raise ValueError("subnets: must be 1 or 2")
    if not vendors:
        raise ValueError("vendors: give at least one style")
    styles = [style(v) for v in vendors]
    if not 0.0 <= drop_rate < 1.0:
        raise ValueError("drop_rate: must be in [0, 1)")
    n_routed = 0 if subnets == 1 else (routed if routed is not None else max(1, cameras // 4))
    if not 0 <= n_routed <= cameras:
        raise ValueError("routed: must be between 0 and cameras")
    if max(cameras - n_routed, n_routed) > MAX_PER_SUBNET:
        raise ValueError(f"cameras: at most {MAX_PER_SUBNET} per /24 subnet")
    if not name or not all(c.isalnum() or c == "-" for c in name) or len(name) > 20:
        raise ValueError("name: 1-20 letters, digits or '-'")
    hostile_modes = _hostile_list(hostile)
    quirk_list = _quirk_list(quirks)
    if lockout_after < 0:
        raise ValueError("lockout_after: must be >= 0")

    rng = random.Random(seed)
    devices: list[DeviceSpec] = []
    host_no = {1: 3, 2: 3}
    for i in range(cameras):
        subnet = 2 if i >= cameras - n_routed else 1
        host = host_no[subnet]
        host_no[subnet] += 1
        st = styles[i % len(styles)]
        cat = st.catalogue
        model = rng.choice(cat.models)
        mac = rng.choice(cat.ouis) + "".join(f":{rng.randrange(256):02x}" for _ in range(3))
        macs = [mac]
        if rng.random() < 0.15:  # a second NIC (wireless module) on some cameras
            macs.append(rng.choice(cat.ouis) + "".join(f":{rng.randrange(256):02x}" for _ in range(3)))
        serial = cat.serial_format.format(model=model, n=rng.randrange(10**9), mac=mac.replace(":", "").upper())
        ip = f"127.77.{subnet}.{host}" if loopback else f"198.18.{subnet}.{host}"
        devices.append(
            DeviceSpec(
                id=f"cam-{i + 1:03d}",
                subnet=subnet,
                ip=ip,
                vendor=st.key,
                manufacturer=cat.manufacturer,
                model=model,
                firmware=rng.choice(cat.firmware),
                serial=serial,
                hardware_id=rng.choice(cat.hardware_ids),
                macs=macs,
                hostname=f"{st.key}-{mac.replace(':', '')[-6:]}",
                endpoint_uuid=f"urn:uuid:{uuid.UUID(int=rng.getrandbits(128), version=4)}",
                name=f"{rng.choice(PLACES)} {i + 1:03d}",
                location=rng.choice(CITIES),
                username=SITE_CREDENTIALS[i % len(SITE_CREDENTIALS)][0],
                password=SITE_CREDENTIALS[i % len(SITE_CREDENTIALS)][1],
                credentials_known=True,
                http_port=0 if loopback else st.http_port,
                wsd_port=0 if loopback else 3702,
                rtsp_port=None if loopback else 554,
                xaddr_mode=st.xaddr_mode,
                drop_rate=drop_rate,
                metadata_version=rng.randrange(1, 20),
                unreachable_host="127.255.255.254" if loopback else "198.18.200.64",
            )
        )

    # Quirks go to distinct devices: walk one seeded permutation.
    order = list(range(cameras))
    rng.shuffle(order)
    pool = iter(order)

    def take(k: int) -> list[DeviceSpec]:
        picked = []
        for _ in range(k):
            idx = next(pool, None)
            if idx is None:
                idx = rng.randrange(cameras)  # more quirks than devices: devices get several
            picked.append(devices[idx])
        return picked

    for dev, item in zip(take(len(hostile_modes)), hostile_modes, strict=True):
        channel, _, mode = item.partition(":")
        if channel == "http":
            dev.hostile_http = mode
        else:
            dev.hostile_wsd = mode
    for dev in take(_share(wrong_credentials, cameras, 10)):
        dev.password = f"x{rng.getrandbits(40):010x}"
        dev.credentials_known = False
    for dev in take(_share(skewed, cameras, 5)):
        dev.clock_skew_s = rng.choice(SKEWS_S)
    for dev in take(_share(discovery_off, cameras, 20)):
        dev.discoverable = False
    for dev in take(faulty):
        dev.faulty_ops = ["GetDeviceInformation"]
    _pair_up(take(2 * _share(shared_serials, cameras, 25)), "serial")
    _pair_up(take(2 * _share(shared_macs, cameras, 50)), "mac")
    _pair_up(take(2 * _share(shared_uuids, cameras, 50)), "uuid")
    for mode in quirk_list:
        dev = _take_eligible(take, mode, cameras)
        same = [d for d in devices if d.subnet == dev.subnet]
        neighbour = same[(same.index(dev) + 1) % len(same)] if len(same) > 1 else None
        quirk_modes.apply(mode, dev, neighbour, loopback=loopback)

    _give_recordings(devices, recording)
    return FleetSpec(
        name=name,
        seed=seed,
        loopback=loopback,
        subnets=subnets,
        devices=devices,
        site_credentials=list(SITE_CREDENTIALS),
        max_delay_ms=max_delay_ms,
        auth_window_s=auth_window_s,
        slow_delay_s=slow_delay_s,
        laptop_ip="127.0.0.1" if loopback else "198.18.1.2",
        lockout_after=lockout_after,
    )


def _give_recordings(devices: list[DeviceSpec], recording: int | Sequence[float]) -> None:
    """Recording Search with `days` of footage on the first plainly identified devices (no rng drawn)."""
    if isinstance(recording, int):
        if recording < 0:
            raise ValueError("recording: must be >= 0")
        days = [RECORDING_DAYS[i % len(RECORDING_DAYS)] for i in range(recording)]
    else:
        days = [float(d) for d in recording]
        if any(d < 0 for d in days):
            raise ValueError("recording: days must be >= 0")
    plain = [d for d in devices if d.expected == IDENTIFIED and not d.quirks and not d.shared]
    if len(days) > len(plain):
        raise ValueError(f"recording: only {len(plain)} devices can offer it in this fleet")
    for dev, held in zip(plain, days, strict=False):
        dev.recording_days = held


def _take_eligible(take: Callable[[int], list[DeviceSpec]], mode: str, cameras: int) -> DeviceSpec:
    """The next device of the seeded order that can show `mode` (any device if none can)."""
    first = None
    for _ in range(cameras):
        [dev] = take(1)
        first = first or dev
        if quirk_modes.eligible(mode, dev):
            return dev
    assert first is not None
    return first


def _pair_up(devs: list[DeviceSpec], what: str) -> None:
    """Make consecutive pairs share a serial, first MAC or endpoint UUID."""
    for a, b in zip(devs[::2], devs[1::2], strict=False):
        if a is b:
            continue
        if what == "serial":
            b.serial = a.serial
        elif what == "mac":
            b.macs[0] = a.macs[0]
        else:
            b.endpoint_uuid = a.endpoint_uuid
        a.shared.setdefault(what, []).append(b.id)
        b.shared.setdefault(what, []).append(a.id)
