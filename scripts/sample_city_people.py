"""Who the sample city's operators are: kinds of site, names, addresses, contacts, affiliations.

All names are invented from place names and generic words; any match with a real organisation is a
coincidence. Industry codes follow GB/T 28181-2016 (and 2022 for the operators that use that edition).
"""

from __future__ import annotations

import random
from dataclasses import dataclass

DISTRICT_WEIGHTS = {"110101": 6, "110102": 6, "110105": 14, "110106": 8, "110107": 4, "110108": 13,
                    "110109": 2, "110111": 4, "110112": 7, "110113": 5, "110114": 7, "110115": 7,
                    "110116": 2, "110117": 2, "110118": 2, "110119": 2}
PLACES = {
    "110101": ("东直门", "王府井", "崇文门", "和平里", "安定门", "东四", "天坛", "永定门", "建国门"),
    "110102": ("西单", "德胜门", "月坛", "金融街", "广安门", "陶然亭", "什刹海", "展览路"),
    "110105": ("望京", "三里屯", "国贸", "亚运村", "劲松", "双井", "酒仙桥", "十八里店", "潘家园", "常营"),
    "110106": ("方庄", "科技园", "卢沟桥", "宛平", "马家堡", "青塔", "大红门", "右安门"),
    "110107": ("古城", "八角", "鲁谷", "苹果园", "金顶街", "老山"),
    "110108": ("中关村", "五道口", "学院路", "万寿路", "上地", "西北旺", "紫竹院", "四季青", "温泉"),
    "110109": ("大峪", "城子", "永定", "龙泉", "东辛房"),
    "110111": ("良乡", "长阳", "阎村", "窦店", "琉璃河", "城关"),
    "110112": ("梨园", "宋庄", "永顺", "马驹桥", "潞城", "台湖"),
    "110113": ("后沙峪", "仁和", "胜利", "石园", "马坡", "南法信"),
    "110114": ("回龙观", "天通苑", "南口", "沙河", "城北", "北七家"),
    "110115": ("黄村", "亦庄", "旧宫", "西红门", "庞各庄", "瀛海"),
    "110116": ("雁栖", "庙城", "泉河", "杨宋", "龙山"),
    "110117": ("滨河", "兴谷", "马坊", "金海湖", "夏各庄"),
    "110118": ("鼓楼", "果园", "溪翁庄", "十里堡", "檀营"),
    "110119": ("儒林", "百泉", "康庄", "八达岭", "香水园"),
}
DISTRICT_NAMES = {"110101": "东城区", "110102": "西城区", "110105": "朝阳区", "110106": "丰台区", "110107": "石景山区",
                  "110108": "海淀区", "110109": "门头沟区", "110111": "房山区", "110112": "通州区", "110113": "顺义区",
                  "110114": "昌平区", "110115": "大兴区", "110116": "怀柔区", "110117": "平谷区", "110118": "密云区",
                  "110119": "延庆区"}
ROAD_SUFFIX = ("路", "大街", "东街", "西路", "南路", "北街", "中路")
SURNAMES = "王李张刘陈杨赵黄周吴徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华建国志红海燕鹏飞宇辉"
BANKS = ("工商银行", "建设银行", "农业银行", "中国银行", "交通银行", "北京银行", "招商银行", "民生银行")
HOTEL_WORDS = ("京华", "悦宾", "锦苑", "华庭", "君澜", "宜居", "金桥", "丽都", "嘉悦", "和颐")


@dataclass(frozen=True)
class Kind:
    """A kind of site: how it is named, coded, drawn and how many cameras it runs."""

    key: str
    weight: int
    industry_2016: str
    industry_2022: str
    cameras: tuple[int, int]
    layout: str  # building | site
    affiliations: tuple[tuple[str, int], ...]  # (code or kind marker, weight); "" = none


