"""Camera codes: parsing, one specific message per defect, both editions, building new codes."""

from __future__ import annotations

import itertools

import pytest

from registry.camera_codes import (
    DEFAULT_NETWORK,
    DEVICE_TYPE_CODES,
    CameraCodeError,
    DeviceType,
    code_prefix,
    format_code,
    parse_code,
    type_code_for,
    validate_code,
)
from registry.code_tables import BEIJING_DISTRICTS, EDITIONS, INDUSTRY, NETWORK, TYPE, CodeRange, Edition, lookup

# 朝阳区 (110105), station 03, 社会治安社区接入 (01), IPC (132), network 8, serial 1.
GOOD = "11010503011328000001"


def code(**parts: str) -> str:
    """GOOD with some fields replaced."""
    fields = {"province": "11", "city": "01", "district": "05", "grassroots": "03", "industry": "01",
              "type": "132", "network": "8", "serial": "000001"}
    fields.update(parts)
    return "".join(fields.values())


def errors(text: str, edition: str = "2016") -> list[tuple[str, str]]:
    return [(e.field, e.message) for e in validate_code(text, edition).errors]


def test_parse_splits_the_eight_fields() -> None:
    parsed = parse_code(GOOD)
    assert (parsed.province, parsed.city, parsed.district, parsed.grassroots) == ("11", "01", "05", "03")
    assert (parsed.industry, parsed.type, parsed.network, parsed.serial) == ("01", "132", "8", "000001")
    assert parsed.district_code == "110105" and parsed.prefix == GOOD[:14] and str(parsed) == GOOD


@pytest.mark.parametrize("bad", ["1101050301132800001", "110105030113280000011", "", "1101050301132800000X"])
def test_parse_refuses_malformed_codes(bad: str) -> None:
    with pytest.raises(CameraCodeError):
        parse_code(bad)


@pytest.mark.parametrize("edition", EDITIONS)
def test_good_code_is_valid_with_named_fields(edition: str) -> None:
    result = validate_code(GOOD, edition)
    assert result.valid and result.errors == [] and result.warnings == []
    data = result.to_dict()
    assert data["valid"] is True and data["edition"] == edition
    assert data["fields"]["district"] == {"code": "05", "name": "朝阳区"}
    assert data["fields"]["type"]["name"] == "网络摄像机(IPC)"
    assert set(data["fields"]) == {"province", "city", "district", "grassroots", "industry", "type", "network",
                                   "serial"}


def test_wrong_length_is_one_message_with_the_length() -> None:
    assert errors(GOOD[:-1]) == [("code", "编码应为20位数字，实际为19位 / a camera code has 20 digits, got 19")]


def test_non_digits_are_reported_per_field() -> None:
    found = errors(code(industry="0A", serial="00000１"))  # a full-width digit is not a digit here
    assert [f for f, _ in found] == ["industry", "serial"]
    assert "contains characters other than digits" in found[0][1]


@pytest.mark.parametrize(
    ("parts", "field", "fragment"),
    [
        ({"province": "12"}, "province", "is not Beijing (11)"),
        ({"city": "03"}, "city", "does not exist in Beijing"),
        ({"district": "20"}, "district", "110120 is not a Beijing district"),
        ({"district": "00"}, "district", "city level"),
        ({"industry": "12"}, "industry", "industry code 12 is reserved (government bodies) in the 2016 edition"),
        ({"industry": "60"}, "industry", "reserved (enterprises and institutions)"),
        ({"type": "099"}, "type", "type code 099 is not defined in the 2016 edition"),
        ({"type": "121"}, "type", "(2022 edition: video checkpoint)"),
        ({"type": "700"}, "type", "reserved (extensions)"),
        ({"network": "9"}, "network", "network identifier 9 is reserved"),
        ({"serial": "000000"}, "serial", "serials start at 000001"),
    ],
)
def test_each_defect_has_one_specific_message(parts: dict[str, str], field: str, fragment: str) -> None:
    result = validate_code(code(**parts), "2016")
    assert [e.field for e in result.errors] == [field]
    assert fragment in result.errors[0].message
    zh, en = result.errors[0].message.split(" / ", 1)
    assert zh and en  # Chinese first, then English


def test_industry_12_message_in_chinese_names_the_reservation_and_2022_meaning() -> None:
    [(_, message)] = errors(code(industry="12"))
    assert message.startswith("行业编码 12 在 2016 版中为政府机关预留（2022 版：民航接入）")


def test_several_defects_give_several_messages() -> None:
    assert [f for f, _ in errors(code(industry="30", type="099", network="9"))] == ["industry", "type", "network"]


@pytest.mark.parametrize(("industry", "name"), [("12", "民航接入"), ("13", "铁路接入"), ("14", "航运接入"),
                                                ("56", "卫生和社会工作接入"), ("59", "国际组织接入")])
def test_2022_industry_codes(industry: str, name: str) -> None:
    result = validate_code(code(industry=industry), "2022")
    assert result.valid and result.fields["industry"].name == name
    assert not validate_code(code(industry=industry), "2016").valid


