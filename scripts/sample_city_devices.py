"""Plausible camera hardware for the sample city: vendors, models, serials, MACs, IPs and ONVIF ids.

Serial and MAC shapes follow what each vendor's devices report (Hikvision's long model+date serials,
Axis serial = MAC, ...). A small share of no-name OEM cameras reuse factory-default serials and MACs, as
cheap cameras really do — the registry must identify devices by more than one key.
"""

from __future__ import annotations

import random
import string
import uuid
from dataclasses import dataclass

ALNUM = string.ascii_uppercase + string.digits


@dataclass(frozen=True)
class Vendor:
    """A manufacturer: its name as filed, MAC prefixes and models per form factor."""

    name: str
    ouis: tuple[str, ...]
    fixed: tuple[str, ...]
    dome: tuple[str, ...]
    ptz: tuple[str, ...]
    analog: tuple[str, ...]
    nvr: tuple[str, ...]
    weight: int


VENDORS = (
    Vendor("海康威视 Hikvision", ("44:19:b6", "bc:ad:28", "c0:56:e3", "4c:bd:8f"),
           ("DS-2CD3T46WDV3-I3", "DS-2CD2T47G2-L", "DS-2CD3T86FWDV2-I5S"),
           ("DS-2CD3346WDV3-I", "DS-2CD2347G2-LU", "DS-2CD3146FWDA3-I"),
           ("DS-2DE4425IW-DE", "DS-2DE7432IW-AE"), ("DS-2CE16D0T-IT3F", "DS-2CE56D0T-IT3F"),
           ("DS-7732N-K4", "DS-9632NX-I8"), 38),
    Vendor("大华 Dahua", ("3c:ef:8c", "e0:50:8b", "90:02:a9", "38:af:29"),
           ("DH-IPC-HFW2433M-I1", "DH-IPC-HFW3441E-AS", "DH-IPC-HFW4443M-I2"),
           ("DH-IPC-HDW2433T-ZS", "DH-IPC-HDBW2431R-ZS", "DH-IPC-HDW3441TM-AS"),
           ("DH-SD49425XB-HNR", "DH-SD6C3432XB-HNR"), ("DH-HAC-HFW1200R", "DH-HAC-HDW1200M"),
           ("DHI-NVR4432-4KS2", "DHI-NVR5864-4KS2"), 28),
    Vendor("宇视 Uniview", ("48:ea:63", "6c:f1:7e"),
           ("IPC2124LB-SF40K-A", "IPC2328SB-DZK-I0"), ("IPC3614SB-ADF28KM-I0", "IPC322LB-DSF28K-G"),
           ("IPC6622SR-X33-VF", "IPC6852SR-X38U"), (), ("NVR302-16S", "NVR304-32S"), 14),
    Vendor("天地伟业 Tiandy", ("00:1e:c2", "a0:18:59"),
           ("TC-C34WS", "TC-C35KS"), ("TC-C32JN", "TC-C34JS"), ("TC-H356S", "TC-H326S"), (),
           ("TC-R3220", "TC-R3440"), 6),
    Vendor("华为 Huawei", ("f4:63:1f", "44:a1:91"),
           ("C3220-10-I", "M2120-10-EI"), ("M2241-10-EI", "D2150-10-SIU"), ("X6721-Z37",), (),
           ("IVS1800-C08-16T",), 4),
    Vendor("Axis", ("00:40:8c", "ac:cc:8e", "b8:a4:4f"),
           ("P1465-LE", "M2036-LE Mk II"), ("M3106-L Mk II", "P3265-LVE"), ("Q6075-E", "M5525-E"), (),
           ("S3008 Recorder",), 4),
)
# No-name OEM boards: factory-default serials and MACs that many units share.
GENERIC = Vendor("雄迈 Xiongmai (OEM)", ("00:12:41",), ("XM-IPC-HX5436",), ("XM-IPC-HX2431",), (), (),
                 ("XM-NVR-N6516",), 0)
SHARED_SERIALS = ("000000000000", "123456789ABCDEF", "XM0000000001")
SHARED_MACS = ("00:12:41:00:00:01", "00:12:12:12:12:12")


