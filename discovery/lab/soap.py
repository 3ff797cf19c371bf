"""SOAP 1.2 replies of a simulated camera's device and media services, and its faults.

Element order follows the ONVIF schemas bundled with onvif-zeep (zeep parses sequences in
order), so real onvif-zeep clients read these replies.
"""

from __future__ import annotations

import datetime as dt
from xml.sax.saxutils import escape

from discovery.lab.model import DeviceSpec
from discovery.lab.vendors import NS_DEVICE, NS_EVENTS, NS_MEDIA, NS_SCHEMA, NS_SEARCH, NS_SOAP12, SEARCH_PATH

NS_ERROR = "http://www.onvif.org/ver10/error"
_NS_DECLS = f'xmlns:tds="{NS_DEVICE}" xmlns:trt="{NS_MEDIA}" xmlns:tt="{NS_SCHEMA}" xmlns:tse="{NS_SEARCH}"'
_TER_DECL = f' xmlns:ter="{NS_ERROR}"'
SOAP_CT = "application/soap+xml; charset=utf-8"
RESOLUTIONS = ((2560, 1440), (640, 360))


def envelope(dev: DeviceSpec, body: str, *, declare_ter: bool = True) -> bytes:
    """Wrap `body` in the vendor's SOAP 1.2 envelope."""
    p = dev.style.env_prefix
    decls = _NS_DECLS + (_TER_DECL if declare_ter else "")
    if p is None:  # default-namespace envelope; env: is still bound for fault QNames
        head = f'<Envelope xmlns="{NS_SOAP12}" xmlns:env="{NS_SOAP12}" {decls}><Body>'
        tail = "</Body></Envelope>"
    else:
        head = f'<{p}:Envelope xmlns:{p}="{NS_SOAP12}" {decls}><{p}:Header/><{p}:Body>'
        tail = f"</{p}:Body></{p}:Envelope>"
    return ('<?xml version="1.0" encoding="UTF-8"?>\n' + head + body + tail).encode()


def fault(dev: DeviceSpec, code: str, subcode: str | None, reason: str, *, declare_ter: bool = True) -> bytes:
    """A SOAP 1.2 fault; `code` is "Sender" or "Receiver", `subcode` like "ter:NotAuthorized" (or none)."""
    p = dev.style.env_prefix or "env"
    e = p + ":"
    sub = f"<{e}Subcode><{e}Value>{subcode}</{e}Value></{e}Subcode>" if subcode else ""
    text = f'<{e}Text xml:lang="en">{escape(reason)}</{e}Text>' if reason else f'<{e}Text xml:lang="en"/>'
    body = f"<{e}Fault><{e}Code><{e}Value>{p}:{code}</{e}Value>{sub}</{e}Code><{e}Reason>{text}</{e}Reason></{e}Fault>"
    return envelope(dev, body, declare_ter=declare_ter)


def _dt(t: dt.datetime) -> str:
    return (
        f"<tt:Time><tt:Hour>{t.hour}</tt:Hour><tt:Minute>{t.minute}</tt:Minute>"
        f"<tt:Second>{t.second}</tt:Second></tt:Time><tt:Date><tt:Year>{t.year}</tt:Year>"
        f"<tt:Month>{t.month}</tt:Month><tt:Day>{t.day}</tt:Day></tt:Date>"
    )


def _tz_offset(tz: str) -> dt.timedelta:
    """POSIX TZ like "CST-8" means local = UTC + 8 h."""
    digits = tz.lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ")
    return dt.timedelta(hours=-int(digits or 0))


def camera_now(dev: DeviceSpec, now: float) -> dt.datetime:
    """The camera's own (skewed) UTC clock at true time `now`."""
    return dt.datetime.fromtimestamp(now + dev.clock_skew_s, dt.UTC)