KINDS = (
    Kind("hotel", 14, "50", "47", (10, 37), "building", (("", 80), ("011", 8), ("branch", 12))),
    Kind("mall", 8, "53", "45", (26, 94), "building", (("", 75), ("011", 5), ("branch", 20))),
    Kind("school", 10, "11", "55", (16, 58), "site", (("", 60), ("012", 15), ("branch", 25))),
    Kind("hospital", 7, "09", "56", (23, 73), "building", (("", 55), ("012", 20), ("branch", 25))),
    Kind("bank", 10, "51", "49", (5, 18), "building", (("", 45), ("012", 35), ("branch", 20))),
    Kind("residential", 14, "01", "01", (10, 46), "site", (("", 85), ("015", 10), ("branch", 5))),
    Kind("factory", 8, "42", "42", (8, 31), "site", (("", 80), ("branch", 20))),
    Kind("office", 9, "53", "51", (10, 42), "building", (("", 85), ("013", 3), ("branch", 12))),
    Kind("logistics", 4, "47", "46", (10, 37), "site", (("", 90), ("branch", 10))),
    Kind("entertainment", 5, "55", "57", (6, 26), "building", (("", 80), ("011", 15), ("branch", 5))),
    Kind("museum", 2, "55", "57", (16, 46), "building", (("014", 80), ("", 20))),
    Kind("datacenter", 2, "49", "48", (13, 42), "site", (("013", 70), ("", 30))),
    Kind("bus_depot", 2, "07", "07", (10, 31), "site", (("021", 90), ("", 10))),
    Kind("railway", 1, "07", "13", (10, 37), "site", (("022", 50), ("023", 50))),
    Kind("city_road", 2, "04", "04", (16, 46), "site", (("", 100),)),
    Kind("district_community", 3, "00", "00", (13, 42), "site", (("", 100),)),
)


def person(rng: random.Random) -> str:
    """A plausible Chinese personal name."""
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))


def phone(rng: random.Random) -> str:
    """A Beijing landline or a mobile number."""
    if rng.random() < 0.5:
        return f"010-{rng.randint(5, 8)}{rng.randint(100, 999)} {rng.randint(1000, 9999)}"
    return f"1{rng.choice('3589')}{rng.randint(0, 9)} {rng.randint(1000, 9999)} {rng.randint(1000, 9999)}"


def site_name(rng: random.Random, kind: Kind, district: str, place: str, n: int) -> str:
    """An invented organisation name of the right kind for the district."""
    dname = DISTRICT_NAMES[district]
    short = dname.removesuffix("区")
    templates = {
        "hotel": lambda: f"北京{place}{rng.choice(HOTEL_WORDS)}{rng.choice(('大酒店', '宾馆', '酒店', '商务酒店'))}",
        "mall": lambda: f"{place}{rng.choice(('购物中心', '商厦', '百货商场', '生活广场'))}",
        "school": lambda: rng.choice((f"北京市{short}区第{n % 150 + 1}中学", f"{dname}{place}小学",
                                      f"北京市{place}职业技术学校")),
        "hospital": lambda: rng.choice((f"{dname}{place}社区卫生服务中心", f"北京{place}医院",
                                        f"{dname}妇幼保健院")),
        "bank": lambda: f"{rng.choice(BANKS)}北京{place}支行",
        "residential": lambda: f"{place}{rng.choice(('家园', '小区', '花园', '嘉园', '新村', '公寓'))}"
                               f"{rng.choice(('', '一期', '二期', '东区', '西区'))}",
        "factory": lambda: f"北京{place}{rng.choice(('精密机械', '食品', '电子', '包装材料', '汽车配件'))}有限公司",
        "office": lambda: f"{place}{rng.choice(('科技大厦', '国际中心', '商务楼', '创新园写字楼'))}",
        "logistics": lambda: f"北京{place}{rng.choice(('物流园', '仓储中心', '配送中心'))}",
        "entertainment": lambda: f"{place}{rng.choice(('影城', 'KTV', '体育馆', '游泳馆', '剧场'))}",
        "museum": lambda: f"{place}{rng.choice(('博物馆', '纪念馆', '文化馆', '古建筑群管理处'))}",
        "datacenter": lambda: f"北京{place}{rng.choice(('云计算数据中心', '互联网数据中心', '通信枢纽机房'))}",
        "bus_depot": lambda: f"北京公交{place}{rng.choice(('停车场', '保养场', '首末站'))}",
        "railway": lambda: f"{place}{rng.choice(('铁路工程项目部', '站房改造工程指挥部', '轨道交通施工段'))}",
        "city_road": lambda: f"北京市{place}{rng.choice(('路口', '广场', '主干道'))}公共视频监控系统（市级）",
        "district_community": lambda: f"{dname}{place}{rng.choice(('社区', '街道'))}公共安全视频监控建设工程",
    }
    return templates[kind.key]()


def address(rng: random.Random, district: str, place: str) -> str:
    """A street address in the district."""
    return f"北京市{DISTRICT_NAMES[district]}{place}{rng.choice(ROAD_SUFFIX)}{rng.randint(1, 399)}号"
