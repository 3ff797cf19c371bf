"""Vendor styles of the simulated cameras: envelopes, discovery quirks, catalogues.

A style borrows a vendor's usual namespace prefixes, HTTP port, service paths, scope set and
identity formats. The probe-shape and XAddr quirks are spread over the styles so that every
shape the discovery issue names is exercised by some style; they are not claims about any
vendor's firmware.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# Expanded QNames of the two WS-Discovery types ONVIF devices advertise.
NS_NETWORK = "http://www.onvif.org/ver10/network/wsdl"
NS_DEVICE = "http://www.onvif.org/ver10/device/wsdl"
NS_MEDIA = "http://www.onvif.org/ver10/media/wsdl"
NS_EVENTS = "http://www.onvif.org/ver10/events/wsdl"
NS_SEARCH = "http://www.onvif.org/ver10/search/wsdl"
SEARCH_PATH = "/onvif/search_service"  # Recording Search, on the devices that keep footage
NS_SCHEMA = "http://www.onvif.org/ver10/schema"
NS_SOAP12 = "http://www.w3.org/2003/05/soap-envelope"
NS_WSA_2004 = "http://schemas.xmlsoap.org/ws/2004/08/addressing"
NS_WSA_2005 = "http://www.w3.org/2005/08/addressing"
NS_WSD = "http://schemas.xmlsoap.org/ws/2005/04/discovery"

NVT = "nvt"  # probe shape: Types = dn:NetworkVideoTransmitter
DEVICE = "device"  # probe shape: Types = tds:Device
EMPTY = "empty"  # probe shape: no Types at all
PROBE_SHAPES = (NVT, DEVICE, EMPTY)

# Operations that ONVIF Core puts in the PRE_AUTH access class (no credentials needed).
ONVIF_PRE_AUTH = frozenset(
    {
        "GetSystemDateAndTime",
        "GetCapabilities",
        "GetServices",
        "GetHostname",
        "GetWsdlUrl",
        "GetServiceCapabilities",
        "GetEndpointReference",
    }
)


@dataclass(frozen=True)
class Catalogue:
    """Models and identity formats one style draws from."""

    manufacturer: str
    models: tuple[str, ...]
    firmware: tuple[str, ...]
    serial_format: str  # "{model}" and "{n}" (a seeded integer) are substituted
    hardware_ids: tuple[str, ...]
    ouis: tuple[str, ...]  # MAC prefixes "aa:bb:cc"


@dataclass(frozen=True)
class VendorStyle:
    """How one family of cameras speaks: prefixes, ports, paths, quirks."""

    key: str
    catalogue: Catalogue
    http_port: int
    media_path: str
    events_path: str
    probe_shapes: frozenset[str]
    types_order: tuple[str, ...]  # of "dn:NetworkVideoTransmitter" / "tds:Device"
    env_prefix: str | None  # None: default namespace on the Envelope
    wsa_ns: str
    wsa_prefix: str
    wsd_prefix: str
    scope_mac: bool  # puts onvif://www.onvif.org/MAC/... in its scopes
    xaddr_mode: str  # "own" | "zero" | "unreachable"
    ipv6_xaddr: bool  # also advertises a link-local IPv6 XAddr
    pre_auth: frozenset[str] = ONVIF_PRE_AUTH
    accepts_password_text: bool = False
    server_header: str = "lab-camera"
    timezone: str = "CST-8"
    stream_path: str = "/stream1"
    mac_format: str = "lower-colon"  # how GetNetworkInterfaces spells MACs: or "upper-colon", "upper-dash"
    profile_tokens: tuple[str, str] = ("Profile_1", "Profile_2")
    extra_scopes: tuple[str, ...] = field(default=())
    # How it refuses a wrong password: "fault" (HTTP 400, Sender / ter:NotAuthorized), "empty_sender"
    # (HTTP 400, Sender fault with neither subcode nor reason) or "http401_html" (HTTP 401, an HTML page
    # and an HTTP Digest challenge).
    auth_failure: str = "fault"
    http_digest: bool = False  # also accepts HTTP Digest (RFC 7616) instead of a WS-UsernameToken


_STD_TYPES = ("dn:NetworkVideoTransmitter", "tds:Device")

STYLES: dict[str, VendorStyle] = {
    "hikvision": VendorStyle(
        key="hikvision",
        catalogue=Catalogue(
            manufacturer="HIKVISION",
            models=("DS-2CD2143G2-I", "DS-2CD2T47G2-L", "DS-2DE4425IW-DE"),
            firmware=("V5.7.3 build 220112", "V5.5.800 build 210628"),
            serial_format="{model}20220315AACH{n:09d}",
            hardware_ids=("88",),
            ouis=("44:19:b6", "c0:56:e3", "bc:ad:28"),
        ),
        http_port=80,
        media_path="/onvif/Media",
        events_path="/onvif/Events",
        probe_shapes=frozenset({NVT, DEVICE, EMPTY}),
        types_order=_STD_TYPES,
        env_prefix="env",
        wsa_ns=NS_WSA_2004,
        wsa_prefix="wsadis",
        wsd_prefix="d",
        scope_mac=True,
        xaddr_mode="own",
        ipv6_xaddr=False,
        server_header="App-webs/",
        stream_path="/Streaming/Channels/{ch}01?transportmode=unicast",
        extra_scopes=("onvif://www.onvif.org/Profile/G",),
        # A wrong password gets HTTP 401 and an HTML page, "Access Error: 401 -- Unauthorized"
        # (https://github.com/home-assistant/core/issues/119024,
        # https://github.com/evercam/evercam-server/issues/10); firmware in "digest&ws-username" mode takes
        # either (https://github.com/agsh/onvif/issues/294).
        auth_failure="http401_html",
        http_digest=True,
    ),
    "dahua": VendorStyle(
        key="dahua",
        catalogue=Catalogue(
            manufacturer="Dahua",
            models=("IPC-HFW2431S-S-S2", "IPC-HDBW2431E-S", "SD49225XA-HNR"),
            firmware=("2.800.0000000.25.R, Build Date 2021-08-11", "2.820.0000000.7.R, Build Date 2022-03-02"),
            serial_format="7J0A3F2PAZ{n:05d}",
            hardware_ids=("1.00",),
            ouis=("3c:ef:8c", "e0:50:8b", "a0:bd:1d"),
        ),
        http_port=80,
        media_path="/onvif/media_service",
        events_path="/onvif/event_service",
        probe_shapes=frozenset({NVT, DEVICE}),
        types_order=_STD_TYPES,
        env_prefix="SOAP-ENV",
        wsa_ns=NS_WSA_2004,
        wsa_prefix="wsa",
        wsd_prefix="wsdd",
        scope_mac=True,
        xaddr_mode="own",
        ipv6_xaddr=False,
        server_header="Webs",
        profile_tokens=("MediaProfile00000", "MediaProfile00001"),
        stream_path="/cam/realmonitor?channel=1&subtype={sub}&unicast=true&proto=Onvif",
        extra_scopes=("onvif://www.onvif.org/Profile/T",),
    ),
    "axis": VendorStyle(
        key="axis",
        catalogue=Catalogue(
            manufacturer="AXIS",
            models=("P1455-LE", "M3106-L Mk II", "Q6135-LE"),
            firmware=("10.12.114", "11.2.61"),
            serial_format="{mac}",  # Axis prints the MAC as its serial number
            hardware_ids=("7F5", "8C2"),
            ouis=("ac:cc:8e", "00:40:8c", "b8:a4:4f"),
        ),
        http_port=80,
        media_path="/onvif/services",
        events_path="/onvif/services",
        probe_shapes=frozenset({NVT, DEVICE, EMPTY}),
        types_order=("tds:Device", "dn:NetworkVideoTransmitter"),
        env_prefix="SOAP-ENV",
        wsa_ns=NS_WSA_2004,
        wsa_prefix="wsa",
        wsd_prefix="wsdd",
        scope_mac=False,
        xaddr_mode="own",
        ipv6_xaddr=True,
        # onvif-zeep's own docs warn that Axis authenticates every request but the clock.
        pre_auth=frozenset({"GetSystemDateAndTime"}),
        server_header="axis",
        timezone="UTC0",
        mac_format="upper-colon",
        profile_tokens=("profile_1_h264", "profile_2_h264"),
        stream_path="/onvif-media/media.amp?profile=profile_{ch}_h264&streamtype=unicast",
    ),
    "uniview": VendorStyle(
        key="uniview",
        catalogue=Catalogue(
            manufacturer="UNIVIEW",
            models=("IPC2124LB-SF28KM-G", "IPC3614SR3-ADF28KM-G"),
            firmware=("IPC_G6103-B0007P60D1908", "IPC_Q1201-B5003P20D1910"),
            serial_format="210235C3EN3{n:09d}",
            hardware_ids=("A", "B"),
            ouis=("48:ea:63", "6c:f1:7e"),
        ),
        http_port=80,
        media_path="/onvif/media",
        events_path="/onvif/event",
        probe_shapes=frozenset({NVT}),
        types_order=("dn:NetworkVideoTransmitter",),
        env_prefix="soap",
        wsa_ns=NS_WSA_2005,
        wsa_prefix="wsa5",
        wsd_prefix="d",
        scope_mac=True,
        xaddr_mode="own",
        ipv6_xaddr=False,
        stream_path="/media/video{ch}",
    ),
    "generic": VendorStyle(
        key="generic",
        catalogue=Catalogue(
            manufacturer="IPCAM",
            models=("IPC-720P", "H.264 IPC 2MP"),
            firmware=("V4.02.R11.34500140.10010.140700",),
            serial_format="{n:012d}",
            hardware_ids=("00001",),
            ouis=("00:12:16", "00:12:31"),
        ),
        http_port=8080,
        media_path="/onvif/media_service",
        events_path="/onvif/event_service",
        probe_shapes=frozenset({DEVICE, EMPTY}),
        types_order=("tds:Device",),
        env_prefix=None,
        wsa_ns=NS_WSA_2004,
        wsa_prefix="a",
        wsd_prefix="d",
        scope_mac=False,
        xaddr_mode="zero",
        ipv6_xaddr=False,
        accepts_password_text=True,
        stream_path="/{ch}{sub1}",
        mac_format="upper-dash",
        profile_tokens=("000", "001"),
    ),
    "xiongmai": VendorStyle(
        key="xiongmai",
        catalogue=Catalogue(
            manufacturer="XM",
            models=("IPC-HX2202", "IPG-53H20PL-S"),
            firmware=("V5.00.R02.000559A6.10010.040400.0020000",),
            serial_format="{n:016x}",
            hardware_ids=("000559A6",),
            ouis=("00:12:41",),
        ),
        http_port=8899,
        media_path="/onvif/Media",
        events_path="/onvif/Events",
        probe_shapes=frozenset({EMPTY}),
        types_order=_STD_TYPES,
        env_prefix="s",
        wsa_ns=NS_WSA_2004,
        wsa_prefix="a",
        wsd_prefix="d",
        scope_mac=False,
        xaddr_mode="unreachable",
        ipv6_xaddr=False,
        accepts_password_text=True,
        mac_format="upper-dash",
        stream_path="/user=admin&password=&channel={ch}&stream={sub}.sdp",
    ),
    "reolink": VendorStyle(
        key="reolink",
        catalogue=Catalogue(
            manufacturer="Reolink",
            models=("RLC-410", "RLC-510A", "RLC-811A"),
            firmware=("v3.0.0.2356_23062000", "v3.1.0.1643_22120601"),
            serial_format="00000000{n:08d}",
            hardware_ids=("IPC_523128M5MP", "IPC_56064M5MP"),
            ouis=("ec:71:db", "9c:8e:cd"),
        ),
        http_port=8000,  # Reolink's ONVIF port (https://github.com/home-assistant/core/issues/46467)
        media_path="/onvif/media_service",
        events_path="/onvif/event_service",
        probe_shapes=frozenset({NVT, DEVICE}),
        types_order=_STD_TYPES,
        env_prefix="SOAP-ENV",
        wsa_ns=NS_WSA_2004,
        wsa_prefix="wsa",
        wsd_prefix="wsdd",
        scope_mac=False,
        xaddr_mode="own",
        ipv6_xaddr=False,
        server_header="nginx",
        stream_path="/h264Preview_01_{kind}",
        profile_tokens=("000", "001"),
        # A wrong password gets HTTP 400 and `<SOAP-ENV:Code><SOAP-ENV:Value>SOAP-ENV:Sender</SOAP-ENV:Value>
        # </SOAP-ENV:Code><SOAP-ENV:Reason><SOAP-ENV:Text xml:lang="en"/></SOAP-ENV:Reason>`: no subcode, no
        # reason (https://github.com/fwestenberg/reolink_dev/issues/100, issue 12).
        auth_failure="empty_sender",
    ),
}

DEFAULT_VENDORS: tuple[str, ...] = tuple(STYLES)


def style(key: str) -> VendorStyle:
    """The vendor style named `key`, or a ValueError that lists the known ones."""
    try:
        return STYLES[key]
    except KeyError:
        raise ValueError(f"vendors: unknown style {key!r}; known: {', '.join(STYLES)}") from None
