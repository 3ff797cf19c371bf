"""统一社会信用代码 (GB 32100-2015): published codes pass, each defect is named."""

from __future__ import annotations

import pytest

from registry.uscc import (
    CHARSET,
    REGISTRATION_AUTHORITIES,
    check_uscc,
    is_valid_uscc,
    make_uscc,
    org_code_check_char,
    uscc_check_char,
    validate_uscc,
)

# Codes printed on these companies' public business-registration records (national enterprise credit system).
PUBLISHED = {
    "914403001922038216": "华为技术有限公司",
    "9144030071526726XG": "腾讯科技（深圳）有限公司",
    "91330100799655058B": "阿里巴巴（中国）有限公司",
    "91110108551385082Q": "小米科技有限责任公司",
    "91110000802100433B": "百度在线网络技术（北京）有限公司",
    "91110000710926094P": "中国石油化工股份有限公司",
}
HUAWEI = "914403001922038216"


@pytest.mark.parametrize("code", sorted(PUBLISHED))
def test_published_codes_are_valid(code: str) -> None:
    assert check_uscc(code) == [] and validate_uscc(code) == [] and is_valid_uscc(code)


def test_check_characters_of_a_published_code() -> None:
    assert org_code_check_char("19220382") == "1"
    assert uscc_check_char(HUAWEI[:17]) == "6"
    assert org_code_check_char("71526726") == "X"  # GB 11714 writes 10 as X


def fields(code: str) -> list[str]:
    return [issue.field for issue in check_uscc(code)]


@pytest.mark.parametrize(
    ("code", "expected", "fragment"),
    [
        (HUAWEI[:-1], ["length"], "18 characters, got 17"),
        (HUAWEI + "0", ["length"], "got 19"),
        ("9I4403001922038216", ["charset"], "I, O, Z, S and V are never used"),
        ("914403001922038s16", ["charset"], "uppercase"),
        ("914403001922O38216", ["charset"], "position 13 'O'"),
        ("914403001922038217", ["check"], "should be 6, got 7"),
    ],
)
def test_each_defect_is_named(code: str, expected: list[str], fragment: str) -> None:
    issues = check_uscc(code)
    assert [i.field for i in issues] == expected
    assert fragment in issues[0].message and " / " in issues[0].message


def _recheck(first17: str) -> str:
    """A code whose final check character is right, so only the planted defect shows."""
    return first17 + uscc_check_char(first17)


def test_unknown_registration_authority() -> None:
    assert fields(_recheck("B1" + HUAWEI[2:17])) == ["authority"]


def test_kind_must_belong_to_the_authority() -> None:
    issues = check_uscc(_recheck("94" + HUAWEI[2:17]))
    assert [i.field for i in issues] == ["kind"] and "个体工商户" in issues[0].message


def test_region_must_be_digits_of_a_real_province() -> None:
    assert fields(_recheck("91990300192203821")) == ["region"]
    assert fields(_recheck("9144A300192203821")) == ["region"]
    assert check_uscc(make_uscc(1, authority="1", kind="1", region="100000")) == []


def test_organisation_code_check_digit() -> None:
    broken = HUAWEI[:16] + "2"  # org code 192203822 instead of 192203821
    assert fields(_recheck(broken)) == ["organisation_code"]
    assert "should be 1, got 2" in check_uscc(_recheck(broken))[0].message


def test_any_single_substitution_is_detected() -> None:
    for position in range(18):
        for ch in CHARSET:
            if ch != HUAWEI[position]:
                assert not is_valid_uscc(HUAWEI[:position] + ch + HUAWEI[position + 1:])


def test_surrounding_space_is_tolerated() -> None:
    assert is_valid_uscc(f" {HUAWEI} ")


@pytest.mark.parametrize(("authority", "kinds"), sorted(REGISTRATION_AUTHORITIES.items()))
def test_make_uscc_for_every_authority_and_kind(authority: str, kinds: tuple[str, dict[str, str]]) -> None:
    for kind in kinds[1]:
        code = make_uscc(4242, authority=authority, kind=kind, region="110108")
        assert len(code) == 18 and code.startswith(f"{authority}{kind}110108") and is_valid_uscc(code)


def test_make_uscc_is_deterministic_and_distinct() -> None:
    assert make_uscc(1) == make_uscc(1)
    assert len({make_uscc(n) for n in range(200)}) == 200
    assert make_uscc("MA01ABCD").startswith("91110105MA01ABCD")


@pytest.mark.parametrize("kwargs", [{"subject": -1}, {"subject": 10**8}, {"subject": 1, "kind": "7"},
                                    {"subject": "MA01ABC"}, {"subject": 1, "region": "990000"}])
def test_make_uscc_refuses_impossible_parts(kwargs: dict[str, object]) -> None:
    subject = kwargs.pop("subject")
    with pytest.raises(ValueError):
        make_uscc(subject, **kwargs)  # type: ignore[arg-type]


def test_python_stdnum_has_the_last_word(monkeypatch: pytest.MonkeyPatch) -> None:
    """The check character and the format rules are python-stdnum's, not a copy of them."""
    from stdnum import exceptions
    from stdnum.cn import uscc as stdnum_uscc

    assert is_valid_uscc(HUAWEI) and stdnum_uscc.is_valid(HUAWEI)

    def refuse(number: str) -> str:
        raise exceptions.InvalidFormat()

    monkeypatch.setattr(stdnum_uscc, "validate", refuse)
    assert fields(HUAWEI) == ["format"]
    monkeypatch.setattr(stdnum_uscc, "calc_check_digit", lambda number: "0")
    assert uscc_check_char(HUAWEI[:17]) == "0"


def test_letter_authorities_that_stdnum_refuses_are_still_checked() -> None:
    from stdnum.cn import uscc as stdnum_uscc

    code = make_uscc(4242, authority="Y", kind="1", region="110108")
    assert is_valid_uscc(code) and not stdnum_uscc.is_valid(code)  # stdnum wants digits in positions 1-8
    wrong = code[:-1] + ("0" if code[-1] != "0" else "1")
    assert fields(wrong) == ["check"]
