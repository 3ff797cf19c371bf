"""Reading the police-unit table shared with the registry."""

from __future__ import annotations

from pathlib import Path

import pytest

from maps.units import UnitTableError, read_units

HEADER = "code,name,kind,parent_code,district_code\n"


def test_sample_table() -> None:
    units = {u.code: u for u in read_units()}
    assert len(units) == 31
    assert units["101"].name == "东城分局" and units["101"].district_code == "110101"
    assert [c for c, u in units.items() if u.kind == "special_branch"] == ["131", "132", "133", "134", "135", "136"]
    assert units["001"].parent_code is None and units["011"].parent_code == "001"


@pytest.mark.parametrize(("row", "message"), [
    ("1,x,city,,", "line 2: code '1' is not a 3-digit code"),
    ("101,x,police,,", "line 2: kind 'police'"),
    ("101,,branch,001,110101", "line 2: name is empty"),
    ("101,x,branch,001,", "line 2: a branch needs a district_code"),
    ("101,x,branch,001,120101", "line 2: district_code '120101'"),
])
def test_bad_rows_name_line_and_field(tmp_path: Path, row: str, message: str) -> None:
    path = tmp_path / "units.csv"
    path.write_text(HEADER + row + "\n", encoding="utf-8")
    with pytest.raises(UnitTableError, match=message):
        read_units(path)


def test_duplicates_and_missing_columns(tmp_path: Path) -> None:
    path = tmp_path / "units.csv"
    path.write_text(HEADER + "101,a,branch,001,110101\n101,b,branch,001,110102\n", encoding="utf-8")
    with pytest.raises(UnitTableError, match="code 101 appears twice"):
        read_units(path)
    path.write_text(HEADER + "101,a,branch,001,110101\n102,b,branch,001,110101\n", encoding="utf-8")
    with pytest.raises(UnitTableError, match="district 110101 has two branches"):
        read_units(path)
    path.write_text("code,name\n001,x\n", encoding="utf-8")
    with pytest.raises(UnitTableError, match="missing column"):
        read_units(path)
