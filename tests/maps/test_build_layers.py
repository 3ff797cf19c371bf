"""The committed sample layers are what scripts/build_sample_layers.py produces."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from types import ModuleType

import shapely
from shapely.geometry import shape

ROOT = Path(__file__).resolve().parents[2]


def build_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("build_sample_layers", ROOT / "scripts/build_sample_layers.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_rebuild_reproduces_committed_files(tmp_path: Path) -> None:
    script = build_script()
    script.write_all(script.build(), tmp_path / "geo", tmp_path / "stations.csv")
    assert (tmp_path / "stations.csv").read_bytes() == (ROOT / "sample_data/stations.csv").read_bytes()
    for name in ("districts.geojson", "special_branches.geojson", "stations.geojson"):
        built = json.loads((tmp_path / "geo" / name).read_text(encoding="utf-8"))["features"]
        committed = json.loads((ROOT / "sample_data/geo" / name).read_text(encoding="utf-8"))["features"]
        assert [f["properties"] for f in built] == [f["properties"] for f in committed], name
        # Same GEOS gives the same bytes; another GEOS release may node a vertex differently, so
        # geometry is compared by area: the rebuild must not move any area by more than ~1 m².
        for new, old in zip(built, committed, strict=True):
            a, b = shape(new["geometry"]), shape(old["geometry"])
            assert shapely.symmetric_difference(a, b).area < 1e-10, (name, new["properties"])