def get_system_date_and_time(dev: DeviceSpec, now: float) -> str:
    """Body of GetSystemDateAndTimeResponse (with the clock quirks of `dev`)."""
    utc = camera_now(dev, now)
    local = utc + _tz_offset(dev.style.timezone)
    kind = "NTP" if dev.clock_skew_s == 0 else "Manual"
    if "utc_is_local" in dev.quirks:
        utc_el = f"<tt:UTCDateTime>{_dt(local)}</tt:UTCDateTime>"  # local wall time labelled UTC
    elif "local_time_only" in dev.quirks:
        utc_el = ""
    else:
        utc_el = f"<tt:UTCDateTime>{_dt(utc)}</tt:UTCDateTime>"
    return (
        f"<tds:GetSystemDateAndTimeResponse><tds:SystemDateAndTime><tt:DateTimeType>{kind}</tt:DateTimeType>"
        f"<tt:DaylightSavings>false</tt:DaylightSavings><tt:TimeZone><tt:TZ>{dev.style.timezone}</tt:TZ>"
        f"</tt:TimeZone>{utc_el}"
        f"<tt:LocalDateTime>{_dt(local)}</tt:LocalDateTime></tds:SystemDateAndTime>"
        "</tds:GetSystemDateAndTimeResponse>"
    )


def get_device_information(dev: DeviceSpec) -> str:
    """Body of GetDeviceInformationResponse."""
    return (
        f"<tds:GetDeviceInformationResponse><tds:Manufacturer>{escape(dev.manufacturer)}</tds:Manufacturer>"
        f"<tds:Model>{escape(dev.model)}</tds:Model><tds:FirmwareVersion>{escape(dev.firmware)}"
        f"</tds:FirmwareVersion><tds:SerialNumber>{escape(dev.serial)}</tds:SerialNumber>"
        f"<tds:HardwareId>{escape(dev.hardware_id)}</tds:HardwareId></tds:GetDeviceInformationResponse>"
    )


def garbled_mac(mac: str) -> str:
    """What broken firmware reports instead of `mac`: six groups of six hex digits counting up from its last
    three bytes, `41a0bc:41a0bd:…` (https://github.com/home-assistant/core/issues/63399)."""
    n = int(mac.replace(":", "")[-6:], 16)
    return ":".join(f"{(n + i) & 0xFFFFFF:06x}" for i in range(6))


def format_mac(mac: str, style: str) -> str:
    """Spell a lower-case colon MAC the way a vendor does."""
    if style == "garbled":
        return garbled_mac(mac)
    if style == "upper-colon":
        return mac.upper()
    if style == "upper-dash":
        return mac.upper().replace(":", "-")
    return mac


def get_network_interfaces(dev: DeviceSpec) -> str:
    """Body of GetNetworkInterfacesResponse: one interface per MAC, the first one carries the IP."""
    parts = []
    mac_style = "garbled" if "garbled_mac" in dev.quirks else dev.style.mac_format
    for i, mac in enumerate(dev.macs):
        name = "eth0" if i == 0 else f"wlan{i - 1}"
        ipv4 = (
            f"<tt:IPv4><tt:Enabled>true</tt:Enabled><tt:Config><tt:Manual><tt:Address>{dev.ip}</tt:Address>"
            "<tt:PrefixLength>24</tt:PrefixLength></tt:Manual><tt:DHCP>false</tt:DHCP></tt:Config></tt:IPv4>"
            if i == 0
            else "<tt:IPv4><tt:Enabled>false</tt:Enabled><tt:Config><tt:DHCP>true</tt:DHCP></tt:Config></tt:IPv4>"
        )
        parts.append(
            f'<tds:NetworkInterfaces token="{name}"><tt:Enabled>{str(i == 0).lower()}</tt:Enabled>'
            f"<tt:Info><tt:Name>{name}</tt:Name><tt:HwAddress>{format_mac(mac, mac_style)}"
            f"</tt:HwAddress><tt:MTU>1500</tt:MTU></tt:Info>{ipv4}</tds:NetworkInterfaces>"
        )
    return f"<tds:GetNetworkInterfacesResponse>{''.join(parts)}</tds:GetNetworkInterfacesResponse>"