def pick_vendor(rng: random.Random) -> Vendor:
    """A vendor by market share."""
    return rng.choices(VENDORS, [v.weight for v in VENDORS])[0]


def _chars(rng: random.Random, n: int, alphabet: str = ALNUM) -> str:
    return "".join(rng.choice(alphabet) for _ in range(n))


def serial_for(rng: random.Random, vendor: Vendor, model: str, mac: str | None, year: int) -> str:
    """A serial number in the vendor's usual shape."""
    if vendor.name.startswith("海康"):
        return f"{model}{year}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}AACH{_chars(rng, 1, 'DEFGJKL')}" \
               f"{_chars(rng, 8, string.digits)}"
    if vendor.name.startswith("大华"):
        return f"{rng.randint(4, 9)}{_chars(rng, 1, 'ABCDEFGHJ')}{_chars(rng, 8)}{_chars(rng, 5, string.digits)}"
    if vendor.name.startswith("宇视"):
        return f"210235C{_chars(rng, 1, '3456')}{_chars(rng, 12)}"
    if vendor.name.startswith("华为"):
        return f"2102{_chars(rng, 16)}"
    if vendor.name == "Axis" and mac:
        return mac.replace(":", "").upper()
    return f"TD{_chars(rng, 14, string.digits)}"


@dataclass
class SiteNetwork:
    """Hands out unique IPs on a site's camera subnets and unique MACs city-wide."""

    rng: random.Random
    used_macs: set[str]
    base: tuple[int, int, int] = (0, 0, 0)
    host: int = 10

    def __post_init__(self) -> None:
        flavour = self.rng.choice(("192.168", "10", "172"))
        if flavour == "192.168":
            self.base = (192, 168, self.rng.randint(1, 250))
        elif flavour == "10":
            self.base = (10, self.rng.randint(0, 250), self.rng.randint(0, 250))
        else:
            self.base = (172, self.rng.randint(16, 31), self.rng.randint(0, 250))

    def next_ip(self) -> str:
        """The next free address, moving to the next /24 when one fills up."""
        self.host += 1
        if self.host > 250:
            a, b, c = self.base
            self.base, self.host = (a, b, (c + 1) % 256), 11
        return ".".join(str(p) for p in (*self.base, self.host))

    def mac(self, vendor: Vendor) -> str:
        """A MAC under one of the vendor's OUIs, unique in the city."""
        while True:
            value = f"{self.rng.choice(vendor.ouis)}:" + ":".join(f"{self.rng.randint(0, 255):02x}" for _ in range(3))
            if value not in self.used_macs:
                self.used_macs.add(value)
                return value


def hardware(rng: random.Random, net: SiteNetwork, vendor: Vendor, *, form_factor: str, device_type: str,
             year: int) -> dict[str, str]:
    """Manufacturer, model, serial, MAC, IP and ONVIF UUID for one device (analog ones have no network)."""
    if rng.random() < 0.015:
        vendor = GENERIC
    if device_type == "camera":
        models = vendor.analog or VENDORS[0].analog
        model = rng.choice(models)
        maker = vendor.name if vendor.analog else VENDORS[0].name
        return {"manufacturer": maker, "model": model, "serial": serial_for(rng, VENDORS[0], model, None, year),
                "mac": "", "ip": "", "onvif_uuid": ""}
    models = {"fixed": vendor.fixed, "dome": vendor.dome, "ptz": vendor.ptz or vendor.fixed}[form_factor]
    if device_type == "nvr":
        models = vendor.nvr
    model = rng.choice(models)
    if vendor is GENERIC:
        mac = rng.choice(SHARED_MACS) if rng.random() < 0.7 else net.mac(vendor)
        serial = rng.choice(SHARED_SERIALS)
    else:
        mac = net.mac(vendor)
        serial = serial_for(rng, vendor, model, mac, year)
    onvif = f"urn:uuid:{uuid.UUID(int=rng.getrandbits(128), version=4)}"
    return {"manufacturer": vendor.name, "model": model, "serial": serial, "mac": mac, "ip": net.next_ip(),
            "onvif_uuid": onvif}
