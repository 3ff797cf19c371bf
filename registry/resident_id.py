"""公民身份号码 (GB 11643-1999): the 18-character resident ID of an agent who files for a unit."""

from __future__ import annotations

from stdnum import exceptions
from stdnum.cn import ric


def check_resident_id(value: str) -> str:
    """The ID in its normal form (upper-case X), or ValueError saying in Chinese what is wrong.

    python-stdnum checks the length, the digits, the date of birth and the ISO 7064 MOD 11-2 check
    character; a well-kept library rather than our own copy of the weights.
    """
    text = value.strip().upper()
    if len(text) != 18:
        raise ValueError(f"公民身份号码应为 18 位，现为 {len(text)} 位 / a resident ID has 18 characters")
    try:
        return str(ric.validate(text))
    except exceptions.InvalidChecksum:
        raise ValueError("公民身份号码校验位不正确，请核对 / the check character is wrong") from None
    except exceptions.InvalidComponent:
        raise ValueError("公民身份号码中的出生日期不正确 / the date of birth in the ID is not a real date") from None
    except exceptions.ValidationError:
        raise ValueError("公民身份号码只能由数字和末位 X 组成 / only digits and a final X") from None
