"""Code tables of the 20-digit camera code (GB/T 28181-2016 and -2022) and Beijing's GB/T 2260 codes.

The tables are standards, not configuration, so they live here as data rather than in settings.
Sources, and how sure we are of each value:

* 2016 tables: GB/T 28181-2016 appendix D, as restated in SPEC.md §4 and in several independent open-source
  GB/T 28181 implementations (names agree character for character).
* 2022 tables: GB/T 28181-2022 appendix E. We could not read the standard itself; the values below (industry
  12-14 and 40-59, types 120-125, 140-143, 500-505, the new network identifiers) agree across several
  independent open-source implementations that cite appendix E. Industry 40-59 follow the 20 sections A-T of
  GB/T 4754-2017 in order, which is what SPEC.md says the 2022 edition does.
  Values marked ``inferred=True`` were not found stated for 2022 and are carried over from 2016
  (reserved ranges 15-39 and 60-79, residents 80-89, other bodies 90-99, platform types 200-499).
* English names are our own glosses, not official translations.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Literal

Edition = Literal["2016", "2022"]
EDITIONS: tuple[Edition, ...] = ("2016", "2022")


class Status(StrEnum):
    """Whether a code value may be used on a camera."""

    defined = "defined"
    reserved = "reserved"


@dataclass(frozen=True)
class CodeRange:
    """One row of a code table: the values low..high (inclusive) share a meaning."""

    low: int
    high: int
    name_zh: str
    name_en: str
    status: Status = Status.defined
    inferred: bool = False


D, R = Status.defined, Status.reserved


def _row(
    low: int, high: int | None, zh: str, en: str, status: Status = D, inferred: bool = False
) -> CodeRange:
    return CodeRange(low, low if high is None else high, zh, en, status, inferred)


_INDUSTRY_COMMON_HEAD = [
    _row(0, None, "社会治安路面接入", "public security: roads and public areas"),
    _row(1, None, "社会治安社区接入", "public security: communities and buildings"),
    _row(2, None, "社会治安内部接入", "public security: police premises"),
    _row(3, None, "社会治安其他接入", "public security: other"),
    _row(4, None, "交通路面接入", "traffic: roads"),
    _row(5, None, "交通卡口接入", "traffic: checkpoints and junctions"),
    _row(6, None, "交通内部接入", "traffic: traffic-police premises"),
    _row(7, None, "交通其他接入", "traffic: other"),
    _row(8, None, "城市管理接入", "city management"),
    _row(9, None, "卫生环保接入", "health and environmental protection"),
    _row(10, None, "商检海关接入", "commodity inspection and customs"),
    _row(11, None, "教育部门接入", "education authorities"),
]

INDUSTRY_2016: tuple[CodeRange, ...] = (
    *_INDUSTRY_COMMON_HEAD,
    _row(12, 39, "政府机关预留", "government bodies", R),
    _row(40, None, "农林牧渔业接入", "agriculture, forestry, animal husbandry, fishery"),
    _row(41, None, "采矿企业接入", "mining"),
    _row(42, None, "制造企业接入", "manufacturing"),
    _row(43, None, "冶金企业接入", "metallurgy"),
    _row(44, None, "电力企业接入", "electric power"),
    _row(45, None, "燃气企业接入", "gas"),
    _row(46, None, "建筑企业接入", "construction"),
    _row(47, None, "物流企业接入", "logistics"),
    _row(48, None, "邮政企业接入", "postal services"),
    _row(49, None, "信息企业接入", "information services"),
    _row(50, None, "住宿和餐饮业接入", "accommodation and catering"),
    _row(51, None, "金融企业接入", "finance"),
    _row(52, None, "房地产业接入", "real estate"),
    _row(53, None, "商务服务业接入", "business services"),
    _row(54, None, "水利企业接入", "water conservancy"),
    _row(55, None, "娱乐企业接入", "entertainment"),
    _row(56, 79, "企业/事业单位预留", "enterprises and institutions", R),
    _row(80, 89, "居民自建", "built by residents"),
    _row(90, 99, "其他主体", "other bodies"),
)

# GB/T 4754-2017 sections A..T, in order, become industry codes 40..59 in the 2022 edition.
_GBT4754_SECTIONS = [
    ("农、林、牧、渔业接入", "A agriculture, forestry, animal husbandry, fishery"),
    ("采矿业接入", "B mining"),
    ("制造业接入", "C manufacturing"),
    ("电力、热力、燃气及水生产和供应业接入", "D electricity, heat, gas and water supply"),
    ("建筑业接入", "E construction"),
    ("批发和零售业接入", "F wholesale and retail"),
    ("交通运输、仓储和邮政业接入", "G transport, storage and post"),
    ("住宿和餐饮业接入", "H accommodation and catering"),
    ("信息传输、软件和信息技术服务业接入", "I information transmission, software and IT services"),
    ("金融业接入", "J finance"),
    ("房地产业接入", "K real estate"),
    ("租赁和商务服务业接入", "L leasing and business services"),
    ("科学研究和技术服务业接入", "M scientific research and technical services"),
    ("水利、环境和公共设施管理业接入", "N water, environment and public facilities"),
    ("居民服务、修理和其他服务业接入", "O resident services, repair and other services"),
    ("教育接入", "P education"),
    ("卫生和社会工作接入", "Q health and social work"),
    ("文化、体育和娱乐业接入", "R culture, sports and entertainment"),
    ("公共管理、社会保障和社会组织接入", "S public administration, social security, social organisations"),
    ("国际组织接入", "T international organisations"),
]

INDUSTRY_2022: tuple[CodeRange, ...] = (
    *_INDUSTRY_COMMON_HEAD,
    _row(12, None, "民航接入", "civil aviation"),
    _row(13, None, "铁路接入", "railways"),
    _row(14, None, "航运接入", "shipping"),
    _row(15, 39, "政府机关预留", "government bodies", R, inferred=True),
    *(_row(40 + i, None, zh, en) for i, (zh, en) in enumerate(_GBT4754_SECTIONS)),
    _row(60, 79, "企业/事业单位预留", "enterprises and institutions", R, inferred=True),
    _row(80, 89, "居民自建", "built by residents", inferred=True),
    _row(90, 99, "其他主体", "other bodies", inferred=True),
)

_TYPE_FRONT_2016 = [
    _row(111, None, "DVR", "digital video recorder (DVR)"),
    _row(112, None, "视频服务器", "video server"),
    _row(113, None, "编码器", "encoder"),
    _row(114, None, "解码器", "decoder"),
    _row(115, None, "视频切换矩阵", "video switching matrix"),
    _row(116, None, "音频切换矩阵", "audio switching matrix"),
    _row(117, None, "报警控制器", "alarm controller"),
    _row(118, None, "网络视频录像机(NVR)", "network video recorder (NVR)"),
    _row(130, None, "混合硬盘录像机(HVR)", "hybrid video recorder (HVR)"),
    _row(131, None, "摄像机", "camera"),
    _row(132, None, "网络摄像机(IPC)", "IP camera (IPC)"),
    _row(133, None, "显示器", "display"),
    _row(134, None, "报警输入设备", "alarm input device"),
    _row(135, None, "报警输出设备", "alarm output device"),
    _row(136, None, "语音输入设备", "audio input device"),
    _row(137, None, "语音输出设备", "audio output device"),
    _row(138, None, "移动传输设备", "mobile transmission device"),
    _row(139, None, "其他外围设备", "other peripheral device"),
]

_TYPE_PLATFORM = [
    _row(200, None, "中心信令控制服务器", "central signalling control server"),
    _row(201, None, "Web应用服务器", "web application server"),
    _row(202, None, "媒体分发服务器", "media distribution server"),
    _row(203, None, "代理服务器", "proxy server"),
    _row(204, None, "安全服务器", "security server"),
    _row(205, None, "报警服务器", "alarm server"),
    _row(206, None, "数据库服务器", "database server"),
    _row(207, None, "GIS服务器", "GIS server"),
    _row(208, None, "管理服务器", "management server"),
    _row(209, None, "接入网关", "access gateway"),
    _row(210, None, "媒体存储服务器", "media storage server"),
    _row(211, None, "信令安全路由网关", "signalling security routing gateway"),
    _row(212, 214, "扩展的平台设备类型", "extensions: platform devices", R),
    _row(215, None, "业务分组", "business group"),
    _row(216, None, "虚拟组织", "virtual organisation"),
    _row(217, 299, "扩展的平台设备类型", "extensions: platform devices", R),
    _row(300, None, "中心用户", "central user"),
    _row(301, 343, "行业角色用户", "industry role user"),
    _row(344, 399, "扩展的中心用户类型", "extensions: central users", R),
    _row(400, None, "终端用户", "terminal user"),
    _row(401, 443, "行业角色用户", "industry role user (terminal)"),
    _row(444, 499, "扩展的终端用户类型", "extensions: terminal users", R),
]

_TYPE_EXTENSION = _row(600, 999, "扩展类型", "extensions", R)

TYPE_2016: tuple[CodeRange, ...] = (
    *_TYPE_FRONT_2016,
    _row(119, 129, "扩展的前端主设备类型", "extensions: front-end main devices", R),
    _row(140, 199, "扩展的前端外围设备类型", "extensions: front-end peripherals", R),
    *_TYPE_PLATFORM,
    _row(500, None, "视频图像信息综合应用平台信令服务器", "video application platform signalling server"),
    _row(501, None, "视频图像信息运维管理平台信令服务器", "video O&M platform signalling server"),
    _row(502, 599, "扩展的平台外接服务器类型", "extensions: external platform servers", R),
    _TYPE_EXTENSION,
)

TYPE_2022: tuple[CodeRange, ...] = (
    *_TYPE_FRONT_2016,
    _row(119, None, "扩展的前端主设备类型", "extensions: front-end main devices", R),
    _row(120, None, "在线视频图像信息采集系统", "online video image collection system"),
    _row(121, None, "视频卡口", "video checkpoint"),
    _row(122, None, "多目设备", "multi-lens device"),
    _row(123, None, "停车场出入口控制设备", "car-park entrance/exit control device"),
    _row(124, None, "人员出入口控制设备", "pedestrian entrance/exit control device"),
    _row(125, None, "安检设备", "security screening device"),
    _row(126, 129, "扩展的前端主设备类型", "extensions: front-end main devices", R),
    _row(140, None, "报警输出设备(继电器或触发器控制)", "alarm output device (relay or trigger)"),
    _row(141, None, "道闸", "vehicle barrier gate"),
    _row(142, None, "智能门", "smart door (pedestrians)"),
    _row(143, None, "凭证识别单元", "credential recognition unit"),
    _row(144, 199, "扩展的前端外围设备类型", "extensions: front-end peripherals", R),
    *_TYPE_PLATFORM,
    _row(500, None, "视频图像信息综合应用平台", "video image application platform"),
    _row(501, None, "视频图像信息运维管理平台", "video image O&M platform"),
    _row(502, None, "视频图像分析系统", "video image analysis system"),
    _row(503, None, "视频图像信息数据库", "video image database"),
    _row(504, None, "扩展的平台外接服务器类型", "extensions: external platform servers", R),
    _row(505, None, "视频图像分析设备", "video image analysis device"),
    _row(506, 599, "扩展的平台外接服务器类型", "extensions: external platform servers", R),
    _TYPE_EXTENSION,
)

NETWORK_2016: tuple[CodeRange, ...] = (
    _row(0, 4, "监控报警专网", "dedicated surveillance and alarm network"),
    _row(5, None, "公安信息网", "public-security information network"),
    _row(6, None, "政务网", "government network"),
    _row(7, None, "Internet网", "Internet"),
    _row(8, None, "社会资源接入网", "social-resource access network"),
    _row(9, None, "预留", "future use", R),
)

NETWORK_2022: tuple[CodeRange, ...] = (
    _row(0, 1, "公安视频传输网", "public-security video transmission network"),
    _row(2, None, "行业专网", "industry private network"),
    _row(3, None, "政法信息网", "political-legal information network"),
    _row(4, None, "公安移动信息网", "public-security mobile information network"),
    _row(5, None, "公安信息网", "public-security information network"),
    _row(6, None, "电子政务外网", "e-government extranet"),
    _row(7, None, "互联网等公共网络", "Internet and other public networks"),
    _row(8, None, "专线", "leased line"),
    _row(9, None, "预留", "future use", R),
)

INDUSTRY: dict[Edition, tuple[CodeRange, ...]] = {"2016": INDUSTRY_2016, "2022": INDUSTRY_2022}
TYPE: dict[Edition, tuple[CodeRange, ...]] = {"2016": TYPE_2016, "2022": TYPE_2022}
NETWORK: dict[Edition, tuple[CodeRange, ...]] = {"2016": NETWORK_2016, "2022": NETWORK_2022}


def lookup(table: tuple[CodeRange, ...], value: int) -> CodeRange | None:
    """The row of ``table`` that covers ``value``, or None when the table does not mention it."""
    for row in table:
        if row.low <= value <= row.high:
            return row
    return None


# --- GB/T 2260, Beijing -------------------------------------------------------------------------------

BEIJING_PROVINCE = "11"
BEIJING_NAME = "北京市"


@dataclass(frozen=True)
class District:
    """A Beijing county-level division: its 6-digit GB/T 2260 code and whether it is still current."""

    code: str
    name: str
    current: bool = True
    successor: str | None = None
    note: str = ""


BEIJING_DISTRICTS: dict[str, District] = {
    d.code: d
    for d in (
        District("110101", "东城区"),
        District("110102", "西城区"),
        District("110105", "朝阳区"),
        District("110106", "丰台区"),
        District("110107", "石景山区"),
        District("110108", "海淀区"),
        District("110109", "门头沟区"),
        District("110111", "房山区"),
        District("110112", "通州区"),
        District("110113", "顺义区"),
        District("110114", "昌平区"),
        District("110115", "大兴区"),
        District("110116", "怀柔区"),
        District("110117", "平谷区"),
        District("110118", "密云区"),
        District("110119", "延庆区"),
        # Former divisions: cameras coded before the change keep their codes for life (SPEC §4).
        District("110103", "崇文区", False, "110101", "2010年并入东城区 / merged into Dongcheng in 2010"),
        District("110104", "宣武区", False, "110102", "2010年并入西城区 / merged into Xicheng in 2010"),
        District("110228", "密云县", False, "110118", "2015年撤县设区 / became Miyun District in 2015"),
        District("110229", "延庆县", False, "110119", "2015年撤县设区 / became Yanqing District in 2015"),
    )
}

# City-level part of the code: 01 = 市辖区 (districts); 02 = 县 (counties, gone since 2015).
BEIJING_CITIES: dict[str, str] = {"01": "市辖区", "02": "县"}