def get_scopes(dev: DeviceSpec) -> str:
    """Body of GetScopesResponse (name and location are configurable, the rest fixed)."""
    items = []
    for s in dev.scopes:
        kind = "Configurable" if "/name/" in s or "/location/" in s else "Fixed"
        items.append(
            f"<tds:Scopes><tt:ScopeDef>{kind}</tt:ScopeDef><tt:ScopeItem>{escape(s)}</tt:ScopeItem></tds:Scopes>"
        )
    return f"<tds:GetScopesResponse>{''.join(items)}</tds:GetScopesResponse>"


def get_hostname(dev: DeviceSpec) -> str:
    """Body of GetHostnameResponse."""
    return (
        "<tds:GetHostnameResponse><tds:HostnameInformation><tt:FromDHCP>false</tt:FromDHCP>"
        f"<tt:Name>{escape(dev.hostname)}</tt:Name></tds:HostnameInformation></tds:GetHostnameResponse>"
    )


def _bools(names: list[str], value: bool = False) -> str:
    return "".join(f"<tt:{n}>{str(value).lower()}</tt:{n}>" for n in names)


def get_capabilities(dev: DeviceSpec, category: str) -> str:
    """Body of GetCapabilitiesResponse for Category All, Device, Media or Events."""
    parts = []
    if category in ("All", "Device"):
        parts.append(
            f"<tt:Device><tt:XAddr>{dev.advertised_url('/onvif/device_service')}</tt:XAddr><tt:Network>"
            + _bools(["IPFilter", "ZeroConfiguration", "IPVersion6", "DynDNS"])
            + "</tt:Network><tt:System>"
            + _bools(["DiscoveryResolve", "DiscoveryBye", "RemoteDiscovery", "SystemBackup", "SystemLogging"])
            + "<tt:FirmwareUpgrade>true</tt:FirmwareUpgrade><tt:SupportedVersions><tt:Major>2</tt:Major>"
            "<tt:Minor>60</tt:Minor></tt:SupportedVersions></tt:System><tt:IO><tt:InputConnectors>0"
            "</tt:InputConnectors><tt:RelayOutputs>0</tt:RelayOutputs></tt:IO><tt:Security>"
            + _bools(["TLS1.1", "TLS1.2", "OnboardKeyGeneration", "AccessPolicyConfig", "X.509Token"])
            + _bools(["SAMLToken", "KerberosToken", "RELToken"])
            + "</tt:Security></tt:Device>"
        )
    if category in ("All", "Events"):
        parts.append(
            f"<tt:Events><tt:XAddr>{dev.advertised_url(dev.style.events_path)}</tt:XAddr>"
            "<tt:WSSubscriptionPolicySupport>true</tt:WSSubscriptionPolicySupport>"
            "<tt:WSPullPointSupport>true</tt:WSPullPointSupport>"
            "<tt:WSPausableSubscriptionManagerInterfaceSupport>false"
            "</tt:WSPausableSubscriptionManagerInterfaceSupport></tt:Events>"
        )
    if category in ("All", "Media"):
        parts.append(
            f"<tt:Media><tt:XAddr>{dev.advertised_url(dev.style.media_path)}</tt:XAddr><tt:StreamingCapabilities>"
            "<tt:RTPMulticast>false</tt:RTPMulticast><tt:RTP_TCP>true</tt:RTP_TCP>"
            "<tt:RTP_RTSP_TCP>true</tt:RTP_RTSP_TCP></tt:StreamingCapabilities></tt:Media>"
        )
    caps = "".join(parts)
    return f"<tds:GetCapabilitiesResponse><tds:Capabilities>{caps}</tds:Capabilities></tds:GetCapabilitiesResponse>"


def get_services(dev: DeviceSpec) -> str:
    """Body of GetServicesResponse (without capabilities)."""
    services = [
        (NS_DEVICE, dev.advertised_url("/onvif/device_service"), 2, 60),
        (NS_MEDIA, dev.advertised_url(dev.style.media_path), 2, 60),
        (NS_EVENTS, dev.advertised_url(dev.style.events_path), 2, 60),
    ]
    if dev.recording_days is not None:
        services.append((NS_SEARCH, dev.advertised_url(SEARCH_PATH), 2, 42))
    items = "".join(
        f"<tds:Service><tds:Namespace>{ns}</tds:Namespace><tds:XAddr>{url}</tds:XAddr>"
        f"<tds:Version><tt:Major>{major}</tt:Major><tt:Minor>{minor}</tt:Minor></tds:Version></tds:Service>"
        for ns, url, major, minor in services
    )
    return f"<tds:GetServicesResponse>{items}</tds:GetServicesResponse>"


