"""统一社会信用代码 (unified social credit code, GB 32100-2015): validated with python-stdnum, plus what it lacks.

Layout of the 18 characters::

    9 | 1 | 110108 | 55138508 2 | Q
    registration authority | organisation kind | region (GB/T 2260) | organisation code (GB 11714) | check

python-stdnum (`stdnum.cn.uscc`) checks length, alphabet and the check character (position 18). It
lacks, and this module keeps:

* the registration authority and organisation kind table (table 1 of GB 32100-2015, 1, 5, 9, Y, plus
  the later assignments 2-4, 6-8, A, N as used by the national code registry); stdnum accepts only
  digits in positions 1-8, so codes of authorities A, N and Y are checked with its check-character
  function alone;
* the province part of the region and the GB 11714 check character of the organisation code
  (positions 9-17: 8 characters and 11 - (Σ value_i × (3, 7, 9, 10, 5, 8, 4, 2)_i mod 11), 10 written
  ``X`` and 11 written ``0``);
* messages in Chinese and English that name the defect and its position (stdnum says only "invalid
  format", "invalid checksum");
* `make_uscc`, the generator of valid codes for the sample city and tests.
"""

from __future__ import annotations

from dataclasses import dataclass

from stdnum import exceptions as stdnum_errors
from stdnum.cn import uscc as stdnum_uscc

CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # the 31 symbols stdnum's alphabet also has
_VALUE = {ch: i for i, ch in enumerate(CHARSET)}
ORG_WEIGHTS: tuple[int, ...] = (3, 7, 9, 10, 5, 8, 4, 2)
USCC_LENGTH = 18

# authority code -> (authority name, {kind code: kind name})
REGISTRATION_AUTHORITIES: dict[str, tuple[str, dict[str, str]]] = {
    "1": ("机构编制", {"1": "机关", "2": "事业单位", "3": "中央编办直接管理机构编制的群众团体", "9": "其他"}),
    "2": ("外交", {"1": "外国常驻新闻机构", "9": "其他"}),
    "3": (
        "司法行政",
        {
            "1": "律师执业机构",
            "2": "公证处",
            "3": "基层法律服务所",
            "4": "司法鉴定机构",
            "5": "仲裁委员会",
            "9": "其他",
        },
    ),
    "4": ("文化", {"1": "外国在华文化中心", "9": "其他"}),
    "5": ("民政", {"1": "社会团体", "2": "民办非企业单位", "3": "基金会", "9": "其他"}),
    "6": (
        "旅游",
        {"1": "外国旅游部门常驻代表机构", "2": "港澳台地区旅游部门常驻内地（大陆）代表机构", "9": "其他"},
    ),
    "7": ("宗教", {"1": "宗教活动场所", "2": "宗教院校", "9": "其他"}),
    "8": ("工会", {"1": "基层工会", "9": "其他"}),
    "9": ("工商", {"1": "企业", "2": "个体工商户", "3": "农民专业合作社"}),
    "A": ("中央军委改革和编制办公室", {"1": "军队事业单位", "9": "其他"}),
    "N": ("农业", {"1": "组级集体经济组织", "2": "村级集体经济组织", "3": "乡镇级集体经济组织", "9": "其他"}),
    "Y": ("其他", {"1": "其他"}),
}

# First two digits of GB/T 2260 province-level codes; 100000 is the national level (central registrations).
PROVINCE_PREFIXES = frozenset({
    "11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36", "37", "41", "42",
    "43", "44", "45", "46", "50", "51", "52", "53", "54", "61", "62", "63", "64", "65", "71", "81", "82",
})
NATIONAL_REGION = "100000"


@dataclass(frozen=True)
class UsccIssue:
    """One defect: field is length, charset, authority, kind, region, organisation_code or check."""

    field: str
    message: str


def _msg(zh: str, en: str) -> str:
    return f"{zh} / {en}"


def _org_value(ch: str) -> int:
    # GB 11714 values letters A..Z as 10..35 (its own scale, not the USCC one).
    return int(ch) if ch.isdigit() else ord(ch) - ord("A") + 10


def org_code_check_char(body: str) -> str:
    """GB 11714 check character for the first 8 characters of an organisation code."""
    if len(body) != 8 or any(ch not in _VALUE for ch in body):
        raise ValueError(
            _msg(
                f"组织机构代码本体应为8位合法字符：{body!r}",
                f"organisation code body needs 8 valid characters: {body!r}",
            )
        )
    remainder = 11 - sum(_org_value(ch) * w for ch, w in zip(body, ORG_WEIGHTS, strict=True)) % 11
    return {10: "X", 11: "0"}.get(remainder, str(remainder))


def uscc_check_char(first17: str) -> str:
    """GB 32100 check character for the first 17 characters (python-stdnum computes it)."""
    if len(first17) != 17 or any(ch not in _VALUE for ch in first17):
        raise ValueError(
            _msg(f"前17位应为合法字符：{first17!r}", f"the first 17 characters must be valid: {first17!r}")
        )
    return stdnum_uscc.calc_check_digit(first17)


