"""Synthetic cameras around their operators, routed per camera, with codes issued in filing order."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import numpy as np

from registry.camera_codes import code_prefix, format_code, type_code_for
from registry.fill.filings import Filings
from registry.fill.operators import Operators
from registry.routing import jurisdictions

CAMERA_COLUMNS = (
    "id", "filing_id", "operator_id", "name", "position_text", "lon", "lat", "map_material_id", "map_page",
    "map_x", "map_y", "azimuth", "hfov", "range_m", "mount_height_m", "device_type", "form_factor",
    "manufacturer", "model", "serial", "mac", "ip", "onvif_uuid", "indoor", "public_area", "code",
    "code_edition", "district_code", "station_id", "status", "existing_code", "created_at", "removed_at")
# (maker, model, serial prefix, MAC OUI) — synthetic, but shaped like real devices.
VENDORS = (("海康威视", "DS-2CD2T47G2-L", "DS", "44:19:b6"), ("大华", "IPC-HFW2431S", "DH", "3c:ef:8c"),
           ("宇视", "IPC2124LB-SF", "UV", "48:ea:63"), ("天地伟业", "TC-C34GS", "TD", "00:0e:c6"),
           ("华为", "C3220-10-I", "HW", "ac:75:1d"))
AREAS = (("大门", False), ("大堂", True), ("停车场", False), ("走廊", True), ("电梯厅", True), ("周界", False),
         ("收银台", True), ("出入口", False))
FORMS = (("fixed", 90.0), ("dome", 110.0), ("ptz", 360.0))
# Cheap devices share identifiers: clones reuse a few serials and MACs; many sites keep 192.168.1.0/24.
CLONE_SERIAL_SHARE, CLONE_MAC_SHARE, DEFAULT_SUBNET_SHARE = 0.01, 0.005, 0.25


@dataclass
class Cameras:
    """Camera rows, produced in chunks, and the serial counters their codes used."""

    count: int
    chunks: Iterator[list[tuple[Any, ...]]]
    counters: list[tuple[str, int]] = field(default_factory=list)


def spread(rng: np.random.Generator, total: int, filings: int) -> np.ndarray:
    """Cameras per filing: at least one each, the rest skewed (a few large systems, many small)."""
    if total < filings:
        raise ValueError(f"--cameras ({total}) must be at least --filings ({filings}): every filing lists a camera")
    weights = rng.lognormal(0.0, 1.0, filings)
    return np.asarray(1 + rng.multinomial(total - filings, weights / weights.sum()), dtype=np.int64)


def _places(ops: Operators, owner: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, ...]:
    """Each camera within ~50 m of its operator, routed; a point that falls outside stays at the operator."""
    n = len(owner)
    lon = (ops.lon[owner] + rng.normal(0, 0.0005, n)).round(6)
    lat = (ops.lat[owner] + rng.normal(0, 0.0004, n)).round(6)
    routed = jurisdictions().route_many(lon, lat)
    bad = ((routed["flag"] != "") | routed["on_boundary"]).to_numpy()
    lon[bad], lat[bad] = ops.lon[owner[bad]], ops.lat[owner[bad]]
    district = np.array(routed["district_code"].astype(object), dtype=object)
    station = np.array(routed["station_id"].astype(object), dtype=object)
    district[bad] = np.asarray(ops.district, dtype=object)[owner[bad]]
    station[bad] = np.asarray(ops.station, dtype=object)[owner[bad]]
    return lon, lat, district, station


def make_cameras(rng: np.random.Generator, *, counts: np.ndarray, ops: Operators, fil: Filings,
                 station_numbers: Mapping[str, str], chunk: int = 50_000) -> Cameras:
    """Rows for sum(counts) cameras; cameras of filed filings get codes, serials per prefix from 1, no holes."""
    total = int(counts.sum())
    filing_of = np.repeat(np.arange(len(counts)), counts)
    owner = fil.operator_index[filing_of]
    lon, lat, district, station = _places(ops, owner, rng)
    device = np.where(rng.random(total) < 0.93, "ipc", "camera")
    codes: list[str | None] = [None] * total
    prefixes: dict[tuple[str, str, str, str, int], str] = {}
    last: dict[str, int] = {}
    filed_rank = fil.filed_order[filing_of]
    # Serials follow the order codes were issued: filing by filing as they were filed, cameras by id.
    for i in np.lexsort((np.arange(total), filed_rank)).tolist():
        if filed_rank[i] < 0:
            continue
        key = (district[i], station_numbers.get(station[i] or "", "00"), ops.industry[owner[i]], device[i],
               fil.network[filing_of[i]])
        if key not in prefixes:
            prefixes[key] = code_prefix(district=key[0], grassroots=key[1], industry=key[2],
                                        type_code=type_code_for(key[3]), network=str(key[4]))
        prefix = prefixes[key]
        last[prefix] = last.get(prefix, 0) + 1
        codes[i] = format_code(prefix, last[prefix])
    columns = _attributes(rng, total, filing_of)
    columns.update(lon=lon, lat=lat, district=district, station=station, device=device, codes=codes,
                   filing_of=filing_of, owner=owner)
    return Cameras(total, _chunks(columns, fil, chunk), sorted(last.items()))


def _attributes(rng: np.random.Generator, n: int, filing_of: np.ndarray) -> dict[str, Any]:
    """Declared fields drawn in bulk: vendor, form, view, identifiers shared the way cheap devices share them."""
    ids = np.arange(1, n + 1, dtype=np.int64)
    starts = np.concatenate([[0], np.flatnonzero(np.diff(filing_of)) + 1])
    within = ids - 1 - np.repeat(starts, np.diff(np.append(starts, n)))  # camera's index inside its filing
    clone_serial = rng.random(n) < CLONE_SERIAL_SHARE
    # A clone shares a serial or a MAC, not both: one physical camera is active under one code (migration 0011).
    clone_mac = (rng.random(n) < CLONE_MAC_SHARE) & ~clone_serial
    default_subnet = (rng.random(int(filing_of.max()) + 1) < DEFAULT_SUBNET_SHARE)[filing_of]
    return {
        "ids": ids, "within": within, "vendor": rng.integers(0, len(VENDORS), n),
        "area": rng.integers(0, len(AREAS), n),
        "form": rng.choice(len(FORMS), n, p=[0.7, 0.2, 0.1]), "azimuth": rng.uniform(0, 360, n).round(1) % 360,
        "range": rng.uniform(10, 80, n).round(1), "height": rng.uniform(2.5, 8, n).round(1),
        "map_x": rng.uniform(0, 2000, n).round(0), "map_y": rng.uniform(0, 1400, n).round(0),
        # A bijection mod 10^9 (7919 is coprime with it): distinct serials unless cloned.
        "serial_no": np.where(clone_serial, rng.integers(1, 20, n), (ids * 7919) % 1_000_000_000),
        "mac_no": np.where(clone_mac, rng.integers(1, 20, n), (ids * 2_654_435_761) % (1 << 24)),
        "default_subnet": default_subnet, "uuid": rng.integers(0, 1 << 63, (n, 2)),
    }


def _chunks(c: dict[str, Any], fil: Filings, size: int) -> Iterator[list[tuple[Any, ...]]]:
    """Assemble row tuples `size` at a time, so a million rows never sit in memory as Python objects."""
    total = len(c["ids"])
    for start in range(0, total, size):
        rows: list[tuple[Any, ...]] = []
        for i in range(start, min(start + size, total)):
            cid, fidx, k = int(c["ids"][i]), int(c["filing_of"][i]), int(c["within"][i])
            maker, model, serial_prefix, oui = VENDORS[int(c["vendor"][i])]
            area, indoor = AREAS[int(c["area"][i])]
            form, hfov = FORMS[int(c["form"][i])]
            mac_no = int(c["mac_no"][i])
            fid = fidx + 1
            if c["default_subnet"][i]:
                ip = f"192.168.{1 + k // 190}.{64 + k % 190}"
            else:
                ip = f"10.{fid >> 8 & 255}.{fid & 255}.{10 + k % 240}" if k < 240 else \
                    f"172.{16 + fid % 16}.{k // 240}.{10 + k % 240}"
            uuid_hi, uuid_lo = (int(x) for x in c["uuid"][i])
            hexes = f"{uuid_hi:016x}{uuid_lo:016x}"
            uuid = f"urn:uuid:{hexes[:8]}-{hexes[8:12]}-{hexes[12:16]}-{hexes[16:20]}-{hexes[20:32]}"
            created: datetime = fil.submitted_at[fidx]
            rows.append((
                cid, fid, int(c["owner"][i]) + 1, f"{area}{k + 1:03d}", f"{k // 20 + 1}层{area}{'东南西北'[k % 4]}侧",
                float(c["lon"][i]), float(c["lat"][i]), fil.deployment_map[fidx], 1, float(c["map_x"][i]),
                float(c["map_y"][i]), None if form != "fixed" else float(c["azimuth"][i]), hfov,
                float(c["range"][i]), float(c["height"][i]), str(c["device"][i]), form, maker, model,
                f"{serial_prefix}{int(c['serial_no'][i]):09d}", f"{oui}:{mac_no >> 16:02x}:{mac_no >> 8 & 255:02x}:"
                f"{mac_no & 255:02x}", ip, uuid,
                indoor, True, c["codes"][i], "2016", c["district"][i], c["station"][i], "active", None, created, None))
        yield rows