def _profile(dev: DeviceSpec, index: int) -> str:
    token = dev.style.profile_tokens[index]
    w, h = RESOLUTIONS[index]
    name = "mainStream" if index == 0 else "subStream"
    return (
        f'<trt:Profiles token="{token}" fixed="true"><tt:Name>{name}</tt:Name>'
        '<tt:VideoSourceConfiguration token="VideoSourceToken"><tt:Name>VideoSourceConfig</tt:Name>'
        "<tt:UseCount>2</tt:UseCount><tt:SourceToken>VideoSource_1</tt:SourceToken>"
        f'<tt:Bounds x="0" y="0" width="{RESOLUTIONS[0][0]}" height="{RESOLUTIONS[0][1]}"/>'
        f'</tt:VideoSourceConfiguration><tt:VideoEncoderConfiguration token="VideoEncoder_{index + 1}">'
        f"<tt:Name>VideoEncoder_{index + 1}</tt:Name><tt:UseCount>1</tt:UseCount>"
        f"<tt:Encoding>H264</tt:Encoding><tt:Resolution><tt:Width>{w}</tt:Width><tt:Height>{h}</tt:Height>"
        "</tt:Resolution><tt:Quality>5</tt:Quality><tt:RateControl><tt:FrameRateLimit>25</tt:FrameRateLimit>"
        f"<tt:EncodingInterval>1</tt:EncodingInterval><tt:BitrateLimit>{4096 if index == 0 else 512}"
        "</tt:BitrateLimit></tt:RateControl><tt:H264><tt:GovLength>50</tt:GovLength>"
        "<tt:H264Profile>Main</tt:H264Profile></tt:H264><tt:Multicast><tt:Address><tt:Type>IPv4</tt:Type>"
        "<tt:IPv4Address>0.0.0.0</tt:IPv4Address></tt:Address><tt:Port>0</tt:Port><tt:TTL>1</tt:TTL>"
        "<tt:AutoStart>false</tt:AutoStart></tt:Multicast><tt:SessionTimeout>PT60S</tt:SessionTimeout>"
        "</tt:VideoEncoderConfiguration></trt:Profiles>"
    )


def get_profiles(dev: DeviceSpec) -> str:
    """Body of media GetProfilesResponse: a main and a sub stream."""
    return f"<trt:GetProfilesResponse>{_profile(dev, 0)}{_profile(dev, 1)}</trt:GetProfilesResponse>"


def get_stream_uri(dev: DeviceSpec, index: int) -> str:
    """Body of media GetStreamUriResponse for profile `index`."""
    return (
        f"<trt:GetStreamUriResponse><trt:MediaUri><tt:Uri>{escape(dev.stream_uri(index))}</tt:Uri>"
        "<tt:InvalidAfterConnect>false</tt:InvalidAfterConnect><tt:InvalidAfterReboot>false"
        "</tt:InvalidAfterReboot><tt:Timeout>PT60S</tt:Timeout></trt:MediaUri></trt:GetStreamUriResponse>"
    )


def _iso(t: dt.datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def get_recording_summary(dev: DeviceSpec, now: float) -> str:
    """Body of Recording Search's GetRecordingSummaryResponse: `recording_days` of footage up to now."""
    until = camera_now(dev, now).replace(microsecond=0)
    since = until - dt.timedelta(days=dev.recording_days or 0.0)
    return (
        f"<tse:GetRecordingSummaryResponse><tse:Summary><tt:DataFrom>{_iso(since)}</tt:DataFrom>"
        f"<tt:DataUntil>{_iso(until)}</tt:DataUntil><tt:NumberRecordings>1</tt:NumberRecordings>"
        "</tse:Summary></tse:GetRecordingSummaryResponse>"
    )
