"""The committed sample layers are exactly what scripts/build_sample_layers.py produces."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

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
    for name in ("districts.geojson", "special_branches.geojson", "stations.geojson"):
        assert (tmp_path / "geo" / name).read_bytes() == (ROOT / "sample_data/geo" / name).read_bytes(), name
    assert (tmp_path / "stations.csv").read_bytes() == (ROOT / "sample_data/stations.csv").read_bytes()
