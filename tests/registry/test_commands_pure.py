"""`camreg workdays` and `camreg codes` sub-apps, driven through Typer's CliRunner."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from registry.commands.codes import codes_app
from registry.commands.workdays import workdays_app
from registry.workdays import FORMAT_ID

runner = CliRunner()


def official_2027(directory: Path) -> Path:
    """A directory holding an official-flagged 2027 file (test fixture dates, not the published calendar)."""
    data = {"format": FORMAT_ID, "year": 2027, "official": True, "source": "test fixture",
            "holidays": [{"name": "元旦", "date": "2027-01-01"}], "workdays": []}
    (directory / "2027.json").write_text(json.dumps(data), "utf-8")
    return directory


def test_workdays_add_json_spec_example() -> None:
    result = runner.invoke(workdays_app, ["add", "2013-09-16", "15", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["date"] == "2013-10-12" and data["provisional"] is False
    assert data["calendar_version"].startswith("cal-")


def test_workdays_add_human_output_flags_provisional() -> None:
    result = runner.invoke(workdays_app, ["add", "2026-12-20", "15"])
    assert result.exit_code == 0
    assert "2027-01-11" in result.stdout and "provisional" in result.stdout and "2027" in result.stdout


def test_calendar_dir_makes_it_final(tmp_path: Path) -> None:
    result = runner.invoke(workdays_app, ["add", "2026-12-20", "15", "--json", "--calendar-dir",
                                          str(official_2027(tmp_path))])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert (data["date"], data["provisional"], data["uncovered_years"]) == ("2027-01-11", False, [])


def test_calendar_dir_from_environment(tmp_path: Path) -> None:
    result = runner.invoke(workdays_app, ["add", "2026-12-20", "15", "--json"],
                           env={"CAMREG_CALENDAR_DIR": str(official_2027(tmp_path))})
    assert json.loads(result.stdout)["provisional"] is False


def test_bad_calendar_file_is_reported_with_field(tmp_path: Path) -> None:
    (tmp_path / "2027.json").write_text(json.dumps({"format": FORMAT_ID, "year": 2027, "official": True,
                                                    "source": "x", "holidays": [{"name": "a", "date": "2027-13-01"}],
                                                    "workdays": []}), "utf-8")
    result = runner.invoke(workdays_app, ["add", "2026-12-20", "15", "--calendar-dir", str(tmp_path)])
    assert result.exit_code == 2
    assert "holidays[0].date" in result.stderr and "not a valid date" in result.stderr


def test_bad_arguments_exit_2() -> None:
    assert runner.invoke(workdays_app, ["add", "2013-9-16", "15"]).exit_code == 2
    assert runner.invoke(workdays_app, ["add", "2013-02-30", "15"]).exit_code == 2
    assert runner.invoke(workdays_app, ["add", "2013-09-16", "-1"]).exit_code == 2


def test_workdays_between_and_years(tmp_path: Path) -> None:
    between = runner.invoke(workdays_app, ["between", "2013-09-16", "2013-10-12", "--json"])
    assert json.loads(between.stdout)["working_days"] == 15
    years = runner.invoke(workdays_app, ["years", "--json", "--calendar-dir", str(official_2027(tmp_path))])
    listed = json.loads(years.stdout)["years"]
    assert listed[0]["year"] == 2004 and listed[-1] == {"year": 2027, "official": True, "source": "test fixture",
                                                        "file": str(tmp_path / "2027.json")}


def test_codes_validate_valid_exits_0() -> None:
    result = runner.invoke(codes_app, ["validate", "11010503011328000001", "--json"])
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert data["valid"] is True and data["errors"] == [] and data["fields"]["district"]["name"] == "朝阳区"


def test_codes_validate_invalid_exits_1_with_field_errors() -> None:
    result = runner.invoke(codes_app, ["validate", "11010503121328000001", "--json"])
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    assert data["valid"] is False and [e["field"] for e in data["errors"]] == ["industry"]
    assert "政府机关预留" in data["errors"][0]["message"]


def test_codes_validate_edition_2022() -> None:
    result = runner.invoke(codes_app, ["validate", "11010503121328000001", "--edition", "2022", "--json"])
    assert result.exit_code == 0 and json.loads(result.stdout)["fields"]["industry"]["name"] == "民航接入"
    assert runner.invoke(codes_app, ["validate", "11010503121328000001", "--edition", "2019"]).exit_code == 2


def test_codes_validate_human_output() -> None:
    result = runner.invoke(codes_app, ["validate", "1101050312132800000"])
    assert result.exit_code == 1 and "invalid" in result.stdout and "got 19" in result.stdout


def test_codes_uscc() -> None:
    good = runner.invoke(codes_app, ["uscc", "914403001922038216", "--json"])
    assert good.exit_code == 0 and json.loads(good.stdout)["valid"] is True
    bad = runner.invoke(codes_app, ["uscc", "914403001922038217"])
    assert bad.exit_code == 1 and "[check]" in bad.stdout
