"""`camreg map sample …` and the synthetic cameras behind it."""

from __future__ import annotations

from pathlib import Path

import shapely
from typer.testing import CliRunner

from maps import assets
from maps.layers import default_geo_dir, read_layer
from maps.map_cli import app, synthetic_cameras


def test_synthetic_cameras_are_seeded_inside_their_areas() -> None:
    districts = read_layer(default_geo_dir(), "district")
    a = synthetic_cameras(districts, 2000, seed=4)
    assert a.equals(synthetic_cameras(districts, 2000, seed=4))
    assert len(a) == 2000 and a["code"].str.len().eq(20).all() and a["code"].is_unique
    for code, geom in zip(districts["district_code"], districts.geometry, strict=True):
        mine = a[a["district_code"] == code]
        assert len(mine) > 0 and shapely.contains_xy(geom, mine["lon"], mine["lat"]).all()
        assert mine["code"].str.startswith(code).all()


def test_sample_command_writes_offline_pages(tmp_path: Path) -> None:
    runner = CliRunner()
    for view, extra in (("city", []), ("district", []), ("operator", ["--linked"])):
        out = tmp_path / f"{view}.html"
        result = runner.invoke(app, ["sample", view, "--out", str(out), "--cameras", "300", *extra])
        assert result.exit_code == 0, result.output
        page = out.read_text(encoding="utf-8")
        assert assets.external_urls(page, assets.KNOWN_NON_REQUESTS) == []
    assert (tmp_path / "operator_files" / "leaflet" / "leaflet.js").is_file()


def test_sample_command_rejects_an_unknown_district(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["sample", "district", "--district", "999999", "--out", str(tmp_path / "x.html")])
    assert result.exit_code != 0 and "999999" in result.output