def _charset_issue(text: str) -> UsccIssue | None:
    bad = [(i + 1, ch) for i, ch in enumerate(text) if ch not in _VALUE]
    if not bad:
        return None
    where = "、".join(f"第{pos}位“{ch}”" for pos, ch in bad)
    where_en = ", ".join(f"position {pos} {ch!r}" for pos, ch in bad)
    hint_zh, hint_en = "", ""
    if any(ch.islower() for _, ch in bad):
        hint_zh, hint_en = "（字母须大写）", " (letters must be uppercase)"
    elif any(ch in "IOZSV" for _, ch in bad):
        hint_zh, hint_en = "（不使用 I、O、Z、S、V）", " (I, O, Z, S and V are never used)"
    return UsccIssue("charset", _msg(f"{where}不是合法字符{hint_zh}", f"not allowed: {where_en}{hint_en}"))


def check_uscc(code: str) -> list[UsccIssue]:
    """All defects of a unified social credit code, one issue (with its field) per defect; empty when valid."""
    text = code.strip()
    issues: list[UsccIssue] = []
    if len(text) != USCC_LENGTH:
        issues.append(
            UsccIssue(
                "length",
                _msg(
                    f"统一社会信用代码应为18位，实际为{len(text)}位",
                    f"a unified social credit code has 18 characters, got {len(text)}",
                ),
            )
        )
    charset = _charset_issue(text)
    if charset:
        issues.append(charset)
    if issues:
        return issues
    authority, kind, region, org = text[0], text[1], text[2:8], text[8:17]
    entry = REGISTRATION_AUTHORITIES.get(authority)
    if entry is None:
        issues.append(
            UsccIssue(
                "authority",
                _msg(
                    f"登记管理部门代码 {authority} 不存在",
                    f"registration authority code {authority} does not exist",
                ),
            )
        )
    elif kind not in entry[1]:
        kinds = "、".join(f"{k} {v}" for k, v in entry[1].items())
        issues.append(
            UsccIssue(
                "kind",
                _msg(
                    f"机构类别代码 {kind} 不属于登记管理部门 {authority}（{entry[0]}），可选：{kinds}",
                    f"organisation kind {kind} does not exist under authority {authority} "
                    f"(allowed: {', '.join(entry[1])})",
                ),
            )
        )
    if not region.isdigit():
        issues.append(
            UsccIssue(
                "region",
                _msg(
                    f"登记管理机关行政区划码 {region} 应为6位数字", f"region code {region} must be 6 digits"
                ),
            )
        )
    elif region[:2] not in PROVINCE_PREFIXES and region != NATIONAL_REGION:
        issues.append(
            UsccIssue(
                "region",
                _msg(
                    f"行政区划码 {region} 的省级部分 {region[:2]} 不存在",
                    f"region code {region}: province {region[:2]} does not exist",
                ),
            )
        )
    expected_org = org_code_check_char(org[:8])
    if org[8] != expected_org:
        issues.append(
            UsccIssue(
                "organisation_code",
                _msg(
                    f"组织机构代码 {org} 校验位应为 {expected_org}，实际为 {org[8]}",
                    f"organisation code {org}: check character should be {expected_org}, got {org[8]}",
                ),
            )
        )
    issues.extend(_stdnum_issues(text))
    return issues


def _stdnum_issues(text: str) -> list[UsccIssue]:
    """python-stdnum's verdict on an 18-character code of the right alphabet, as a named defect."""
    expected = uscc_check_char(text[:17])
    try:
        if text[:8].isdigit():  # stdnum refuses the letter authorities (A, N, Y) that GB 32100 allows
            stdnum_uscc.validate(text)
        elif text[17] != expected:
            raise stdnum_errors.InvalidChecksum()
    except stdnum_errors.InvalidChecksum:
        return [UsccIssue("check", _msg(f"校验码应为 {expected}，实际为 {text[17]}",
                                        f"check character should be {expected}, got {text[17]}"))]
    except stdnum_errors.ValidationError as exc:  # a rule stdnum adds later: report it, do not accept the code
        return [UsccIssue("format", _msg(f"统一社会信用代码无效：{exc}", f"invalid code: {exc}"))]
    return []


def validate_uscc(code: str) -> list[str]:
    """The bilingual messages of :func:`check_uscc`; empty when the code is valid."""
    return [issue.message for issue in check_uscc(code)]


def is_valid_uscc(code: str) -> bool:
    """True when the code has no defect."""
    return not check_uscc(code)


def make_uscc(subject: int | str, *, authority: str = "9", kind: str = "1", region: str = "110105") -> str:
    """A valid code around an 8-character organisation-code body (an int is zero-padded), for sample data."""
    body = f"{subject:08d}" if isinstance(subject, int) else subject
    if isinstance(subject, int) and not 0 <= subject <= 99_999_999:
        raise ValueError(
            _msg(f"主体编号 {subject} 超出 0-99999999", f"subject number {subject} is outside 0-99999999")
        )
    first17 = f"{authority}{kind}{region}{body}{org_code_check_char(body)}"
    code = first17 + uscc_check_char(first17)
    issues = check_uscc(code)
    if issues:
        raise ValueError("; ".join(f"{i.field}: {i.message}" for i in issues))
    return code