@pytest.mark.parametrize("type_code", ["120", "121", "122", "123", "124", "125", "140", "141", "142", "143"])
def test_2022_front_end_types_are_reserved_in_2016(type_code: str) -> None:
    assert validate_code(code(type=type_code), "2022").valid
    assert [e.field for e in validate_code(code(type=type_code), "2016").errors] == ["type"]


@pytest.mark.parametrize("type_code", ["502", "503", "505"])
def test_2022_platform_types_are_valid_but_not_cameras(type_code: str) -> None:
    result = validate_code(code(type=type_code), "2022")
    assert result.valid and [w.field for w in result.warnings] == ["type"]
    assert not validate_code(code(type=type_code), "2016").valid


def test_network_meaning_differs_by_edition() -> None:
    assert validate_code(GOOD, "2016").fields["network"].name == "社会资源接入网"
    assert validate_code(GOOD, "2022").fields["network"].name == "专线"


FORMER = [("110228", "密云县", "110118"), ("110229", "延庆县", "110119"),
          ("110103", "崇文区", "110101"), ("110104", "宣武区", "110102")]


@pytest.mark.parametrize(("legacy", "name", "successor"), FORMER)
def test_former_districts_stay_valid_with_a_warning(legacy: str, name: str, successor: str) -> None:
    result = validate_code(legacy + GOOD[6:])
    assert result.valid and result.fields["district"].name == name
    assert [w.field for w in result.warnings] == ["district"]
    assert f"现为 {successor}" in result.warnings[0].message


def test_grassroots_checked_against_known_stations() -> None:
    stations = {"110105": {"01", "03"}}
    assert validate_code(GOOD, station_numbers=stations).valid
    bad = validate_code(code(grassroots="07"), station_numbers=stations)
    assert [e.field for e in bad.errors] == ["grassroots"] and "朝阳区" in bad.errors[0].message
    assert validate_code(code(grassroots="00"), station_numbers=stations).valid


def test_unknown_edition_is_refused() -> None:
    with pytest.raises(CameraCodeError, match="unknown edition"):
        validate_code(GOOD, "2019")


@pytest.mark.parametrize("edition", EDITIONS)
def test_tables_cover_every_value_once(edition: Edition) -> None:
    for table, top in ((INDUSTRY[edition], 99), (NETWORK[edition], 9), (TYPE[edition], 999)):
        rows: list[CodeRange] = sorted(table, key=lambda r: r.low)
        assert all(a.high < b.low for a, b in itertools.pairwise(rows)), "overlapping ranges"
        if top != 999:
            assert all(lookup(table, v) is not None for v in range(top + 1))
    assert lookup(TYPE[edition], 110) is None and lookup(TYPE[edition], 132) is not None


def test_beijing_has_sixteen_current_districts() -> None:
    current = sorted(c for c, d in BEIJING_DISTRICTS.items() if d.current)
    assert len(current) == 16 and current[0] == "110101" and current[-1] == "110119"
    assert "110103" not in current and "110110" not in current


def test_device_types_map_to_type_codes() -> None:
    assert type_code_for("ipc") == "132" and type_code_for(DeviceType.nvr) == "118"
    assert DEFAULT_NETWORK == "8"
    for kind in DeviceType:
        if kind in (DeviceType.checkpoint, DeviceType.multi_lens):
            with pytest.raises(CameraCodeError, match="not in the 2016 edition"):
                type_code_for(kind, "2016")
        assert type_code_for(kind, "2022") == DEVICE_TYPE_CODES[kind]
    with pytest.raises(CameraCodeError, match="unknown device type 'drone'"):
        type_code_for("drone")


def test_prefix_and_format_build_a_valid_code() -> None:
    prefix = code_prefix(district="110105", grassroots="03", industry="01", type_code=type_code_for("ipc"))
    assert prefix == GOOD[:14]
    assert format_code(prefix, 1) == GOOD
    built = format_code(prefix, 999_999)
    assert built.endswith("999999") and validate_code(built).valid


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"district": "110228"}, "district"),  # former county: never issued again
        ({"district": "120101"}, "district"),
        ({"industry": "12"}, "industry"),
        ({"type_code": "200"}, "type"),  # a server is not a camera
        ({"network": "9"}, "network"),
        ({"grassroots": "3"}, "grassroots"),
        ({"industry": "1a"}, "industry"),
    ],
)
def test_prefix_refuses_what_a_new_code_must_not_carry(kwargs: dict[str, str], field: str) -> None:
    args = {"district": "110105", "industry": "01", "type_code": "132"} | kwargs
    with pytest.raises(CameraCodeError) as info:
        code_prefix(**args)
    assert info.value.field == field


def test_prefix_respects_edition() -> None:
    assert code_prefix(district="110101", industry="12", type_code="121", edition="2022") == "11010100121218"


@pytest.mark.parametrize(("prefix", "serial"), [("1101050301132", 1), ("11010503011328", 0),
                                                ("11010503011328", 1_000_000)])
def test_format_refuses_bad_prefix_or_serial(prefix: str, serial: int) -> None:
    with pytest.raises(CameraCodeError):
        format_code(prefix, serial)
