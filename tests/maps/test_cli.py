"""`camreg route` (maps.cli.route_command) and `layers-check`, as the lead mounts them."""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import typer
from shapely.geometry import box
from typer.testing import CliRunner

from maps.cli import layers_check_command, route_command
from maps.datums import from_wgs84

app = typer.Typer()
app.command("route")(route_command)
app.command("layers-check")(layers_check_command)
runner = CliRunner()
KEYS = {"district_code", "station", "station_id", "verifying_unit", "filing_unit", "rule", "explanation", "flags"}


def test_route_json_shape() -> None:
    res = runner.invoke(app, ["route", "--lon", "116.3915", "--lat", "39.9030", "--json"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.output)
    assert set(out) == KEYS
    assert out["filing_unit"] == {"code": "131", "name": "天安门分局"} and out["rule"] == 5
    assert out["district_code"] == "110101" and out["explanation"].startswith("规则5：")


def test_route_with_crs_affiliation_and_system_kind() -> None:
    lon, lat = from_wgs84(116.4170, 39.9290, "bd09")
    res = runner.invoke(app, ["route", "--lon", str(lon), "--lat", str(lat), "--crs", "bd09",
                              "--affiliation", "012", "--json"])
    out = json.loads(res.output)
    assert (out["rule"], out["filing_unit"]["code"], out["verifying_unit"]) == (3, "012", "内保局业务部门")
    res = runner.invoke(app, ["route", "--lon", "116.4170", "--lat", "39.9290", "--system-kind",
                              "district_government", "--json"])
    assert json.loads(res.output)["rule"] == 2
    res = runner.invoke(app, ["route", "--lon", "116.4170", "--lat", "39.9290", "--system-kind",
                              "district_government", "--place-kind", "internal", "--json"])
    assert json.loads(res.output)["rule"] == 5 and json.loads(res.output)["flags"] == ["government_internal"]


def test_route_errors_are_json_with_exit_codes() -> None:
    res = runner.invoke(app, ["route", "--lon", "121.47", "--lat", "31.23", "--json"])
    assert res.exit_code == 1
    assert json.loads(res.output)["error"]["code"] == "outside_jurisdiction"
    res = runner.invoke(app, ["route", "--lon", "116.4", "--lat", "39.9", "--crs", "mercator", "--json"])
    assert res.exit_code == 2 and "mercator" in json.loads(res.output)["error"]["message"]
    res = runner.invoke(app, ["route", "--lon", "116.4", "--lat", "39.9", "--affiliation", "77"])
    assert res.exit_code == 1 and "affiliation" in res.output


def test_route_human_output() -> None:
    res = runner.invoke(app, ["route", "--lon", "116.4170", "--lat", "39.9290"])
    assert res.exit_code == 0 and "东城分局" in res.output and "规则5" in res.output


def test_layers_check(tmp_path: Path) -> None:
    assert runner.invoke(app, ["layers-check", str(Path(__file__).parents[2] / "sample_data/geo")]).exit_code == 0
    districts = gpd.GeoDataFrame({"district_code": ["110101", "110102"], "name": ["a", "b"]},
                                 geometry=[box(116, 40, 116.02, 40.01), box(116.01, 40, 116.03, 40.01)],
                                 crs="EPSG:4326")
    districts.to_file(tmp_path / "districts.geojson")
    stations = districts.assign(station_id=["11010101", "11010201"], number=["01", "01"],
                                branch_code=["101", "102"])
    stations["geometry"] = [box(116, 40, 116.01, 40.01), box(116.01, 40, 116.04, 40.01)]  # 2nd sticks out
    stations.to_file(tmp_path / "stations.geojson")
    res = runner.invoke(app, ["layers-check", str(tmp_path), "--json"])
    assert res.exit_code == 1
    kinds = {i["kind"] for i in json.loads(res.output)["issues"]}
    assert kinds == {"overlap", "outside_district"}  # districts overlap; station 11010201 leaves its district
