"""The cameras of one sample site: placed on its deployment-map sheets, located near the site, with hardware."""

from __future__ import annotations

import math
import random
from collections.abc import Iterator
from typing import Any

from sample_city_devices import SiteNetwork, Vendor, hardware, pick_vendor
from sample_city_plans import Anchor, Plan

CAMERA_COLUMNS = ("ref", "filing_ref", "deferred", "sheet", "map_x", "map_y", "name", "position_text", "lon",
                  "lat", "azimuth", "hfov", "range_m", "mount_height_m", "device_type", "form_factor",
                  "manufacturer", "model", "serial", "mac", "ip", "onvif_uuid", "indoor", "public_area")
ZONE_SHORT = {"entrance": "出入口", "lobby": "大堂", "corridor": "走廊", "stair": "楼梯", "room": "办公区",
              "gate": "大门", "road": "道路", "parking": "停车场", "perimeter": "周界", "field": "操场"}
FORM_BY_ZONE = {"entrance": (("fixed", 6), ("dome", 4)), "lobby": (("dome", 8), ("fixed", 2)),
                "corridor": (("dome", 7), ("fixed", 3)), "stair": (("dome", 1),), "room": (("dome", 1),),
                "gate": (("fixed", 7), ("ptz", 3)), "road": (("ptz", 5), ("fixed", 5)),
                "parking": (("fixed", 8), ("ptz", 2)), "perimeter": (("fixed", 1),),
                "field": (("ptz", 6), ("fixed", 4))}
METRES_PER_DEGREE_LAT = 110_540.0


def camera_refs() -> Iterator[str]:
    """C000001, C000002, ... — one sequence per generator run."""
    n = 0
    while True:
        n += 1
        yield f"C{n:06d}"


class SiteCameras:
    """Makes camera rows for one operator's filings; every row is kept in `rows` for cameras.csv."""

    def __init__(self, rng: random.Random, *, op_ref: str, lon: float, lat: float, sheets: list[Plan],
                 used_macs: set[str], kind: str, refs: Iterator[str]) -> None:
        self.refs = refs
        self.rng, self.op_ref, self.lon, self.lat, self.sheets, self.kind = rng, op_ref, lon, lat, sheets, kind
        self.net = SiteNetwork(rng, used_macs)
        self.vendor: Vendor = pick_vendor(rng)
        self.analog_share = rng.choice((0.0, 0.0, 0.0, 0.05, 0.2))
        self.rows: list[dict[str, Any]] = []
        self.by_ref: dict[str, dict[str, Any]] = {}
        self.counter = 0

    def _place(self, anchor: Anchor, plan: Plan) -> tuple[float, float, float, float]:
        """Pixel position near the anchor, and the WGS-84 point it stands for (plan centre = site)."""
        x = min(max(anchor.x + self.rng.uniform(-12, 12), 3.0), plan.width - 3.0)
        y = min(max(anchor.y + self.rng.uniform(-12, 12), 3.0), plan.height - 3.0)
        east = (x - plan.width / 2) * plan.metres_per_px
        north = (plan.height / 2 - y) * plan.metres_per_px
        lat = self.lat + north / METRES_PER_DEGREE_LAT
        lon = self.lon + east / (METRES_PER_DEGREE_LAT * math.cos(math.radians(self.lat)))
        return round(x, 1), round(y, 1), round(lon, 6), round(lat, 6)

    def _optics(self, form: str, indoor: bool) -> dict[str, str]:
        rng = self.rng
        if form == "ptz":
            return {"azimuth": "0.0", "hfov": "360.0", "range_m": f"{rng.uniform(100, 250):.0f}",
                    "mount_height_m": f"{rng.uniform(6, 12):.1f}"}
        hfov = rng.uniform(90, 110) if form == "dome" else rng.choice((54.0, 84.0, 98.0, 106.0))
        reach = rng.uniform(10, 20) if form == "dome" else rng.uniform(15, 30) if indoor else rng.uniform(30, 80)
        height = rng.uniform(2.6, 4.0) if indoor else rng.uniform(3.5, 8.0)
        return {"azimuth": f"{rng.uniform(0, 359.9):.1f}", "hfov": f"{hfov:.1f}", "range_m": f"{reach:.0f}",
                "mount_height_m": f"{height:.1f}"}

    def new(self, filing_ref: str, count: int, year: int, *, deferred: int = 0) -> list[str]:
        """`count` new cameras for a filing (plus an NVR per 64), the last `deferred` of them held back."""
        made: list[str] = []
        anchors = [(s, a) for s, plan in enumerate(self.sheets, start=1) for a in plan.anchors]
        for k in range(count):
            sheet, anchor = self.rng.choice(anchors)
            plan = self.sheets[sheet - 1]
            x, y, lon, lat = self._place(anchor, plan)
            forms = FORM_BY_ZONE[anchor.zone]
            form = self.rng.choices([f for f, _ in forms], [w for _, w in forms])[0]
            device = "camera" if form != "ptz" and self.rng.random() < self.analog_share else "ipc"
            vendor = self.vendor if self.rng.random() < 0.75 else pick_vendor(self.rng)
            self.counter += 1
            row = {"filing_ref": filing_ref, "deferred": "1" if k >= count - deferred else "0",
                   "sheet": str(sheet), "map_x": f"{x:.1f}", "map_y": f"{y:.1f}",
                   "name": f"{ZONE_SHORT[anchor.zone]}-{self.counter:03d}", "position_text": anchor.label,
                   "lon": f"{lon:.6f}", "lat": f"{lat:.6f}", **self._optics(form, anchor.indoor),
                   "device_type": device, "form_factor": form,
                   **hardware(self.rng, self.net, vendor, form_factor=form, device_type=device, year=year),
                   "indoor": "1" if anchor.indoor else "0", "public_area": "1" if anchor.public else "0"}
            made.append(self._add(row))
        for _ in range(count // 64 + (1 if count >= 20 else 0)):
            self.counter += 1
            row = {"filing_ref": filing_ref, "deferred": "0", "sheet": "", "map_x": "", "map_y": "",
                   "name": f"NVR-{self.counter:03d}", "position_text": "监控中心机房", "lon": f"{self.lon:.6f}",
                   "lat": f"{self.lat:.6f}", "azimuth": "", "hfov": "", "range_m": "", "mount_height_m": "",
                   "device_type": "nvr", "form_factor": "fixed",
                   **hardware(self.rng, self.net, self.vendor, form_factor="fixed", device_type="nvr", year=year),
                   "indoor": "1", "public_area": "0"}
            made.append(self._add(row))
        return made

    def copy(self, filing_ref: str, refs: list[str]) -> list[str]:
        """The same physical devices listed again on a new filing (after a rejection)."""
        return [self._add({**self.by_ref[r], "filing_ref": filing_ref, "deferred": "0"}) for r in refs]

    def readdress(self, ref: str) -> dict[str, str]:
        """A kept camera that moved to a new IP address (declared in the change filing)."""
        if self.by_ref[ref]["ip"]:
            return {"ip": self.net.next_ip()}
        return {"position_text": self.by_ref[ref]["position_text"] + "（移位）"}

    def _add(self, row: dict[str, Any]) -> str:
        ref = next(self.refs)
        row = {**row, "ref": ref}
        self.rows.append(row)
        self.by_ref[ref] = row
        return ref
